#!/bin/sh
# Keeps the training code honest: a few steps of weights/train/train.py on a few
# synthetic images (never the test sets), a resume from its checkpoint, and an export
# that `tconv info` accepts.
#   test-training.sh TCONV-CLI
set -u
cli=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/tconv-train-XXXXXX)
trap 'rm -rf "$work"' EXIT
py=/usr/bin/python3
if ! $py -c 'import torch, PIL, numpy' 2>/dev/null; then
  # tools/run-tests installs them for the native run; the GIMP 3 root has no PyTorch
  echo "python3-torch, python3-pil or python3-numpy missing: skipped"; exit 77
fi
mkdir -p "$work/data/train/synth" "$work/data/val/synth"
$py - "$work/data" <<'PY'
import sys, numpy as np
from PIL import Image
rng = np.random.RandomState(0)
for part, n in (("train", 4), ("val", 2)):
    for i in range(n):
        y, x = np.mgrid[0:96, 0:120]
        img = 128 + 60 * np.sin(x / (5 + i)) * np.cos(y / (7 + i)) + rng.randint(0, 30, (96, 120))
        rgb = np.dstack([img, img[::-1], img[:, ::-1]]).clip(0, 255).astype("uint8")
        Image.fromarray(rgb).save(f"{sys.argv[1]}/{part}/synth/{i}.png")
PY
passed=0 failed=0
step() { if eval "$2" >"$work/log" 2>&1; then passed=$((passed + 1)); echo "ok - $1"
         else failed=$((failed + 1)); echo "not ok - $1"; cat "$work/log"; fi; }
train="TCONV_DATASETS=$work/data $py $top/weights/train/train.py --train train/synth --val val/synth --downscales 1.0 --batch 4 --lr-patch 12 --threads 1 --ckpt-every 5 --out $work/run"
step "the phase-decomposed head equals ConvTranspose2d, values and gradients" "$py -c \"
import sys, torch, torch.nn.functional as F; sys.path.insert(0, '$top/weights/train')
import models
torch.manual_seed(0)
for s, k in ((2, 9), (3, 9), (4, 9), (2, 8), (4, 8), (4, 12)):
    h = models.transposed_head(s, k)[0]
    torch.nn.init.normal_(h.weight, std=0.1); torch.nn.init.normal_(h.bias)
    x = torch.randn(2, 56, 7, 9, requires_grad=True)
    ref = F.conv_transpose2d(x, h.weight, h.bias, h.stride, h.padding, h.output_padding)
    out = h(x)
    assert out.shape == ref.shape == (2, 1, 7 * s, 9 * s), (s, k, out.shape)
    rel = lambda a, b: ((a - b).abs().max() / b.abs().max()).item()  # float sums: relative
    assert rel(out, ref) < 1e-5, (s, k, rel(out, ref))
    g = torch.randn_like(ref)
    gw, gx = torch.autograd.grad(out, (h.weight, x), g)
    rw, rx = torch.autograd.grad(ref, (h.weight, x), g)
    assert rel(gw, rw) < 1e-5 and rel(gx, rx) < 1e-5, (s, k, rel(gw, rw), rel(gx, rx))
\""
step "the folded resize+conv head equals nearest resize then Conv2d, values and gradients" "$py -c \"
import sys, torch, torch.nn.functional as F; sys.path.insert(0, '$top/weights/train')
import models
torch.manual_seed(0)
for s, k in ((2, 9), (3, 9), (4, 9), (2, 5), (3, 3)):
    h = models.resize_conv_head(s, k)[0]
    torch.nn.init.normal_(h.conv.weight, std=0.1); torch.nn.init.normal_(h.conv.bias)
    x = torch.randn(2, 56, 7, 9, requires_grad=True)
    ref = h.conv(F.interpolate(x, scale_factor=s, mode='nearest'))
    out = h(x)
    assert out.shape == ref.shape == (2, 1, 7 * s, 9 * s), (s, k, out.shape)
    assert (out - ref).abs().max() < 1e-5 * ref.abs().max(), (s, k, (out - ref).abs().max())
    g = torch.randn_like(ref)
    gw, gx = torch.autograd.grad(out, (h.conv.weight, x), g)
    rw, rx = torch.autograd.grad(ref, (h.conv.weight, x), g)
    assert (gw - rw).abs().max() < 1e-5 * rw.abs().max() and (gx - rx).abs().max() < 1e-5 * rx.abs().max(), (s, k)
\""
step "trains 10 steps with loss and validation PSNR" "$train --iters 10 >$work/t1 && grep -q 'loss .* val-PSNR' $work/t1"
step "resumes from its checkpoint" "$train --iters 15 >$work/t2 && grep -q 'resumed at iteration 10' $work/t2"
step "exports a model tconv accepts" "$py -c \"
import sys, torch; sys.path.insert(0, '$top/weights/train'); sys.path.insert(0, '$top/weights')
import models, tconv_export
m = models.build('transposed', 2, 9); m.load_state_dict(torch.load('$work/run/model.pt'))
tconv_export.export(m, '$work/smoke.safetensors', name='smoke')\" && $cli info $work/smoke.safetensors | grep -q 'scale 2, mode transposed'"
step "a resize+conv model exports as resize and conv2d layers; tconv upscales as PyTorch does" "$py -c \"
import sys, torch, numpy as np; from PIL import Image
sys.path.insert(0, '$top/weights/train'); sys.path.insert(0, '$top/weights')
import models, tconv_export
torch.manual_seed(1)
m = models.build('resize-conv', 3, 9)
for p in m.parameters(): torch.nn.init.normal_(p, std=0.02)
tconv_export.export(m, '$work/rc.safetensors', name='rc')
img = np.random.RandomState(2).randint(0, 256, (20, 24)).astype('uint8')
Image.fromarray(img).save('$work/rc-in.png')
with torch.no_grad():
    ref = m(torch.from_numpy(img / 255.0).float()[None, None])[0, 0].numpy()
np.save('$work/rc-ref.npy', np.clip(np.round(ref * 255), 0, 255))\" \
  && $cli info $work/rc.safetensors | grep -q 'resize .* nearest x3' \
  && $cli upscale $work/rc-in.png $work/rc-out.png --model $work/rc.safetensors --quiet \
  && $py -c \"
import numpy as np; from PIL import Image
out = np.asarray(Image.open('$work/rc-out.png').convert('L'), dtype=float)
ref = np.load('$work/rc-ref.npy')
assert out.shape == ref.shape == (60, 72), out.shape
assert np.abs(out - ref).max() <= 1, np.abs(out - ref).max()\""
step "public-model shapes export (a class of nested Sequentials and ModuleLists, BatchNorm folded, Dropout and Identity dropped, padding='same', f16, a pixel-shuffle RGB head) and tconv forward equals PyTorch; an unpadded network is refused naming its layers" \
  "$py $top/tests/weights/exporter_check.py $cli $work"
if $py -c 'import onnx' 2>/dev/null; then
  step "ONNX import (weights/tconv_import.py): a torch.onnx.export of a BatchNorm + bicubic-residual network, DepthToSpace in TensorFlow's DCR and PyTorch's CRD order behind a zero Pad; tconv forward equals the original; an unsupported op is refused naming its node" \
    "$py $top/tests/weights/importer_check.py $cli $work"
else
  echo "# python3-onnx missing: the ONNX import was not checked"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
