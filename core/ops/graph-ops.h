/* tconv — the operators that join and reshape a graph's tensors, as PyTorch's: elementwise
 * add/sub/mul with broadcasting, torch.cat and channel slices, cropping and F.pad, and
 * adaptive_avg_pool2d (1, 1).  Each writes a caller-allocated output of the shape its
 * *_shape function gives. */
#pragma once

#include "conv2d.h"
#include "tensor.h"

G_BEGIN_DECLS

typedef enum
{
  TCONV_BINARY_ADD, /* coef[0] * a + coef[1] * b */
  TCONV_BINARY_SUB, /* coef[0] * a - coef[1] * b */
  TCONV_BINARY_MUL  /* a * b */
} TconvBinaryOp;

/* Broadcast as torch: along each of channels, height and width the two sizes are equal or
 * one of them is 1 (a per-channel vector, a 1x1 map). */
gboolean tconv_binary_shape (const TconvTensor *a, const TconvTensor *b, TconvTensor *out,
                             GError **error);
/* `out` may be `a` or `b` itself when it has the output's shape (in place). */
gboolean tconv_binary (TconvBinaryOp op, const float coef[2], const TconvTensor *a,
                       const TconvTensor *b, TconvTensor *out, GError **error);

/* torch.cat (inputs, dim=1): same batch, height and width. */
gboolean tconv_concat_shape (const TconvTensor *const *inputs, int n, TconvTensor *out,
                             GError **error);
void     tconv_concat (const TconvTensor *const *inputs, int n, TconvTensor *out);

/* input[:, start:end] */
gboolean tconv_slice_channels (const TconvTensor *input, int start, int end, TconvTensor *out,
                               GError **error);

/* Pixels removed (crop) or added (pad) at each border: top, bottom, left, right.  Pad
 * reflects as F.pad's "reflect" (the edge not repeated; amounts < the size), replicates or
 * fills zeros. */
gboolean tconv_border_shape (const TconvTensor *input, const int border[4], int sign,
                             TconvTensor *out, GError **error);
void     tconv_crop (const TconvTensor *input, const int border[4], TconvTensor *out);
gboolean tconv_pad (const TconvTensor *input, const int border[4], TconvPaddingMode mode,
                    TconvTensor *out, GError **error);

/* Each channel's mean: out is [N, C, 1, 1]; summed in double. */
void tconv_global_avg_pool (const TconvTensor *input, TconvTensor *out);

G_END_DECLS
