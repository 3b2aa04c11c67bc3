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


def phase_conv(x, weight, pick, scale, pads):
    """One conv2d with scale*scale outputs per channel (one per output phase), then a
    pixel shuffle.  weight [out, in, k, k]; pick[t, r, m - lo] = 1 where kernel tap t
    feeds output phase r from input offset m (a matrix product, not indexing: its
    backward is fast too).  On the CPU this trains several times faster than the
    transposed or high-resolution convolution it equals."""
    w = torch.einsum("oiab,aym,bxn->oyximn", weight, pick, pick)
    w = w.reshape(-1, w.shape[3], w.shape[4], w.shape[5]).contiguous()
    lo, hi = pads
    # conv2d's own padding when symmetric: an F.pad in front of it is 3x slower here
    y = F.conv2d(x, w, padding=lo) if lo == hi else F.conv2d(F.pad(x, (lo, hi, lo, hi)), w)
    return F.pixel_shuffle(y, scale)


def pick_matrix(kernel, scale, source):
    """pick[t, r, m - lo] for taps t whose input offset source(t, r) is m; and (lo, hi)."""
    ms = [source(t, r) for t in range(kernel) for r in range(scale)]
    lo, hi = min(m for m in ms if m is not None), max(m for m in ms if m is not None)
    pick = torch.zeros(kernel, scale, hi - lo + 1)
    for t in range(kernel):
        for r in range(scale):
            m = source(t, r)
            if m is not None:
                pick[t, r, m - lo] = 1.0
    return pick, (-lo, hi)


