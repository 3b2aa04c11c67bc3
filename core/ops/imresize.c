#include <math.h>

#include "cubic.h"
#include "imresize.h"
#include "tconv-error.h"

gboolean
tconv_imresize_output_len (int in, double scale, int *out, GError **error)
{
  double len = ceil ((double) in * scale - 1e-9); /* in*scale is exact for the protocol's sizes */

  if (!(scale > 0.0) || in < 1 || len < 1.0 || len > G_MAXINT)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "imresize: scale %g of an input of %d gives no output", scale, in);
      return FALSE;
    }
  *out = (int) len;
  return TRUE;
}

/* MATLAB's cubic: Keys' a = -0.5 */
static double
keys_cubic (double x)
{
  return tconv_cubic (x, TCONV_CUBIC_A_KEYS);
}

/* Per output index: `taps` input indices and normalised weights (MATLAB's contributions()). */
typedef struct
{
  int     taps;
  int    *idx; /* out * taps */
  double *w;   /* out * taps */
} Contributions;

static Contributions
contributions (int in, int out, double scale)
{
  double        width = scale < 1.0 ? 4.0 / scale : 4.0;
  Contributions c;

  c.taps = (int) ceil (width) + 2;
  c.idx = g_new (int, (gsize) out * c.taps);
  c.w = g_new (double, (gsize) out * c.taps);
  for (int o = 0; o < out; o++)
    {
      double  u = (o + 1) / scale + 0.5 * (1.0 - 1.0 / scale); /* 1-based, as MATLAB */
      double  left = floor (u - width / 2.0);
      double  sum = 0.0;
      int    *idx = c.idx + (gsize) o * c.taps;
      double *w = c.w + (gsize) o * c.taps;

      for (int t = 0; t < c.taps; t++)
        {
          double x = u - (left + t);
          w[t] = scale < 1.0 ? scale * keys_cubic (scale * x) : keys_cubic (x);
          sum += w[t];
          /* symmetric border: ... 2 1 | 1 2 ... n | n n-1 ... */
          gint64 i = (gint64) left + t - 1, period = 2 * (gint64) in;
          i = ((i % period) + period) % period;
          idx[t] = (int) (i < in ? i : period - 1 - i);
        }
      for (int t = 0; t < c.taps; t++)
        w[t] /= sum;
    }
  return c;
}

gboolean
tconv_imresize (const TconvTensor *input, double scale, TconvTensor *output, GError **error)
{
  int oh, ow;

  if (!tconv_imresize_output_len (input->h, scale, &oh, error)
      || !tconv_imresize_output_len (input->w, scale, &ow, error))
    return FALSE;
  if (output->n != input->n || output->c != input->c || output->h != oh || output->w != ow)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "imresize: output must be [%d, %d, %d, %d]", input->n, input->c, oh, ow);
      return FALSE;
    }

  Contributions cy = contributions (input->h, oh, scale);
  Contributions cx = contributions (input->w, ow, scale);
  double       *rows = g_new (double, (gsize) oh * input->w); /* vertical pass result */

  for (int n = 0; n < input->n; n++)
    for (int c = 0; c < input->c; c++)
      {
        const float *src = tconv_tensor_plane (input, n, c);
        float       *dst = tconv_tensor_plane (output, n, c);

        for (int y = 0; y < oh; y++)
          for (int x = 0; x < input->w; x++)
            {
              double acc = 0.0;
              for (int t = 0; t < cy.taps; t++)
                acc += cy.w[(gsize) y * cy.taps + t]
                       * src[(gsize) cy.idx[(gsize) y * cy.taps + t] * input->w + x];
              rows[(gsize) y * input->w + x] = acc;
            }
        for (int y = 0; y < oh; y++)
          for (int x = 0; x < ow; x++)
            {
              double acc = 0.0;
              for (int t = 0; t < cx.taps; t++)
                acc += cx.w[(gsize) x * cx.taps + t]
                       * rows[(gsize) y * input->w + cx.idx[(gsize) x * cx.taps + t]];
              dst[(gsize) y * ow + x] = (float) acc;
            }
      }
  g_free (rows);
  g_free (cy.idx);
  g_free (cy.w);
  g_free (cx.idx);
  g_free (cx.w);
  return TRUE;
}
