#!/usr/bin/python3
"""Train one tconv model (FSRCNN trunk + transposed or resize+conv head).

  /usr/bin/python3 weights/train/train.py --kind transposed --scale 2 --kernel 9 \
      --iters 60000 --out weights/train/runs/fsrcnn-x2

Fixed seeds, checkpoints every --ckpt-every iterations into OUT/ckpt.pt (resumed
automatically), validation PSNR on Set5 printed with the loss.  --init copies the
trunk (and the head when shapes match) from another run, FSRCNN's fine-tuning trick.
"""
import argparse
import json
import math
import os
import random
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402
import degrade  # noqa: E402
from sr_data import augment, image_paths, imresize, load_y, modcrop, psnr_y  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATASETS = os.environ.get("TCONV_DATASETS", os.path.join(HERE, "..", "..", "..", "shared", "datasets"))


def load_pairs(folders, scale, downscales):
    """(LR, HR) float32 Y pairs of every training image and its downscaled copies."""
    pairs = []
    for folder in folders:
        for path in image_paths(folder):
            y = load_y(path)
            for f in downscales:
                hr = y if f == 1.0 else np.clip(imresize(y, f), 0.0, 1.0)
                hr = modcrop(hr, scale)
                lr = imresize(hr, 1.0 / scale)
                pairs.append((lr.astype(np.float32), hr.astype(np.float32)))
    return pairs


class PatchSampler:
    """Random aligned LR/HR crops with flips and 90-degree rotations."""

    def __init__(self, pairs, scale, lr_patch, seed):
        self.pairs = [p for p in pairs if min(p[0].shape) >= lr_patch]
        self.weights = np.array([p[0].size for p in self.pairs], dtype=np.float64)
        self.weights /= self.weights.sum()
        self.scale, self.lr_patch = scale, lr_patch
        self.rng = np.random.default_rng(seed)

    def batch(self, n):
        s, p = self.scale, self.lr_patch
        lrs = np.empty((n, 1, p, p), np.float32)
        hrs = np.empty((n, 1, p * s, p * s), np.float32)
        picks = self.rng.choice(len(self.pairs), size=n, p=self.weights)
        for i, k in enumerate(picks):
            lr, hr = self.pairs[k]
            y = self.rng.integers(0, lr.shape[0] - p + 1)
            x = self.rng.integers(0, lr.shape[1] - p + 1)
            lrs[i, 0], hrs[i, 0] = augment(lr[y:y + p, x:x + p],
                                           hr[y * s:(y + p) * s, x * s:(x + p) * s], self.rng)
        return torch.from_numpy(lrs), torch.from_numpy(hrs)


_VAL_CACHE = {}


def val_pairs(folder, scale, quality):
    """(LR, HR) Y pairs of a folder: the SRCNN protocol (quality None) or its JPEG variant
    (RGB downscale, JPEG at `quality`, Y of the decoded image), as `tconv eval --jpeg`."""
    key = (folder, scale, quality)
    if key not in _VAL_CACHE:
        pairs = []
        for path in image_paths(folder):
            if quality is None:
                hr = modcrop(load_y(path), scale)
                pairs.append((imresize(hr, 1.0 / scale), hr))
                continue
            rgb = degrade.load_rgb(path)
            rgb = np.stack([modcrop(rgb[..., c], scale) for c in range(3)], axis=-1)
            pairs.append((degrade.lr_of(rgb, scale, quality), degrade.y_of(rgb)))
        _VAL_CACHE[key] = pairs
    return _VAL_CACHE[key]


def evaluate(model, scale, folder, quality=None):
    """Mean Y-PSNR over a folder (8-bit output, `scale` px shaved)."""
    model.eval()
    scores = []
    with torch.no_grad():
        for lr, hr in val_pairs(folder, scale, quality):
            sr = model(torch.from_numpy(lr.astype(np.float32))[None, None])[0, 0].double().numpy()
            scores.append(psnr_y(sr, hr, scale))
    model.train()
    return float(np.mean(scores))


