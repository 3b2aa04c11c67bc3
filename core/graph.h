/* tconv — executing a model's layers on a tensor, and the tiling facts each layer states. */
#pragma once

#include "model.h"

G_BEGIN_DECLS

/* Runs every layer on input [N, channels, H, W] as if it were the whole image;
 * *output receives a newly allocated [N, channels, H', W']. */
gboolean tconv_graph_forward (const TconvModel *model, const TconvTensor *input,
                              TconvTensor *output, GError **error);

/* How to tile: a crop of the input extended by `halo` pixels on each side (except at the
 * image border) reproduces the whole-image output over the crop's interior; crops must
 * start at multiples of `align` input pixels so that strided layers stay in phase. */
void tconv_graph_tiling (const TconvModel *model, int *halo, int *align);

/* Whether layer i is a nearest resize that runs folded into the conv2d after it (as one
 * transposed convolution, see tconv_fast_resize_conv2d): no resized copy is made. */
gboolean tconv_graph_resize_folds (const TconvModel *model, int i);

/* Whether chains of convolutions run row-streamed (core/stream.c; on by default) or
 * layer by layer; for tests and benchmarks, process-wide. */
void tconv_graph_set_streaming (gboolean on);

G_END_DECLS
