#!/usr/bin/python3
"""ncnn files run in PyTorch, read here independently of the C reader.

  /usr/bin/python3 tests/core/gen_ncnn_fixtures.py
      writes tests/data/ncnn/srvgg-tiny.{param,bin} (a tiny SRVGG x2, float16 weights),
      deconv-tiny.{param,bin} (a convolution and a Deconvolution) and their -io.bin files:
      the input and PyTorch's output
  /usr/bin/python3 tests/core/gen_ncnn_fixtures.py MODEL.param IMAGE.png X Y SIZE OUT-io.bin
      PyTorch's output of a real file on a SIZE x SIZE crop at (X, Y) of IMAGE, with the
      family's pre-processing (run_program)

io format: int32 channels, height, width, scale; the input (C, H, W) float32; the
output (C, H*scale, W*scale) float32, all little-endian.
"""
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

TAG_F16, TAG_F32 = 0x01306B47, 0x0002C056
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "ncnn")


def read_net(param_path, bin_path):
    """Each layer of a .param as (type, name, inputs, outputs, params, weights), the
    weights read from the .bin in ncnn's load_model order."""
    data, pos, layers = open(bin_path, "rb").read(), 0, []

    def raw(n):
        nonlocal pos
        v = torch.tensor(np.frombuffer(data, "<f4", n, pos).copy())
        pos += 4 * n
        return v

    def tagged(n):
        nonlocal pos
        (tag,) = struct.unpack_from("<I", data, pos)
        pos += 4
        if tag == TAG_F16:
            v = np.frombuffer(data, "<f2", n, pos).astype(np.float32)
            pos += (2 * n + 3) // 4 * 4
            return torch.tensor(v)
        assert tag in (0, TAG_F32), hex(tag)
        return raw(n)

    lines = open(param_path).read().split("\n")
    assert lines[0].strip() == "7767517"
    for line in lines[2:]:
        t = line.split()
        if not t:
            continue
        kind, name, n_in, n_out = t[0], t[1], int(t[2]), int(t[3])
        ins, outs = t[4:4 + n_in], t[4 + n_in:4 + n_in + n_out]
        p = {}
        for kv in t[4 + n_in + n_out:]:
            k, v = kv.split("=", 1)
            k = int(k)
            if k <= -23300:
                k, v = -k - 23300, v.split(",")[1:]
            elif "," in v:
                v = v.split(",")
            p[k] = v
        w = {}
        if kind in ("Convolution", "Deconvolution", "InnerProduct"):
            out = int(p[0])
            size = int(p[6 if kind != "InnerProduct" else 2])
            w["weight"] = tagged(size)
            if p.get(5 if kind != "InnerProduct" else 1) == "1":
                w["bias"] = raw(out)
        elif kind == "PReLU":
            w["slope"] = raw(int(p[0]))
        layers.append((kind, name, ins, outs, p, w))
    assert pos == len(data), (pos, len(data))
    return layers


def activation(y, p):
    a = int(p.get(9, 0))
    if a == 1:
        return F.relu(y)
    if a == 2:
        return F.leaky_relu(y, float(p[10][0]))
    if a == 4:
        return torch.sigmoid(y)
    assert a == 0, a
    return y


