"""FSRCNN (Dong, Loy, Tang, ECCV 2016) and its resize+conv twin, as torch.nn.Sequential.

Plain Sequentials so `weights/tconv_export.py` can export them layer by layer.
"""
import os
import sys

from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tconv_export import Residual  # noqa: E402

D, S, M = 56, 12, 4  # FSRCNN(d=56, s=12, m=4)


def trunk():
    """Feature extraction, shrink, mapping, expand: [N,1,H,W] -> [N,56,H,W]."""
    layers = [nn.Conv2d(1, D, 5, padding=2), nn.PReLU(D),
              nn.Conv2d(D, S, 1), nn.PReLU(S)]
    for _ in range(M):
        layers += [nn.Conv2d(S, S, 3, padding=1), nn.PReLU(S)]
    layers += [nn.Conv2d(S, D, 1), nn.PReLU(D)]
    return layers


def transposed_head(scale, kernel):
    """ConvTranspose2d whose output is exactly `scale` times the input.

    H_out = (H-1)*s - 2p + (k-1) + op + 1 = H*s  <=>  2p - op = k - s, 0 <= op < s.
    """
    op = (kernel - scale) % 2
    pad = (kernel - scale + op) // 2
    head = nn.ConvTranspose2d(D, 1, kernel, stride=scale, padding=pad, output_padding=op)
    nn.init.normal_(head.weight, std=0.001)
    nn.init.zeros_(head.bias)
    return [head]


def resize_conv_head(scale, kernel, interp="nearest"):
    """Odena et al.'s remedy: resize by `scale`, then a same-size Conv2d."""
    conv = nn.Conv2d(D, 1, kernel, padding=kernel // 2)
    nn.init.normal_(conv.weight, std=0.001)
    nn.init.zeros_(conv.bias)
    return [nn.Upsample(scale_factor=scale, mode=interp), conv]


def build(kind, scale, kernel, residual=True):
    head = transposed_head(scale, kernel) if kind == "transposed" else resize_conv_head(scale, kernel)
    body = nn.Sequential(*trunk(), *head)
    return Residual(body, scale) if residual else body


def head(model):
    """The upsampling layer (ConvTranspose2d, or the Conv2d after the resize)."""
    body = model.body if isinstance(model, Residual) else model
    return body[-1]


def trunk_len():
    return len(trunk())


def param_count(model):
    return sum(p.numel() for p in model.parameters())
