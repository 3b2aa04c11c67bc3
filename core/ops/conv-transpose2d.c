/* Transposed convolution, computed by output phase.
 *
 * PyTorch defines it as the gradient of conv2d: every input pixel i scatters its
 * kernel into the output at o = i*stride - padding + k*dilation.  Read backwards,
 * output o gathers from the taps k with (o + padding - k*dilation) divisible by the
 * stride, at input i = (o + padding - k*dilation) / stride.  Which taps qualify
 * depends only on the phase (o + padding) mod stride (away from the borders), so
 * no product with an inserted zero is ever formed.  Phases that receive different
 * numbers of taps are the checkerboard of Odena et al. (kernel % stride != 0).
 */
#include <glib/gi18n-lib.h>
#include "conv-transpose2d.h"
#include "conv-common.h"

static const char OP[] = "conv_transpose2d";

TconvConvTranspose2dParams
tconv_conv_transpose2d_params_default (void)
{
  return (TconvConvTranspose2dParams) { { 1, 1 }, { 0, 0 }, { 0, 0 }, { 1, 1 }, 1 };
}

static gboolean
check_scalar (const char *param, int v, int min, GError **error)
{
  int pair[2] = { v, v };
  return tconv_check_min (OP, param, pair, min, error);
}

gboolean
tconv_conv_transpose2d_output_len (int in, int kernel, int stride, int padding,
                                   int output_padding, int dilation, int *out, GError **error)
{
  if (!check_scalar ("input size", in, 1, error) || !check_scalar ("kernel size", kernel, 1, error)
      || !check_scalar ("stride", stride, 1, error) || !check_scalar ("padding", padding, 0, error)
      || !check_scalar ("dilation", dilation, 1, error)
      || !check_scalar ("output_padding", output_padding, 0, error))
    return FALSE;
  if (output_padding >= MAX (stride, dilation))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("%s: output_padding (%d) must be smaller than either stride (%d) or "
                   "dilation (%d)"), OP, output_padding, stride, dilation);
      return FALSE;
    }

  gint64 len = ((gint64) in - 1) * stride - 2 * (gint64) padding
               + (gint64) dilation * (kernel - 1) + output_padding + 1;
  if (len < 1)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   /* %lld, not G_GINT64_FORMAT: gettext must see the whole text */
                   _("%s: output size (%d-1)*%d - 2*%d + %d*(%d-1) + %d + 1 = %lld is empty: "
                     "padding is too large"), OP, in, stride, padding, dilation, kernel,
                   output_padding, (long long) len);
      return FALSE;
    }
  if (len > G_MAXINT)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_TOO_LARGE,
                   _("%s: output size %lld is too large"), OP, (long long) len);
      return FALSE;
    }
  *out = (int) len;
  return TRUE;
}

gboolean
tconv_conv_transpose2d_output_padding_for (int in, int kernel, int stride, int padding,
                                           int dilation, int wanted, int *output_padding,
                                           GError **error)
{
  int min_len;

  if (!tconv_conv_transpose2d_output_len (in, kernel, stride, padding, 0, dilation, &min_len,
                                          error))
    return FALSE;
  if ((gint64) wanted < min_len || (gint64) wanted > (gint64) min_len + stride - 1)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("%s: requested an output size of %d, but valid sizes range from %d to %d "
                   "(for an input of %d)"), OP, wanted, min_len, min_len + stride - 1, in);
      return FALSE;
    }
  *output_padding = wanted - min_len;
  return TRUE;
}

gboolean
tconv_conv_transpose2d_shape (const TconvTensor *input, const TconvTensor *weight, int bias_len,
                              const TconvConvTranspose2dParams *p, TconvTensor *out,
                              GError **error)
{
  const int in_len[2] = { input->h, input->w };
  const int k_len[2] = { weight->h, weight->w };
  int       o_len[2];
  int       c_out = weight->c * p->groups;

  if (weight->n != input->c)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("%s: weight of shape [%d, %d, %d, %d] expects %d input channels "
                   "(weight[0]), got %d"), OP, weight->n, weight->c, weight->h, weight->w,
                   weight->n, input->c);
      return FALSE;
    }
  if (!tconv_check_groups (OP, p->groups, input->c, c_out, error))
    return FALSE;
  if (bias_len >= 0 && !tconv_check_bias (OP, bias_len, c_out, error))
    return FALSE;
  for (int a = 0; a < 2; a++)
    if (!tconv_conv_transpose2d_output_len (in_len[a], k_len[a], p->stride[a], p->padding[a],
                                            p->output_padding[a], p->dilation[a], &o_len[a],
                                            error))
      return FALSE;
  *out = (TconvTensor) { input->n, c_out, o_len[0], o_len[1], NULL };
  return tconv_checked_numel (out->n, out->c, out->h, out->w, "conv_transpose2d output",
                              &(gsize) { 0 }, error);
}

