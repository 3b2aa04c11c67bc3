"""Exporter checks run by tests/weights/test-training.sh: real-world module shapes export, and
`tconv forward` on the exported file equals PyTorch on the module.

    /usr/bin/python3 tests/weights/exporter_check.py TCONV-CLI WORK-DIR
"""
import json
import os
import struct
import subprocess
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "weights"))
import tconv_export  # noqa: E402

cli, work = (sys.argv[1], sys.argv[2]) if len(sys.argv) > 2 else (None, None)


def write_tensor(path, t):
    t = t.detach().float().contiguous()
    header = {"input": {"dtype": "F32", "shape": list(t.shape), "data_offsets": [0, 4 * t.numel()]}}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + struct.pack(f"<{t.numel()}f", *t.flatten().tolist()))


def read_tensor(path):
    blob = open(path, "rb").read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    name, info = next((k, v) for k, v in header.items() if k != "__metadata__")
    a, b = info["data_offsets"]
    values = struct.unpack(f"<{(b - a) // 4}f", blob[8 + n + a:8 + n + b])
    return torch.tensor(values).reshape(info["shape"])


def tconv_equals_torch(name, module, channels, tolerance, **facts):
    path = os.path.join(work, name + ".safetensors")
    tconv_export.export(module, path, name=name, **facts)
    x = torch.rand(1, channels, 13, 17, generator=torch.Generator().manual_seed(3))
    write_tensor(os.path.join(work, name + "-in.safetensors"), x)
    subprocess.run([cli, "forward", path, os.path.join(work, name + "-in.safetensors"),
                    os.path.join(work, name + "-out.safetensors")], check=True)
    got = read_tensor(os.path.join(work, name + "-out.safetensors"))
    module.eval()
    with torch.no_grad():
        want = module(x)
    diff = (got - want).abs().max().item()
    print(f"{name}: tconv forward vs PyTorch max |diff| {diff:.2e} ({os.path.getsize(path)} bytes)")
    assert got.shape == want.shape, (got.shape, want.shape)
    assert diff <= tolerance, diff
    return path


class FSRCNNLike(nn.Module):
    """The shape of public FSRCNN code: a class of nested Sequentials, BatchNorm, Dropout."""

    def __init__(self):
        super().__init__()
        self.first_part = nn.Sequential(nn.Conv2d(1, 16, 5, padding="same"), nn.BatchNorm2d(16),
                                        nn.PReLU(16))
        self.mid_part = nn.ModuleList([nn.Conv2d(16, 8, 1), nn.PReLU(8), nn.Dropout(0.1),
                                       nn.Conv2d(8, 8, 3, padding=1), nn.Identity(), nn.PReLU(8)])
        self.last_part = nn.ConvTranspose2d(8, 1, 9, stride=2, padding=4, output_padding=1)

    def forward(self, x):
        x = self.first_part(x)
        for layer in self.mid_part:
            x = layer(x)
        return self.last_part(x)



def main():
    torch.manual_seed(0)
    net = FSRCNNLike()
    with torch.no_grad():  # BatchNorm statistics that are not the identity
        net.first_part[1].running_mean.uniform_(-0.2, 0.2)
        net.first_part[1].running_var.uniform_(0.5, 2.0)
        net.first_part[1].weight.uniform_(0.5, 1.5)
        net.first_part[1].bias.uniform_(-0.1, 0.1)
    tconv_equals_torch("fsrcnn-like", net, 1, 1e-5)
    f16 = tconv_equals_torch("fsrcnn-like-f16", net, 1, 2e-3, dtype="f16")
    assert os.path.getsize(f16) < 0.7 * os.path.getsize(os.path.join(work, "fsrcnn-like.safetensors"))

    # an RGB pixel-shuffle head whose first layer is an Upsample then a per-channel PReLU
    shuffle = nn.Sequential(nn.Upsample(scale_factor=1, mode="nearest"), nn.PReLU(3),
                            nn.Conv2d(3, 12, 3, padding="same"), nn.PixelShuffle(2))
    tconv_equals_torch("shuffle-rgb", shuffle, 3, 1e-5)

    # an unpadded network: refused with the layers that lose pixels named
    try:
        tconv_export.export(nn.Sequential(nn.Conv2d(1, 4, 3), nn.ConvTranspose2d(4, 1, 4, stride=2)),
                            os.path.join(work, "unpadded.safetensors"))
        raise SystemExit("an unpadded network exported")
    except tconv_export.ExportError as e:
        print("unpadded:", e)
        assert "layer 0 (Conv2d, kernel 3, padding 0: pad 1 keeps the size)" in str(e), e
    print("exporter checks passed")


if __name__ == "__main__":
    main()