def run_net(layers, x):
    """The net in PyTorch, operator by operator as ncnn's src/layer/*.cpp define them."""
    blobs = {}
    for kind, name, ins, outs, p, w in layers:
        a = [blobs[i] for i in ins]
        i = lambda k, d=0: int(p.get(k, d))
        if kind == "Input":
            y = x
        elif kind == "Split":
            for o in outs:
                blobs[o] = a[0]
            continue
        elif kind in ("Convolution", "Deconvolution"):
            out, k, s = i(0), i(1), i(3, 1)
            assert i(11, k) == k and i(13, s) == s and i(2, 1) == 1
            pad = i(4)
            assert i(14, pad) == pad and i(15, pad) == pad and i(16, pad) == pad
            if kind == "Convolution":
                wt = w["weight"].reshape(out, -1, k, k)
                y = F.conv2d(a[0], wt, w.get("bias"), stride=s, padding=pad)
            else:  # ncnn keeps (out, in, kh, kw); PyTorch wants (in, out, kh, kw)
                wt = w["weight"].reshape(out, -1, k, k).transpose(0, 1)
                y = F.conv_transpose2d(a[0], wt, w.get("bias"), stride=s, padding=pad,
                                       output_padding=i(18))
            y = activation(y, p)
        elif kind == "InnerProduct":  # on the pooled (N, C) vector
            y = activation(F.linear(a[0].flatten(1), w["weight"].reshape(i(0), -1),
                                    w.get("bias")), p)
        elif kind == "Pooling":
            assert i(0) == 1 and i(4) == 1
            y = a[0].mean(dim=(2, 3))
        elif kind in ("BinaryOp", "Eltwise", "Scale"):
            u, v = a
            if v.dim() == 2:  # a C vector applies per channel (BinaryOp's broadcast)
                v = v[:, :, None, None]
            if u.dim() == 2:
                u = u[:, :, None, None]
            op = "mul" if kind == "Scale" or (kind == "BinaryOp" and i(0) == 2) \
                or (kind == "Eltwise" and i(0) == 0) else "add"
            assert kind != "BinaryOp" or i(0) in (0, 2)
            assert kind != "Eltwise" or (i(0) in (0, 1) and 1 not in p)
            y = u * v if op == "mul" else u + v
        elif kind == "Crop":
            if 9 in p:  # starts / ends on H and W
                t, l = int(p[9][0]), int(p[9][1])
                b, r = int(p[10][0]), int(p[10][1])
                y = a[0][:, :, t:a[0].shape[2] + b if b < 0 else b, l:a[0].shape[3] + r if r < 0 else r]
            else:  # offsets 0 (w), 1 (h), the reference's size
                h, wd = a[1].shape[2:]
                y = a[0][:, :, i(1):i(1) + h, i(0):i(0) + wd]
        elif kind == "PReLU":
            y = F.prelu(a[0], w["slope"])
        elif kind == "PixelShuffle":
            y = F.pixel_shuffle(a[0], i(0))
        elif kind == "Interp":
            assert i(0) == 1, "nearest only"
            y = F.interpolate(a[0], scale_factor=int(float(p[1])), mode="nearest")
        else:
            raise ValueError(kind)
        blobs[outs[0]] = y
    return y


