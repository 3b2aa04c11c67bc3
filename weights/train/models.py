"""FSRCNN (Dong, Loy, Tang, ECCV 2016) and its resize+conv twin, as torch.nn.Sequential.

Plain Sequentials so `weights/tconv_export.py` can export them layer by layer.
"""
import os
import sys

import torch
import torch.nn.functional as F
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


class PhaseConvTranspose2d(nn.ConvTranspose2d):
    """A ConvTranspose2d computed as one conv2d with stride*stride outputs per channel
    (one per output phase) and a pixel shuffle.  Same parameters and result as the
    parent, so export and the engine see a plain ConvTranspose2d; on the CPU the
    conv2d's backward is about 6x faster than the transposed conv's.

    Output phase r along an axis reads input q + m with tap s*(-m) + r + padding,
    for every m that lands inside the kernel; the other window slots stay zero.
    Needs dilation 1, groups 1 and an output exactly stride times the input.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        assert self.dilation == (1, 1) and self.groups == 1
        s, k, p = self.stride[0], self.kernel_size[0], self.padding[0]
        assert self.stride[1] == s and self.kernel_size[1] == k and self.padding[1] == p
        assert (k - 1) - 2 * p + self.output_padding[0] + 1 == s, "output must be stride x input"
        lo, hi = -((k - 1 - p) // s), (s - 1 + p) // s
        # pick[t, r, m - lo] = 1 where tap t feeds phase r from input offset m (a matrix
        # product, not indexing: its backward is a matrix product too, and fast)
        pick = torch.zeros(k, s, hi - lo + 1)
        for r in range(s):
            for m in range(lo, hi + 1):
                t = -s * m + r + p
                if 0 <= t < k:
                    pick[t, r, m - lo] = 1.0
        self.register_buffer("pick", pick, persistent=False)
        # conv2d's own padding when symmetric: an F.pad in front of it is 3x slower here
        self.pads = (-lo, hi, -lo, hi)

    def phase_weight(self):
        # weight [in, out, ky, kx] -> [out, ry, rx, in, my, mx] -> [out*s*s, in, win, win]
        w = torch.einsum("ioab,aym,bxn->oyximn", self.weight, self.pick, self.pick)
        return w.reshape(-1, w.shape[3], w.shape[4], w.shape[5]).contiguous()

    def forward(self, x, output_size=None):
        s = self.stride[0]
        lo, hi = self.pads[0], self.pads[1]
        if lo == hi:
            y = F.conv2d(x, self.phase_weight(), padding=lo)
        else:
            y = F.conv2d(F.pad(x, self.pads), self.phase_weight())
        y = F.pixel_shuffle(y, s)
        return y + self.bias.view(1, -1, 1, 1)


def transposed_head(scale, kernel):
    """ConvTranspose2d whose output is exactly `scale` times the input.

    H_out = (H-1)*s - 2p + (k-1) + op + 1 = H*s  <=>  2p - op = k - s, 0 <= op < s.
    """
    op = (kernel - scale) % 2
    pad = (kernel - scale + op) // 2
    head = PhaseConvTranspose2d(D, 1, kernel, stride=scale, padding=pad, output_padding=op)
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
