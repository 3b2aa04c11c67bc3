#!/usr/bin/python3
"""An SRVGG-shaped chain (realesr-general-x4v3's shape) with random weights, as a tconv
model file, for tools/dev/bench/wide:

    srvgg.py OUT.safetensors [BODY_LAYERS=32] [FEATURES=64] [SCALE=4]

conv 3x3 3->F + PReLU, BODY_LAYERS x (conv 3x3 F->F + PReLU), conv 3x3 F->3*S^2,
PixelShuffle S.  The weights are drawn so that activations keep their scale through the
depth (as a trained network's do), which keeps the cross-runtime comparison meaningful."""
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "weights"))
import tconv_export  # noqa: E402


def srvgg(body, features, scale):
    torch.manual_seed(1)
    layers = [nn.Conv2d(3, features, 3, padding=1), nn.PReLU(features)]
    for _ in range(body):
        layers += [nn.Conv2d(features, features, 3, padding=1), nn.PReLU(features)]
    layers += [nn.Conv2d(features, 3 * scale * scale, 3, padding=1), nn.PixelShuffle(scale)]
    with torch.no_grad():
        for m in layers:
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, a=0.25)
                m.bias.uniform_(-0.01, 0.01)
    return nn.Sequential(*layers)


def main():
    out = sys.argv[1]
    body, features, scale = (int(a) for a in (sys.argv[2:] + ["32", "64", "4"][len(sys.argv) - 2:]))
    tconv_export.export(srvgg(body, features, scale), out, name="srvgg-bench", color="rgb")


if __name__ == "__main__":
    main()
