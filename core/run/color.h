/* tconv — a tile's pixels to the network's planes and back (internal to the engine). */
#pragma once

#include "model.h"

G_BEGIN_DECLS

/* Interleaved pixels (ch channels) -> the network's input planes and the side planes
 * (chroma, alpha), as the model's colour asks. */
void tconv_split_pixels (const TconvModel *model, const float *pixels, int ch, TconvTensor *net,
                         TconvTensor *side);

/* The owned ow x oh span at (rx0, ry0) of the output planes -> interleaved pixels,
 * clamped to [0, 1], rows `out_row` floats apart (so a tile can go straight into the
 * whole image); the inverse of tconv_split_pixels. */
void tconv_merge_planes (const TconvModel *model, const TconvTensor *net, const TconvTensor *side,
                         int rx0, int ry0, int ow, int oh, int ch, float *outpix, gsize out_row);

/* The same for raw runs (TconvRunOptions.raw): channel for channel, values as they are. */
void tconv_planes_from_pixels (const float *pixels, int ch, TconvTensor *net);
void tconv_pixels_from_planes (const TconvTensor *net, int rx0, int ry0, int ow, int oh,
                               float *outpix, gsize out_row);

G_END_DECLS
