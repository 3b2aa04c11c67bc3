#!/usr/bin/python3
"""Import an ONNX model (from PyTorch, TensorFlow/Keras via tf2onnx, and others) as a tconv
model file.

    /usr/bin/python3 weights/tconv_import.py IN.onnx OUT.safetensors [--name N]
        [--color y|rgb] [--value-range LO,HI] [--description TEXT]

A chain from its one input to its one output, optionally ending in the addition of a Resize
of the input (a global residual), imports as a chain (format version 1); any other graph of
supported nodes as a graph (version 2: see import_graph, which also maps Sigmoid, Tanh, Clip,
Add/Sub/Mul/Div of values, scalars or per-channel constants, Concat, Split, Slice, Pad of
zeros/edge/reflect, GlobalAveragePool and ReduceMean over H and W; constant subgraphs are
folded first).  Chain nodes:  Mapped nodes: Conv and ConvTranspose
(symmetric pads, auto_pad VALID or an even SAME, output_shape turned into output_padding),
Relu, PRelu, LeakyRelu, BatchNormalization (folded into the convolution before it), Resize
(nearest, linear, cubic with coefficient -0.75 or -0.5; integer scales), DepthToSpace (CRD as
PyTorch's PixelShuffle; DCR, TensorFlow's order, by reordering the convolution before it),
Pad with zeros in front of a Conv, Identity and Dropout.  Anything else is refused with the
node's name and op.  The import builds the equivalent torch modules and writes them with
tconv_export, so the file gets the same checks as an export.  Needs Debian's python3-onnx
and python3-torch.
"""
import argparse
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn
from torch.nn import functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tconv_export  # noqa: E402
from tconv_export import ExportError, Residual  # noqa: E402


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _where(node):
    return f"node {node.name or '(unnamed)'} ({node.op_type})"


class Graph:
    """Initializers and Constant nodes by name, consumers of each value."""

    def __init__(self, model):
        g = model.graph
        self.g = g
        self.init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        for n in g.node:
            if n.op_type == "Constant":
                self.init[n.output[0]] = numpy_helper.to_array(_attrs(n)["value"])
        inputs = [i.name for i in g.input if i.name not in self.init]
        if len(inputs) != 1 or len(g.output) != 1:
            raise ExportError(f"the graph has {len(inputs)} inputs and {len(g.output)} outputs; "
                              "tconv takes one image in and one out")
        self.input, self.output = inputs[0], g.output[0].name
        self.nodes = [n for n in g.node if n.op_type != "Constant"]

    def const(self, name, node):
        if name not in self.init:
            raise ExportError(f"{_where(node)}: input {name} must be a constant")
        return self.init[name]

    def data_inputs(self, node):
        return [i for i in node.input if i and i not in self.init]


def _pads(node, a, kernel, dilation):
    """Symmetric [pad_h, pad_w] from pads / auto_pad."""
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto == "VALID":
        return [0, 0]
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        if any(t % 2 for t in total):
            raise ExportError(f"{_where(node)}: auto_pad {auto} pads unevenly here")
        return [t // 2 for t in total]
    p = list(a.get("pads", [0, 0, 0, 0]))
    if p[0] != p[2] or p[1] != p[3]:
        raise ExportError(f"{_where(node)}: pads {p} are not symmetric; tconv pads both sides alike")
    return [p[0], p[1]]


def _conv(g, node, pending_pad):
    a, w = _attrs(node), g.const(node.input[1], node)
    k, d = list(w.shape[2:]), list(a.get("dilations", [1, 1]))
    pads = [x + y for x, y in zip(_pads(node, a, k, d), pending_pad)]
    m = nn.Conv2d(w.shape[1] * a.get("group", 1), w.shape[0], k, stride=list(a.get("strides", [1, 1])),
                  padding=pads, dilation=d, groups=a.get("group", 1), bias=len(node.input) > 2)
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(w.astype(np.float32)))
        if len(node.input) > 2:
            m.bias.copy_(torch.from_numpy(g.const(node.input[2], node).astype(np.float32)))
    return m


