/* tconv — MATLAB-compatible imresize(..., 'bicubic'): Keys cubic with a = -0.5,
 * antialiased (kernel widened by 1/scale) when shrinking, symmetric borders.
 * The super-resolution evaluation protocol makes its low-resolution inputs with it. */
#pragma once

#include "tensor.h"

G_BEGIN_DECLS

/* ceil (in * scale), as MATLAB. */
gboolean tconv_imresize_output_len (int in, double scale, int *out, GError **error);

/* Resizes every plane of input by `scale` into output, whose h and w must be
 * tconv_imresize_output_len of the input's; computed in double. */
gboolean tconv_imresize (const TconvTensor *input, double scale, TconvTensor *output,
                         GError **error);

G_END_DECLS
