#!/usr/bin/python3
"""Writes tests/data/parity.bin: PyTorch reference outputs for the core operators.

Run with Debian's python3-torch (1.13): /usr/bin/python3 tests/core/gen_parity_fixtures.py
The file is committed, so the C tests (tests/core/test-parity.c) need no torch.

Format, per case: one text line
    OP key=value ... tensors=name:AxBxCxD,name:N,...\n
then each listed tensor as little-endian float32, in the listed order.
"""
import itertools
import os
import random
import struct

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "parity.bin")
rng = random.Random(2016)
torch.manual_seed(2016)
cases = []


def pair(v):
    return f"{v[0]},{v[1]}"


def add(op, params, tensors):
    shapes = ",".join(f"{name}:{'x'.join(str(d) for d in t.shape)}" for name, t in tensors)
    head = " ".join([op] + [f"{k}={v}" for k, v in params.items()] + [f"tensors={shapes}"])
    cases.append((head, [t.detach().contiguous().float() for _, t in tensors]))


def randn(*shape):
    return torch.randn(*shape)


def conv_transpose_case(n, cin, cout, groups, h, w, k, s, p, op, d, bias):
    x = randn(n, cin, h, w)
    wt = randn(cin, cout // groups, k[0], k[1])
    b = randn(cout) if bias else None
    try:
        y = F.conv_transpose2d(x, wt, b, stride=s, padding=p, output_padding=op, groups=groups,
                               dilation=d)
    except RuntimeError:
        return False  # an invalid combination: the error tests cover those rules
    tensors = [("input", x), ("weight", wt)] + ([("bias", b)] if bias else []) + [("output", y)]
    add("conv_transpose2d", {"stride": pair(s), "padding": pair(p), "output_padding": pair(op),
                             "dilation": pair(d), "groups": groups}, tensors)
    return True


def conv_case(n, cin, cout, groups, h, w, k, s, p, d, bias, mode):
    conv = torch.nn.Conv2d(cin, cout, k, stride=s, padding=p, dilation=d, groups=groups,
                           bias=bias, padding_mode=mode)
    x = randn(n, cin, h, w)
    try:
        y = conv(x)
    except RuntimeError:
        return False
    tensors = [("input", x), ("weight", conv.weight)]
    tensors += [("bias", conv.bias)] if bias else []
    add("conv2d", {"stride": pair(s), "padding": pair(p), "dilation": pair(d), "groups": groups,
                   "padding_mode": mode}, tensors + [("output", y)])
    return True


# conv_transpose2d: a systematic sweep of stride x kernel x every legal output_padding,
# then random cases over everything else.
n_tc = 0
for s, k in itertools.product(range(1, 5), range(1, 10)):
    for op in range(0, s):
        p = rng.randint(0, k)
        if conv_transpose_case(rng.choice([1, 2]), 2, 3, 1, rng.randint(1, 6), rng.randint(1, 6),
                               (k, k), (s, s), (p, p), (op, op), (1, 1), rng.random() < 0.5):
            n_tc += 1
while n_tc < 260:
    groups = rng.choice([1, 2, 4])
    cin, cout = groups * rng.randint(1, 3), groups * rng.randint(1, 3)
    k = (rng.randint(1, 9), rng.randint(1, 9))
    s = (rng.randint(1, 4), rng.randint(1, 4))
    d = (rng.randint(1, 3), rng.randint(1, 3))
    p = (rng.randint(0, k[0]), rng.randint(0, k[1]))
    op = (rng.randrange(max(s[0], d[0])), rng.randrange(max(s[1], d[1])))
    h, w = rng.choice([1, 1, 2, 3, 4, 5, 6, 7]), rng.choice([1, 2, 3, 4, 5, 6, 7, 8])
    if conv_transpose_case(rng.choice([1, 2]), cin, cout, groups, h, w, k, s, p, op, d,
                           rng.random() < 0.6):
        n_tc += 1

# conv2d: every padding mode, with strides, dilations and groups.
n_c = 0
for mode in ["zeros", "reflect", "replicate", "circular"]:
    made = 0
    while made < 30:
        groups = rng.choice([1, 2, 4])
        cin, cout = groups * rng.randint(1, 3), groups * rng.randint(1, 3)
        k = (rng.randint(1, 7), rng.randint(1, 7))
        s = (rng.randint(1, 4), rng.randint(1, 4))
        d = (rng.randint(1, 3), rng.randint(1, 3))
        p = (rng.randint(0, 4), rng.randint(0, 4))
        h, w = rng.randint(1, 12), rng.randint(1, 12)
        if conv_case(rng.choice([1, 2]), cin, cout, groups, h, w, k, s, p, d, rng.random() < 0.6,
                     mode):
            made += 1
    n_c += made

# interpolate: integer factors and arbitrary sizes, each mode.
for mode in ["nearest", "bilinear", "bicubic"]:
    for factor in [1, 2, 3, 4]:
        x = randn(rng.choice([1, 2]), 2, rng.randint(1, 9), rng.randint(1, 9))
        kw = {} if mode == "nearest" else {"align_corners": False}
        y = F.interpolate(x, scale_factor=factor, mode=mode, **kw)
        add("resize", {"mode": mode, "scale": f"{factor},{factor}"}, [("input", x), ("output", y)])
    for _ in range(6):
        x = randn(1, 3, rng.randint(1, 11), rng.randint(1, 11))
        size = (rng.randint(1, 23), rng.randint(1, 23))
        kw = {} if mode == "nearest" else {"align_corners": False}
        y = F.interpolate(x, size=size, mode=mode, **kw)
        add("resize", {"mode": mode, "scale": "0,0"}, [("input", x), ("output", y)])

for r in [1, 2, 3]:
    x = randn(2, 2 * r * r, 3, 4)
    add("pixel_shuffle", {"factor": r}, [("input", x), ("output", F.pixel_shuffle(x, r))])
    x = randn(2, 3, 3 * r, 2 * r)
    add("pixel_unshuffle", {"factor": r}, [("input", x), ("output", F.pixel_unshuffle(x, r))])

x = randn(2, 3, 5, 4)
add("relu", {}, [("input", x), ("output", F.relu(x))])
add("leaky_relu", {"slope": "0.2"}, [("input", x), ("output", F.leaky_relu(x, 0.2))])
for n in [1, 3]:
    prelu = torch.nn.PReLU(n, init=0.1)
    with torch.no_grad():
        prelu.weight.uniform_(-0.5, 0.5)
    add("prelu", {}, [("input", x), ("slopes", prelu.weight), ("output", prelu(x))])

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "wb") as f:
    for head, tensors in cases:
        f.write(head.encode() + b"\n")
        for t in tensors:
            f.write(struct.pack(f"<{t.numel()}f", *t.flatten().tolist()))
print(f"{len(cases)} cases ({n_tc} conv_transpose2d, {n_c} conv2d) -> {OUT}, "
      f"{os.path.getsize(OUT) // 1024} KiB")