def _conv_transpose(g, node, in_size=None):
    a, w = _attrs(node), g.const(node.input[1], node)
    groups, k = a.get("group", 1), list(w.shape[2:])
    d, s = list(a.get("dilations", [1, 1])), list(a.get("strides", [1, 1]))
    if "output_shape" in a:
        raise ExportError(f"{_where(node)}: output_shape depends on the input size; export with "
                          "pads and output_padding instead")
    m = nn.ConvTranspose2d(w.shape[0], w.shape[1] * groups, k, stride=s, padding=_pads(node, a, k, d),
                           output_padding=list(a.get("output_padding", [0, 0])), groups=groups,
                           dilation=d, bias=len(node.input) > 2)
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(w.astype(np.float32)))
        if len(node.input) > 2:
            m.bias.copy_(torch.from_numpy(g.const(node.input[2], node).astype(np.float32)))
    return m


def _batchnorm(g, node):
    scale, bias, mean, var = (g.const(node.input[i], node).astype(np.float32) for i in range(1, 5))
    m = nn.BatchNorm2d(len(scale), eps=_attrs(node).get("epsilon", 1e-5))
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(scale))
        m.bias.copy_(torch.from_numpy(bias))
        m.running_mean.copy_(torch.from_numpy(mean))
        m.running_var.copy_(torch.from_numpy(var))
    return m.eval()


def _resize_scale(g, node):
    ins = list(node.input) + [""] * 4
    if ins[2] and ins[2] in g.init and g.init[ins[2]].size:
        scales = g.init[ins[2]]
    else:
        raise ExportError(f"{_where(node)}: only Resize by constant scales is supported")
    if len(scales) != 4 or scales[0] != 1 or scales[1] != 1 or scales[2] != scales[3] \
            or scales[2] != int(scales[2]):
        raise ExportError(f"{_where(node)}: scales {list(scales)} are not one integer factor")
    return int(scales[2])


def _resize_mode(node):
    """nearest, bilinear, bicubic (a = -0.75) or keys (a = -0.5), with PyTorch's pixel rule."""
    a = _attrs(node)
    mode = a.get("mode", b"nearest").decode()
    rule = a.get("coordinate_transformation_mode", b"half_pixel").decode()
    if mode == "nearest":
        return "nearest"
    if rule not in ("half_pixel", "pytorch_half_pixel"):
        raise ExportError(f"{_where(node)}: coordinate_transformation_mode {rule}; tconv resizes "
                          "with the half-pixel rule (PyTorch's align_corners=False)")
    if mode == "linear":
        return "bilinear"
    a_coef = round(float(a.get("cubic_coeff_a", -0.75)), 4)
    if a_coef not in (-0.75, -0.5):
        raise ExportError(f"{_where(node)}: cubic_coeff_a {a_coef} is neither -0.75 nor -0.5")
    return "bicubic" if a_coef == -0.75 else "keys"


def _dcr_to_crd(node, layers, block):
    """Reorders the output channels of the convolution before (and of the channel-wise
    activations after it) so that PyTorch's PixelShuffle (CRD) puts them where ONNX's
    DepthToSpace in DCR mode (TensorFlow's depth_to_space) would."""
    k = len(layers) - 1
    while k >= 0 and isinstance(layers[k], (nn.ReLU, nn.LeakyReLU, nn.PReLU)):
        k -= 1
    if k < 0 or not isinstance(layers[k], nn.Conv2d):
        raise ExportError(f"{_where(node)}: DCR order needs a Conv before it (with only "
                          "activations between)")
    conv = layers[k]
    c = conv.out_channels // (block * block)
    order = [(i * block + j) * c + ch for ch in range(c) for i in range(block) for j in range(block)]
    with torch.no_grad():
        conv.weight.copy_(conv.weight[order].clone())
        if conv.bias is not None:
            conv.bias.copy_(conv.bias[order].clone())
        for m in layers[k + 1:]:
            if isinstance(m, nn.PReLU) and m.num_parameters > 1:
                m.weight.copy_(m.weight[order].clone())


