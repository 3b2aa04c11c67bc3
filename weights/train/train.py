#!/usr/bin/python3
"""Train one tconv model (FSRCNN trunk + transposed or resize+conv head).

  /usr/bin/python3 weights/train/train.py --kind transposed --scale 2 --kernel 9 \
      --iters 60000 --out weights/train/runs/fsrcnn-x2

Fixed seeds, checkpoints every --ckpt-every iterations into OUT/ckpt.pt (resumed
automatically), validation PSNR on Set5 printed with the loss.  --init copies the
trunk (and the head when shapes match) from another run, FSRCNN's fine-tuning trick.
"""
import argparse
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402
from sr_data import image_paths, imresize, load_y, modcrop, psnr_y  # noqa: E402

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
            a, b = lr[y:y + p, x:x + p], hr[y * s:(y + p) * s, x * s:(x + p) * s]
            rot, flip = self.rng.integers(0, 4), self.rng.integers(0, 2)
            a, b = np.rot90(a, rot), np.rot90(b, rot)
            if flip:
                a, b = a[:, ::-1], b[:, ::-1]
            lrs[i, 0], hrs[i, 0] = a, b
        return torch.from_numpy(lrs), torch.from_numpy(hrs)


def evaluate(model, scale, folder):
    """Mean Y-PSNR of the standard protocol over a folder (float LR, 8-bit output)."""
    model.eval()
    scores = []
    with torch.no_grad():
        for path in image_paths(folder):
            hr = modcrop(load_y(path), scale)
            lr = imresize(hr, 1.0 / scale)
            sr = model(torch.from_numpy(lr.astype(np.float32))[None, None])[0, 0].double().numpy()
            scores.append(psnr_y(sr, hr, scale))
    model.train()
    return float(np.mean(scores))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kind", choices=["transposed", "resize-conv"], default="transposed")
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
    ap.add_argument("--ckpt-every", type=int, default=1000)
    ap.add_argument("--downscales", default="1.0,0.8,0.6", help="extra downscaled copies of each image")
    ap.add_argument("--train", default="train/T91,train/BSD200")
    ap.add_argument("--val", default="test/Set5")
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
    start = 0
    ckpt_path = os.path.join(a.out, "ckpt.pt")
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        start = ck["iter"]
        print(f"resumed at iteration {start}", flush=True)
    elif a.init:
        src = torch.load(os.path.join(a.init, "model.pt"))
        own = model.state_dict()
        copied = {k: v for k, v in src.items() if k in own and own[k].shape == v.shape}
        own.update(copied)
        model.load_state_dict(own)
        print(f"initialised {len(copied)}/{len(own)} tensors from {a.init}", flush=True)
    print(f"{a.kind} x{a.scale} k{a.kernel}: {models.param_count(model)} parameters", flush=True)

    folders = [os.path.join(DATASETS, f) for f in a.train.split(",")]
    pairs = load_pairs(folders, a.scale, [float(f) for f in a.downscales.split(",")])
    # Each run gets its own stream, and a resumed run does not replay the patches it saw.
    sampler = PatchSampler(pairs, a.scale, a.lr_patch, seed=a.seed * 1000003 + start)
    val = os.path.join(DATASETS, a.val)
    print(f"{len(pairs)} training images", flush=True)

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
        done = it + 1
        if done % a.ckpt_every == 0 or done == a.iters or done == a.stop_at:
            psnr = evaluate(model, a.scale, val)
            print(f"iter {done}/{a.iters} loss {running / a.ckpt_every:.5f} lr {lr_now:.2e} "
                  f"val-PSNR {psnr:.3f} ({time.time() - t0:.0f}s)", flush=True)
            running = 0.0
            tmp = ckpt_path + ".tmp"
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "iter": done}, tmp)
            os.replace(tmp, ckpt_path)
            torch.save(model.state_dict(), os.path.join(a.out, "model.pt"))
    print("done", flush=True)


if __name__ == "__main__":
    main()
