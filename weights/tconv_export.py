"""Export a torch.nn.Sequential to a tconv model file (.safetensors + graph JSON).

    import torch, tconv_export
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 32, 5, padding=2), torch.nn.PReLU(32),
                              torch.nn.ConvTranspose2d(32, 1, 9, stride=2, padding=4,
                                                       output_padding=1))
    tconv_export.export(net, "my-x2.safetensors", name="my-x2")

Supported layers: Conv2d, ConvTranspose2d, ReLU, LeakyReLU, PReLU, Upsample
(nearest/bilinear/bicubic with an integer scale_factor, align_corners False) and
PixelShuffle / PixelUnshuffle.  Anything else is refused with a message naming it.
A `Residual(body, scale, mode)` (below) exports as body + bicubic upscale of the input; a
module with an export_modules() method exports as the modules it returns.
Only the standard library and torch are needed; the file holds no code.
"""
import json
import struct

import torch
from torch import nn

__all__ = ["export", "graph_of", "ExportError", "Residual"]


class ExportError(ValueError):
    pass


RESIDUAL_MODES = ("bicubic", "keys")


def _cubic(x, a):
    x = abs(x)
    if x <= 1:
        return ((a + 2) * x - (a + 3)) * x * x + 1
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a if x < 2 else 0.0


def cubic_upscale(x, scale, a):
    """Bicubic upscaling by an integer `scale` as PyTorch's (align_corners=False, borders
    clamped) but with any cubic coefficient `a`: PyTorch fixes a = -0.75, which does not
    reproduce a linear ramp; Keys' a = -0.5 does (ONNX Resize's cubic_coeff_a).  Computed
    as edge padding, one 5x5 conv with scale^2 outputs (one per output phase) and a pixel
    shuffle, so it also exports to ONNX as Pad + Conv + DepthToSpace."""
    taps = torch.zeros(scale, 5, dtype=torch.float64)
    for r in range(scale):
        src = (r + 0.5) / scale - 0.5  # output phase r sits here, relative to its input
        i0 = int(torch.floor(torch.tensor(src)))
        for k in range(4):
            taps[r, i0 - 1 + k + 2] = _cubic(src - (i0 - 1 + k), a)
    w = torch.einsum("ya,xb->yxab", taps, taps).reshape(scale * scale, 1, 5, 5)
    c = x.shape[1]
    w = w.repeat(c, 1, 1, 1).to(x.dtype)
    y = nn.functional.conv2d(nn.functional.pad(x, (2, 2, 2, 2), mode="replicate"), w, groups=c)
    return nn.functional.pixel_shuffle(y, scale)


class Residual(nn.Module):
    """body(x) + bicubic(x): the body learns only what bicubic upscaling misses (global
    residual learning, as VDSR).  Exported as body's layers + an add_upscaled_input layer.
    mode "bicubic" is PyTorch's (a = -0.75); "keys" (a = -0.5) reproduces linear ramps, so
    the residual itself adds no per-phase error (what the checkerboard index measures)."""

    def __init__(self, body, scale, mode="bicubic"):
        super().__init__()
        if mode not in RESIDUAL_MODES:
            raise ExportError(f"residual mode '{mode}' is not one of {RESIDUAL_MODES}")
        self.body, self.scale, self.mode = body, scale, mode

    def upscale(self, x):
        if self.mode == "keys":
            return cubic_upscale(x, self.scale, -0.5)
        return nn.functional.interpolate(x, scale_factor=self.scale, mode="bicubic",
                                         align_corners=False)

    def forward(self, x):
        return self.body(x) + self.upscale(x)


def _pair(v):
    return [int(v[0]), int(v[1])] if isinstance(v, (tuple, list)) else [int(v), int(v)]


def _expanded(seq):
    """The modules of a Sequential, with those that define export_modules() (a module
    computed another way in training) replaced by the layers they stand for."""
    out = []
    for m in seq:
        out += list(m.export_modules()) if hasattr(m, "export_modules") else [m]
    return out


