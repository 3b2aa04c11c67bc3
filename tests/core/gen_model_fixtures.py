#!/usr/bin/python3
"""Writes the model fixtures of the engine and CLI tests (committed; torch not needed
to run the tests):

  data/models/mixed-x4.safetensors   every layer type, exported with weights/tconv_export.py
  data/models/tiny-x2.safetensors    a small FSRCNN-shaped Y model
  data/models/tiny-rgb-x3.safetensors an RGB model with a transposed head
  data/forward-input.safetensors     tensor "input"  [2, 1, 11, 13]
  data/forward-expected.safetensors  tensor "output" = mixed-x4(input) in PyTorch
  data/models/keys-rgb-x3.safetensors an RGB model with the Keys (a = -0.5) residual
  data/forward-keys-*.safetensors    its input and PyTorch output, likewise

Run: /usr/bin/python3 tests/core/gen_model_fixtures.py
"""
import os
import struct
import sys

import torch
from torch import nn

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(HERE, "..", "weights"))
import tconv_export  # noqa: E402

torch.manual_seed(7)
out = os.path.join(HERE, "data", "models")
os.makedirs(out, exist_ok=True)


def save_tensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().float().contiguous()
        data = struct.pack(f"<{t.numel()}f", *t.flatten().tolist())
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    import json
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def randomize(net, scale=0.3):
    with torch.no_grad():
        for p in net.parameters():
            p.uniform_(-scale, scale)
    return net


# Every layer type: strided conv + pixel_unshuffle/shuffle, all resizes, every activation,
# and the global bicubic residual.
mixed = tconv_export.Residual(randomize(nn.Sequential(
    nn.Conv2d(1, 8, 5, padding=2, padding_mode="reflect"), nn.PReLU(8),
    nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=2), nn.LeakyReLU(0.1),
    nn.PixelUnshuffle(2), nn.Conv2d(32, 16, 1), nn.ReLU(), nn.PixelShuffle(2),
    nn.Upsample(scale_factor=2, mode="bilinear"), nn.Conv2d(4, 4, 3, stride=2, padding=1),
    nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(4, 6, 3, padding=1, padding_mode="replicate"),
    nn.PReLU(), nn.Upsample(scale_factor=2, mode="bicubic"), nn.Conv2d(6, 8, 3, stride=2, padding=1),
    nn.ConvTranspose2d(8, 1, 7, stride=2, padding=3, output_padding=1),
)), 4)
x = torch.rand(2, 1, 12, 14)
with torch.no_grad():
    y = mixed(x)
assert y.shape[-2:] == (48, 56), y.shape
tconv_export.export(mixed, os.path.join(out, "mixed-x4.safetensors"), name="mixed-x4",
                    training_data="random weights (test fixture)")
save_tensors(os.path.join(HERE, "data", "forward-input.safetensors"), {"input": x})
save_tensors(os.path.join(HERE, "data", "forward-expected.safetensors"), {"output": y})

tiny = nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.PReLU(8), nn.Conv2d(8, 4, 1), nn.PReLU(4),
                     nn.Conv2d(4, 4, 3, padding=1), nn.PReLU(4), nn.Conv2d(4, 8, 1), nn.PReLU(8),
                     nn.ConvTranspose2d(8, 1, 9, stride=2, padding=4, output_padding=1))
randomize(tiny, 0.2)
with torch.no_grad():
    tiny[-1].bias.fill_(0.5)  # a plausible brightness, so outputs are not all clamped
tconv_export.export(tiny, os.path.join(out, "tiny-x2.safetensors"), name="tiny-x2",
                    training_data="random weights (test fixture)")

rgb = randomize(nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(),
                              nn.ConvTranspose2d(6, 3, 6, stride=3, padding=2, output_padding=1)),
                0.2)
tconv_export.export(rgb, os.path.join(out, "tiny-rgb-x3.safetensors"), name="tiny-rgb-x3",
                    training_data="random weights (test fixture)")

# The exporter refuses what it cannot express.
try:
    tconv_export.export(nn.Sequential(nn.BatchNorm2d(1)), "/dev/null")
    raise SystemExit("BatchNorm2d was not refused")
except tconv_export.ExportError as e:
    assert "BatchNorm2d" in str(e)
print("fixtures written to", out)

# A resize+conv twin of tiny-x2, for the plug-in's compare mode.
tiny_rc = nn.Sequential(*[m for m in tiny[:-1]], nn.Upsample(scale_factor=2, mode="nearest"),
                        nn.Conv2d(8, 1, 5, padding=2))
with torch.no_grad():
    tiny_rc[-1].weight.uniform_(-0.05, 0.05)
    tiny_rc[-1].bias.fill_(0.5)
tconv_export.export(tiny_rc, os.path.join(out, "tiny-rc-x2.safetensors"), name="tiny-rc-x2",
                    training_data="random weights (test fixture)")

# An RGB model with the ramp-exact residual (Keys a = -0.5, which PyTorch's interpolate
# cannot do: tconv_export.cubic_upscale computes it), and its PyTorch output.
keys = tconv_export.Residual(randomize(nn.Sequential(
    nn.Conv2d(3, 6, 3, padding=1), nn.PReLU(6),
    nn.ConvTranspose2d(6, 3, 9, stride=3, padding=4, output_padding=2)), 0.1), 3, mode="keys")
kx = torch.rand(1, 3, 10, 9)
with torch.no_grad():
    ky = keys(kx)
tconv_export.export(keys, os.path.join(out, "keys-rgb-x3.safetensors"), name="keys-rgb-x3",
                    training_data="random weights (test fixture)")
save_tensors(os.path.join(HERE, "data", "forward-keys-input.safetensors"), {"input": kx})
save_tensors(os.path.join(HERE, "data", "forward-keys-expected.safetensors"), {"output": ky})
