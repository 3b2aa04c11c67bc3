"""ONNX import checks run by tests/weights/test-training.sh: graphs from torch.onnx.export and
from onnx.helper import, and `tconv forward` on the result equals the original.

    /usr/bin/python3 tests/weights/importer_check.py TCONV-CLI WORK-DIR
"""
import os
import subprocess
import sys

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper, TensorProto
from torch import nn

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "weights"))
sys.path.insert(0, here)
import tconv_export  # noqa: E402
import tconv_import  # noqa: E402
from exporter_check import read_tensor, write_tensor  # noqa: E402  (runs nothing on import)

cli, work = sys.argv[1], sys.argv[2]


def forward(path, x):
    write_tensor(path + "-in", x)
    subprocess.run([cli, "forward", path, path + "-in", path + "-out"], check=True)
    return read_tensor(path + "-out")


def check(name, onnx_path, x, want, tolerance=1e-5):
    out = os.path.join(work, name + ".safetensors")
    subprocess.run([sys.executable, os.path.join(here, "..", "..", "weights", "tconv_import.py"),
                    onnx_path, out], check=True)
    got = forward(out, x)
    diff = (got - want).abs().max().item()
    print(f"{name}: tconv forward of the import vs the original max |diff| {diff:.2e}")
    assert got.shape == want.shape, (got.shape, want.shape)
    assert diff <= tolerance, diff


class WithResidual(nn.Module):
    """An FSRCNN-shaped network with PyTorch's bicubic global residual, as torch exports it."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.BatchNorm2d(16), nn.PReLU(16),
                                  nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(),
                                  nn.ConvTranspose2d(8, 1, 9, stride=2, padding=4, output_padding=1))

    def forward(self, x):
        return self.body(x) + nn.functional.interpolate(x, scale_factor=2, mode="bicubic",
                                                        align_corners=False)


torch.manual_seed(0)
x = torch.rand(1, 1, 13, 17)
net = WithResidual().eval()
with torch.no_grad():
    net.body[1].running_var.uniform_(0.5, 2.0)
    want = net(x)
path = os.path.join(work, "residual.onnx")
torch.onnx.export(net, torch.rand(1, 1, 24, 24), path, opset_version=13,
                  input_names=["x"], output_names=["y"])
check("torch-export", path, x, want)


def depth_to_space(x, block, mode):
    n, c, h, w = x.shape
    if mode == "DCR":
        y = x.reshape(n, block, block, c // block ** 2, h, w).permute(0, 3, 4, 1, 5, 2)
    else:
        y = x.reshape(n, c // block ** 2, block, block, h, w).permute(0, 1, 4, 2, 5, 3)
    return y.reshape(n, c // block ** 2, h * block, w * block)


for mode in ("DCR", "CRD"):  # TensorFlow's depth_to_space order and PyTorch's
    w = np.random.RandomState(1).randn(12, 3, 3, 3).astype(np.float32) * 0.2
    b = np.random.RandomState(2).randn(12).astype(np.float32) * 0.1
    graph = helper.make_graph(
        [helper.make_node("Pad", ["x", "pads"], ["p"], mode="constant"),
         helper.make_node("Conv", ["p", "w", "b"], ["c"], kernel_shape=[3, 3]),
         helper.make_node("Relu", ["c"], ["r"]),
         helper.make_node("DepthToSpace", ["r"], ["y"], blocksize=2, mode=mode)],
        "shuffle", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, None, None])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, None, None])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"),
         numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], dtype=np.int64), "pads")])
    path = os.path.join(work, f"d2s-{mode}.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    x3 = torch.rand(1, 3, 11, 9)
    ref = depth_to_space(torch.relu(nn.functional.conv2d(x3, torch.from_numpy(w), torch.from_numpy(b),
                                                         padding=1)), 2, mode)
    check(f"depth-to-space-{mode}", path, x3, ref)

# an op the engine does not have: refused with the node named
graph = helper.make_graph([helper.make_node("Softmax", ["x"], ["y"], name="squash")], "t",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, None, None])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, None, None])])
path = os.path.join(work, "softmax.onnx")
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
p = subprocess.run([sys.executable, os.path.join(here, "..", "..", "weights", "tconv_import.py"), path,
                    os.path.join(work, "softmax.safetensors")], capture_output=True, text=True)
print("softmax:", p.stderr.strip())
assert p.returncode != 0 and "node squash (Softmax) is not supported" in p.stderr, p.stderr
print("importer checks passed")
