"""Graph networks through the exporter: random small instances of each public family
(graph_families.py), exported by weights/tconv_export.py (torch.fx, format version 2), run by
`tconv forward` untiled (--whole), tiled with the automatic tile and with small tiles: each
equals PyTorch within 1e-5 relative, and the tiled results equal the untiled one bit for bit.

    /usr/bin/python3 tests/weights/graph_check.py TCONV-CLI WORK-DIR
"""
import os
import subprocess
import sys

import torch
from torch import nn
from torch.nn import functional as F

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "weights"))
sys.path.insert(0, here)
import graph_families as fam  # noqa: E402
import tconv_export  # noqa: E402
from exporter_check import read_tensor, write_tensor  # noqa: E402

cli, work = sys.argv[1], sys.argv[2]


class Padded(nn.Module):
    """A U-Net as its program feeds it: the input padded first (replicate), so that the
    unpadded convolutions leave exactly scale x the input."""

    def __init__(self, net, pad):
        super().__init__()
        self.net, self.pad = net, pad

    def forward(self, x):
        return self.net(F.pad(x, (self.pad,) * 4, mode="replicate"))


class EveryOp(nn.Module):
    """Every graph operation once: grouped, depthwise, dilated and stride-2 convolutions,
    a grouped transposed one, sub, rsub, division, clamp, tanh, channel slices, split and
    chunk, zero/replicate/reflect pads and a crop, bilinear and bicubic resizes, pixel
    unshuffle and shuffle, add with alpha, a per-channel and a 1x1 broadcast multiply."""

    def __init__(self, c, gate=True):
        super().__init__()
        self.gate = gate  # the SE-like global gate; without it the graph tiles with a halo
        self.first = nn.Conv2d(c, 8, 3, padding=1)
        self.depthwise = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=8)
        self.grouped = nn.Conv2d(8, 8, 3, padding=1, groups=2, padding_mode="reflect")
        self.down = nn.Conv2d(8, 8, 3, stride=2, padding=1)
        self.up = nn.ConvTranspose2d(8, 8, 4, stride=2, padding=1, groups=2)
        self.squeeze = nn.Conv2d(8, 1, 1)
        self.last = nn.Conv2d(8, 4 * c, 3, padding=1)

    def forward(self, x):
        f = self.first(x)
        d = torch.tanh(self.depthwise(f)) - f
        g = torch.clamp(self.grouped(1.0 - d), -0.5, 0.75)
        parts, halves = torch.split(g, [3, 5], dim=1), g.chunk(2, dim=1)
        a, b, p, q = parts[0], parts[1], halves[0], halves[1]
        s = torch.cat([b, a], 1) + torch.cat([q, p], 1) / 4
        u = self.up(F.leaky_relu(self.down(s), 0.3))
        u = F.pad(F.pad(u, (2, 1, 1, 2), mode="reflect"), (-1, -2, -2, -1))
        r = F.pad(F.pad(u[:, 2:6], (1, 1, 1, 1), mode="replicate"), (-1, -1, -1, -1))
        h = torch.cat([r, F.pad(u[:, :4], (1, 0, 0, 1))[:, :, 1:, :-1]], 1)
        h = torch.add(h, F.interpolate(F.pixel_unshuffle(h, 2), scale_factor=2,
                                       mode="bilinear")[:, :8], alpha=0.5)
        if self.gate:
            h = h * torch.sigmoid(F.adaptive_avg_pool2d(h, 1))
        h = h * torch.sigmoid(self.squeeze(h))
        out = F.pixel_shuffle(self.last(h), 2)
        return out + F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False)

def randomize(net, seed):
    """Random weights of a size that keeps activations near 1 through deep graphs."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                fan = m.weight[0].numel() if isinstance(m, nn.Conv2d) else m.weight.shape[0]
                m.weight.copy_((torch.rand(m.weight.shape, generator=g) * 2 - 1) * (1.5 / fan) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_((torch.rand(m.bias.shape, generator=g) * 2 - 1) * 0.1)
            elif isinstance(m, nn.PReLU):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) * 0.5)
    return net.eval()


def forward(path, x_path, name, *flags):
    out = os.path.join(work, f"{name}-out.safetensors")
    subprocess.run([cli, "forward", path, x_path, out, *flags], check=True)
    return read_tensor(out)


def check(name, net, channels, size=(40, 36), wrap=(), expect_whole=False):
    path = os.path.join(work, name + ".safetensors")
    tconv_export.export(net, path, name=name, wrap=wrap, channels=channels)
    info = subprocess.run([cli, "info", path], check=True, capture_output=True, text=True).stdout
    assert "graph of" in info and "<- input" in info, info
    assert ("whole image at once" in info) == expect_whole, info
    x = torch.rand(1, channels, *size, generator=torch.Generator().manual_seed(5))
    x_path = os.path.join(work, name + "-in.safetensors")
    write_tensor(x_path, x)
    with torch.no_grad():
        want = net(x)
    whole = forward(path, x_path, name, "--whole")
    assert whole.shape == want.shape, (whole.shape, want.shape)
    rel = ((whole - want).abs().max() / want.abs().max()).item()
    assert rel <= 1e-5, f"{name}: relative difference {rel:.2e}"
    for flags in ([], ["--tile", "8"], ["--tile", "12", "--threads", "2"]):
        tiled = forward(path, x_path, name, *flags)
        assert torch.equal(tiled, whole), f"{name} {flags}: tiled differs by " \
            f"{(tiled - whole).abs().max().item():.2e}"
    print(f"{name}: {len(info.splitlines()) - 4} layers, vs PyTorch {rel:.1e} relative; "
          f"tiled == untiled")


def main():
    torch.manual_seed(0)
    check("srvgg-x4-rgb", randomize(fam.SRVGGNetCompact(3, 3, 8, 4, 4), 1), 3)
    check("srvgg-x2-y", randomize(fam.SRVGGNetCompact(1, 1, 6, 3, 2, "leakyrelu"), 2), 1)
    check("srvgg-x3-rgb", randomize(fam.SRVGGNetCompact(3, 3, 4, 2, 3, "relu"), 3), 3)
    check("rrdb-x4-rgb", randomize(fam.RRDBNet(3, 3, 4, 8, 2, 4), 4), 3, (20, 16))
    check("rrdb-x2-y", randomize(fam.RRDBNet(1, 1, 2, 6, 1, 4), 5), 1, (20, 16),
          wrap=(fam.pixel_unshuffle,))
    check("cunet-x2-rgb", randomize(Padded(fam.UNet1(3, 3, True), 8), 6), 3, (24, 20),
          expect_whole=True)
    check("cugan-x2-y", randomize(Padded(fam.UNet2(1, 1, True), 20), 7), 1, (24, 20),
          expect_whole=True)
    unet = fam.UNet1(1, 1, True)
    unet.conv2.seblock = None  # upconv-like: a U-Net without SE tiles with its halo
    check("unet-noSE-x2-y", randomize(Padded(unet, 8), 8), 1, (28, 24))
    check("span-x4-rgb", randomize(fam.SPAN(3, 3, 8, 4), 9), 3, (20, 16))
    check("span-x2-y", randomize(fam.SPAN(1, 1, 6, 2), 10), 1, (20, 16))
    check("every-op-rgb", randomize(EveryOp(3), 11), 3, (20, 16), expect_whole=True)
    check("every-op-y", randomize(EveryOp(1), 12), 1, (24, 20), expect_whole=True)
    check("every-op-tiled-rgb", randomize(EveryOp(3, gate=False), 13), 3, (28, 24))
    print("graph checks passed")


if __name__ == "__main__":
    main()
