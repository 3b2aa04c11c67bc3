/* tconv — transposed 2-D convolution, exactly torch.nn.functional.conv_transpose2d. */
#pragma once

#include "tensor.h"

G_BEGIN_DECLS

typedef struct
{
  int stride[2];         /* (y, x), >= 1: the upsampling factor */
  int padding[2];        /* (y, x), >= 0: crops `padding` rows/cols from each side */
  int output_padding[2]; /* (y, x), 0 <= op < max(stride, dilation): extra rows/cols at the end */
  int dilation[2];       /* (y, x), >= 1 */
  int groups;            /* >= 1, divides C_in and C_out */
} TconvConvTranspose2dParams;

/* stride 1, padding 0, output_padding 0, dilation 1, groups 1 */
TconvConvTranspose2dParams tconv_conv_transpose2d_params_default (void);

/* The output size along one axis:
 *   out = (in - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1
 * Checks every rule PyTorch checks on these numbers and that out >= 1 without overflow. */
gboolean tconv_conv_transpose2d_output_len (int in, int kernel, int stride, int padding,
                                            int output_padding, int dilation, int *out,
                                            GError **error);

/* How many kernel taps reach output index `o` along one axis for an input of `in`:
 * the k with (o + padding - k*dilation) divisible by stride and inside the input.
 * Away from the borders it depends only on the phase (o + padding) mod stride; phases
 * with different counts are the checkerboard. */
int tconv_conv_transpose2d_taps (int o, int in, int kernel, int stride, int padding,
                                 int dilation);

/* PyTorch's `output_size=` argument: the output_padding that makes the output `wanted`
 * long, which must lie in [min, min + stride - 1] where min is the length with
 * output_padding 0. */
gboolean tconv_conv_transpose2d_output_padding_for (int in, int kernel, int stride, int padding,
                                                    int dilation, int wanted,
                                                    int *output_padding, GError **error);

/* Validates input [N, C_in, H, W], weight [C_in, C_out/groups, kH, kW], bias [C_out]
 * (bias_len < 0: no bias) and sets *out to the output shape (data NULL). */
gboolean tconv_conv_transpose2d_shape (const TconvTensor *input, const TconvTensor *weight,
                                       int bias_len, const TconvConvTranspose2dParams *p,
                                       TconvTensor *out, GError **error);

/* output must have the shape tconv_conv_transpose2d_shape gives; it is overwritten. */
gboolean tconv_conv_transpose2d (const TconvTensor *input, const TconvTensor *weight,
                                 const float *bias, int bias_len,
                                 const TconvConvTranspose2dParams *p, TconvTensor *output,
                                 GError **error);

G_END_DECLS
