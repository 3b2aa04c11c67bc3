/* Graph operators (graph-ops.h): plain loops, the reference the graph executor runs. */
#include <glib/gi18n-lib.h>
#include <string.h>

#include "graph-ops.h"
#include "tconv-error.h"

static gboolean
broadcast_len (int a, int b, int *out)
{
  *out = MAX (a, b);
  return a == b || a == 1 || b == 1;
}

gboolean
tconv_binary_shape (const TconvTensor *a, const TconvTensor *b, TconvTensor *out,
                    GError **error)
{
  *out = (TconvTensor) { a->n, 0, 0, 0, NULL };
  if (a->n != b->n || !broadcast_len (a->c, b->c, &out->c) || !broadcast_len (a->h, b->h, &out->h)
      || !broadcast_len (a->w, b->w, &out->w))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("cannot combine a %dx%dx%d tensor with a %dx%dx%d one (channels x height x "
                     "width: each must be equal or 1)"),
                   a->c, a->h, a->w, b->c, b->h, b->w);
      return FALSE;
    }
  return TRUE;
}

gboolean
tconv_binary (TconvBinaryOp op, const float coef[2], const TconvTensor *a, const TconvTensor *b,
              TconvTensor *out, GError **error)
{
  TconvTensor shape;

  if (!tconv_binary_shape (a, b, &shape, error))
    return FALSE;
  const float ca = coef[0], cb = op == TCONV_BINARY_SUB ? -coef[1] : coef[1];
  const gsize plane = (gsize) out->h * out->w;
  for (int n = 0; n < out->n; n++)
    for (int c = 0; c < out->c; c++)
      {
        /* a broadcast plane is a single value (1x1) or a full plane read again */
        const float *pa = tconv_tensor_plane (a, n, a->c == 1 ? 0 : c);
        const float *pb = tconv_tensor_plane (b, n, b->c == 1 ? 0 : c);
        const gsize  sa = a->h * a->w == 1 ? 0 : 1, sb = b->h * b->w == 1 ? 0 : 1;
        float       *po = tconv_tensor_plane (out, n, c);
        if (op == TCONV_BINARY_MUL)
          for (gsize i = 0; i < plane; i++)
            po[i] = pa[i * sa] * pb[i * sb];
        else if (ca == 1.0f && cb == 1.0f)
          for (gsize i = 0; i < plane; i++)
            po[i] = pa[i * sa] + pb[i * sb];
        else
          for (gsize i = 0; i < plane; i++)
            po[i] = ca * pa[i * sa] + cb * pb[i * sb];
      }
  return TRUE;
}

gboolean
tconv_concat_shape (const TconvTensor *const *inputs, int n, TconvTensor *out, GError **error)
{
  *out = (TconvTensor) { inputs[0]->n, 0, inputs[0]->h, inputs[0]->w, NULL };
  for (int i = 0; i < n; i++)
    {
      if (inputs[i]->n != out->n || inputs[i]->h != out->h || inputs[i]->w != out->w)
        {
          g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                       _("concat: input %d is %dx%d, input 0 is %dx%d"), i, inputs[i]->w,
                       inputs[i]->h, out->w, out->h);
          return FALSE;
        }
      out->c += inputs[i]->c;
    }
  return TRUE;
}

void
tconv_concat (const TconvTensor *const *inputs, int n, TconvTensor *out)
{
  const gsize plane = (gsize) out->h * out->w;
  for (int b = 0; b < out->n; b++)
    for (int i = 0, c = 0; i < n; c += inputs[i]->c, i++)
      {
        float *dst = tconv_tensor_plane (out, b, c);
        /* a producer may have written its slice in place already */
        if (dst != tconv_tensor_plane (inputs[i], b, 0))
          memcpy (dst, tconv_tensor_plane (inputs[i], b, 0), inputs[i]->c * plane * sizeof (float));
      }
}

gboolean
tconv_slice_channels (const TconvTensor *input, int start, int end, TconvTensor *out,
                      GError **error)
{
  if (start < 0 || end > input->c || start >= end || out->c != end - start || out->n != input->n
      || out->h != input->h || out->w != input->w)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("slice: channels %d to %d of %d"), start, end, input->c);
      return FALSE;
    }
  const gsize plane = (gsize) input->h * input->w;
  for (int b = 0; b < input->n; b++)
    memcpy (tconv_tensor_plane (out, b, 0), tconv_tensor_plane (input, b, start),
            (gsize) (end - start) * plane * sizeof (float));
  return TRUE;
}

gboolean
tconv_border_shape (const TconvTensor *input, const int border[4], int sign, TconvTensor *out,
                    GError **error)
{
  *out = (TconvTensor) { input->n, input->c, input->h + sign * (border[0] + border[1]),
                         input->w + sign * (border[2] + border[3]), NULL };
  if (out->h < 1 || out->w < 1)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("crop: %dx%d minus the borders leaves nothing"), input->w, input->h);
      return FALSE;
    }
  return TRUE;
}

void
tconv_crop (const TconvTensor *input, const int border[4], TconvTensor *out)
{
  for (int b = 0; b < out->n; b++)
    for (int c = 0; c < out->c; c++)
      for (int y = 0; y < out->h; y++)
        memcpy (tconv_tensor_plane (out, b, c) + (gsize) y * out->w,
                tconv_tensor_plane (input, b, c) + (gsize) (y + border[0]) * input->w + border[2],
                out->w * sizeof (float));
}

gboolean
tconv_pad (const TconvTensor *input, const int border[4], TconvPaddingMode mode,
           TconvTensor *out, GError **error)
{
  if (mode == TCONV_PAD_REFLECT
      && (MAX (border[0], border[1]) >= input->h || MAX (border[2], border[3]) >= input->w))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("pad: reflecting %d pixels needs a larger input than %dx%d"),
                   MAX (MAX (border[0], border[1]), MAX (border[2], border[3])), input->w,
                   input->h);
      return FALSE;
    }
  g_autofree int *cols = g_new (int, out->w);
  for (int x = 0; x < out->w; x++)
    cols[x] = tconv_pad_index (x - border[2], input->w, mode);
  for (int b = 0; b < out->n; b++)
    for (int c = 0; c < out->c; c++)
      for (int y = 0; y < out->h; y++)
        {
          const int    iy = tconv_pad_index (y - border[0], input->h, mode);
          float       *dst = tconv_tensor_plane (out, b, c) + (gsize) y * out->w;
          const float *src = tconv_tensor_plane (input, b, c) + (gsize) MAX (iy, 0) * input->w;
          for (int x = 0; x < out->w; x++)
            dst[x] = iy < 0 || cols[x] < 0 ? 0.0f : src[cols[x]];
        }
  return TRUE;
}

void
tconv_global_avg_pool (const TconvTensor *input, TconvTensor *out)
{
  const gsize plane = (gsize) input->h * input->w;
  for (int b = 0; b < input->n; b++)
    for (int c = 0; c < input->c; c++)
      {
        const float *p = tconv_tensor_plane (input, b, c);
        double       sum = 0.0;
        for (gsize i = 0; i < plane; i++)
          sum += p[i];
        tconv_tensor_plane (out, b, c)[0] = (float) (sum / plane);
      }
}
