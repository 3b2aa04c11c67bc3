/* The fast convolution paths equal the reference kernels (within 1e-5 relative) on
 * random shapes, for every instruction set this processor has: portable C, AVX2 and
 * AVX-512.  The portable path runs everywhere, so CI always tests it. */
#include <math.h>
#include <string.h>

#include "cubic.h"

#include "activation.h"
#include "resize.h"
#include "fast-conv.h"
#include "team.h"

static GRand *rng;

static TconvTensor
random_tensor (int n, int c, int h, int w)
{
  TconvTensor t = { n, c, h, w, NULL };
  g_assert_true (tconv_tensor_alloc (&t, "t", NULL));
  for (gsize i = 0; i < tconv_tensor_numel (&t); i++)
    t.data[i] = (float) g_rand_double_range (rng, -1, 1);
  return t;
}

static double
rel_diff (const TconvTensor *a, const TconvTensor *b)
{
  double peak = 1.0, err = 0.0;
  for (gsize i = 0; i < tconv_tensor_numel (a); i++)
    {
      peak = MAX (peak, fabs (b->data[i]));
      err = MAX (err, fabs ((double) a->data[i] - b->data[i]));
    }
  return err / peak;
}

static int
one_isa (const char *isa)
{
  int cases = 0;

  for (int i = 0; i < 150; i++)
    {
      int         groups = i % 5 == 0 ? g_rand_int_range (rng, 2, 4) : 1;
      int         cin = groups * g_rand_int_range (rng, 1, 8), cout = groups * g_rand_int_range (rng, 1, 6);
      int         h = g_rand_int_range (rng, 1, 40), w = g_rand_int_range (rng, 1, 70);
      int         k = g_rand_int_range (rng, 1, 10), k2 = g_rand_int_range (rng, 1, 10);
      TconvTensor in = random_tensor (g_rand_int_range (rng, 1, 3), cin, h, w), shape;
      TconvTensor b = random_tensor (1, 1, 1, cout);
      gboolean    with_bias = g_rand_boolean (rng);

      if (i % 2 == 0)
        {
          TconvConv2dParams p = tconv_conv2d_params_default ();
          TconvTensor       wt = random_tensor (cout, cin / groups, k, k2);
          p.groups = groups;
          p.padding[0] = g_rand_int_range (rng, 0, k);
          p.padding[1] = g_rand_int_range (rng, 0, k2);
          p.dilation[0] = g_rand_int_range (rng, 1, 3);
          p.padding_mode = g_rand_int_range (rng, 0, 4);
          if (tconv_conv2d_shape (&in, &wt, with_bias ? cout : -1, &p, &shape, NULL)
              && (p.padding_mode != TCONV_PAD_REFLECT || (p.padding[0] < h && p.padding[1] < w)))
            {
              TconvTensor ref = shape, fast = shape;
              g_assert_true (tconv_tensor_alloc (&ref, "ref", NULL));
              g_assert_true (tconv_tensor_alloc (&fast, "fast", NULL));
              g_assert_true (tconv_conv2d (&in, &wt, with_bias ? b.data : NULL, cout, &p, &ref, NULL));
              g_assert_true (tconv_fast_conv2d (&in, &wt, with_bias ? b.data : NULL, &p, NULL, 0,
                                                &fast));
              if (rel_diff (&fast, &ref) > 1e-5)
                g_error ("%s conv2d cin %d cout %d %dx%d k %dx%d: differs by %g", isa, cin, cout,
                         h, w, k, k2, rel_diff (&fast, &ref));
              /* with a PReLU fused into the store */
              TconvTensor slopes = random_tensor (1, 1, 1, cout);
              int         n_slopes = i % 4 == 0 ? cout : 1;
              g_assert_true (tconv_prelu (&ref, slopes.data, n_slopes, NULL));
              g_assert_true (tconv_fast_conv2d (&in, &wt, with_bias ? b.data : NULL, &p,
                                                slopes.data, n_slopes, &fast));
              if (rel_diff (&fast, &ref) > 1e-5)
                g_error ("%s conv2d + prelu: differs by %g", isa, rel_diff (&fast, &ref));
              tconv_tensor_free (&slopes);
              tconv_tensor_free (&ref);
              tconv_tensor_free (&fast);
              cases++;
            }
          tconv_tensor_free (&wt);
        }
      else
        {
          TconvConvTranspose2dParams p = tconv_conv_transpose2d_params_default ();
          TconvTensor                wt = random_tensor (cin, cout / groups, k, k2);
          p.groups = groups;
          p.stride[0] = g_rand_int_range (rng, 1, 5);
          p.stride[1] = g_rand_int_range (rng, 1, 5);
          p.dilation[0] = g_rand_int_range (rng, 1, 3);
          p.dilation[1] = g_rand_int_range (rng, 1, 3);
          p.padding[0] = g_rand_int_range (rng, 0, k + 1);
          p.padding[1] = g_rand_int_range (rng, 0, k2 + 1);
          p.output_padding[0] = g_rand_int_range (rng, 0, MAX (p.stride[0], p.dilation[0]));
          p.output_padding[1] = g_rand_int_range (rng, 0, MAX (p.stride[1], p.dilation[1]));
          if (tconv_conv_transpose2d_shape (&in, &wt, with_bias ? cout : -1, &p, &shape, NULL))
            {
              TconvTensor ref = shape, fast = shape;
              g_assert_true (tconv_tensor_alloc (&ref, "ref", NULL));
              g_assert_true (tconv_tensor_alloc (&fast, "fast", NULL));
              g_assert_true (tconv_conv_transpose2d (&in, &wt, with_bias ? b.data : NULL, cout,
                                                     &p, &ref, NULL));
              g_assert_true (tconv_fast_conv_transpose2d (&in, &wt, with_bias ? b.data : NULL,
                                                          &p, &fast));
              if (rel_diff (&fast, &ref) > 1e-5)
                g_error ("%s conv_transpose2d cin %d cout %d %dx%d k %dx%d s %d,%d: differs by %g",
                         isa, cin, cout, h, w, k, k2, p.stride[0], p.stride[1],
                         rel_diff (&fast, &ref));
              tconv_tensor_free (&ref);
              tconv_tensor_free (&fast);
              cases++;
            }
          tconv_tensor_free (&wt);
        }
      tconv_tensor_free (&in);
      tconv_tensor_free (&b);
    }
  return cases;
}

