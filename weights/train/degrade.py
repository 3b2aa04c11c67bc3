"""Photo degradation: what a low-resolution JPEG photo looks like, for training and eval.

The protocol `tconv eval --jpeg Q` mirrors: MATLAB-style bicubic downscale of the RGB
image (float), rounded to 8 bits, JPEG at quality Q with 4:2:0 chroma (PIL's libjpeg,
its defaults), decoded, and the BT.601 Y of the decoded image is the network input.
Training adds mild blur or noise before the downscale to some samples.
"""
import io

import numpy as np
from PIL import Image, ImageFilter

from sr_data import imresize, modcrop


def load_rgb(path):
    """An image as float64 RGB in [0, 1] (gray images repeated to three channels)."""
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0


def resize_rgb(rgb, factor):
    return np.stack([imresize(rgb[..., c], factor) for c in range(3)], axis=-1)


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

    def __call__(self, hr_rgb, scale):
        r = self.rng
        if r.random() < self.clean:
            return lr_of(hr_rgb, scale)
        src = hr_rgb
        if r.random() < self.mild:
            if r.random() < 0.5:
                im = Image.fromarray(np.clip(np.round(src * 255), 0, 255).astype(np.uint8))
                src = np.asarray(im.filter(ImageFilter.GaussianBlur(r.uniform(0.3, 0.9))),
                                 dtype=np.float64) / 255.0
            else:
                src = np.clip(src + r.normal(0.0, r.uniform(1.0, 4.0) / 255.0, src.shape), 0, 1)
        return lr_of(src, scale, int(r.integers(self.qmin, self.qmax + 1)))


def hr_pairs(paths, scale, downscales, mix, copies):
    """(LR Y, HR Y) float32 pairs: every image, its downscaled copies, `copies` degradations."""
    pairs = []
    for path in paths:
        rgb = load_rgb(path)
        for f in downscales:
            hr = rgb if f == 1.0 else np.clip(resize_rgb(rgb, f), 0.0, 1.0)
            hr = np.stack([modcrop(hr[..., c], scale) for c in range(3)], axis=-1)
            target = y_of(hr).astype(np.float32)
            for _ in range(copies):
                pairs.append((mix(hr, scale).astype(np.float32), target))
    return pairs
