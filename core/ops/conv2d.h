/* tconv — 2-D convolution, exactly torch.nn.functional.conv2d (cross-correlation). */
#pragma once

#include "tensor.h"

G_BEGIN_DECLS

typedef enum
{
  TCONV_PAD_ZEROS,
  TCONV_PAD_REFLECT,
  TCONV_PAD_REPLICATE,
  TCONV_PAD_CIRCULAR,
  TCONV_N_PADDING_MODES
} TconvPaddingMode;

typedef struct
{
  int              stride[2];   /* (y, x), >= 1 */
  int              padding[2];  /* (y, x), >= 0, added on both sides */
  int              dilation[2]; /* (y, x), >= 1 */
  int              groups;      /* >= 1, divides C_in and C_out */
  TconvPaddingMode padding_mode;
} TconvConv2dParams;

/* The input index that padded position i (may be < 0 or >= len) reads, or -1 where
 * the padding is zero. */
int tconv_pad_index (int i, int len, TconvPaddingMode mode);

/* stride 1, padding 0, dilation 1, groups 1, zeros */
TconvConv2dParams tconv_conv2d_params_default (void);

/* Output length along one axis: (in + 2*padding - dilation*(kernel-1) - 1) / stride + 1. */
gboolean tconv_conv2d_output_len (int in, int kernel, int stride, int padding, int dilation,
                                  int *out, GError **error);

/* Validates input [N, C_in, H, W], weight [C_out, C_in/groups, kH, kW], bias [C_out]
 * or NULL (bias_len ignored then), and sets *out to the output shape (data NULL). */
gboolean tconv_conv2d_shape (const TconvTensor *input, const TconvTensor *weight, int bias_len,
                             const TconvConv2dParams *p, TconvTensor *out, GError **error);

/* output must have the shape tconv_conv2d_shape gives; it is overwritten. */
gboolean tconv_conv2d (const TconvTensor *input, const TconvTensor *weight, const float *bias,
                       int bias_len, const TconvConv2dParams *p, TconvTensor *output,
                       GError **error);

G_END_DECLS
