/* tconv — activations, in place on NCHW tensors, as torch.nn.ReLU / LeakyReLU / PReLU /
 * Sigmoid / Tanh, torch.clamp, and x * scale + offset. */
#pragma once

#include "tensor.h"

G_BEGIN_DECLS

void     tconv_relu       (TconvTensor *t);
void     tconv_leaky_relu (TconvTensor *t, float negative_slope);
/* slopes: n_slopes == 1 (shared) or == t->c (per channel), as torch.nn.PReLU(num_parameters). */
gboolean tconv_prelu      (TconvTensor *t, const float *slopes, int n_slopes, GError **error);

void     tconv_sigmoid    (TconvTensor *t);
void     tconv_tanh       (TconvTensor *t);
void     tconv_clamp      (TconvTensor *t, float lo, float hi);
void     tconv_affine     (TconvTensor *t, float scale, float offset);

G_END_DECLS