def _layer(g, node, layers, pending_pad):
    """The torch module(s) for one node, appended to layers; returns a pad for the next Conv."""
    op, a = node.op_type, _attrs(node)
    if pending_pad != [0, 0] and op != "Conv":
        raise ExportError(f"{_where(node)}: a zero Pad must be followed by a Conv")
    if op == "Conv":
        layers.append(_conv(g, node, pending_pad))
    elif op == "ConvTranspose":
        layers.append(_conv_transpose(g, node))
    elif op == "Relu":
        layers.append(nn.ReLU())
    elif op == "LeakyRelu":
        layers.append(nn.LeakyReLU(a.get("alpha", 0.01)))
    elif op == "PRelu":
        slope = g.const(node.input[1], node).reshape(-1)
        m = nn.PReLU(len(slope))
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(slope.astype(np.float32)))
        layers.append(m)
    elif op == "BatchNormalization":
        layers.append(_batchnorm(g, node))
    elif op == "Resize":
        mode = _resize_mode(node)
        if mode == "keys":
            raise ExportError(f"{_where(node)}: a cubic resize with a = -0.5 is supported only as "
                              "the global residual")
        layers.append(nn.Upsample(scale_factor=_resize_scale(g, node), mode=mode))
    elif op == "DepthToSpace":
        block, mode = a["blocksize"], a.get("mode", b"DCR").decode()
        if mode == "DCR":
            _dcr_to_crd(node, layers, block)
        layers.append(nn.PixelShuffle(block))
    elif op == "Pad":
        pads = g.const(node.input[1], node) if len(node.input) > 1 else np.array(a.get("pads"))
        mode = a.get("mode", b"constant").decode()
        value = g.init.get(node.input[2], 0) if len(node.input) > 2 and node.input[2] else 0
        if mode != "constant" or float(np.asarray(value)) != 0 or len(pads) != 8 \
                or any(pads[:2]) or any(pads[4:6]) or pads[2] != pads[6] or pads[3] != pads[7]:
            raise ExportError(f"{_where(node)}: only a symmetric zero Pad of H and W is supported")
        return [int(pads[2]), int(pads[3])]
    elif op in ("Identity", "Dropout"):
        pass
    else:
        raise ExportError(f"{_where(node)} is not supported; supported: Conv, ConvTranspose, Relu, "
                          "PRelu, LeakyRelu, BatchNormalization, Resize, DepthToSpace, Pad, "
                          "Identity, Dropout")
    return [0, 0]


def _producer(g, value):
    return next((n for n in g.nodes if value in n.output), None)


def _residual(g):
    """(the Resize node of a final Add(body, Resize(input)), the body's output) or (None, out)."""
    last = _producer(g, g.output)
    if last is None or last.op_type != "Add" or len(g.data_inputs(last)) != 2:
        return None, None, g.output
    for side in (0, 1):
        r = _producer(g, last.input[side])
        if r is not None and r.op_type == "Resize" and g.data_inputs(r) == [g.input]:
            return r, last, last.input[1 - side]
    return None, None, g.output


def _chain_nodes(g, end, skip):
    nodes, cur = [], g.input
    while cur != end:
        consumers = [n for n in g.nodes if cur in g.data_inputs(n) and n not in skip]
        if len(consumers) != 1:
            names = ", ".join(_where(n) for n in consumers) or "nothing"
            raise ExportError(f"value {cur} feeds {names}: only a chain of layers (and a final "
                              "residual Add of the resized input) imports")
        n = consumers[0]
        if g.data_inputs(n) != [cur]:
            raise ExportError(f"{_where(n)} takes more than the previous layer's output")
        nodes.append(n)
        cur = n.output[0]
    return nodes


