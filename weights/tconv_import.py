#!/usr/bin/python3
"""Import an ONNX model (from PyTorch, TensorFlow/Keras via tf2onnx, and others) as a tconv
model file.

    /usr/bin/python3 weights/tconv_import.py IN.onnx OUT.safetensors [--name N]
        [--color y|rgb] [--value-range LO,HI] [--description TEXT]

The graph must be a chain from its one input to its one output, optionally ending in the
addition of a Resize of the input (a global residual).  Mapped nodes: Conv and ConvTranspose
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
        module, channels = import_onnx(a.onnx)
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
