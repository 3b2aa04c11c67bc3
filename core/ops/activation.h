/* tconv — activations, in place on NCHW tensors, as torch.nn.ReLU / LeakyReLU / PReLU. */
#pragma once

#include "tensor.h"

G_BEGIN_DECLS

void     tconv_relu       (TconvTensor *t);
void     tconv_leaky_relu (TconvTensor *t, float negative_slope);
/* slopes: n_slopes == 1 (shared) or == t->c (per channel), as torch.nn.PReLU(num_parameters). */
gboolean tconv_prelu      (TconvTensor *t, const float *slopes, int n_slopes, GError **error);

G_END_DECLS
