/* tconv — a model's tiling facts. */
#pragma once

#include "model.h"

G_BEGIN_DECLS

/* How to tile: a crop of the input extended by `halo` pixels on each side (except at the
 * image border) reproduces the whole-image output over the crop's interior; crops must
 * start at multiples of `align` input pixels so that strided layers stay in phase. */
gboolean tconv_model_tiling (const TconvModel *model, int *halo, int *align);
/* Returns FALSE when the output depends on every input pixel (a global pool: an SE
 * block): then no halo is exact and the model runs on the whole image (halo 0). */

G_END_DECLS
