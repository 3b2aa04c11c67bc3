#include <glib/gi18n-lib.h>
#include <math.h>
#include "activation.h"
#include "tconv-error.h"

void
tconv_relu (TconvTensor *t)
{
  gsize n = tconv_tensor_numel (t);

  for (gsize i = 0; i < n; i++)
    t->data[i] = t->data[i] > 0.0f ? t->data[i] : 0.0f;
}

void
tconv_leaky_relu (TconvTensor *t, float negative_slope)
{
  gsize n = tconv_tensor_numel (t);

  for (gsize i = 0; i < n; i++)
    t->data[i] = t->data[i] >= 0.0f ? t->data[i] : t->data[i] * negative_slope;
}

gboolean
tconv_prelu (TconvTensor *t, const float *slopes, int n_slopes, GError **error)
{
  gsize plane = (gsize) t->h * t->w;

  if (n_slopes != 1 && n_slopes != t->c)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("prelu: num_parameters must be 1 or the channel count %d, got %d"), t->c,
                   n_slopes);
      return FALSE;
    }
  for (int n = 0; n < t->n; n++)
    for (int c = 0; c < t->c; c++)
      {
        float *x = tconv_tensor_plane (t, n, c);
        float  a = slopes[n_slopes == 1 ? 0 : c];

        for (gsize i = 0; i < plane; i++)
          x[i] = x[i] >= 0.0f ? x[i] : a * x[i];
      }
  return TRUE;
}

void
tconv_sigmoid (TconvTensor *t)
{
  gsize n = tconv_tensor_numel (t);

  for (gsize i = 0; i < n; i++)
    t->data[i] = 1.0f / (1.0f + expf (-t->data[i]));
}

void
tconv_tanh (TconvTensor *t)
{
  gsize n = tconv_tensor_numel (t);

  for (gsize i = 0; i < n; i++)
    t->data[i] = tanhf (t->data[i]);
}

void
tconv_clamp (TconvTensor *t, float lo, float hi)
{
  gsize n = tconv_tensor_numel (t);

  for (gsize i = 0; i < n; i++)
    t->data[i] = t->data[i] < lo ? lo : t->data[i] > hi ? hi : t->data[i];
}

void
tconv_affine (TconvTensor *t, float scale, float offset)
{
  gsize n = tconv_tensor_numel (t);

  for (gsize i = 0; i < n; i++)
    t->data[i] = scale * t->data[i] + offset;
}