def write_io(path, x, y):
    c, h, w = x.shape[1:]
    with open(path, "wb") as f:
        f.write(struct.pack("<4i", c, h, w, y.shape[2] // h))
        f.write(x.contiguous().numpy().astype("<f4").tobytes())
        f.write(y.contiguous().numpy().astype("<f4").tobytes())


def write_tiny():
    """3 -> 8 -> 8 -> 12 channels, pixel shuffle 2, + nearest x2 of the input."""
    torch.manual_seed(32)
    chans, lines, blob = [(3, 8), (8, 8), (8, 12)], [], b""
    prev = "data"
    lines += ["Input in 0 1 data", "Split sp 1 2 data x0 x1"]
    prev = "x1"
    for i, (cin, cout) in enumerate(chans):
        w = (torch.randn(cout, cin, 3, 3) * 0.3).half()
        b = torch.randn(cout) * 0.1
        blob += struct.pack("<I", TAG_F16) + w.numpy().astype("<f2").tobytes()
        blob += b"\0" * (-len(blob) % 4) + b.numpy().astype("<f4").tobytes()
        lines.append(f"Convolution conv{i} 1 1 {prev} c{i} 0={cout} 1=3 4=1 5=1 6={w.numel()}")
        prev = f"c{i}"
        if i < 2:
            s = torch.rand(cout) * 0.5
            blob += s.numpy().astype("<f4").tobytes()
            lines.append(f"PReLU prelu{i} 1 1 {prev} p{i} 0={cout}")
            prev = f"p{i}"
    lines += [f"PixelShuffle ps 1 1 {prev} up 0=2",
              "Interp near 1 1 x0 xn 0=1 1=2.000000e+00 2=2.000000e+00",
              "BinaryOp add 2 1 up xn output 0=0"]
    param = os.path.join(DATA, "srvgg-tiny.param")
    with open(param, "w") as f:
        f.write("7767517\n%d %d\n%s\n" % (len(lines), len(lines) + 1, "\n".join(lines)))
    with open(os.path.join(DATA, "srvgg-tiny.bin"), "wb") as f:
        f.write(blob)
    x = torch.rand(1, 3, 11, 13)
    layers = read_net(param, os.path.join(DATA, "srvgg-tiny.bin"))
    write_io(os.path.join(DATA, "srvgg-tiny-io.bin"), x, run_net(layers, x).detach())


def write_tiny_deconv():
    """3 -> 4 (3x3, leaky 0.1) -> Deconvolution 4 -> 3 (k4 s2 p1): ncnn's (out, in, kh, kw)
    weight layout against PyTorch's ConvTranspose2d."""
    torch.manual_seed(33)
    w1, b1 = (torch.randn(4, 3, 3, 3) * 0.3).half(), torch.randn(4) * 0.1
    w2, b2 = (torch.randn(3, 4, 4, 4) * 0.3).half(), torch.randn(3) * 0.1
    blob = b""
    for w, b in ((w1, b1), (w2, b2)):
        blob += struct.pack("<I", TAG_F16) + w.numpy().astype("<f2").tobytes()
        blob += b"\0" * (-len(blob) % 4) + b.numpy().astype("<f4").tobytes()
    lines = ["Input in 0 1 data",
             "Convolution conv 1 1 data c 0=4 1=3 4=1 5=1 6=108 9=2 -23310=1,1.000000e-01",
             "Deconvolution deconv 1 1 c output 0=3 1=4 3=2 4=1 5=1 6=192"]
    param = os.path.join(DATA, "deconv-tiny.param")
    with open(param, "w") as f:
        f.write("7767517\n3 3\n%s\n" % "\n".join(lines))
    with open(os.path.join(DATA, "deconv-tiny.bin"), "wb") as f:
        f.write(blob)
    x = torch.rand(1, 3, 9, 7)
    layers = read_net(param, os.path.join(DATA, "deconv-tiny.bin"))
    write_io(os.path.join(DATA, "deconv-tiny-io.bin"), x, run_net(layers, x).detach())


def write_real(param, image, x0, y0, size, out):
    from PIL import Image
    img = np.asarray(Image.open(image).convert("RGB"), dtype=np.float32) / 255
    x = torch.tensor(img[y0:y0 + size, x0:x0 + size].transpose(2, 0, 1)[None].copy())
    layers = read_net(param, param[:-len(".param")] + ".bin")
    with torch.no_grad():
        write_io(out, x, run_program(layers, x))


def run_program(layers, x):
    """The net as its program feeds it.  waifu2x upconv_7 (blobs Input1 -> Eltwise4):
    waifu2x-ncnn-vulkan pads by 7 replicated pixels (src/main.cpp:677-706,
    src/waifu2x.cpp:656), one more at the bottom/right of an odd size (waifu2x.cpp:571-590),
    and keeps the top-left 2 * size of the output (waifu2x.cpp:835-843)."""
    if layers[0][3][0] == "Input1" and layers[-1][3][0] == "Eltwise4" and len(layers) == 8:
        h, w = x.shape[2:]
        y = run_net(layers, F.pad(x, (7, 7 + w % 2, 7, 7 + h % 2), mode="replicate"))
        return y[:, :, :2 * h, :2 * w]
    return run_net(layers, x)


if __name__ == "__main__":
    if len(sys.argv) == 7:
        write_real(sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6]), sys.argv[6])
    else:
        write_tiny()
        write_tiny_deconv()
