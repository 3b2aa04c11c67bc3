#include <math.h>

#include "spectrum.h"

int
tconv_spectrum_side (int w, int h, int limit)
{
  int n = 1, most = MIN (MIN (w, h), limit);
  while (n * 2 <= most)
    n *= 2;
  return n;
}

/* In-place radix-2 FFT of n complex values `stride` apart (re, im interleaved). */
static void
fft (double *z, int n, int stride)
{
  for (int i = 1, j = 0; i < n; i++)
    {
      int bit = n >> 1;
      for (; j & bit; bit >>= 1)
        j ^= bit;
      j ^= bit;
      if (i < j)
        for (int c = 0; c < 2; c++)
          {
            double t = z[2 * i * stride + c];
            z[2 * i * stride + c] = z[2 * j * stride + c];
            z[2 * j * stride + c] = t;
          }
    }
  for (int len = 2; len <= n; len <<= 1)
    {
      double ang = -2.0 * G_PI / len;
      for (int i = 0; i < n; i += len)
        for (int k = 0; k < len / 2; k++)
          {
            double  wr = cos (ang * k), wi = sin (ang * k);
            double *a = z + 2 * (gsize) (i + k) * stride, *b = z + 2 * (gsize) (i + k + len / 2) * stride;
            double  br = b[0] * wr - b[1] * wi, bi = b[0] * wi + b[1] * wr;
            b[0] = a[0] - br, b[1] = a[1] - bi;
            a[0] += br, a[1] += bi;
          }
    }
}

void
tconv_spectrum (const float *plane, const float *reference, int w, int h, int n, float *out)
{
  const int x0 = (w - n) / 2, y0 = (h - n) / 2;
  double   *z = g_new0 (double, 2 * (gsize) n * n);
  double    win_sum = 0;

  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++)
      {
        gsize  src = (gsize) (y0 + y) * w + x0 + x;
        double win = (0.5 - 0.5 * cos (2 * G_PI * (y + 0.5) / n))
                     * (0.5 - 0.5 * cos (2 * G_PI * (x + 0.5) / n));
        z[2 * ((gsize) y * n + x)] = win * (plane[src] - (reference ? reference[src] : 0.0f));
        win_sum += win;
      }
  for (int y = 0; y < n; y++)
    fft (z + 2 * (gsize) y * n, n, 1);
  for (int x = 0; x < n; x++)
    fft (z + 2 * x, n, n);
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++)
      {
        const double *c = z + 2 * ((gsize) ((y + n / 2) % n) * n + (x + n / 2) % n);
        double        amplitude = 2.0 * hypot (c[0], c[1]) / win_sum;
        out[(gsize) y * n + x] = (float) CLAMP ((log10 (amplitude + 1e-30) + 5.0) / 4.0, 0.0, 1.0);
      }
  g_free (z);
}