def import_onnx(path):
    """The torch module equal to the ONNX graph at `path`, and its input channel count."""
    model = onnx.load(path)
    g = Graph(model)
    resize, add, body_end = _residual(g)
    layers, pad = [], [0, 0]
    for node in _chain_nodes(g, body_end, skip=[resize, add]):
        pad = _layer(g, node, layers, pad)
    if pad != [0, 0]:
        raise ExportError("the graph ends with a Pad")
    body = nn.Sequential(*layers).eval()
    shape = [d.dim_value for d in g.g.input[0].type.tensor_type.shape.dim]
    channels = shape[1] if len(shape) == 4 and shape[1] > 0 else None
    if resize is None:
        return body, channels
    mode = _resize_mode(resize)
    if mode not in ("bicubic", "keys"):
        raise ExportError(f"{_where(resize)}: the residual must be a cubic resize, got {mode}")
    return Residual(body, _resize_scale(g, resize), mode), channels


# ---- graphs: any DAG of supported nodes (format version 2) --------------------------------

def _fold_constants(g):
    """Evaluates the nodes whose inputs are all constants (PyTorch's export computes Pad
    amounts and the like in small subgraphs of them) into g.init."""
    ops = {
        "Cast": lambda a, x: x.astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]]),
        "Concat": lambda a, *x: np.concatenate(x, axis=a.get("axis", 0)),
        "Reshape": lambda a, x, s: x.reshape([int(v) for v in s]),
        "Transpose": lambda a, x: np.transpose(x, a.get("perm")),
        "Unsqueeze": lambda a, x, *ax: np.expand_dims(x, tuple(a.get("axes", ax[0] if ax else ()))),
        "Squeeze": lambda a, x, *ax: np.squeeze(x, tuple(a.get("axes", ax[0] if ax else ())) or None),
        "ConstantOfShape": lambda a, s: np.full([int(v) for v in s], numpy_helper.to_array(
            a["value"]).reshape(-1)[0] if "value" in a else 0.0),
        "Gather": lambda a, x, i: np.take(x, i, axis=a.get("axis", 0)),
        "Identity": lambda a, x: x,
        "Add": lambda a, x, y: x + y, "Sub": lambda a, x, y: x - y,
        "Mul": lambda a, x, y: x * y, "Div": lambda a, x, y: x / y,
        "Slice": lambda a, x, s, e, ax=None, st=None: x[tuple(
            slice(None) if d not in list(ax if ax is not None else range(len(s))) else
            slice(int(s[list(ax if ax is not None else range(len(s))).index(d)]),
                  int(e[list(ax if ax is not None else range(len(s))).index(d)]),
                  int(st[list(ax).index(d)]) if st is not None else 1)
            for d in range(x.ndim))],
    }
    remaining = []
    for n in g.nodes:
        ins = [i for i in n.input if i]
        if n.op_type in ops and ins and all(i in g.init for i in ins):
            g.init[n.output[0]] = np.asarray(ops[n.op_type](_attrs(n), *[g.init[i] for i in ins]))
        else:
            remaining.append(n)
    g.nodes = remaining


class OnnxGraph(nn.Module):
    """The ONNX graph as a module whose forward torch.fx follows: each node a step reading
    and writing named values, so that tconv_export writes it as a version-2 graph."""

    def __init__(self, steps, input_name, output_name):
        super().__init__()
        self.mods = nn.ModuleDict()
        self.steps, self.input_name, self.output_name = [], input_name, output_name
        for fn, ins, outs, module in steps:
            key = None
            if module is not None:
                key = f"m{len(self.mods)}"
                self.mods[key] = module
            self.steps.append((fn, ins, outs, key))

    def forward(self, x):
        env = {self.input_name: x}
        for fn, ins, outs, key in self.steps:
            args = [env[i] for i in ins]
            r = self.mods[key](*args) if fn is None else fn(*args)
            if len(outs) == 1:
                env[outs[0]] = r
            else:
                for k, o in enumerate(outs):
                    env[o] = r[k]
        return env[self.output_name]


def _channel_conv(values, add):
    """A per-channel constant added (or multiplied) as a depthwise 1x1 convolution."""
    c = values.size
    m = nn.Conv2d(c, c, 1, groups=c, bias=True)
    with torch.no_grad():
        m.weight.copy_(torch.ones(c, 1, 1, 1) if add else torch.from_numpy(
            values.reshape(c, 1, 1, 1).astype(np.float32)))
        m.bias.copy_(torch.from_numpy(values.reshape(c).astype(np.float32)) if add
                     else torch.zeros(c))
    return m


