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
        layers.append(_module_layer(m, str(i), f"layer {i} ({type(m).__name__})", tensor))
    return layers, tensors


def _module_layer(m, key, where, tensor):
    """The layer dict of one module; its tensors named key.weight, key.bias."""
    if isinstance(m, nn.Conv2d):
        layer = {"op": "conv2d", "weight": tensor(f"{key}.weight", m.weight),
                 "stride": _pair(m.stride), "padding": _numeric_padding(m, where),
                 "dilation": _pair(m.dilation), "groups": m.groups,
                 "padding_mode": m.padding_mode}
    elif isinstance(m, nn.ConvTranspose2d):
        if m.padding_mode != "zeros":
            raise ExportError(f"{where}: padding_mode must be 'zeros'")
        layer = {"op": "conv_transpose2d", "weight": tensor(f"{key}.weight", m.weight),
                 "stride": _pair(m.stride), "padding": _pair(m.padding),
                 "output_padding": _pair(m.output_padding), "dilation": _pair(m.dilation),
                 "groups": m.groups}
    elif isinstance(m, nn.ReLU):
        layer = {"op": "relu"}
    elif isinstance(m, nn.LeakyReLU):
        layer = {"op": "leaky_relu", "negative_slope": float(m.negative_slope)}
    elif isinstance(m, nn.PReLU):
        layer = {"op": "prelu", "weight": tensor(f"{key}.weight", m.weight.reshape(-1))}
    elif isinstance(m, nn.Upsample):
        if m.size is not None:
            raise ExportError(f"{where}: only an integer scale_factor is supported")
        layer = _resize_layer(m.scale_factor, m.mode, m.align_corners, where)
    elif isinstance(m, nn.PixelShuffle):
        layer = {"op": "pixel_shuffle", "factor": int(m.upscale_factor)}
    elif isinstance(m, nn.PixelUnshuffle):
        layer = {"op": "pixel_unshuffle", "factor": int(m.downscale_factor)}
    elif isinstance(m, nn.Sigmoid):
        layer = {"op": "sigmoid"}
    elif isinstance(m, nn.Tanh):
        layer = {"op": "tanh"}
    elif isinstance(m, nn.AdaptiveAvgPool2d) and _pair(m.output_size) == [1, 1]:
        layer = {"op": "global_avg_pool"}
    else:
        raise ExportError(f"{where} is not supported; supported layers: Conv2d, "
                          "ConvTranspose2d, ReLU, LeakyReLU, PReLU, Upsample, PixelShuffle, "
                          "PixelUnshuffle, Sigmoid, Tanh, AdaptiveAvgPool2d(1) (BatchNorm2d "
                          "folded; Identity, Dropout dropped)")
    if getattr(m, "bias", None) is not None and layer["op"].startswith("conv"):
        layer["bias"] = tensor(f"{key}.bias", m.bias)
    return layer


def _resize_layer(sf, mode, align_corners, where):
    sf = sf[0] if isinstance(sf, (tuple, list)) and len(set(sf)) == 1 else sf
    if sf is None or isinstance(sf, (tuple, list)) or float(sf) != int(sf):
        raise ExportError(f"{where}: only an integer scale_factor is supported")
    if mode not in ("nearest", "bilinear", "bicubic"):
        raise ExportError(f"{where}: mode '{mode}' is not nearest, bilinear or bicubic")
    if align_corners:
        raise ExportError(f"{where}: align_corners=True is not supported")
    return {"op": "resize", "mode": mode, "scale": int(sf)}


# ---- graphs: any forward torch.fx can follow --------------------------------------------

class _Tracer:
    """torch.fx's tracer, with nn's own modules as leaves, and x.type() answered as a
    float tensor's (Real-CUGAN's SE block branches on it for half precision)."""

    def __new__(cls, wrap=()):
        import torch.fx

        class Tracer(torch.fx.Tracer):
            def create_proxy(self, kind, target, args, kwargs, *rest, **kw):
                if kind == "call_method" and target == "type" and len(args) == 1 and not kwargs:
                    return "torch.FloatTensor"
                return super().create_proxy(kind, target, args, kwargs, *rest, **kw)

        return Tracer(autowrap_functions=tuple(wrap))


def _fn_name(target):
    return target if isinstance(target, str) else getattr(target, "__name__", str(target))


