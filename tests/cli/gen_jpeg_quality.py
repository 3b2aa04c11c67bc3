#!/usr/bin/python3
"""Writes tests/data/jpeg-quality/: small JPEGs saved by PIL (libjpeg) at known qualities,
for test-jpeg-quality.c.  Names say what the test expects: q<Q>-<kind>.jpg was saved at
quality Q; own-q<Q>-*.jpg has tables of its own (not IJG's) near IJG quality Q.
Run: /usr/bin/python3 tests/cli/gen_jpeg_quality.py"""
import os

from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, '..', 'data', 'jpeg-quality')
os.makedirs(out, exist_ok=True)
src = Image.open(os.path.join(here, '..', 'data', 'Set5', 'img_002.png')).convert('RGB')
img = src.crop((0, 0, 32, 32))

for q in (30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 98, 100):
    img.save(os.path.join(out, 'q%d-420.jpg' % q), quality=q)
for q in (45, 92):
    img.save(os.path.join(out, 'q%d-444.jpg' % q), quality=q, subsampling=0)
    img.convert('L').save(os.path.join(out, 'q%d-gray.jpg' % q), quality=q)
img.save(os.path.join(out, 'q65-progressive.jpg'), quality=65, progressive=True)


def ijg(base, q):
    scale = 5000 // q if q < 50 else 200 - 2 * q
    return [min(255, max(1, (b * scale + 50) // 100)) for b in base]


# Annex K's tables (natural order), scaled as IJG does, then each entry moved by one
# in a pattern no IJG quality makes: an encoder with tables of its own.
LUMA = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57,
        69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64,
        81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]
CHROMA = [17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99,
          99, 99, 47, 66, 99, 99, 99, 99, 99, 99] + [99] * 32
for q in (55, 85):
    tables = [[max(1, v + (1 if i % 3 == 0 else -1 if i % 3 == 1 else 0))
               for i, v in enumerate(ijg(base, q))] for base in (LUMA, CHROMA)]
    img.save(os.path.join(out, 'own-q%d-420.jpg' % q), qtables=tables)