def graph_of(module):
    """Layer list and tensors of a Sequential: ([layer dicts], {name: tensor})."""
    if isinstance(module, Residual):
        layers, tensors = graph_of(module.body)
        return layers + [{"op": "add_upscaled_input", "mode": module.mode}], tensors
    if not isinstance(module, nn.Sequential):
        raise ExportError(f"export needs a torch.nn.Sequential or tconv_export.Residual, "
                          f"got {type(module).__name__}")
    layers, tensors = [], {}

    def tensor(name, t):
        tensors[name] = t.detach().float().contiguous().cpu()
        return name

    for i, m in enumerate(_expanded(module)):
        where = f"layer {i} ({type(m).__name__})"
        if isinstance(m, nn.Conv2d):
            if isinstance(m.padding, str):
                raise ExportError(f"{where}: padding='{m.padding}' is not supported; give numbers")
            layer = {"op": "conv2d", "weight": tensor(f"{i}.weight", m.weight),
                     "stride": _pair(m.stride), "padding": _pair(m.padding),
                     "dilation": _pair(m.dilation), "groups": m.groups,
                     "padding_mode": m.padding_mode}
        elif isinstance(m, nn.ConvTranspose2d):
            if m.padding_mode != "zeros":
                raise ExportError(f"{where}: padding_mode must be 'zeros'")
            layer = {"op": "conv_transpose2d", "weight": tensor(f"{i}.weight", m.weight),
                     "stride": _pair(m.stride), "padding": _pair(m.padding),
                     "output_padding": _pair(m.output_padding), "dilation": _pair(m.dilation),
                     "groups": m.groups}
        elif isinstance(m, nn.ReLU):
            layer = {"op": "relu"}
        elif isinstance(m, nn.LeakyReLU):
            layer = {"op": "leaky_relu", "negative_slope": float(m.negative_slope)}
        elif isinstance(m, nn.PReLU):
            layer = {"op": "prelu", "weight": tensor(f"{i}.weight", m.weight.reshape(-1))}
        elif isinstance(m, nn.Upsample):
            sf = m.scale_factor
            sf = sf[0] if isinstance(sf, tuple) and len(set(sf)) == 1 else sf
            if m.size is not None or sf is None or float(sf) != int(sf):
                raise ExportError(f"{where}: only an integer scale_factor is supported")
            if m.mode not in ("nearest", "bilinear", "bicubic"):
                raise ExportError(f"{where}: mode '{m.mode}' is not nearest, bilinear or bicubic")
            if m.align_corners:
                raise ExportError(f"{where}: align_corners=True is not supported")
            layer = {"op": "resize", "mode": m.mode, "scale": int(sf)}
        elif isinstance(m, nn.PixelShuffle):
            layer = {"op": "pixel_shuffle", "factor": int(m.upscale_factor)}
        elif isinstance(m, nn.PixelUnshuffle):
            layer = {"op": "pixel_unshuffle", "factor": int(m.downscale_factor)}
        else:
            raise ExportError(f"{where} is not supported; supported layers: Conv2d, "
                              "ConvTranspose2d, ReLU, LeakyReLU, PReLU, Upsample, PixelShuffle, "
                              "PixelUnshuffle")
        if getattr(m, "bias", None) is not None and layer["op"].startswith("conv"):
            layer["bias"] = tensor(f"{i}.bias", m.bias)
        layers.append(layer)
    return layers, tensors


def _infer(module):
    """(input channels, scale, mode) by running the module on a small input."""
    seq = _expanded(module.body if isinstance(module, Residual) else module)
    first = next((m for m in seq if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))), None)
    channels = first.in_channels if first is not None else 1
    with torch.no_grad():
        out = module(torch.zeros(1, channels, 24, 24))
    scale = out.shape[-1] // 24
    mode = "resize-conv" if any(isinstance(m, nn.Upsample) for m in seq) else "transposed"
    return channels, scale, mode


def export(module, path, **facts):
    """Write `module` to `path`.  Facts (all optional): name, scale, mode
    ("transposed" | "resize-conv"), color ("y" | "rgb"), value_range, training_data,
    description, psnr ({set: {scale: dB}}), and anything else JSON can hold."""
    layers, tensors = graph_of(module)
    channels, scale, mode = _infer(module)
    graph = {"format": "tconv-model", "version": 1,
             "name": facts.pop("name", None) or str(path).rsplit("/", 1)[-1].split(".")[0],
             "scale": int(facts.pop("scale", scale)),
             "mode": facts.pop("mode", mode),
             "color": facts.pop("color", "y" if channels == 1 else "rgb"),
             "value_range": facts.pop("value_range", [0.0, 1.0])}
    graph.update(facts)
    graph["layers"] = layers

    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = struct.pack(f"<{t.numel()}f", *t.flatten().tolist())
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"tconv": json.dumps(graph, separators=(",", ":"))}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # keep the data area 8-byte aligned, as safetensors does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    return graph