def _arith(g, node):
    """Add/Sub/Mul/Div of two values, or of a value and a scalar or per-channel constant."""
    op = node.op_type
    data = g.data_inputs(node)
    f = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div}[op]
    if len(data) == 2:
        return f, data, None
    k = 0 if node.input[0] in g.init else 1
    c = np.asarray(g.init[node.input[k]], dtype=np.float64)
    if c.size == 1:
        v = float(c.reshape(-1)[0])
        if op == "Sub" and k == 0:
            return (lambda x: v - x), data, None
        if op == "Div":
            if k == 0:
                raise ExportError(f"{_where(node)}: a constant divided by a value")
            return (lambda x: x * (1.0 / v)), data, None
        return (lambda x: f(x, v)), data, None
    if c.ndim != 4 or c.shape[0] != 1 or c.shape[2:] != (1, 1):
        raise ExportError(f"{_where(node)}: a constant of shape {list(c.shape)} (only scalars and "
                          "per-channel [1, C, 1, 1] constants)")
    if op == "Add":
        return None, data, _channel_conv(c, True)
    if op == "Sub" and k == 1:
        return None, data, _channel_conv(-c, True)
    if op == "Mul":
        return None, data, _channel_conv(c, False)
    if op == "Div" and k == 1:
        return None, data, _channel_conv(1.0 / c, False)
    raise ExportError(f"{_where(node)}: a per-channel constant on the left of {op}")


def _graph_step(g, node):
    """(fn, data inputs, outputs, module) of one node; fn None runs the module."""
    op, a, x = node.op_type, _attrs(node), g.data_inputs(node)
    outs = list(node.output)
    one = lambda fn, m=None: (fn, x[:1], outs, m)  # noqa: E731
    if op == "Conv":
        return one(None, _conv(g, node, [0, 0]))
    if op == "ConvTranspose":
        return one(None, _conv_transpose(g, node))
    if op == "BatchNormalization":
        return one(None, _batchnorm(g, node))
    if op == "PRelu":
        return one(None, _layer_module(g, node))
    if op == "Relu":
        return one(F.relu)
    if op == "LeakyRelu":
        alpha = a.get("alpha", 0.01)
        return one(lambda v: F.leaky_relu(v, alpha))
    if op == "Sigmoid":
        return one(torch.sigmoid)
    if op == "Tanh":
        return one(torch.tanh)
    if op == "Clip":
        lo = a.get("min", g.init.get(node.input[1]) if len(node.input) > 1 and node.input[1] else None)
        hi = a.get("max", g.init.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None)
        lo = None if lo is None else float(np.asarray(lo))
        hi = None if hi is None else float(np.asarray(hi))
        return one(lambda v: torch.clamp(v, lo, hi))
    if op in ("Add", "Sub", "Mul", "Div"):
        fn, data, m = _arith(g, node)
        return fn, data, outs, m
    if op == "Concat":
        if a.get("axis") not in (1, -3):
            raise ExportError(f"{_where(node)}: only a Concat of channels (axis 1)")
        return (lambda *v: torch.cat(v, 1)), x, outs, None
    if op == "Split":
        sizes = a.get("split") or (g.const(node.input[1], node).tolist() if len(node.input) > 1
                                   and node.input[1] else None)
        if a.get("axis", 0) not in (1, -3) or sizes is None:
            raise ExportError(f"{_where(node)}: only a Split of channels with given sizes")
        sizes = [int(s) for s in sizes]
        return one(lambda v: torch.split(v, sizes, 1))
    if op == "Slice":
        return one(_slice_fn(g, node))
    if op == "Pad":
        pads = [int(p) for p in (g.const(node.input[1], node) if len(node.input) > 1
                                 else a.get("pads"))]
        mode = a.get("mode", b"constant").decode()
        value = g.init.get(node.input[2], 0) if len(node.input) > 2 and node.input[2] else 0
        if len(pads) != 8 or any(pads[:2]) or any(pads[4:6]) or float(np.asarray(value)) != 0:
            raise ExportError(f"{_where(node)}: only a Pad of H and W with zeros, edge or reflect")
        amounts = (pads[3], pads[7], pads[2], pads[6])
        torch_mode = {"constant": "constant", "edge": "replicate", "reflect": "reflect"}[mode]
        return one(lambda v: F.pad(v, amounts, mode=torch_mode))
    if op == "GlobalAveragePool" or (op == "ReduceMean" and sorted(
            d % 4 for d in a.get("axes", [])) == [2, 3] and a.get("keepdims", 1)):
        return one(lambda v: F.adaptive_avg_pool2d(v, 1))
    if op == "Resize":
        scale, mode = _resize_scale(g, node), _resize_mode(node)
        if mode == "keys":
            raise ExportError(f"{_where(node)}: a cubic resize with a = -0.5 in a graph")
        return one(lambda v: F.interpolate(v, scale_factor=scale, mode=mode,
                                           align_corners=None if mode == "nearest" else False))
    if op == "DepthToSpace":
        block, mode = a["blocksize"], a.get("mode", b"DCR").decode()
        if mode == "DCR":  # a 1x1 convolution puts TensorFlow's channel order into PyTorch's
            return one(None, nn.Sequential(_dcr_permutation(g, node, block),
                                           nn.PixelShuffle(block)))
        return one(lambda v: F.pixel_shuffle(v, block))
    if op in ("Identity", "Dropout"):
        return (lambda v: v), x[:1], outs[:1], None
    raise ExportError(f"{_where(node)} is not supported in a graph; supported: Conv, "
                      "ConvTranspose, BatchNormalization, Relu, LeakyRelu, PRelu, Sigmoid, Tanh, "
                      "Clip, Add, Sub, Mul, Div, Concat, Split, Slice, Pad, GlobalAveragePool, "
                      "ReduceMean over H and W, Resize, DepthToSpace, Identity, Dropout")


