"""Photo degradation: what a low-resolution JPEG photo looks like, for training and eval.

The protocol `tconv eval --jpeg Q` mirrors: MATLAB-style bicubic downscale of the RGB
image (float), rounded to 8 bits, JPEG at quality Q with 4:2:0 chroma (PIL's libjpeg,
its defaults), decoded, and the BT.601 Y of the decoded image is the network input.
Training adds mild blur or noise before the downscale to some samples.
"""
import functools
import io

import numpy as np
from PIL import Image, ImageFilter

from sr_data import augment, imresize, modcrop, resize_matrix


def load_rgb(path):
    """An image as float64 RGB in [0, 1] (gray images repeated to three channels)."""
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0


@functools.lru_cache(maxsize=64)
def _matrix(in_len, out_len, factor):
    return resize_matrix(in_len, out_len, factor)


def resize_rgb(rgb, factor):
    """imresize of each channel; the matrices of a size are built once (crops repeat)."""
    h, w = rgb.shape[:2]
    oh, ow = int(np.ceil(h * factor)), int(np.ceil(w * factor))
    my, mx = _matrix(h, oh, factor), _matrix(w, ow, factor)
    return np.stack([my @ rgb[..., c] @ mx.T for c in range(3)], axis=-1)


def jpeg_roundtrip(rgb, quality):
    """RGB float [0,1] -> 8 bits -> JPEG (4:2:0) -> decoded float RGB."""
    im = Image.fromarray(np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8), "RGB")
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=int(quality), subsampling="4:2:0")
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"), dtype=np.float64) / 255.0


def y_of(rgb):
    """BT.601 studio-range Y in [0, 1] of float RGB in [0, 1] (no 8-bit rounding)."""
    return (16.0 + 65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255.0


def lr_of(hr_rgb, scale, quality=None):
    """The evaluation protocol's LR Y: clean (float, as the SRCNN protocol) or JPEG at Q."""
    lr = resize_rgb(hr_rgb, 1.0 / scale)
    if quality is None:
        return y_of(lr)
    return y_of(jpeg_roundtrip(lr, quality))


class PhotoMix:
    """A random degradation per copy: clean with probability `clean`, else JPEG with a
    quality uniform in [qmin, qmax]; a share `mild` of those first gets a slight Gaussian
    blur (sigma 0.3-0.9 px of the HR image) or Gaussian noise (sigma 1-4 / 255)."""

    def __init__(self, clean, qmin, qmax, mild, rng):
        self.clean, self.qmin, self.qmax, self.mild, self.rng = clean, qmin, qmax, mild, rng

    def __call__(self, hr_rgb, scale, lr_rgb=None):
        """The LR Y of one draw; lr_rgb, when given, is hr_rgb's clean downscale, which
        the draws that neither blur nor add noise use instead of downscaling again."""
        r = self.rng
        if r.random() < self.clean:
            return lr_of(hr_rgb, scale) if lr_rgb is None else y_of(lr_rgb)
        src = hr_rgb
        if r.random() < self.mild:
            lr_rgb = None
            if r.random() < 0.5:
                im = Image.fromarray(np.clip(np.round(src * 255), 0, 255).astype(np.uint8))
                src = np.asarray(im.filter(ImageFilter.GaussianBlur(r.uniform(0.3, 0.9))),
                                 dtype=np.float64) / 255.0
            else:
                src = np.clip(src + r.normal(0.0, r.uniform(1.0, 4.0) / 255.0, src.shape), 0, 1)
        quality = int(r.integers(self.qmin, self.qmax + 1))
        if lr_rgb is None:
            return lr_of(src, scale, quality)
        return y_of(jpeg_roundtrip(lr_rgb, quality))


def hr_copies(paths, scale, downscales):
    """Every training image and its downscaled copies, as RGB cut to a multiple of the scale."""
    for path in paths:
        rgb = load_rgb(path)
        for f in downscales:
            hr = rgb if f == 1.0 else np.clip(resize_rgb(rgb, f), 0.0, 1.0)
            yield np.stack([modcrop(hr[..., c], scale) for c in range(3)], axis=-1)


def hr_images(paths, scale, downscales):
    """(HR, LR) float32 RGB of every hr_copies image: LR its clean downscale (the
    evaluation protocol's)."""
    return [(hr.astype(np.float32), resize_rgb(hr, 1.0 / scale).astype(np.float32))
            for hr in hr_copies(paths, scale, downscales)]


class PhotoCrops:
    """Random LR/HR Y crops, each degraded as it is drawn: its own `mix` draw (quality,
    blur, noise) and its own position against the JPEG's 8x8 grid, where hr_pairs gives
    every image `copies` fixed degradations.  The crop is degraded with a margin of
    LR pixels round it, so that neither a downscale's borders nor the JPEG's edge blocks
    reach the pixels kept.  Crops the mix neither blurs nor makes noisy are cut from the
    whole image's clean downscale (the exact protocol, and no resize per crop)."""

    def __init__(self, images, scale, lr_patch, mix, seed, margin=8):
        self.images = [im for im in images if min(im[1].shape[:2]) >= lr_patch + 2 * margin]
        self.weights = np.array([im[1].shape[0] * im[1].shape[1] for im in self.images], np.float64)
        self.weights /= self.weights.sum()
        self.scale, self.lr_patch, self.mix, self.margin = scale, lr_patch, mix, margin
        self.rng = np.random.default_rng(seed)

    def crop(self):
        s, p, m, r = self.scale, self.lr_patch, self.margin, self.rng
        hr_im, lr_im = self.images[r.choice(len(self.images), p=self.weights)]
        big = p + 2 * m
        y = r.integers(0, lr_im.shape[0] - big + 1)
        x = r.integers(0, lr_im.shape[1] - big + 1)
        hr = hr_im[y * s:(y + big) * s, x * s:(x + big) * s].astype(np.float64)
        lr = self.mix(hr, s, lr_im[y:y + big, x:x + big].astype(np.float64))
        oy, ox = r.integers(m // 2, m + m // 2 + 1, size=2)  # where the kept part sits
        a = lr[oy:oy + p, ox:ox + p]
        b = y_of(hr[oy * s:(oy + p) * s, ox * s:(ox + p) * s])
        return augment(a, b, r)

    def batch(self, n):
        import torch
        s, p = self.scale, self.lr_patch
        lrs = np.empty((n, 1, p, p), np.float32)
        hrs = np.empty((n, 1, p * s, p * s), np.float32)
        for i in range(n):
            lrs[i, 0], hrs[i, 0] = self.crop()
        return torch.from_numpy(lrs), torch.from_numpy(hrs)


def hr_pairs(paths, scale, downscales, mix, copies):
    """(LR Y, HR Y) float32 pairs: every image, its downscaled copies, `copies` degradations."""
    pairs = []
    for hr in hr_copies(paths, scale, downscales):
        target = y_of(hr).astype(np.float32)
        for _ in range(copies):
            pairs.append((mix(hr, scale).astype(np.float32), target))
    return pairs