int
tconv_conv_transpose2d_taps (int o, int in, int kernel, int stride, int padding, int dilation)
{
  int n = 0;

  for (int k = 0; k < kernel; k++)
    {
      gint64 pos = (gint64) o + padding - (gint64) k * dilation;
      n += pos >= 0 && pos % stride == 0 && pos / stride < in;
    }
  return n;
}

/* The taps of one axis: for output o, the pairs (kernel index, input index) that
 * reach it, stored as first[o] .. first[o+1] in `tap`. */
typedef struct
{
  int *first; /* out_len + 1 */
  int *k;     /* kernel index of each tap */
  int *i;     /* input index of each tap */
} AxisTaps;

static AxisTaps
axis_taps (int out_len, int in_len, int kernel, int stride, int padding, int dilation)
{
  AxisTaps t = { g_new (int, out_len + 1), g_new (int, (gsize) out_len * kernel),
                 g_new (int, (gsize) out_len * kernel) };
  int      n = 0;

  for (int o = 0; o < out_len; o++)
    {
      t.first[o] = n;
      for (int k = 0; k < kernel; k++)
        {
          gint64 pos = (gint64) o + padding - (gint64) k * dilation;

          if (pos < 0 || pos % stride != 0 || pos / stride >= in_len)
            continue; /* lands on an inserted zero or outside the input (see _taps above) */
          t.k[n] = k;
          t.i[n] = (int) (pos / stride);
          n++;
        }
    }
  t.first[out_len] = n;
  return t;
}

static void
axis_taps_free (AxisTaps *t)
{
  g_free (t->first);
  g_free (t->k);
  g_free (t->i);
}

gboolean
tconv_conv_transpose2d (const TconvTensor *input, const TconvTensor *weight, const float *bias,
                        int bias_len, const TconvConvTranspose2dParams *p, TconvTensor *output,
                        GError **error)
{
  TconvTensor shape;

  if (!tconv_conv_transpose2d_shape (input, weight, bias ? bias_len : -1, p, &shape, error)
      || !tconv_check_output (OP, &shape, output, error))
    return FALSE;

  const int kh = weight->h, kw = weight->w;
  const int cig = input->c / p->groups, cog = weight->c;
  AxisTaps  rows = axis_taps (output->h, input->h, kh, p->stride[0], p->padding[0],
                              p->dilation[0]);
  AxisTaps  cols = axis_taps (output->w, input->w, kw, p->stride[1], p->padding[1],
                              p->dilation[1]);

  for (int n = 0; n < output->n; n++)
    for (int co = 0; co < output->c; co++)
      {
        float *dst = tconv_tensor_plane (output, n, co);
        int    g = co / cog, co_local = co % cog;

        for (gsize i = 0; i < (gsize) output->h * output->w; i++)
          dst[i] = bias ? bias[co] : 0.0f;
        for (int cl = 0; cl < cig; cl++)
          {
            int          ci = g * cig + cl;
            const float *src = tconv_tensor_plane (input, n, ci);
            const float *wk = weight->data + (((gsize) ci * cog + co_local) * kh) * kw;

            for (int oy = 0; oy < output->h; oy++)
              {
                float *drow = dst + (gsize) oy * output->w;

                for (int ty = rows.first[oy]; ty < rows.first[oy + 1]; ty++)
                  {
                    const float *srow = src + (gsize) rows.i[ty] * input->w;
                    const float *wrow = wk + (gsize) rows.k[ty] * kw;

                    for (int ox = 0; ox < output->w; ox++)
                      {
                        float acc = 0.0f;
                        for (int tx = cols.first[ox]; tx < cols.first[ox + 1]; tx++)
                          acc += wrow[cols.k[tx]] * srow[cols.i[tx]];
                        drow[ox] += acc;
                      }
                  }
              }
          }
      }
  axis_taps_free (&rows);
  axis_taps_free (&cols);
  return TRUE;
}