def _layer_module(g, node):
    layers = []
    _layer(g, node, layers, [0, 0])
    return layers[0]


def _dcr_permutation(g, node, block):
    shape = g.shapes.get(g.data_inputs(node)[0])
    if shape is None:
        raise ExportError(f"{_where(node)}: DCR order needs the input's channel count")
    c = shape // (block * block)
    order = [(i * block + j) * c + ch for ch in range(c) for i in range(block) for j in range(block)]
    m = nn.Conv2d(shape, shape, 1, bias=False)
    with torch.no_grad():
        m.weight.zero_()
        for out, src in enumerate(order):
            m.weight[out, src] = 1.0
    return m


def _slice_fn(g, node):
    """x[:, a:b] along channels, or a crop x[:, :, t:-b, l:-r]."""
    starts, ends = (g.const(node.input[i], node).tolist() for i in (1, 2))
    axes = g.const(node.input[3], node).tolist() if len(node.input) > 3 and node.input[3] \
        else list(range(len(starts)))
    steps = g.const(node.input[4], node).tolist() if len(node.input) > 4 and node.input[4] \
        else [1] * len(starts)
    index = [slice(None)] * 4
    for s, e, ax, st in zip(starts, ends, axes, steps):
        if st != 1 or ax % 4 == 0:
            raise ExportError(f"{_where(node)}: a Slice with a step, or of the batch")
        big = e >= 2 ** 30
        index[ax % 4] = slice(int(s), None if big else int(e))
    index = tuple(index)
    return lambda v: v[index]


