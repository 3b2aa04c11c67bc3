"""Export a torch.nn.Sequential to a tconv model file (.safetensors + graph JSON).

    import torch, tconv_export
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 32, 5, padding=2), torch.nn.PReLU(32),
                              torch.nn.ConvTranspose2d(32, 1, 9, stride=2, padding=4,
                                                       output_padding=1))
    tconv_export.export(net, "my-x2.safetensors", name="my-x2")

Supported layers: Conv2d (padding numbers, 'valid', or a symmetric 'same'),
ConvTranspose2d, ReLU, LeakyReLU, PReLU, Upsample (nearest/bilinear/bicubic with an integer
scale_factor, align_corners False) and PixelShuffle / PixelUnshuffle; BatchNorm2d is folded
into the convolution before it; Identity and Dropout are dropped.  The module may be a
Sequential, nested Sequentials and ModuleLists, or any module whose forward is a chain of
such layers (a class like FSRCNN's: traced with torch.fx).  Anything else is refused with a
message naming it.  A `Residual(body, scale, mode)` (below) exports as body + bicubic upscale
of the input; a module with an export_modules() method exports as the modules it returns.
`export(..., dtype="f16")` writes half-precision tensors (half the file).
Only the standard library and torch are needed; the file holds no code.
"""
import copy
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


DROPPED = (nn.Identity, nn.Dropout, nn.Dropout2d)


def _chain(module):
    """The layers a module's forward applies, in order: Sequentials and ModuleLists
    flattened; any other container traced with torch.fx, which must find a plain chain."""
    if isinstance(module, (nn.Sequential, nn.ModuleList)):
        return [m for child in module for m in _chain(child)]
    if hasattr(module, "export_modules"):
        return [m for child in module.export_modules() for m in _chain(child)]
    if not list(module.children()):
        return [module]
    import torch.fx  # only for module classes
    try:
        traced = torch.fx.symbolic_trace(module)
    except Exception as e:  # noqa: BLE001 - whatever fx says, the user needs the name
        raise ExportError(f"{type(module).__name__}: its forward cannot be traced ({e})") from e
    out, previous = [], None
    for node in traced.graph.nodes:
        if node.op == "placeholder":
            previous = node
        elif node.op == "call_module":
            if list(node.args) != [previous] or node.kwargs:
                raise ExportError(f"{type(module).__name__}: {node.target} does not take the "
                                  "previous layer's output alone; only a chain of layers exports")
            out += _chain(traced.get_submodule(node.target))
            previous = node
        elif node.op == "output":
            break
        else:
            raise ExportError(f"{type(module).__name__}: its forward calls {node.target}, which "
                              "is not a layer; only a chain of layers exports")
    return out


def _fold_batchnorm(conv, bn):
    """conv followed by bn (eval mode: running statistics) as one convolution."""
    if not isinstance(conv, (nn.Conv2d, nn.ConvTranspose2d)) or conv.groups != 1:
        raise ExportError("BatchNorm2d can be folded only into a Conv2d or ConvTranspose2d "
                          f"(groups 1) right before it, not {type(conv).__name__}")
    k = (bn.weight if bn.affine else torch.ones_like(bn.running_var)) / torch.sqrt(
        bn.running_var + bn.eps)
    shift = (bn.bias if bn.affine else torch.zeros_like(bn.running_mean)) - bn.running_mean * k
    folded = copy.deepcopy(conv)
    with torch.no_grad():
        axis = 0 if isinstance(conv, nn.Conv2d) else 1  # the output-channel axis
        shape = [1, 1, 1, 1]
        shape[axis] = -1
        folded.weight.copy_(conv.weight * k.reshape(shape))
        bias = conv.bias if conv.bias is not None else torch.zeros_like(k)
        folded.bias = nn.Parameter(bias * k + shift)
    return folded


def _expanded(module):
    """The layers to export: the chain, without the no-ops, BatchNorm folded."""
    out = []
    for m in _chain(module):
        if isinstance(m, DROPPED):
            continue
        if isinstance(m, nn.BatchNorm2d):
            if not out:
                raise ExportError("BatchNorm2d as the first layer cannot be folded")
            out[-1] = _fold_batchnorm(out[-1], m)
            continue
        out.append(m)
    return out


