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

G_END_DECLS