/* Wide rows and many input channels, with a chunk budget of a small L1's half: the
 * kernels then take the input channels in chunks through partial sums; and a nearest
 * resize + conv2d runs folded into one transposed convolution.  Both against the
 * reference, operator by operator. */
static int
wide_and_folded (const char *isa)
{
  int cases = 0;

  tconv_fast_set_chunk_budget (24 << 10);

  for (int i = 0; i < 12; i++)
    {
      int         cin = g_rand_int_range (rng, 20, 60), cout = i % 3 == 0 ? 1 : g_rand_int_range (rng, 1, 14);
      int         k = g_rand_int_range (rng, 1, 10), s = g_rand_int_range (rng, 2, 5);
      int         h = g_rand_int_range (rng, k, k + 8), w = g_rand_int_range (rng, 150, 400);
      TconvTensor in = random_tensor (1, cin, h, w), b = random_tensor (1, 1, 1, cout);
      TconvTensor wt = random_tensor (cout, cin, k, k);
      TconvConv2dParams p = tconv_conv2d_params_default ();
      p.padding[0] = p.padding[1] = g_rand_int_range (rng, 0, k);

      /* conv2d on wide rows */
      TconvTensor shape, ref, fast;
      g_assert_true (tconv_conv2d_shape (&in, &wt, cout, &p, &shape, NULL));
      ref = fast = shape;
      g_assert_true (tconv_tensor_alloc (&ref, "ref", NULL) && tconv_tensor_alloc (&fast, "fast", NULL));
      g_assert_true (tconv_conv2d (&in, &wt, b.data, cout, &p, &ref, NULL));
      g_assert_true (tconv_fast_conv2d (&in, &wt, b.data, &p, NULL, 0, &fast));
      if (rel_diff (&fast, &ref) > 1e-5)
        g_error ("%s wide conv2d cin %d w %d k %d: differs by %g", isa, cin, w, k, rel_diff (&fast, &ref));
      tconv_tensor_free (&ref);
      tconv_tensor_free (&fast);

      /* nearest resize by s, then the conv2d */
      TconvTensor up = { 1, cin, h * s, w * s, NULL };
      g_assert_true (tconv_tensor_alloc (&up, "up", NULL));
      g_assert_true (tconv_resize (&in, TCONV_INTERP_NEAREST, s, s, &up, NULL));
      g_assert_true (tconv_conv2d_shape (&up, &wt, cout, &p, &shape, NULL));
      ref = fast = shape;
      g_assert_true (tconv_tensor_alloc (&ref, "ref", NULL) && tconv_tensor_alloc (&fast, "fast", NULL));
      g_assert_true (tconv_conv2d (&up, &wt, b.data, cout, &p, &ref, NULL));
      g_assert_true (tconv_fast_resize_conv2d (&in, s, &wt, b.data, &p, &fast));
      if (rel_diff (&fast, &ref) > 1e-5)
        g_error ("%s resize x%d + conv2d cin %d k %d p %d: differs by %g", isa, s, cin, k,
                 p.padding[0], rel_diff (&fast, &ref));
      tconv_tensor_free (&ref);
      tconv_tensor_free (&fast);
      tconv_tensor_free (&up);
      tconv_tensor_free (&in);
      tconv_tensor_free (&b);
      tconv_tensor_free (&wt);
      cases += 2;
    }
  tconv_fast_set_chunk_budget (0);
  return cases;
}

