#!/usr/bin/python3
"""Peers of tools/dev/bench: PyTorch 1.13 and OpenCV DNN (python3-opencv) on the same model
and input as tconv, plus the ONNX export that ONNX Runtime (ort.js) runs.

    peers.py MODEL.safetensors|kernel:bicubic:S W H C THREADS REPEATS WORKDIR

Reads WORKDIR/in.raw (float32 NCHW), writes WORKDIR/{torch,opencv}.raw and model.onnx,
prints "torch_ms X" / "opencv_ms X" (or "opencv_error ...").
"""
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "weights"))
from tconv_export import Residual  # noqa: E402


def load_tconv(path):
    """A tconv model file as the torch module it was exported from."""
    blob = open(path, "rb").read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    graph = json.loads(header["__metadata__"]["tconv"])

    def t(name):
        e = header[name]
        a, b = e["data_offsets"]
        return torch.from_numpy(np.frombuffer(blob[8 + n + a:8 + n + b], dtype="<f4").copy()
                                .reshape(e["shape"]))

    layers, residual = [], False
    for L in graph["layers"]:
        op = L["op"]
        pair = lambda k, d: tuple(L.get(k, [d, d])) if isinstance(L.get(k, d), list) else (L.get(k, d),) * 2
        if op in ("conv2d", "conv_transpose2d"):
            w = t(L["weight"])
            g = L.get("groups", 1)
            if op == "conv2d":
                m = nn.Conv2d(w.shape[1] * g, w.shape[0], tuple(w.shape[2:]), pair("stride", 1),
                              pair("padding", 0), pair("dilation", 1), g, "bias" in L,
                              L.get("padding_mode", "zeros"))
            else:
                m = nn.ConvTranspose2d(w.shape[0], w.shape[1] * g, tuple(w.shape[2:]),
                                       pair("stride", 1), pair("padding", 0),
                                       pair("output_padding", 0), g, "bias" in L,
                                       pair("dilation", 1))
            with torch.no_grad():
                m.weight.copy_(w)
                if "bias" in L:
                    m.bias.copy_(t(L["bias"]))
        elif op == "prelu":
            w = t(L["weight"])
            m = nn.PReLU(w.numel())
            with torch.no_grad():
                m.weight.copy_(w)
        elif op == "relu":
            m = nn.ReLU()
        elif op == "leaky_relu":
            m = nn.LeakyReLU(L.get("negative_slope", 0.01))
        elif op == "resize":
            m = nn.Upsample(scale_factor=L["scale"], mode=L["mode"],
                            align_corners=None if L["mode"] == "nearest" else False)
        elif op == "pixel_shuffle":
            m = nn.PixelShuffle(L["factor"])
        elif op == "pixel_unshuffle":
            m = nn.PixelUnshuffle(L["factor"])
        elif op == "add_upscaled_input":
            residual = L.get("mode", "bicubic")
            continue
        layers.append(m)
    body = nn.Sequential(*layers)
    return Residual(body, graph["scale"], residual) if residual else body


def bicubic_kernel_model(scale, channels):
    """tconv's fixed bicubic kernel (core/model/kernels.c) as a grouped ConvTranspose2d."""
    k = 4 * scale
    excess = k - scale
    op = excess % 2
    pad = (excess + op) // 2

    def keys(x):
        x = abs(x)
        return (1.5 * x - 2.5) * x * x + 1 if x <= 1 else (((-0.5 * x + 2.5) * x - 4) * x + 2 if x < 2 else 0)

    v = [keys((i - pad - (scale - 1) / 2) / scale) for i in range(k)]
    s = sum(v)
    taps = torch.tensor([x * scale / s for x in v])
    m = nn.ConvTranspose2d(channels, channels, k, scale, pad, op, groups=channels, bias=False)
    with torch.no_grad():
        m.weight.copy_((taps[:, None] * taps[None, :]).expand(channels, 1, k, k))
    return nn.Sequential(m)


def median_ms(fn, repeats):
    fn()  # warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return sorted(times)[len(times) // 2]


def main():
    spec, w, h, c, threads, repeats, work = sys.argv[1:8]
    w, h, c, threads, repeats = int(w), int(h), int(c), int(threads), int(repeats)
    torch.set_num_threads(threads)
    model = (bicubic_kernel_model(int(spec.split(":")[2]), c) if spec.startswith("kernel:")
             else load_tconv(spec)).eval()
    x = torch.from_numpy(np.fromfile(os.path.join(work, "in.raw"), dtype="<f4")
                         .reshape(h, w, c).transpose(2, 0, 1).copy())[None]
    flops = []

    def count(m, inp, out):
        k = m.weight.shape[2] * m.weight.shape[3]
        if isinstance(m, nn.ConvTranspose2d):  # every input pixel scatters its kernel
            flops.append(2 * inp[0].numel() * m.weight.shape[1] * k)
        else:
            flops.append(2 * out.numel() * m.weight.shape[1] * k)
    hooks = [m.register_forward_hook(count) for m in model.modules()
             if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        y = model(x)
        for hk in hooks:
            hk.remove()
        print("gflop %.3f" % (sum(flops) / 1e9), flush=True)
        print("torch_ms %.2f" % median_ms(lambda: model(x), repeats), flush=True)
    y.numpy().tofile(os.path.join(work, "torch.raw"))
    torch.onnx.export(model, x, os.path.join(work, "model.onnx"), opset_version=13,
                      input_names=["x"], output_names=["y"])
    try:
        import cv2
        cv2.setNumThreads(threads)
        net = cv2.dnn.readNetFromONNX(os.path.join(work, "model.onnx"))
        blob = x.numpy()

        def run():
            net.setInput(blob)
            return net.forward()
        out = run()
        print("opencv_ms %.2f" % median_ms(run, repeats), flush=True)
        out.astype("<f4").tofile(os.path.join(work, "opencv.raw"))
    except Exception as e:  # OpenCV 4.6 lacks some ONNX ops (e.g. cubic Resize)
        print("opencv_error %s" % str(e).strip().splitlines()[-1][:160], flush=True)


if __name__ == "__main__":
    main()
