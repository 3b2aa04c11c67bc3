/* Reference conv2d: direct cross-correlation, out[n,co,oy,ox] = bias[co] +
 * sum_{ci in group, ky, kx} in[n,ci, oy*s-p+ky*d, ox*s-p+kx*d] * w[co,ci',ky,kx],
 * with out-of-range input indices resolved by the padding mode. */
#include <glib/gi18n-lib.h>
#include "conv2d.h"
#include "conv-common.h"

static const char OP[] = "conv2d";

TconvConv2dParams
tconv_conv2d_params_default (void)
{
  return (TconvConv2dParams) { { 1, 1 }, { 0, 0 }, { 1, 1 }, 1, TCONV_PAD_ZEROS };
}

gboolean
tconv_conv2d_output_len (int in, int kernel, int stride, int padding, int dilation,
                         int *out, GError **error)
{
  gint64 span = (gint64) dilation * (kernel - 1) + 1;
  gint64 padded = (gint64) in + 2 * (gint64) padding;

  if (padded < span)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("%s: output size is empty: input %d + 2*padding %d is smaller than the "
                     "dilated kernel %lld"), OP, in, padding, (long long) span);
      return FALSE;
    }
  *out = (int) ((padded - span) / stride + 1);
  return TRUE;
}

gboolean
tconv_conv2d_shape (const TconvTensor *input, const TconvTensor *weight, int bias_len,
                    const TconvConv2dParams *p, TconvTensor *out, GError **error)
{
  const int in_len[2] = { input->h, input->w };
  const int k_len[2] = { weight->h, weight->w };
  int       o_len[2];

  if (!tconv_check_min (OP, "stride", p->stride, 1, error)
      || !tconv_check_min (OP, "padding", p->padding, 0, error)
      || !tconv_check_min (OP, "dilation", p->dilation, 1, error)
      || !tconv_check_min (OP, "kernel size", k_len, 1, error)
      || !tconv_check_groups (OP, p->groups, input->c, weight->n, error))
    return FALSE;
  if (weight->c * p->groups != input->c)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("%s: weight of shape [%d, %d, %d, %d] expects %d input channels "
                   "(weight[1] * groups), got %d"), OP, weight->n, weight->c, weight->h,
                   weight->w, weight->c * p->groups, input->c);
      return FALSE;
    }
  if (bias_len >= 0 && !tconv_check_bias (OP, bias_len, weight->n, error))
    return FALSE;
  for (int a = 0; a < 2; a++)
    {
      if (p->padding_mode == TCONV_PAD_REFLECT && p->padding[a] >= in_len[a])
        {
          g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                       _("%s: reflect padding (%d) must be smaller than the input size (%d)"),
                       OP, p->padding[a], in_len[a]);
          return FALSE;
        }
      if (p->padding_mode == TCONV_PAD_CIRCULAR && p->padding[a] > in_len[a])
        {
          g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                       _("%s: circular padding (%d) must not exceed the input size (%d)"),
                       OP, p->padding[a], in_len[a]);
          return FALSE;
        }
      if (!tconv_conv2d_output_len (in_len[a], k_len[a], p->stride[a], p->padding[a],
                                    p->dilation[a], &o_len[a], error))
        return FALSE;
    }
  *out = (TconvTensor) { input->n, weight->n, o_len[0], o_len[1], NULL };
  return tconv_checked_numel (out->n, out->c, out->h, out->w, "conv2d output", &(gsize) { 0 },
                              error);
}

int
tconv_pad_index (int i, int len, TconvPaddingMode mode)
{
  if (i >= 0 && i < len)
    return i;
  switch (mode)
    {
    case TCONV_PAD_REFLECT:
      return i < 0 ? -i : 2 * (len - 1) - i;
    case TCONV_PAD_REPLICATE:
      return i < 0 ? 0 : len - 1;
    case TCONV_PAD_CIRCULAR:
      return ((i % len) + len) % len;
    case TCONV_PAD_ZEROS:
    default:
      return -1;
    }
}

/* map[o*k + t] = input index read by output o through tap t, or -1. */
static int *
tap_map (int out_len, int k, int in_len, int stride, int pad, int dil, TconvPaddingMode mode)
{
  int *map = g_new (int, (gsize) out_len * k);

  for (int o = 0; o < out_len; o++)
    for (int t = 0; t < k; t++)
      map[(gsize) o * k + t] = tconv_pad_index (o * stride - pad + t * dil, in_len, mode);
  return map;
}

gboolean
tconv_conv2d (const TconvTensor *input, const TconvTensor *weight, const float *bias,
              int bias_len, const TconvConv2dParams *p, TconvTensor *output, GError **error)
{
  TconvTensor shape;

  if (!tconv_conv2d_shape (input, weight, bias ? bias_len : -1, p, &shape, error)
      || !tconv_check_output (OP, &shape, output, error))
    return FALSE;

  const int kh = weight->h, kw = weight->w;
  const int cig = input->c / p->groups, cog = weight->n / p->groups;
  int *rows = tap_map (output->h, kh, input->h, p->stride[0], p->padding[0], p->dilation[0],
                       p->padding_mode);
  int *cols = tap_map (output->w, kw, input->w, p->stride[1], p->padding[1], p->dilation[1],
                       p->padding_mode);

  for (int n = 0; n < output->n; n++)
    for (int co = 0; co < output->c; co++)
      {
        float *dst = tconv_tensor_plane (output, n, co);
        int    g = co / cog;

        for (gsize i = 0; i < (gsize) output->h * output->w; i++)
          dst[i] = bias ? bias[co] : 0.0f;
        for (int cl = 0; cl < cig; cl++)
          {
            const float *src = tconv_tensor_plane (input, n, g * cig + cl);
            const float *wk = weight->data + (((gsize) co * cig + cl) * kh) * kw;

            for (int ky = 0; ky < kh; ky++)
              for (int kx = 0; kx < kw; kx++)
                {
                  float wv = wk[ky * kw + kx];

                  for (int oy = 0; oy < output->h; oy++)
                    {
                      int iy = rows[(gsize) oy * kh + ky];

                      if (iy < 0)
                        continue;
                      const float *srow = src + (gsize) iy * input->w;
                      float       *drow = dst + (gsize) oy * output->w;
                      for (int ox = 0; ox < output->w; ox++)
                        {
                          int ix = cols[(gsize) ox * kw + kx];
                          if (ix >= 0)
                            drow[ox] += wv * srow[ix];
                        }
                    }
                }
          }
      }
  g_free (rows);
  g_free (cols);
  return TRUE;
}