class EmaWeights:
    """An exponential moving average of a model's weights (Polyak averaging): the small
    networks' last steps jitter around the optimum, and the average sits nearer to it."""

    def __init__(self, model, decay, state=None):
        self.decay = decay
        self.state = state or {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model):
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point:
                self.state[k].mul_(self.decay).add_(v, alpha=1.0 - self.decay)

    def swap_in(self, model):
        """Loads the average into the model; returns the raw weights."""
        raw = {k: v.detach().clone() for k, v in model.state_dict().items()}
        model.load_state_dict(self.state)
        return raw


def load_model_file(model, path):
    """Weights from a tconv model file (.safetensors), in the order of the module's
    parameters: the exporter writes them in layer order, with the same shapes."""
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    graph = json.loads(header["__metadata__"]["tconv"])
    names = [layer[k] for layer in graph["layers"] for k in ("weight", "bias") if k in layer]
    own = model.state_dict()
    keys = [k for k in own if not k.endswith("pick")]
    if len(keys) != len(names):
        sys.exit(f"{path}: {len(names)} tensors, the model has {len(keys)}")
    for key, name in zip(keys, names):
        info = header[name]
        a, b = info["data_offsets"]
        t = torch.from_numpy(np.frombuffer(blob[8 + n + a:8 + n + b], dtype="<f4").copy())
        if list(own[key].shape) != info["shape"]:
            sys.exit(f"{path}: tensor {name} is {info['shape']}, {key} is {list(own[key].shape)}")
        own[key] = t.reshape(info["shape"])
    model.load_state_dict(own)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kind", choices=["transposed", "resize-conv", "sesr", "sesr-rc"], default="transposed")
    ap.add_argument("--scale", type=int, default=2)
    ap.add_argument("--kernel", type=int, default=9)
    ap.add_argument("--residual", choices=["bicubic", "keys", "none"], default="bicubic",
                    help="the global residual: PyTorch's bicubic (a = -0.75), Keys' cubic "
                         "(a = -0.5, reproduces ramps: no per-phase error of its own), or "
                         "none (plain FSRCNN, as the paper)")
    ap.add_argument("--iters", type=int, default=60000)
    ap.add_argument("--stop-at", type=int, help="stop after this iteration (the schedule still spans --iters)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr-patch", type=int, default=24)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--min-lr", type=float, default=1e-5)
    ap.add_argument("--head-lr-scale", type=float, default=0.1,
                    help="learning-rate factor of the upsampling layer (FSRCNN trains it 10x slower)")
    ap.add_argument("--loss", choices=["l1", "mse"], default="l1",
                    help="mse fine-tunes for PSNR once l1 has converged")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--init", help="run folder whose weights start this run (fine-tuning)")
    ap.add_argument("--init-file", help="a tconv model file whose weights start this run")
    ap.add_argument("--degradation", choices=["clean", "photo"], default="clean",
                    help="clean: the SRCNN protocol; photo: JPEG-degraded LR (degrade.PhotoMix)")
    ap.add_argument("--clean-share", type=float, default=0.3, help="photo: share of clean copies")
    ap.add_argument("--jpeg-q", default="45,95", help="photo: JPEG quality range")
    ap.add_argument("--mild", type=float, default=0.15, help="photo: share blurred or noisy")
    ap.add_argument("--copies", type=int, default=4, help="photo: degraded copies per image")
    ap.add_argument("--per-crop", action="store_true",
                    help="photo: degrade every crop as it is drawn (degrade.PhotoCrops), "
                         "not --copies fixed copies of each image")
    ap.add_argument("--ema", type=float, default=0.0,
                    help="decay of an exponential moving average of the weights (e.g. 0.999); "
                         "validated, checkpointed and saved as model.pt in place of the raw "
                         "weights; 0: off")
    ap.add_argument("--ckpt-every", type=int, default=1000)
    ap.add_argument("--downscales", default="1.0,0.8,0.6", help="extra downscaled copies of each image")
    ap.add_argument("--train", default="train/T91,train/BSD200")
    ap.add_argument("--val", default="test/Set5")
    ap.add_argument("--val2", help="photo: a second validation folder for the JPEG numbers")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    model = models.build(a.kind, a.scale, a.kernel,
                         residual=None if a.residual == "none" else a.residual)
    head = models.head(model)
    head_ids = {id(p) for p in head.parameters()}
    opt = torch.optim.Adam([
        {"params": [p for p in model.parameters() if id(p) not in head_ids], "lr_scale": 1.0},
        {"params": list(head.parameters()), "lr_scale": a.head_lr_scale}], lr=a.lr)
    start, ck = 0, {}
    ckpt_path = os.path.join(a.out, "ckpt.pt")
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        start = ck["iter"]
        print(f"resumed at iteration {start}", flush=True)
    elif a.init_file:
        load_model_file(model, a.init_file)
        print(f"initialised from {a.init_file}", flush=True)
    elif a.init:
        src = torch.load(os.path.join(a.init, "model.pt"))
        own = model.state_dict()
        copied = {k: v for k, v in src.items() if k in own and own[k].shape == v.shape}
        own.update(copied)
        model.load_state_dict(own)
        print(f"initialised {len(copied)}/{len(own)} tensors from {a.init}", flush=True)
    print(f"{a.kind} x{a.scale} k{a.kernel}: {models.param_count(model)} parameters", flush=True)

    folders = [os.path.join(DATASETS, f) for f in a.train.split(",")]
    downscales = [float(f) for f in a.downscales.split(",")]
    # Each run gets its own stream, and a resumed run does not replay the patches it saw.
    stream_seed = a.seed * 1000003 + start
    if a.degradation == "photo":
        qmin, qmax = (int(q) for q in a.jpeg_q.split(","))
        mix = degrade.PhotoMix(a.clean_share, qmin, qmax, a.mild,
                               np.random.default_rng(stream_seed if a.per_crop else a.seed))
        paths = [p for f in folders for p in image_paths(f)]
        if a.per_crop:
            pairs = degrade.hr_images(paths, a.scale, downscales)
            sampler = degrade.PhotoCrops(pairs, a.scale, a.lr_patch, mix, seed=stream_seed)
        else:
            pairs = degrade.hr_pairs(paths, a.scale, downscales, mix, a.copies)
    else:
        pairs = load_pairs(folders, a.scale, downscales)
    if not (a.degradation == "photo" and a.per_crop):
        sampler = PatchSampler(pairs, a.scale, a.lr_patch, seed=stream_seed)
    val = os.path.join(DATASETS, a.val)
    print(f"{len(pairs)} training images", flush=True)
    ema = EmaWeights(model, a.ema, ck.get("ema") if start else None) if a.ema else None

    t0, running = time.time(), 0.0
    for it in range(start, min(a.iters, a.stop_at or a.iters)):
        lr_now = a.min_lr + 0.5 * (a.lr - a.min_lr) * (1 + math.cos(math.pi * it / a.iters))
        for g in opt.param_groups:
            g["lr"] = lr_now * g["lr_scale"]
        x, y = sampler.batch(a.batch)
        loss = (F.l1_loss if a.loss == "l1" else F.mse_loss)(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        running += loss.item()
        if ema:
            ema.update(model)
        done = it + 1
        if done % a.ckpt_every == 0 or done == a.iters or done == a.stop_at:
            raw = ema.swap_in(model) if ema else None
            psnr = evaluate(model, a.scale, val)
            jpeg = ""
            if a.degradation == "photo":
                jpeg = " q75 {:.3f} q90 {:.3f}".format(*(evaluate(model, a.scale, val, q)
                                                         for q in (75, 90)))
                if a.val2:
                    val2 = os.path.join(DATASETS, a.val2)
                    jpeg += " | {} q75 {:.3f} q90 {:.3f}".format(
                        a.val2.rsplit("/", 1)[-1], *(evaluate(model, a.scale, val2, q) for q in (75, 90)))
            print(f"iter {done}/{a.iters} loss {running / a.ckpt_every:.5f} lr {lr_now:.2e} "
                  f"val-PSNR {psnr:.3f}{jpeg} ({time.time() - t0:.0f}s)", flush=True)
            running = 0.0
            torch.save(model.state_dict(), os.path.join(a.out, "model.pt"))
            if ema:
                model.load_state_dict(raw)  # training goes on from the raw weights
            tmp = ckpt_path + ".tmp"
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "iter": done,
                        **({"ema": ema.state} if ema else {})}, tmp)
            os.replace(tmp, ckpt_path)
    print("done", flush=True)


if __name__ == "__main__":
    main()