/* conv2d + PReLU through the fast path into a new tensor of the reference's shape. */
static TconvTensor
fast_conv2d (const TconvTensor *in, const TconvTensor *wt, const float *bias,
             const TconvConv2dParams *p, const TconvTensor *slopes)
{
  TconvTensor out;
  g_assert_true (tconv_conv2d_shape (in, wt, wt->n, p, &out, NULL));
  g_assert_true (tconv_tensor_alloc (&out, "fast", NULL));
  g_assert_true (tconv_fast_conv2d (in, wt, bias, p, slopes->data, wt->n, &out));
  return out;
}

/* The wide layers (32-256 channels, 3x3 and 1x1, groups): their rows run in segments of
 * columns, and with a team (team.h) the segments are shared by its threads.  Against the
 * reference within 1e-5, and a team's output equal to one thread's to the bit, for rows
 * narrower than a segment, one segment and a tail, and many; with and without chunks of
 * input channels. */
static int
wide_layers (const char *isa)
{
  const int shapes[][5] = { /* cin, cout, kernel, groups, width */
    { 64, 64, 3, 1, 150 }, { 32, 1, 3, 1, 61 }, { 256, 48, 3, 1, 97 }, { 64, 256, 1, 1, 130 },
    { 128, 64, 3, 2, 40 }, { 33, 35, 3, 1, 17 }, { 64, 3, 3, 1, 200 }, { 100, 64, 1, 1, 7 },
  };
  int cases = 0;

  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      const int  cin = shapes[i][0], cout = shapes[i][1], k = shapes[i][2], groups = shapes[i][3];
      TconvTensor in = random_tensor (1, cin, g_rand_int_range (rng, 1, 6), shapes[i][4]);
      TconvTensor wt = random_tensor (cout, cin / groups, k, k), b = random_tensor (1, 1, 1, cout);
      TconvTensor slopes = random_tensor (1, 1, 1, cout), ref;
      TconvConv2dParams p = tconv_conv2d_params_default ();
      p.groups = groups;
      p.padding[0] = p.padding[1] = k / 2;
      g_assert_true (tconv_conv2d_shape (&in, &wt, cout, &p, &ref, NULL));
      g_assert_true (tconv_tensor_alloc (&ref, "ref", NULL));
      g_assert_true (tconv_conv2d (&in, &wt, b.data, cout, &p, &ref, NULL));
      g_assert_true (tconv_prelu (&ref, slopes.data, cout, NULL));

      tconv_fast_set_chunk_budget (i % 2 ? 16 << 10 : 0);
      TconvTensor alone = fast_conv2d (&in, &wt, b.data, &p, &slopes);
      if (rel_diff (&alone, &ref) > 1e-5)
        g_error ("%s wide conv2d %d->%d k %d groups %d %dx%d: differs by %g", isa, cin, cout, k,
                 groups, in.h, in.w, rel_diff (&alone, &ref));
      for (int threads = 2; threads <= 3; threads++)
        {
          tconv_team_set_for_thread (threads);
          TconvTensor shared = fast_conv2d (&in, &wt, b.data, &p, &slopes);
          tconv_team_set_for_thread (1);
          if (memcmp (shared.data, alone.data, tconv_tensor_numel (&alone) * sizeof (float)))
            g_error ("%s wide conv2d %d->%d k %d width %d: a team of %d differs from one thread",
                     isa, cin, cout, k, in.w, threads);
          tconv_tensor_free (&shared);
        }
      tconv_fast_set_chunk_budget (0);
      tconv_tensor_free (&alone);
      tconv_tensor_free (&ref);
      tconv_tensor_free (&in);
      tconv_tensor_free (&wt);
      tconv_tensor_free (&b);
      tconv_tensor_free (&slopes);
      cases++;
    }
  return cases;
}

static void
test_fast_equals_reference (void)
{
  const char *isas[] = { "portable", "avx2", "avx512" };
  int         tested = 0;

  for (guint i = 0; i < G_N_ELEMENTS (isas); i++)
    {
      if (!tconv_fast_set_isa (isas[i]))
        {
          g_printerr ("%s: not supported by this processor, skipped\n", isas[i]);
          continue;
        }
      g_printerr ("%s: %d random shapes equal the reference\n", isas[i], one_isa (isas[i]));
      g_printerr ("%s: %d wide-row and folded resize+conv cases equal the reference\n", isas[i],
                  wide_and_folded (isas[i]));
      g_printerr ("%s: %d wide layers equal the reference, shared by a team or not\n", isas[i],
                  wide_layers (isas[i]));
      tested++;
    }
  g_assert_cmpint (tested, >=, 1);
}

