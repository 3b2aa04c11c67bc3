/* The checkerboard effect, numerically (Odena, Dumoulin, Olah, Distill 2016):
 * a constant image through conv_transpose2d with an all-ones kernel gives per-phase
 * interior sums that differ when kernel % stride != 0 and agree when it is 0, while
 * nearest resize followed by conv2d gives the same sum everywhere. */
#include <math.h>

#include "spectrum.h"
#include "tconv-ops.h"

/* Min and max over phases (y mod s, x mod s) of the interior (a `margin` border dropped). */
static void
phase_range (const TconvTensor *t, int s, int margin, double *lo, double *hi)
{
  double sum[8][8] = { { 0 } };
  int    count[8][8] = { { 0 } };

  for (int y = margin; y < t->h - margin; y++)
    for (int x = margin; x < t->w - margin; x++)
      {
        sum[y % s][x % s] += t->data[(gsize) y * t->w + x];
        count[y % s][x % s]++;
      }
  *lo = INFINITY;
  *hi = -INFINITY;
  for (int i = 0; i < s; i++)
    for (int j = 0; j < s; j++)
      {
        g_assert_cmpint (count[i][j], >, 0);
        *lo = MIN (*lo, sum[i][j] / count[i][j]);
        *hi = MAX (*hi, sum[i][j] / count[i][j]);
      }
}

static TconvTensor
filled (int n, int c, int h, int w, float v)
{
  TconvTensor t = { n, c, h, w, NULL };
  g_assert_true (tconv_tensor_alloc (&t, "test", NULL));
  for (gsize i = 0; i < tconv_tensor_numel (&t); i++)
    t.data[i] = v;
  return t;
}

static void
test_transposed (void)
{
  for (int s = 2; s <= 4; s++)
    for (int k = 1; k <= 12; k++)
      {
        TconvTensor                in = filled (1, 1, 16, 16, 1.0f), w = filled (1, 1, k, k, 1.0f);
        TconvConvTranspose2dParams p = tconv_conv_transpose2d_params_default ();
        TconvTensor                out;
        double                     lo, hi;

        p.stride[0] = p.stride[1] = s;
        g_assert_true (tconv_conv_transpose2d_shape (&in, &w, -1, &p, &out, NULL));
        g_assert_true (tconv_tensor_alloc (&out, "out", NULL));
        g_assert_true (tconv_conv_transpose2d (&in, &w, NULL, 0, &p, &out, NULL));
        phase_range (&out, s, k, &lo, &hi);
        if (k % s == 0)
          g_assert_cmpfloat (hi - lo, ==, 0.0); /* every phase gets (k/s)^2 taps */
        else
          {
            /* ceil(k/s)^2 taps on some phases, floor(k/s)^2 on others */
            g_assert_cmpfloat (lo, ==, (double) (k / s) * (k / s));
            g_assert_cmpfloat (hi, ==, (double) ((k + s - 1) / s) * ((k + s - 1) / s));
          }
        tconv_tensor_free (&in);
        tconv_tensor_free (&w);
        tconv_tensor_free (&out);
      }
}

static void
test_resize_conv (void)
{
  for (int s = 2; s <= 4; s++)
    for (int k = 1; k <= 9; k += 2)
      {
        TconvTensor       in = filled (1, 1, 16, 16, 1.0f), w = filled (1, 1, k, k, 1.0f);
        TconvTensor       up = { 1, 1, 16 * s, 16 * s, NULL }, out;
        TconvConv2dParams p = tconv_conv2d_params_default ();
        double            lo, hi;

        g_assert_true (tconv_tensor_alloc (&up, "up", NULL));
        g_assert_true (tconv_resize (&in, TCONV_INTERP_NEAREST, s, s, &up, NULL));
        p.padding[0] = p.padding[1] = k / 2;
        g_assert_true (tconv_conv2d_shape (&up, &w, -1, &p, &out, NULL));
        g_assert_true (tconv_tensor_alloc (&out, "out", NULL));
        g_assert_true (tconv_conv2d (&up, &w, NULL, 0, &p, &out, NULL));
        phase_range (&out, s, k, &lo, &hi);
        g_assert_cmpfloat (lo, ==, (double) k * k);
        g_assert_cmpfloat (hi, ==, (double) k * k);
        tconv_tensor_free (&in);
        tconv_tensor_free (&w);
        tconv_tensor_free (&up);
        tconv_tensor_free (&out);
      }
}

