#include <math.h>

#include "sr-metrics.h"
#include "tconv-error.h"

/* Both planes rounded to 8 bits, shaved: a (h-2s) x (w-2s) double array each. */
static gboolean
shaved_8bit (const TconvTensor *sr, const TconvTensor *hr, int shave, int min_side, double **a,
             double **b, int *h, int *w, GError **error)
{
  if (sr->n != 1 || sr->c != 1 || hr->n != 1 || hr->c != 1 || sr->h != hr->h || sr->w != hr->w)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "metrics: images must be single planes of equal size, got %dx%d and %dx%d",
                   sr->w, sr->h, hr->w, hr->h);
      return FALSE;
    }
  *h = hr->h - 2 * shave;
  *w = hr->w - 2 * shave;
  if (shave < 0 || *h < min_side || *w < min_side)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "metrics: a %dx%d image is too small to shave %d pixels", hr->w, hr->h, shave);
      return FALSE;
    }
  *a = g_new (double, (gsize) *h * *w);
  *b = g_new (double, (gsize) *h * *w);
  for (int y = 0; y < *h; y++)
    for (int x = 0; x < *w; x++)
      {
        gsize src = (gsize) (y + shave) * hr->w + x + shave, dst = (gsize) y * *w + x;
        (*a)[dst] = CLAMP (nearbyint (sr->data[src] * 255.0), 0.0, 255.0);
        (*b)[dst] = CLAMP (nearbyint (hr->data[src] * 255.0), 0.0, 255.0);
      }
  return TRUE;
}

gboolean
tconv_psnr_y (const TconvTensor *sr, const TconvTensor *hr, int shave, double *psnr,
              GError **error)
{
  double *a, *b, sum = 0.0;
  int     h, w;

  if (!shaved_8bit (sr, hr, shave, 1, &a, &b, &h, &w, error))
    return FALSE;
  for (gsize i = 0; i < (gsize) h * w; i++)
    sum += (a[i] - b[i]) * (a[i] - b[i]);
  double mse = sum / ((double) h * w);
  *psnr = mse > 0.0 ? 10.0 * log10 (255.0 * 255.0 / mse) : INFINITY;
  g_free (a);
  g_free (b);
  return TRUE;
}

#define SSIM_WIN 11

gboolean
tconv_ssim_y (const TconvTensor *sr, const TconvTensor *hr, int shave, double *ssim,
              GError **error)
{
  const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
  double       g[SSIM_WIN], gsum = 0.0, total = 0.0;
  double      *a, *b;
  int          h, w;

  if (!shaved_8bit (sr, hr, shave, SSIM_WIN, &a, &b, &h, &w, error))
    return FALSE;
  for (int i = 0; i < SSIM_WIN; i++)
    gsum += g[i] = exp (-((i - 5) * (i - 5)) / (2.0 * 1.5 * 1.5));
  for (int i = 0; i < SSIM_WIN; i++)
    g[i] /= gsum;

  /* 'valid' windows only, as MATLAB's ssim_index with filter2(..., 'valid'). */
  for (int y = 0; y + SSIM_WIN <= h; y++)
    for (int x = 0; x + SSIM_WIN <= w; x++)
      {
        double ma = 0, mb = 0, saa = 0, sbb = 0, sab = 0;
        for (int j = 0; j < SSIM_WIN; j++)
          for (int i = 0; i < SSIM_WIN; i++)
            {
              double wt = g[j] * g[i];
              double va = a[(gsize) (y + j) * w + x + i], vb = b[(gsize) (y + j) * w + x + i];
              ma += wt * va;
              mb += wt * vb;
              saa += wt * va * va;
              sbb += wt * vb * vb;
              sab += wt * va * vb;
            }
        double va = saa - ma * ma, vb = sbb - mb * mb, cov = sab - ma * mb;
        total += ((2 * ma * mb + c1) * (2 * cov + c2))
                 / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      }
  *ssim = total / ((double) (h - SSIM_WIN + 1) * (w - SSIM_WIN + 1));
  g_free (a);
  g_free (b);
  return TRUE;
}
