#!/usr/bin/python3
"""SRVGG in PyTorch, fed from ncnn files read here independently of the C reader.

  /usr/bin/python3 tests/core/gen_ncnn_fixtures.py
      writes tests/data/ncnn/srvgg-tiny.{param,bin} (a tiny SRVGG x2, float16 weights) and
      srvgg-tiny-io.bin: its input and PyTorch's output
  /usr/bin/python3 tests/core/gen_ncnn_fixtures.py MODEL.param IMAGE.png X Y SIZE OUT-io.bin
      PyTorch's output of a real SRVGG x4 file on a SIZE x SIZE crop at (X, Y) of IMAGE

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


def read_srvgg(param_path, bin_path):
    """The layers of a sequential SRVGG .param/.bin, in order."""
    data, pos, layers = open(bin_path, "rb").read(), 0, []
    lines = open(param_path).read().split("\n")
    assert lines[0].strip() == "7767517"
    for line in lines[2:]:
        t = line.split()
        if not t:
            continue
        kind, n_in, n_out = t[0], int(t[2]), int(t[3])
        p = dict(kv.split("=", 1) for kv in t[4 + n_in + n_out:])
        if kind == "Convolution":
            out, k, size = int(p["0"]), int(p["1"]), int(p["6"])
            (tag,) = struct.unpack_from("<I", data, pos)
            pos += 4
            if tag == TAG_F16:
                w = np.frombuffer(data, "<f2", size, pos).astype(np.float32)
                pos += (2 * size + 3) // 4 * 4
            else:
                assert tag in (0, TAG_F32)
                w = np.frombuffer(data, "<f4", size, pos).copy()
                pos += 4 * size
            b = np.frombuffer(data, "<f4", out, pos).copy()
            pos += 4 * out
            assert p.get("5") == "1" and p.get("9", "0") == "0"
            layers.append(("conv", torch.tensor(w.reshape(out, -1, k, k)), torch.tensor(b),
                           int(p.get("4", "0"))))
        elif kind == "PReLU":
            n = int(p["0"])
            layers.append(("prelu", torch.tensor(np.frombuffer(data, "<f4", n, pos).copy())))
            pos += 4 * n
        elif kind == "PixelShuffle":
            layers.append(("shuffle", int(p["0"])))
        elif kind == "Interp":
            assert p["0"] == "1", "only SRVGG's nearest residual (x4 files)"
            layers.append(("nearest", int(float(p["1"]))))
        else:
            assert kind in ("Input", "Split", "BinaryOp"), kind
    assert pos == len(data), (pos, len(data))
    return layers


def srvgg(layers, x):
    """body (conv/PReLU ... conv, pixel shuffle) + nearest-upscaled input"""
    y = x
    for layer in layers:
        if layer[0] == "conv":
            y = F.conv2d(y, layer[1], layer[2], padding=layer[3])
        elif layer[0] == "prelu":
            y = F.prelu(y, layer[1])
        elif layer[0] == "shuffle":
            y = F.pixel_shuffle(y, layer[1])
        elif layer[0] == "nearest":
            y = y + F.interpolate(x, scale_factor=layer[1], mode="nearest")
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
    layers = read_srvgg(param, os.path.join(DATA, "srvgg-tiny.bin"))
    write_io(os.path.join(DATA, "srvgg-tiny-io.bin"), x, srvgg(layers, x).detach())


def write_real(param, image, x0, y0, size, out):
    from PIL import Image
    img = np.asarray(Image.open(image).convert("RGB"), dtype=np.float32) / 255
    x = torch.tensor(img[y0:y0 + size, x0:x0 + size].transpose(2, 0, 1)[None].copy())
    layers = read_srvgg(param, param[:-len(".param")] + ".bin")
    with torch.no_grad():
        write_io(out, x, srvgg(layers, x))


if __name__ == "__main__":
    if len(sys.argv) == 7:
        write_real(sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6]), sys.argv[6])
    else:
        write_tiny()