/* Upscaling a linear ramp: Keys' cubic (a = -0.5) lands every phase on the ramp, so a
 * residual made with it adds no checkerboard; PyTorch's a = -0.75 leaves a per-phase
 * error of about 0.1/255 on the checkerboard index's ramp (slope 0.3/64 per pixel). */
static void
test_cubic_ramp (void)
{
  const int n = 64;

  for (int s = 2; s <= 4; s++)
    for (int keys = 0; keys <= 1; keys++)
      {
        TconvTensor in = filled (1, 1, n, n, 0.0f), up = { 1, 1, n * s, n * s, NULL };
        const double a = 0.3 / n;
        double       lo, hi;

        for (int y = 0; y < n; y++)
          for (int x = 0; x < n; x++)
            in.data[y * n + x] = (float) (a * (x + y) / 2);
        g_assert_true (tconv_tensor_alloc (&up, "up", NULL));
        g_assert_true (tconv_resize (&in, keys ? TCONV_INTERP_KEYS : TCONV_INTERP_BICUBIC, s, s,
                                     &up, NULL));
        /* minus the ideal: output X sits at input (X + 0.5)/s - 0.5 */
        for (int y = 0; y < n * s; y++)
          for (int x = 0; x < n * s; x++)
            up.data[y * n * s + x] -= (float) (a * ((x + 0.5) / s - 0.5 + (y + 0.5) / s - 0.5) / 2);
        phase_range (&up, s, 4 * s, &lo, &hi);
        if (keys)
          g_assert_cmpfloat ((hi - lo) * 255, <, 1e-4);
        else
          g_assert_cmpfloat ((hi - lo) * 255, >, 0.05);
        tconv_tensor_free (&in);
        tconv_tensor_free (&up);
      }
}

/* The spectrum equals a direct DFT, Hann-windowed, on an 8x8 square of two tones. */
static void
test_spectrum_dft (void)
{
  enum { N = 8 };
  float  plane[N * N], out[N * N];
  double ref[N * N], win_sum = 0;

  for (int y = 0; y < N; y++)
    for (int x = 0; x < N; x++)
      plane[y * N + x] = (float) (sin (2 * G_PI * x / 4.0) + 0.3 * cos (2 * G_PI * (x + 3 * y) / 8.0)
                                  + 0.05 * ((x * 7 + y * 3) % 5));
  tconv_spectrum (plane, NULL, N, N, N, out);
  for (int fy = 0; fy < N; fy++)
    for (int fx = 0; fx < N; fx++)
      {
        double re = 0, im = 0;
        for (int y = 0; y < N; y++)
          for (int x = 0; x < N; x++)
            {
              double win = (0.5 - 0.5 * cos (2 * G_PI * (y + 0.5) / N))
                           * (0.5 - 0.5 * cos (2 * G_PI * (x + 0.5) / N));
              double a = -2 * G_PI * ((double) fy * y + (double) fx * x) / N;
              re += win * plane[y * N + x] * cos (a);
              im += win * plane[y * N + x] * sin (a);
            }
        /* shifted: frequency (fy, fx) sits at ((fy + N/2) % N, (fx + N/2) % N) */
        ref[((fy + N / 2) % N) * N + (fx + N / 2) % N] = hypot (re, im);
      }
  for (int y = 0; y < N; y++)
    for (int x = 0; x < N; x++)
      win_sum += (0.5 - 0.5 * cos (2 * G_PI * (y + 0.5) / N)) * (0.5 - 0.5 * cos (2 * G_PI * (x + 0.5) / N));
  for (int i = 0; i < N * N; i++)
    g_assert_cmpfloat_with_epsilon (out[i], CLAMP ((log10 (2 * ref[i] / win_sum + 1e-30) + 5) / 4, 0.0, 1.0), 1e-5);
}

