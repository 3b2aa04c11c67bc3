"""Super-resolution data protocol shared by training and evaluation.

Mirrors the C side (core/ops/imresize.c, `tconv eval`): BT.601 Y from gamma-encoded
8-bit RGB, modcrop, MATLAB-compatible bicubic (Keys a = -0.5, antialiased when
shrinking, symmetric borders) in float64.
"""
import math
import os

import numpy as np
from PIL import Image


def cubic(x):
    """Keys cubic with a = -0.5, as MATLAB's imresize."""
    ax = np.abs(x)
    ax2, ax3 = ax * ax, ax * ax * ax
    return ((1.5 * ax3 - 2.5 * ax2 + 1.0) * (ax <= 1.0)
            + (-0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0) * ((ax > 1.0) & (ax <= 2.0)))


def resize_matrix(in_len, out_len, scale):
    """Dense [out_len, in_len] matrix of imresize's weights along one axis."""
    kernel_width = 4.0
    if scale < 1.0:  # antialias: widen the kernel by 1/scale
        kernel = lambda x: scale * cubic(scale * x)
        kernel_width /= scale
    else:
        kernel = cubic
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1.0 - 1.0 / scale)
    left = np.floor(u - kernel_width / 2.0)
    taps = int(math.ceil(kernel_width)) + 2
    idx = left[:, None] + np.arange(taps)[None, :]
    w = kernel(u[:, None] - idx)
    w /= w.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(in_len), np.arange(in_len)[::-1]])
    idx = mirror[np.mod(idx.astype(np.int64) - 1, 2 * in_len)]
    m = np.zeros((out_len, in_len))
    for j in range(taps):
        np.add.at(m, (np.arange(out_len), idx[:, j]), w[:, j])
    return m


def imresize(img, scale):
    """MATLAB imresize(img, scale, 'bicubic') of a 2-D float array, no rounding."""
    h, w = img.shape
    oh, ow = int(math.ceil(h * scale)), int(math.ceil(w * scale))
    return resize_matrix(h, oh, scale) @ img @ resize_matrix(w, ow, scale).T


def rgb_to_y(rgb):
    """Y in [16, 235] of 8-bit RGB (H, W, 3) as float64, as the papers' rgb2ycbcr."""
    rgb = rgb.astype(np.float64) / 255.0
    return 16.0 + 65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]


def load_y(path):
    """Y channel of an image file in [0, 1] (gray images: the gray value)."""
    im = Image.open(path)
    if im.mode in ("L", "I;16", "I"):
        return np.asarray(im.convert("L"), dtype=np.float64) / 255.0
    return rgb_to_y(np.asarray(im.convert("RGB"))) / 255.0


def modcrop(img, scale):
    h, w = img.shape
    return img[: h - h % scale, : w - w % scale]


def augment(lr, hr, rng):
    """One of the eight rotations and flips, the same for an LR crop and its HR crop."""
    rot, flip = rng.integers(0, 4), rng.integers(0, 2)
    lr, hr = np.rot90(lr, rot), np.rot90(hr, rot)
    return (lr[:, ::-1], hr[:, ::-1]) if flip else (lr, hr)


def image_paths(folder):
    return sorted(os.path.join(folder, f) for f in os.listdir(folder)
                  if f.lower().endswith((".png", ".bmp", ".jpg")))


def psnr_y(sr, hr, scale):
    """PSNR (peak 255) of float [0,1] Y images after 8-bit rounding, `scale` px shaved."""
    sr8 = np.clip(np.round(sr * 255.0), 0, 255)
    hr8 = np.round(hr * 255.0)
    d = (sr8 - hr8)[scale:-scale, scale:-scale]
    return 10.0 * math.log10(255.0 ** 2 / np.mean(d * d))