/* PyTorch's interpolate (scale_factor=, align_corners=False) straight from its formula,
 * output pixel by output pixel: sum_a wy_a * (sum_b wx_b * x), the order the library
 * promises, so the comparison can be exact. */
static void
axis_weights (int o, int in, float ratio, TconvInterp interp, int idx[4], float w[4])
{
  float src = ((float) o + 0.5f) * ratio - 0.5f;
  if (interp == TCONV_INTERP_BILINEAR)
    {
      src = MAX (src, 0.0f);
      int i0 = MIN ((int) src, in - 1);
      idx[0] = i0, idx[1] = MIN (i0 + 1, in - 1);
      w[0] = 1.0f - (src - (float) i0), w[1] = src - (float) i0;
      return;
    }
  int   i0 = (int) floorf (src);
  float f = src - (float) i0;
  for (int k = 0; k < 4; k++)
    {
      idx[k] = CLAMP (i0 - 1 + k, 0, in - 1);
      w[k] = (float) tconv_cubic (f + 1.0f - (float) k,
                                  interp == TCONV_INTERP_KEYS ? TCONV_CUBIC_A_KEYS : TCONV_CUBIC_A_PYTORCH);
    }
}

static float
resized_pixel (const TconvTensor *in, TconvInterp interp, int s, int oy, int ox)
{
  int   n = interp == TCONV_INTERP_BILINEAR ? 2 : 4, iy[4], ix[4];
  float wy[4], wx[4], acc = 0.0f, ratio = (float) (1.0 / s);

  axis_weights (oy, in->h, ratio, interp, iy, wy);
  axis_weights (ox, in->w, ratio, interp, ix, wx);
  for (int a = 0; a < n; a++)
    {
      float row = 0.0f;
      for (int b = 0; b < n; b++)
        row += wx[b] * in->data[(gsize) iy[a] * in->w + ix[b]];
      acc += wy[a] * row;
    }
  return acc;
}

/* The x pass computes the interior of an integer upscale phase by phase; the borders and
 * fractional factors by gathering taps.  Every width from one pixel up, so that phased
 * interiors of every length, and none, are covered; resize_add on top of a random
 * tensor must give the plain resize plus that tensor, to the bit. */
static void
test_resize_phases (void)
{
  const TconvInterp interps[] = { TCONV_INTERP_BILINEAR, TCONV_INTERP_BICUBIC, TCONV_INTERP_KEYS };
  int               cases = 0;

  for (int w = 1; w <= 80; w++)
    for (int s = 2; s <= 5; s++)
      for (guint i = 0; i < G_N_ELEMENTS (interps); i++)
        {
          int         h = g_rand_int_range (rng, 1, 6);
          TconvTensor in = random_tensor (1, 1, h, w), out = random_tensor (1, 1, h * s, w * s);
          TconvTensor base = random_tensor (1, 1, h * s, w * s);
          TconvTensor sum = base;
          g_assert_true (tconv_tensor_alloc (&sum, "sum", NULL));
          memcpy (sum.data, base.data, tconv_tensor_numel (&base) * sizeof (float));
          g_assert_true (tconv_resize (&in, interps[i], s, s, &out, NULL));
          g_assert_true (tconv_resize_add (&in, interps[i], s, s, &sum, NULL));
          for (int oy = 0; oy < h * s; oy++)
            for (int ox = 0; ox < w * s; ox++)
              {
                gsize at = (gsize) oy * w * s + ox;
                float want = resized_pixel (&in, interps[i], s, oy, ox);
                if (out.data[at] != want || sum.data[at] != base.data[at] + want)
                  g_error ("resize x%d interp %d %dx%d at (%d, %d): %.9g, want %.9g", s, interps[i],
                           w, h, ox, oy, out.data[at], want);
              }
          tconv_tensor_free (&in);
          tconv_tensor_free (&out);
          tconv_tensor_free (&base);
          tconv_tensor_free (&sum);
          cases++;
        }
  g_printerr ("%d integer-factor resizes equal the formula to the bit\n", cases);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rng = g_rand_new_with_seed (1234);
  g_test_add_func ("/fast/equals-reference", test_fast_equals_reference);
  g_test_add_func ("/fast/resize-phases", test_resize_phases);
  return g_test_run ();
}