class _GraphWriter:
    """Turns an fx graph into version-2 layers: each node one layer (or none: an alias),
    named by the node, with its inputs by name."""

    def __init__(self, root, modules):
        self.root, self.modules = root, modules
        self.layers, self.tensors, self.names = [], {}, {}
        self.used = {"input"}

    def tensor(self, name, t):
        self.tensors[name] = t.detach().float().contiguous().cpu()
        return name

    def emit(self, node, layer, inputs):
        name = node.name if not isinstance(node, str) else node
        while name in self.used:
            name += "_"
        self.used.add(name)
        layer = dict(layer, name=name, inputs=[self.names[i] for i in inputs])
        self.layers.append(layer)
        return name

    def is_scalar(self, v):
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    def binary(self, node, op, a, b):
        """a op b, either a tensor or a Python number; a number becomes an affine layer."""
        import torch.fx
        ta, tb = isinstance(a, torch.fx.Node), isinstance(b, torch.fx.Node)
        if ta and tb:
            return self.emit(node, {"op": op}, [a, b])
        x, c = (a, b) if ta else (b, a)
        if not (isinstance(x, torch.fx.Node) and self.is_scalar(c)):
            raise ExportError(f"{node.name}: {op} of {a!r} and {b!r} is not supported")
        c = float(c)
        if op == "add":
            layer = {"op": "affine", "scale": 1.0, "offset": c}
        elif op == "mul":
            layer = {"op": "affine", "scale": c, "offset": 0.0}
        elif ta:  # x - c
            layer = {"op": "affine", "scale": 1.0, "offset": -c}
        else:  # c - x
            layer = {"op": "affine", "scale": -1.0, "offset": c}
        return self.emit(node, layer, [x])

    def function(self, node, fn, args, kw):
        """A call_function or call_method node."""
        x = args[0] if args else None
        if fn in ("add", "iadd", "__add__", "__iadd__", "__radd__"):
            if kw.get("alpha", 1) != 1:
                return self.emit(node, {"op": "add", "scale_b": float(kw["alpha"])}, list(args[:2]))
            return self.binary(node, "add", args[0], args[1])
        if fn in ("sub", "isub", "__sub__", "__rsub__"):
            return self.binary(node, "sub", args[0], args[1])
        if fn in ("mul", "imul", "__mul__", "__rmul__"):
            return self.binary(node, "mul", args[0], args[1])
        if fn in ("truediv", "div") and self.is_scalar(args[1]):
            return self.binary(node, "mul", args[0], 1.0 / args[1])
        if fn in ("relu", "relu_"):
            return self.emit(node, {"op": "relu"}, [x])
        if fn in ("leaky_relu", "leaky_relu_"):
            slope = args[1] if len(args) > 1 else kw.get("negative_slope", 0.01)
            return self.emit(node, {"op": "leaky_relu", "negative_slope": float(slope)}, [x])
        if fn in ("sigmoid", "sigmoid_"):
            return self.emit(node, {"op": "sigmoid"}, [x])
        if fn in ("tanh", "tanh_"):
            return self.emit(node, {"op": "tanh"}, [x])
        if fn in ("clamp", "clip", "clamp_", "hardtanh"):
            lo = args[1] if len(args) > 1 else kw.get("min", kw.get("min_val"))
            hi = args[2] if len(args) > 2 else kw.get("max", kw.get("max_val"))
            layer = {"op": "clamp"}
            if lo is not None:
                layer["min"] = float(lo)
            if hi is not None:
                layer["max"] = float(hi)
            return self.emit(node, layer, [x])
        if fn == "cat":
            dim = args[1] if len(args) > 1 else kw.get("dim", 0)
            if dim not in (1, -3):
                raise ExportError(f"{node.name}: only a concatenation of channels (dim 1) exports")
            return self.emit(node, {"op": "concat"}, list(args[0]))
        if fn in ("interpolate", "upsample"):
            sf = args[2] if len(args) > 2 else kw.get("scale_factor")
            if (args[1] if len(args) > 1 else kw.get("size")) is not None:
                raise ExportError(f"{node.name}: interpolate with size= does not export; give "
                                  "scale_factor")
            layer = _resize_layer(sf, kw.get("mode", args[3] if len(args) > 3 else "nearest"),
                                  kw.get("align_corners"), node.name)
            return self.emit(node, layer, [x])
        if fn == "pad":
            return self.pad(node, x, args, kw)
        if fn in ("pixel_shuffle", "pixel_unshuffle"):
            r = args[1] if len(args) > 1 else next(iter(kw.values()))
            return self.emit(node, {"op": fn, "factor": int(r)}, [x])
        if fn in ("adaptive_avg_pool2d",) and _pair(args[1]) == [1, 1]:
            return self.emit(node, {"op": "global_avg_pool"}, [x])
        if fn == "mean":
            dim = args[1] if len(args) > 1 else kw.get("dim")
            keep = args[2] if len(args) > 2 else kw.get("keepdim", False)
            if sorted(d % 4 for d in dim) == [2, 3] and keep:
                return self.emit(node, {"op": "global_avg_pool"}, [x])
        if fn in ("contiguous", "float", "type_as", "clone"):
            self.names[node] = self.names[x]
            return self.names[x]
        if fn == "getitem":
            return self.getitem(node, x, args[1])
        raise ExportError(f"{node.name}: {fn} is not supported")

    def pad(self, node, x, args, kw):
        amounts = list(args[1] if len(args) > 1 else kw["pad"])
        mode = args[2] if len(args) > 2 else kw.get("mode", "constant")
        value = args[3] if len(args) > 3 else kw.get("value", 0.0)
        if len(amounts) != 4 or (value or 0.0) != 0.0:
            raise ExportError(f"{node.name}: only a 2-D pad of zeros, replicate or reflect exports")
        left, right, top, bottom = (int(a) for a in amounts)
        border = [top, bottom, left, right]
        if all(b <= 0 for b in border):
            return self.emit(node, {"op": "crop", "border": [-b for b in border]}, [x])
        if any(b < 0 for b in border):
            raise ExportError(f"{node.name}: a pad that crops one side and pads another")
        modes = {"constant": "zeros", "replicate": "replicate", "reflect": "reflect"}
        if mode not in modes:
            raise ExportError(f"{node.name}: pad mode '{mode}' is not constant, replicate or reflect")
        return self.emit(node, {"op": "pad", "border": border, "padding_mode": modes[mode]}, [x])

    def getitem(self, node, x, index):
        """x[:, a:b] (a slice of channels); a split's or chunk's parts are slices too."""
        if _fn_name(x.target) in ("split", "chunk"):
            start, end = self.split_range(x, index)
            return self.emit(node, {"op": "slice", "start": start, "end": end}, [x.args[0]])
        if (isinstance(index, tuple) and len(index) == 2 and index[0] == slice(None)
                and isinstance(index[1], slice) and index[1].step in (None, 1)):
            c = self.channels[x]
            start, end, _ = index[1].indices(c)
            return self.emit(node, {"op": "slice", "start": start, "end": end}, [x])
        raise ExportError(f"{node.name}: indexing {index!r} does not export (only x[:, a:b])")

    def split_range(self, split, index):
        c = self.channels[split.args[0]]
        arg = split.args[1] if len(split.args) > 1 else split.kwargs.get(
            "split_size_or_sections", split.kwargs.get("chunks"))
        dim = split.args[2] if len(split.args) > 2 else split.kwargs.get("dim", 0)
        if dim not in (1, -3):
            raise ExportError(f"{split.name}: only a split of channels (dim 1) exports")
        if _fn_name(split.target) == "chunk":
            size = -(-c // arg)
            sizes = [min(size, c - i) for i in range(0, c, size)]
        elif isinstance(arg, int):
            sizes = [min(arg, c - i) for i in range(0, c, arg)]
        else:
            sizes = list(arg)
        start = sum(sizes[:index])
        return start, start + sizes[index]


def _shape_prop(traced, channels):
    """Each node's channel count, from a run on a small input (slices need them)."""
    from torch.fx.passes.shape_prop import ShapeProp
    ShapeProp(traced).propagate(torch.zeros(1, channels, 48, 48))
    out = {}
    for node in traced.graph.nodes:
        meta = node.meta.get("tensor_meta")
        if meta is not None and hasattr(meta, "shape") and len(meta.shape) == 4:
            out[node] = int(meta.shape[1])
    return out


def graph_of_fx(module, channels, wrap=()):
    """Version-2 layers and tensors of any module whose forward torch.fx follows."""
    import torch.fx
    try:
        graph = _Tracer(wrap).trace(module)
    except Exception as e:  # noqa: BLE001 - whatever fx says, the user needs the name
        raise ExportError(f"{type(module).__name__}: its forward cannot be traced ({e})") from e
    traced = torch.fx.GraphModule(module, graph)
    traced.graph.eliminate_dead_code()
    w = _GraphWriter(module, dict(module.named_modules()))
    w.channels = _shape_prop(traced, channels)
    for node in traced.graph.nodes:
        args = node.args
        if node.op == "placeholder":
            if w.names:
                raise ExportError(f"{type(module).__name__}: a forward of more than one input")
            w.names[node] = "input"
        elif node.op == "call_module":
            m = w.modules[node.target]
            if isinstance(m, DROPPED):
                w.names[node] = w.names[args[0]]
                continue
            if isinstance(m, nn.BatchNorm2d):
                conv = args[0]
                if not (conv.op == "call_module" and len(conv.users) == 1):
                    raise ExportError(f"{node.name}: BatchNorm2d folds only into a convolution "
                                      "that nothing else reads")
                w.layers.pop()
                folded = _fold_batchnorm(w.modules[conv.target], m)
                layer = _module_layer(folded, node.name, node.name, w.tensor)
                w.names[node] = w.emit(node, layer, [conv.args[0]])
                continue
            if isinstance(m, nn.SiLU):  # x * sigmoid (x)
                gate = w.emit(node.name + "_sigmoid", {"op": "sigmoid"}, [args[0]])
                w.names[node.name + "_sigmoid"] = gate
                w.names[node] = w.emit(node, {"op": "mul"}, [args[0], node.name + "_sigmoid"])
                if m.inplace:
                    w.names[args[0]] = w.names[node]
                continue
            layer = _module_layer(m, node.name, f"{node.name} ({type(m).__name__})", w.tensor)
            w.names[node] = w.emit(node, layer, [args[0]])
            if getattr(m, "inplace", False):
                w.names[args[0]] = w.names[node]
        elif node.op in ("call_function", "call_method"):
            if node.op == "call_function" and node.target.__module__ == "_operator":
                fn = node.target.__name__
            else:
                fn = _fn_name(node.target)
            out = w.function(node, fn, list(node.args), dict(node.kwargs))
            w.names[node] = out
            # an in-place operation changed its input: later readers of it read this
            if (node.kwargs.get("inplace") or fn in ("iadd", "isub", "imul", "itruediv")
                    or (node.op == "call_method" and fn.endswith("_"))) \
                    and isinstance(node.args[0], torch.fx.Node):
                w.names[node.args[0]] = out
        elif node.op == "output":
            result = node.args[0]
            if not isinstance(result, torch.fx.Node) or w.names.get(result) != w.layers[-1]["name"]:
                raise ExportError(f"{type(module).__name__}: the output must be one tensor, the "
                                  "last one computed")
        else:
            raise ExportError(f"{type(module).__name__}: {node.op} {node.target} (a constant or "
                              "parameter used directly) does not export")
    _fold_scales(w.layers)
    return w.layers, w.tensors


def _fold_scales(layers):
    """An affine scale read only by an add or sub becomes that input's scale (RRDB's
    x * 0.2 + skip), one layer fewer."""
    readers = {}
    for l in layers:
        for i in l["inputs"]:
            readers[i] = readers.get(i, 0) + 1
    by_name = {l["name"]: l for l in layers}
    dropped = set()
    for l in layers:
        if l["op"] not in ("add", "sub"):
            continue
        for k, key in enumerate(("scale_a", "scale_b")):
            src = by_name.get(l["inputs"][k])
            if (src and src["op"] == "affine" and src["offset"] == 0.0
                    and readers[src["name"]] == 1 and l["inputs"][0] != l["inputs"][1]):
                l[key] = l.get(key, 1.0) * src["scale"]
                l["inputs"][k] = src["inputs"][0]
                dropped.add(src["name"])
    layers[:] = [l for l in layers if l["name"] not in dropped]


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


def _first_channels(module):
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            return m.in_channels
    return 1


def _infer_graph(module, channels, layers):
    """(scale, mode) of a graph by running it on a small input."""
    n = 48
    was_training = module.training
    module.eval()
    with torch.no_grad():
        out = module(torch.zeros(1, channels, n, n))
    module.train(was_training)
    if out.shape[-1] % n or out.shape[-2] % n or out.shape[-1] != out.shape[-2]:
        raise ExportError(f"the network makes {n} pixels {out.shape[-1]}: not an integer "
                          "factor, so tconv cannot tile it (pad the input in the forward, as "
                          "the program that runs it does)")
    ops = {l["op"] for l in layers}
    mode = "resize-conv" if "resize" in ops else "transposed"
    if "pixel_shuffle" in ops or "conv_transpose2d" in ops:
        mode = "transposed"
    return out.shape[-1] // n, mode


def export(module, path, **facts):
    """Write `module` to `path`.  Facts (all optional): name, scale, mode
    ("transposed" | "resize-conv"), color ("y" | "rgb"), value_range, training_data,
    description, psnr ({set: {scale: dB}}), and anything else JSON can hold.  A module that
    is not a chain exports as a graph (version 2); `wrap` lists functions torch.fx should
    record as calls rather than trace into (pixel_unshuffle written with view/permute)."""
    dtype = facts.pop("dtype", "f32")
    if dtype not in ("f32", "f16"):
        raise ExportError(f"dtype must be f32 or f16, got {dtype!r}")
    wrap = facts.pop("wrap", ())
    channels = facts.pop("channels", None)
    was_training = module.training
    module.eval()  # BatchNorm folds with its running statistics
    try:
        layers, tensors = graph_of(module)
        version = 1
    except ExportError:
        # not a chain: the graph torch.fx finds (version 2: layers with inputs)
        channels = channels or _first_channels(module)
        layers, tensors = graph_of_fx(module, channels, wrap)
        version = 2
    module.train(was_training)
    if version == 1:
        channels, scale, mode = _infer(module, channels)
    else:
        scale, mode = _infer_graph(module, channels, layers)
    graph = {"format": "tconv-model", "version": version,
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