class PhaseConvTranspose2d(nn.ConvTranspose2d):
    """A ConvTranspose2d computed by phase_conv: same parameters and result, so export
    and the engine see a plain ConvTranspose2d.  Output phase r along an axis reads input
    q + m through tap s*(-m) + r + padding.  Needs dilation 1, groups 1 and an output
    exactly stride times the input."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        assert self.dilation == (1, 1) and self.groups == 1
        s, k, p = self.stride[0], self.kernel_size[0], self.padding[0]
        assert self.stride[1] == s and self.kernel_size[1] == k and self.padding[1] == p
        assert (k - 1) - 2 * p + self.output_padding[0] + 1 == s, "output must be stride x input"
        # tap t reaches phase r from offset m when t = -s*m + r + p
        pick, self.pads = pick_matrix(k, s, lambda t, r: -(t - r - p) // s
                                      if (t - r - p) % s == 0 else None)
        self.register_buffer("pick", pick, persistent=False)

    def forward(self, x, output_size=None):
        y = phase_conv(x, self.weight.transpose(0, 1), self.pick, self.stride[0], self.pads)
        return y + self.bias.view(1, -1, 1, 1)


class ResizeConv2d(nn.Module):
    """Nearest resize by `scale`, then `conv` (stride 1, output the size of its input):
    Odena et al.'s remedy.  Trained as the transposed convolution it equals (tap t of
    output phase r reads input offset floor((r + t - padding) / s)), exported as the two
    layers it is (export_modules, read by tconv_export)."""

    def __init__(self, scale, conv):
        super().__init__()
        k, p = conv.kernel_size[0], conv.padding[0]
        assert conv.stride == (1, 1) and conv.dilation == (1, 1) and conv.groups == 1
        assert conv.kernel_size[1] == k and conv.padding[1] == p and 2 * p == k - 1
        self.scale, self.conv = scale, conv
        pick, self.pads = pick_matrix(k, scale, lambda t, r: (r + t - p) // scale)
        self.register_buffer("pick", pick, persistent=False)

    def forward(self, x):
        y = phase_conv(x, self.conv.weight, self.pick, self.scale, self.pads)
        return y + self.conv.bias.view(1, -1, 1, 1)

    def export_modules(self):
        return [nn.Upsample(scale_factor=self.scale, mode="nearest"), self.conv]


class CollapsibleConv2d(nn.Module):
    """SESR's collapsible linear block (Bhardwaj et al., MLSys 2022): a kxk convolution to
    `expand` channels, a 1x1 back to `out_ch`, and (same channel count) a short identity
    residual.  All of it is linear, so it is one kxk convolution: the forward multiplies
    the weights first and convolves once (the small network's cost, the large one's
    optimisation), and export_modules gives the Conv2d it equals."""

    def __init__(self, in_ch, out_ch, kernel, expand):
        super().__init__()
        self.expand = nn.Conv2d(in_ch, expand, kernel, padding=kernel // 2)
        self.squeeze = nn.Conv2d(expand, out_ch, 1)
        self.identity = in_ch == out_ch

    def collapsed(self):
        w2 = self.squeeze.weight[:, :, 0, 0]
        w = torch.einsum("oe,eiab->oiab", w2, self.expand.weight)
        if self.identity:
            c = w.shape[-1] // 2
            w = w + torch.eye(w.shape[0], device=w.device)[:, :, None, None] * F.one_hot(
                torch.tensor(c * w.shape[-1] + c), w.shape[-1] ** 2).view(1, 1, *w.shape[-2:])
        return w, w2 @ self.expand.bias + self.squeeze.bias

    def forward(self, x):
        w, b = self.collapsed()
        return F.conv2d(x, w, b, padding=w.shape[-1] // 2)

    def export_modules(self):
        w, b = self.collapsed()
        conv = nn.Conv2d(w.shape[1], w.shape[0], w.shape[-1], padding=w.shape[-1] // 2)
        with torch.no_grad():
            conv.weight.copy_(w)
            conv.bias.copy_(b)
        return [conv]


SESR_F, SESR_M, SESR_EXPAND = 16, 5, 256  # SESR-M5: 16 channels, five 3x3 blocks


def sesr_trunk():
    """SESR-M5's body without its feature-level skip (the engine runs chains): a 5x5
    block, five 3x3 blocks, PReLU after each; collapses to 11.9k multiply-adds per pixel."""
    layers = [CollapsibleConv2d(1, SESR_F, 5, SESR_EXPAND), nn.PReLU(SESR_F)]
    for _ in range(SESR_M):
        layers += [CollapsibleConv2d(SESR_F, SESR_F, 3, SESR_EXPAND), nn.PReLU(SESR_F)]
    return layers


def transposed_head(scale, kernel, channels=D):
    """ConvTranspose2d whose output is exactly `scale` times the input.

    H_out = (H-1)*s - 2p + (k-1) + op + 1 = H*s  <=>  2p - op = k - s, 0 <= op < s.
    """
    op = (kernel - scale) % 2
    pad = (kernel - scale + op) // 2
    head = PhaseConvTranspose2d(channels, 1, kernel, stride=scale, padding=pad, output_padding=op)
    nn.init.normal_(head.weight, std=0.001)
    nn.init.zeros_(head.bias)
    return [head]


def resize_conv_head(scale, kernel, interp="nearest", channels=D):
    """Odena et al.'s remedy: resize by `scale`, then a same-size Conv2d."""
    conv = nn.Conv2d(channels, 1, kernel, padding=kernel // 2)
    nn.init.normal_(conv.weight, std=0.001)
    nn.init.zeros_(conv.bias)
    if interp == "nearest":
        return [ResizeConv2d(scale, conv)]
    return [nn.Upsample(scale_factor=scale, mode=interp), conv]


def build(kind, scale, kernel, residual="bicubic"):
    """kind: "transposed" / "resize-conv" (FSRCNN's trunk) or "sesr" / "sesr-rc" (SESR-M5's
    trunk; kernel 5*scale is SESR's 5x5 conv to scale^2 channels + pixel shuffle).
    residual: "bicubic" (PyTorch's, a = -0.75), "keys" (a = -0.5, reproduces ramps) or
    None (plain FSRCNN)."""
    if kind == "sesr":
        body = nn.Sequential(*sesr_trunk(), *transposed_head(scale, kernel, SESR_F))
    elif kind == "sesr-rc":  # nearest x s then k x k: folds to a (k+s-1)^2 transposed head
        body = nn.Sequential(*sesr_trunk(), *resize_conv_head(scale, kernel, channels=SESR_F))
    else:
        head = transposed_head(scale, kernel) if kind == "transposed" else resize_conv_head(scale, kernel)
        body = nn.Sequential(*trunk(), *head)
    return Residual(body, scale, residual) if residual else body


def head(model):
    """The upsampling layer (ConvTranspose2d, or the resize and Conv2d)."""
    body = model.body if isinstance(model, Residual) else model
    return body[-1]


def trunk_len():
    return len(trunk())


def param_count(model):
    return sum(p.numel() for p in model.parameters())


def deployed_param_count(model):
    """Parameters of the network as exported: a collapsible block counts as the one
    convolution it collapses to."""
    body = model.body if isinstance(model, Residual) else model
    return sum(p.numel() for m in body
               for e in (m.export_modules() if hasattr(m, "export_modules") else [m])
               for p in e.parameters())
