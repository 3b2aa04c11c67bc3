#include <math.h>

#include "artifacts.h"
#include "engine.h"
#include "kernels.h"

/* The model as an upscaler of one plane. */
static gboolean
model_upscale (gpointer data, const float *in, int n, float *out, int ow, int oh, GError **error)
{
  const TconvModel *model = data;
  const int         channels = model->color == TCONV_COLOR_ALL ? model->channels : 1;
  TconvImageInfo    info = { n, n, channels };
  float            *in_c = g_new (float, (gsize) n * n * channels);
  float            *out_c = g_new (float, (gsize) ow * oh * channels);
  gboolean          ok;

  /* a kernel's alpha channel is its own output; its colour channels are divided by it
   * (resampled premultiplied), which would cancel the very pattern measured */
  const int         read = channels == 2 || channels == 4 ? channels - 1 : 0;

  for (gsize i = 0; i < (gsize) n * n * channels; i++)
    in_c[i] = in[i / channels];
  ok = tconv_engine_run_pixels (model, &info, in_c, out_c, NULL, error);
  for (gsize i = 0; ok && i < (gsize) ow * oh; i++)
    out[i] = out_c[i * channels + read];
  g_free (in_c);
  g_free (out_c);
  return ok;
}

/* `offset`: output pixel X shows the centred result's pixel X - offset (a fixed kernel
 * whose padding is not the automatic one); the spread is taken over the same pixels of
 * the centred result whatever the padding. */
static gboolean
phase_spread (TconvPlaneUpscaler up, gpointer data, int s, int ow, int oh, int offset,
              gboolean ramp, double *spread, GError **error)
{
  const int n = TCONV_CHECKERBOARD_SIDE;
  double    lo = INFINITY, hi = -INFINITY;

  double *sum = g_new0 (double, (gsize) s * s);
  int    *count = g_new0 (int, (gsize) s * s);
  float  *in = g_new (float, (gsize) n * n);
  float  *out = g_new (float, (gsize) ow * oh);
  /* slope a per input pixel along x + y, 0.5 at the centre */
  const double a = ramp ? 0.3 / n : 0.0;
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++)
      in[(gsize) y * n + x] = 0.5 + a * ((x - n / 2.0) + (y - n / 2.0)) / 2;

  gboolean  ok = up (data, in, n, out, ow, oh, error);
  const int margin = 12 * s; /* well clear of border effects */
  for (int y = margin; ok && y < n * s - margin; y++)
    for (int x = margin; x < n * s - margin; x++)
      {
        if (y + offset < 0 || y + offset >= oh || x + offset < 0 || x + offset >= ow)
          continue; /* cropped by the padding */
        /* centred pixel X sits at input coordinate (X + 0.5)/s - 0.5 */
        double u = (x + 0.5) / s - 0.5, v = (y + 0.5) / s - 0.5;
        double ideal = 0.5 + a * ((u - n / 2.0) + (v - n / 2.0)) / 2;
        sum[(y % s) * s + x % s] += out[(gsize) (y + offset) * ow + x + offset] - ideal;
        count[(y % s) * s + x % s]++;
      }
  for (int i = 0; ok && i < s * s; i++)
    if (count[i])
      {
        lo = MIN (lo, sum[i] / count[i]);
        hi = MAX (hi, sum[i] / count[i]);
      }
  *spread = ok && hi >= lo ? (hi - lo) * 255.0 : 0.0;
  g_free (sum);
  g_free (count);
  g_free (in);
  g_free (out);
  return ok;
}

static gboolean
index_at (TconvPlaneUpscaler up, gpointer data, int scale, int out_w, int out_h, int offset,
          double *flat, double *ramp, GError **error)
{
  return phase_spread (up, data, scale, out_w, out_h, offset, FALSE, flat, error)
         && phase_spread (up, data, scale, out_w, out_h, offset, TRUE, ramp, error);
}

gboolean
tconv_checkerboard_index_of (TconvPlaneUpscaler up, gpointer data, int scale, int out_w,
                             int out_h, double *flat, double *ramp, GError **error)
{
  return index_at (up, data, scale, out_w, out_h, 0, flat, ramp, error);
}

gboolean
tconv_checkerboard_index (const TconvModel *model, double *flat, double *ramp, GError **error)
{
  const int n = TCONV_CHECKERBOARD_SIDE;
  int       ow, oh, before = 0, after;

  if (model->mode == TCONV_MODE_KERNEL)
    {
      const TconvConvTranspose2dParams *t = &model->layers[0].transposed;
      TconvKernelSpec spec = { TCONV_INTERP_NEAREST, t->stride[0], model->layers[0].weight.h,
                               t->padding[0], t->output_padding[0], t->dilation[0] };
      tconv_kernel_placement (&spec, &before, &after);
    }
  return tconv_engine_output_size (model, n, n, &ow, &oh, error)
         && index_at (model_upscale, (gpointer) model, model->scale, ow, oh, before, flat, ramp,
                      error);
}

void
tconv_checkerboard_map (const float *plane, int w, int h, int s, int radius, float gain,
                        float *map)
{
  const int cw = (w + s - 1) / s, ch = (h + s - 1) / s;
  /* per cell and phase: sum and count of the pixels of that phase in the cell */
  double   *sum = g_new0 (double, (gsize) cw * ch * s * s);
  int      *cnt = g_new0 (int, (gsize) cw * ch * s * s);
  double   *phase_mean = g_new (double, (gsize) s * s);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        gsize k = ((gsize) (y / s) * cw + x / s) * s * s + (y % s) * s + x % s;
        sum[k] += plane[(gsize) y * w + x];
        cnt[k]++;
      }
  for (int cy = 0; cy < ch; cy++)
    for (int cx = 0; cx < cw; cx++)
      {
        double all = 0.0;
        int    phases = 0;
        for (int p = 0; p < s * s; p++)
          {
            double ps = 0.0;
            int    pn = 0;
            for (int j = MAX (0, cy - radius); j <= MIN (ch - 1, cy + radius); j++)
              for (int i = MAX (0, cx - radius); i <= MIN (cw - 1, cx + radius); i++)
                {
                  ps += sum[((gsize) j * cw + i) * s * s + p];
                  pn += cnt[((gsize) j * cw + i) * s * s + p];
                }
            phase_mean[p] = pn ? ps / pn : NAN;
            if (pn)
              {
                all += phase_mean[p];
                phases++;
              }
          }
        all /= MAX (phases, 1);
        for (int py = 0; py < s; py++)
          for (int px = 0; px < s; px++)
            {
              int y = cy * s + py, x = cx * s + px;
              if (y < h && x < w)
                map[(gsize) y * w + x] =
                  CLAMP (0.5f + gain * (float) (phase_mean[py * s + px] - all), 0.0f, 1.0f);
            }
      }
  g_free (sum);
  g_free (cnt);
  g_free (phase_mean);
}