def _numeric_padding(m, where):
    """A Conv2d's padding as numbers: 'valid' is 0; 'same' (stride 1) is symmetric when
    dilation * (kernel - 1) is even, and refused otherwise (PyTorch pads it unevenly)."""
    if not isinstance(m.padding, str):
        return _pair(m.padding)
    if m.padding == "valid":
        return [0, 0]
    pads = []
    for k, d in zip(_pair(m.kernel_size), _pair(m.dilation)):
        if (d * (k - 1)) % 2:
            raise ExportError(f"{where}: padding='same' with kernel {k} and dilation {d} pads one "
                              "side more than the other, which the engine does not do; use an "
                              "odd kernel or give padding numbers")
        pads.append(d * (k - 1) // 2)
    return pads


def graph_of(module):
    """Layer list and tensors of a Sequential: ([layer dicts], {name: tensor})."""
    if isinstance(module, Residual):
        layers, tensors = graph_of(module.body)
        return layers + [{"op": "add_upscaled_input", "mode": module.mode}], tensors
    layers, tensors = [], {}

    def tensor(name, t):
        tensors[name] = t.detach().float().contiguous().cpu()
        return name

    for i, m in enumerate(_expanded(module)):
        where = f"layer {i} ({type(m).__name__})"
        if isinstance(m, nn.Conv2d):
            layer = {"op": "conv2d", "weight": tensor(f"{i}.weight", m.weight),
                     "stride": _pair(m.stride), "padding": _numeric_padding(m, where),
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
                              "PixelUnshuffle (BatchNorm2d folded; Identity, Dropout dropped)")
        if getattr(m, "bias", None) is not None and layer["op"].startswith("conv"):
            layer["bias"] = tensor(f"{i}.bias", m.bias)
        layers.append(layer)
    return layers, tensors


def _input_channels(seq):
    """What the first layer that knows takes: a convolution's in_channels, or a PReLU's
    per-channel parameters (an Upsample or activation first knows nothing)."""
    for m in seq:
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            return m.in_channels
        if isinstance(m, nn.PReLU) and m.num_parameters > 1:
            return m.num_parameters
    return 1


def _infer(module, channels=None):
    """(input channels, scale, mode) by running the module on a small input."""
    seq = _expanded(module.body if isinstance(module, Residual) else module)
    channels = channels or _input_channels(seq)
    n = 48
    was_training = module.training
    module.eval()  # BatchNorm and Dropout as exported
    with torch.no_grad():
        out = module(torch.zeros(1, channels, n, n))
    module.train(was_training)
    if out.shape[-1] % n or out.shape[-2] % n:
        shrinking = [f"layer {i} ({type(m).__name__}, kernel {m.kernel_size[0]}, padding "
                     f"{m.padding[0]}: pad {m.dilation[0] * (m.kernel_size[0] - 1) // 2} keeps the size)"
                     for i, m in enumerate(seq) if isinstance(m, nn.Conv2d)
                     and not isinstance(m.padding, str)
                     and 2 * m.padding[0] < m.dilation[0] * (m.kernel_size[0] - 1)]
        raise ExportError(f"the network makes {n} pixels {out.shape[-1]}: not an integer "
                          "factor, so tconv cannot tile it"
                          + (f"; layers that lose pixels: {'; '.join(shrinking)}" if shrinking
                             else ""))
    mode = "resize-conv" if any(isinstance(m, nn.Upsample) for m in seq) else "transposed"
    if any(isinstance(m, nn.PixelShuffle) for m in seq):
        mode = "transposed"  # a conv to s^2 channels + pixel shuffle is a transposed conv
    return channels, out.shape[-1] // n, mode


def export(module, path, **facts):
    """Write `module` to `path`.  Facts (all optional): name, scale, mode
    ("transposed" | "resize-conv"), color ("y" | "rgb"), value_range, training_data,
    description, psnr ({set: {scale: dB}}), and anything else JSON can hold."""
    dtype = facts.pop("dtype", "f32")
    if dtype not in ("f32", "f16"):
        raise ExportError(f"dtype must be f32 or f16, got {dtype!r}")
    was_training = module.training
    module.eval()  # BatchNorm folds with its running statistics
    layers, tensors = graph_of(module)
    module.train(was_training)
    channels, scale, mode = _infer(module, facts.pop("channels", None))
    graph = {"format": "tconv-model", "version": 1,
             "name": facts.pop("name", None) or str(path).rsplit("/", 1)[-1].split(".")[0],
             "scale": int(facts.pop("scale", scale)),
             "mode": facts.pop("mode", mode),
             "color": facts.pop("color", "y" if channels == 1 else "rgb"),
             "value_range": facts.pop("value_range", [0.0, 1.0])}
    graph.update(facts)
    graph["layers"] = layers

    header, offset, blobs = {}, 0, []
    code, st_dtype = ("e", "F16") if dtype == "f16" else ("f", "F32")
    for name, t in tensors.items():
        data = struct.pack(f"<{t.numel()}{code}", *t.flatten().tolist())
        header[name] = {"dtype": st_dtype, "shape": list(t.shape),
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
