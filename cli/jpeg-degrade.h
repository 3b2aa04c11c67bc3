/* tconv CLI — the photo protocol of `tconv eval --jpeg Q`: a low-resolution image as a
 * camera or a web page would hand it over, through libjpeg. */
#pragma once

#include "tensor.h"

G_BEGIN_DECLS

/* R'G'B' planes [1, 3, H, W] in [0, 1] -> rounded to 8 bits -> JPEG at `quality` (1-100)
 * with 4:2:0 chroma and libjpeg's defaults (as PIL's Image.save(quality=Q)) -> decoded
 * R'G'B' planes in [0, 1] written to `out` [1, 3, H, W] (allocated here). */
gboolean tconv_jpeg_roundtrip (const TconvTensor *rgb, int quality, TconvTensor *out,
                               GError **error);

G_END_DECLS