/* A transposed convolution's checkerboard is peaks at k/s: an all-ones 3x3 kernel at
 * stride 2 on a flat image (uneven overlap) puts the spectrum's brightest bin at 1/2
 * cycle per pixel, and a kernel of 4 (even overlap) leaves a flat result. */
static void
test_spectrum_peaks (void)
{
  enum { N = 64 };
  for (int k = 3; k <= 4; k++)
    {
      TconvTensor in = { 1, 1, N / 2 + 16, N / 2 + 16, NULL }, w = { 1, 1, k, k, NULL }, out;
      TconvConvTranspose2dParams p = { { 2, 2 }, { 0, 0 }, { 0, 0 }, { 1, 1 }, 1 };
      float spec[N * N];
      g_assert_true (tconv_tensor_alloc (&in, "in", NULL) && tconv_tensor_alloc (&w, "w", NULL));
      for (int i = 0; i < in.h * in.w; i++)
        in.data[i] = 1.0f;
      for (int i = 0; i < k * k; i++)
        w.data[i] = 1.0f;
      g_assert_true (tconv_conv_transpose2d_shape (&in, &w, -1, &p, &out, NULL));
      g_assert_true (tconv_tensor_alloc (&out, "out", NULL));
      g_assert_true (tconv_conv_transpose2d (&in, &w, NULL, -1, &p, &out, NULL));
      /* the smooth reference of a flat image: its mean over the square */
      float *mean = g_new (float, (gsize) out.w * out.h);
      double sum = 0;
      for (int y = (out.h - N) / 2; y < (out.h - N) / 2 + N; y++)
        for (int x = (out.w - N) / 2; x < (out.w - N) / 2 + N; x++)
          sum += out.data[y * out.w + x];
      for (int i = 0; i < out.w * out.h; i++)
        mean[i] = (float) (sum / (N * N));
      tconv_spectrum (out.data, mean, out.w, out.h, N, spec);
      g_free (mean);
      /* frequency (0, 1/2) is the brightest bin; away from the lattice of multiples of
       * 1/2 (more than 4 bins from each) the spectrum is dark on average */
      float  nyquist = spec[(N / 2) * N + 0], brightest = 0;
      double away = 0;
      int    n_away = 0;
      for (int y = 0; y < N; y++)
        for (int x = 0; x < N; x++)
          {
            int dy = MIN (abs (y % (N / 2)), N / 2 - y % (N / 2));
            int dx = MIN (abs (x % (N / 2)), N / 2 - x % (N / 2));
            brightest = MAX (brightest, spec[y * N + x]);
            if (dy > 4 && dx > 4)
              away += spec[y * N + x], n_away++;
          }
      if (k == 3)
        {
          g_assert_cmpfloat (nyquist, ==, brightest);
          g_assert_cmpfloat (away / n_away, <, 0.5 * nyquist);
        }
      else
        g_assert_cmpfloat (brightest, <, 0.05f); /* even overlap: a flat result */
      tconv_tensor_free (&in);
      tconv_tensor_free (&w);
      tconv_tensor_free (&out);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/checkerboard/conv_transpose2d", test_transposed);
  g_test_add_func ("/core/checkerboard/resize_conv", test_resize_conv);
  g_test_add_func ("/core/checkerboard/cubic_ramp", test_cubic_ramp);
  g_test_add_func ("/core/checkerboard/spectrum_dft", test_spectrum_dft);
  g_test_add_func ("/core/checkerboard/spectrum_peaks", test_spectrum_peaks);
  return g_test_run ();
}
