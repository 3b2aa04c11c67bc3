#!/usr/bin/python3
"""Writes tests/data/kernels.bin: kernel mode against PyTorch.

Run with Debian's python3-torch (1.13): /usr/bin/python3 tests/core/gen_kernel_fixtures.py
The file is committed, so tests/core/test-parity.c needs no torch.

Each case is a fixed kernel (shape, stride, kernel size, dilation) with a padding and an
output padding, automatic or chosen.  The weights are worked out here from their definition,
independently of the C code: with the automatic padding P (and output padding), output pixel
j sits at input coordinate (j + 0.5)/s - 0.5; tap k carries input pixel i to output
i*s - P + k*d, so its weight is f((k*d - P - (s-1)/2) / s), normalised to sum s.  Padding
and output padding are then only ConvTranspose2d's own: the same weights for every
padding.  The output is torch.nn.functional.conv_transpose2d with those weights.

Format, as tests/data/parity.bin: one text line per case
    kernel shape=NAME stride=S kernel=K dilation=D padding=P output_padding=OP auto=0|1
           tensors=input:1x1xHxW,taps:K,output:1x1xHOxWO\n
then the tensors as little-endian float32.  auto=1: tconv is asked for -1, -1 and must
resolve them to P and OP.
"""
import math
import os
import random
import struct

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "kernels.bin")
rng = random.Random(30)
torch.manual_seed(30)


def cubic(x, a):
    x = abs(x)
    if x <= 1:
        return ((a + 2) * x - (a + 3)) * x * x + 1
    if x < 2:
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return 0.0


def lanczos3(x):
    x = abs(x)
    if x < 1e-9:
        return 1.0
    return 3 * math.sin(math.pi * x) * math.sin(math.pi * x / 3) / (math.pi * x) ** 2 if x < 3 else 0.0


# the kernel-mode shapes, with their natural support in input pixels
SHAPES = {
    "nearest": (lambda x: 1.0 if -0.5 <= x < 0.5 else 0.0, 1),
    "bilinear": (lambda x: max(0.0, 1 - abs(x)), 2),
    "bicubic": (lambda x: cubic(x, -0.5), 4),  # Keys
    "lanczos": (lanczos3, 6),
}


def automatic(k, s, d):
    """The padding and output padding that make the output exactly s times the input."""
    excess = d * (k - 1) + 1 - s  # = 2*padding - output_padding
    if excess < 0:
        return 0, -excess
    return (excess + excess % 2) // 2, excess % 2


def taps(shape, k, s, d):
    f = SHAPES[shape][0]
    p, _ = automatic(k, s, d)
    v = [f((i * d - p - (s - 1) / 2) / s) for i in range(k)]
    total = sum(v)
    return [x * s / total if abs(total) > 1e-12 else 0.0 for x in v]


cases = []


def add(shape, s, k, d, p, op, auto):
    t = torch.tensor(taps(shape, k, s, d), dtype=torch.float64)
    h, w = rng.randint(1, 6), rng.randint(1, 7)
    x = torch.rand(1, 1, h, w, dtype=torch.float64)
    try:
        y = F.conv_transpose2d(x, torch.outer(t, t)[None, None], stride=s, padding=p,
                               output_padding=op, dilation=d)
    except RuntimeError:
        return False  # PyTorch refuses it (an output of no pixels): the error tests cover that
    head = (f"kernel shape={shape} stride={s} kernel={k} dilation={d} padding={p} "
            f"output_padding={op} auto={int(auto)} tensors=input:1x1x{h}x{w},taps:{k},"
            f"output:1x1x{y.shape[2]}x{y.shape[3]}")
    cases.append((head, [x.float(), t.float(), y.float()]))
    return True


# Every shape, stride 1..4, kernel sizes around the natural one (odd and even), dilation
# 1..3: the automatic values, and paddings and output paddings around them.
for shape, (_, support) in SHAPES.items():
    for s in range(1, 5):
        natural = support * s
        for k in sorted({1, 2, 3, max(1, natural - 1), natural, natural + 1}):
            for d in (1, 2, 3):
                if k > 16:
                    continue
                p0, op0 = automatic(k, s, d)
                add(shape, s, k, d, p0, op0, True)
                for _ in range(2):
                    add(shape, s, k, d, rng.randint(0, p0 + 2), rng.randrange(max(s, d)), False)

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "wb") as f:
    for head, tensors in cases:
        f.write(head.encode() + b"\n")
        for t in tensors:
            f.write(struct.pack(f"<{t.numel()}f", *t.flatten().tolist()))
print(f"{len(cases)} cases -> {OUT}, {os.path.getsize(OUT) // 1024} KiB")