def _unshuffles(g):
    """PyTorch exports pixel_unshuffle (and BasicSR's view/permute one) as Reshape to
    [N, C, H/s, s, W/s, s], Transpose [0, 1, 3, 5, 2, 4], Reshape to [N, C*s*s, H/s, W/s]:
    those three nodes become one pixel_unshuffle step."""
    steps, skip = {}, set()
    for n in g.nodes:
        shape = g.init.get(n.input[1]) if n.op_type == "Reshape" else None
        if shape is None or len(shape) != 6 or shape[3] != shape[5] or shape[3] < 2:
            continue
        t = [m for m in g.nodes if n.output[0] in m.input]
        if len(t) != 1 or t[0].op_type != "Transpose" or list(_attrs(t[0])["perm"]) != [0, 1, 3, 5, 2, 4]:
            continue
        r = [m for m in g.nodes if t[0].output[0] in m.input]
        if len(r) != 1 or r[0].op_type != "Reshape" or len(g.init.get(r[0].input[1], [])) != 4:
            continue
        factor = int(shape[3])
        steps[id(n)] = (lambda v: F.pixel_unshuffle(v, factor), [n.input[0]], [r[0].output[0]],
                        None)
        skip.update((id(t[0]), id(r[0])))
    return steps, skip


def import_graph(path):
    """The torch module equal to a DAG ONNX graph (format version 2), and its channels."""
    model = onnx.shape_inference.infer_shapes(onnx.load(path))
    g = Graph(model)
    g.shapes, full = {}, {}
    for v in list(model.graph.value_info) + list(model.graph.input):
        dims = [d.dim_value for d in v.type.tensor_type.shape.dim]
        if len(dims) == 4 and dims[1] > 0:
            g.shapes[v.name] = dims[1]
        if dims:
            full[v.name] = dims
    # the exported input size is fixed: Shape of a value is a constant, and what is
    # computed from it (Resize's sizes, Pad's amounts) folds
    for n in g.nodes:
        dims = full.get(n.input[0]) if n.op_type == "Shape" else None
        if dims is None:
            continue
        if all(d > 0 for d in dims):
            g.init[n.output[0]] = np.array(dims, dtype=np.int64)
            continue
        # partly known (the channels): each Gather of a known dimension folds
        for m in g.nodes:
            i = g.init.get(m.input[1]) if m.op_type == "Gather" and m.input[0] == n.output[0] else None
            if i is not None and i.size == 1 and dims[int(i)] > 0:
                g.init[m.output[0]] = np.array(dims[int(i)], dtype=np.int64)
    g.nodes = [n for n in g.nodes if n.output[0] not in g.init]
    for _ in range(8):
        before = len(g.nodes)
        _fold_constants(g)
        read = {i for n in g.nodes for i in n.input} | {g.output}
        g.nodes = [n for n in g.nodes if any(o in read for o in n.output)]  # no dead nodes
        if len(g.nodes) == before:
            break
    unshuffles, skip = _unshuffles(g)
    steps = [unshuffles[id(n)] if id(n) in unshuffles else _graph_step(g, n)
             for n in g.nodes if id(n) not in skip]
    shape = [d.dim_value for d in g.g.input[0].type.tensor_type.shape.dim]
    channels = shape[1] if len(shape) == 4 and shape[1] > 0 else None
    return OnnxGraph(steps, g.input, g.output).eval(), channels

def import_any(path):
    """A chain (format version 1) where the graph is one, else a version-2 graph."""
    try:
        return import_onnx(path)
    except ExportError:
        return import_graph(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("onnx")
    ap.add_argument("out")
    ap.add_argument("--name")
    ap.add_argument("--color", choices=["y", "rgb"])
    ap.add_argument("--value-range", help="LO,HI the network takes for black and white")
    ap.add_argument("--description", default="")
    a = ap.parse_args()
    try:
        module, channels = import_any(a.onnx)
        facts = {"name": a.name or os.path.splitext(os.path.basename(a.out))[0],
                 "description": a.description or f"imported from {os.path.basename(a.onnx)}"}
        if channels:
            facts["channels"] = channels
        if a.color:
            facts["color"] = a.color
        if a.value_range:
            facts["value_range"] = [float(v) for v in a.value_range.split(",")]
        tconv_export.export(module, a.out, **facts)
    except ExportError as e:
        sys.exit(f"tconv_import: {a.onnx}: {e}")
    print(f"{a.out}: imported from {a.onnx}")


if __name__ == "__main__":
    main()
