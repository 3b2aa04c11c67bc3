/* Fast conv2d and conv_transpose2d: pad the input once, pack the weights so the
 * micro-kernel reads them in order, then run a register-blocked kernel over rows.
 * A transposed convolution runs as stride*stride ordinary convolutions, one per output
 * phase, each with only the taps that reach that phase (no inserted zeros). */
#include <string.h>

#include "fast-conv.h"
#include "fast-kernels.h"

typedef struct
{
  const char     *name;
  TconvKernelFunc cob4, cob1;
} Isa;

static const Isa ISAS[] = {
  { "reference", NULL, NULL },
  { "portable", tconv_kernel_cob4_portable, tconv_kernel_cob1_portable },
  { "avx2", tconv_kernel_cob4_avx2, tconv_kernel_cob1_avx2 },
  { "avx512", tconv_kernel_cob4_avx512, tconv_kernel_cob1_avx512 },
};

static const Isa *current;

static gboolean
supported (const Isa *isa)
{
  __builtin_cpu_init ();
  if (g_str_equal (isa->name, "avx512"))
    return __builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("fma");
  if (g_str_equal (isa->name, "avx2"))
    return __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
  return TRUE;
}

gboolean
tconv_fast_set_isa (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (ISAS); i++)
    if (g_str_equal (name, ISAS[i].name) && supported (&ISAS[i]))
      {
        g_atomic_pointer_set (&current, &ISAS[i]);
        return TRUE;
      }
  return FALSE;
}

static const Isa *
isa (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      const char *env = g_getenv ("TCONV_ISA");
      if (!(env && tconv_fast_set_isa (env)))
        for (int i = G_N_ELEMENTS (ISAS) - 1; i >= 0; i--)
          if (supported (&ISAS[i]))
            {
              g_atomic_pointer_set (&current, &ISAS[i]);
              break;
            }
      g_once_init_leave (&once, 1);
    }
  return g_atomic_pointer_get (&current);
}

const char *
tconv_fast_isa (void)
{
  return isa ()->name;
}

/* A zero-padded (or mode-padded) copy of one image of the batch: cin planes of
 * ph x pw, with `top`/`left` rows/cols before the input and slack at the end. */
static float *
padded_copy (const TconvTensor *in, int n, int top, int left, int ph, int pw,
             TconvPaddingMode mode)
{
  gsize  plane = (gsize) ph * pw;
  float *buf = g_try_malloc0 ((plane * in->c + TCONV_KERNEL_SLACK) * sizeof (float));

  if (buf == NULL)
    return NULL;
  for (int c = 0; c < in->c; c++)
    {
      const float *src = tconv_tensor_plane (in, n, c);
      float       *dst = buf + c * plane;
      for (int y = 0; y < ph; y++)
        {
          int sy = tconv_pad_index (y - top, in->h, mode);
          if (sy < 0)
            continue;
          for (int x = 0; x < pw; x++)
            {
              int sx = tconv_pad_index (x - left, in->w, mode);
              if (sx >= 0)
                dst[(gsize) y * pw + x] = src[(gsize) sy * in->w + sx];
            }
        }
    }
  return buf;
}

/* Runs the kernels over all output channels in blocks of 4 (or 1 when there is one).
 * wfull(ci, t, co) gives the weight; bias may be NULL. */
typedef float (*WeightAt) (const TconvTensor *w, int ci, int co, int ky, int kx);

static float
conv_weight (const TconvTensor *w, int ci, int co, int ky, int kx)
{
  return w->data[(((gsize) co * w->c + ci) * w->h + ky) * w->w + kx];
}

static float
transposed_weight (const TconvTensor *w, int ci, int co, int ky, int kx)
{
  return w->data[(((gsize) ci * w->c + co) * w->h + ky) * w->w + kx];
}

/* ci0/co0 shift the channel indices given to `at` (a group's offset in the weight). */
static void
run_blocks (const Isa *k, TconvKernelArgs a, int cout, const TconvTensor *w, WeightAt at,
            int ci0, int co0, const int *ky, const int *kx, const float *bias,
            const float *slopes, int n_slopes, float *out0)
{
  const int step = cout == 1 ? 1 : 4;
  float    *pack = g_new (float, (gsize) a.cin * a.ntaps * step);
  float     b[4], sl[4];

  for (int co = 0; co < cout; co += step)
    {
      int cob = MIN (step, cout - co);
      for (int ci = 0; ci < a.cin; ci++)
        for (int t = 0; t < a.ntaps; t++)
          for (int j = 0; j < step; j++)
            pack[((gsize) ci * a.ntaps + t) * step + j] =
              j < cob ? at (w, ci0 + ci, co0 + co + j, ky[t], kx[t]) : 0.0f;
      for (int j = 0; j < 4; j++)
        {
          b[j] = bias && j < cob ? bias[co + j] : 0.0f;
          sl[j] = slopes ? slopes[n_slopes == 1 ? 0 : MIN (co + j, cout - 1)] : 0.0f;
        }
      a.w = pack;
      a.bias = b;
      a.slope = slopes ? sl : NULL;
      a.cob = cob;
      a.out = out0 + (gsize) co * a.out_plane;
      (step == 1 ? k->cob1 : k->cob4) (&a);
    }
  g_free (pack);
}

gboolean
tconv_fast_conv2d (const TconvTensor *in, const TconvTensor *w, const float *bias,
                   const TconvConv2dParams *p, const float *slopes, int n_slopes,
                   TconvTensor *out)
{
  const Isa *k = isa ();

  if (k->cob4 == NULL || p->stride[0] != 1 || p->stride[1] != 1)
    return FALSE;

  const int ph = in->h + 2 * p->padding[0], pw = in->w + 2 * p->padding[1];
  const int ntaps = w->h * w->w;
  int      *off = g_new (int, ntaps), *ky = g_new (int, ntaps), *kx = g_new (int, ntaps);

  for (int y = 0, t = 0; y < w->h; y++)
    for (int x = 0; x < w->w; x++, t++)
      {
        ky[t] = y;
        kx[t] = x;
        off[t] = y * p->dilation[0] * pw + x * p->dilation[1];
      }
  /* Without padding the input itself will do: tensors carry the kernels' slack. */
  const gboolean copy = p->padding[0] || p->padding[1];
  for (int n = 0; n < in->n; n++)
    {
      float *buf = copy ? padded_copy (in, n, p->padding[0], p->padding[1], ph, pw,
                                       p->padding_mode)
                        : tconv_tensor_plane (in, n, 0);
      if (buf == NULL)
        {
          g_free (off), g_free (ky), g_free (kx);
          return FALSE; /* the reference will report the memory error */
        }
      const int cig = in->c / p->groups, cog = out->c / p->groups;
      for (int g = 0; g < p->groups; g++)
        {
          TconvKernelArgs a = { buf + (gsize) g * cig * ph * pw, (gsize) ph * pw, pw, cig, off,
                                ntaps, NULL, NULL, NULL, 0, out->h, out->w, NULL,
                                (gsize) out->h * out->w, out->w, 1 };
          run_blocks (k, a, cog, w, conv_weight, 0, g * cog, ky, kx, bias ? bias + g * cog : NULL,
                      slopes && n_slopes > 1 ? slopes + g * cog : slopes, n_slopes,
                      tconv_tensor_plane (out, n, g * cog));
        }
      if (copy)
        g_free (buf);
    }
  g_free (off), g_free (ky), g_free (kx);
  return TRUE;
}

/* Floor division for possibly negative numerators. */
static int
floor_div (int a, int b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

gboolean
tconv_fast_conv_transpose2d (const TconvTensor *in, const TconvTensor *w, const float *bias,
                             const TconvConvTranspose2dParams *p, TconvTensor *out)
{
  const Isa *k = isa ();

  if (k->cob4 == NULL)
    return FALSE;

  const int cig = in->c / p->groups, cog = out->c / p->groups;
  const int sy = p->stride[0], sx = p->stride[1], dy = p->dilation[0], dx = p->dilation[1];
  /* Input row of output o through tap k: (o + padding - k*dilation) / stride = q + c.
   * The padded copy must cover every c, for every phase. */
  int cmin_y = floor_div (-p->padding[0] - (w->h - 1) * dy + 0, sy) - 1;
  int cmin_x = floor_div (-p->padding[1] - (w->w - 1) * dx + 0, sx) - 1;
  int cmax_y = floor_div (sy - 1 + p->padding[0], sy) + 1;
  int cmax_x = floor_div (sx - 1 + p->padding[1], sx) + 1;
  int top = MAX (0, -cmin_y), left = MAX (0, -cmin_x);
  int qy = (out->h + sy - 1) / sy, qx = (out->w + sx - 1) / sx;
  int ph = top + MAX (in->h, qy + cmax_y) + 1, pw = left + MAX (in->w, qx + cmax_x) + 1;
  int ntaps_max = w->h * w->w;
  int *off = g_new (int, ntaps_max), *ky = g_new (int, ntaps_max), *kx = g_new (int, ntaps_max);

  for (int n = 0; n < in->n; n++)
    {
      float *buf = padded_copy (in, n, top, left, ph, pw, TCONV_PAD_ZEROS);
      if (buf == NULL)
        {
          g_free (off), g_free (ky), g_free (kx);
          return FALSE;
        }
      for (int ry = 0; ry < sy && ry < out->h; ry++)
        for (int rx = 0; rx < sx && rx < out->w; rx++)
          {
            int nt = 0;
            for (int a = 0; a < w->h; a++)
              {
                int num_y = ry + p->padding[0] - a * dy;
                if (((num_y % sy) + sy) % sy != 0)
                  continue; /* this tap never reaches this phase */
                for (int b = 0; b < w->w; b++)
                  {
                    int num_x = rx + p->padding[1] - b * dx;
                    if (((num_x % sx) + sx) % sx != 0)
                      continue;
                    ky[nt] = a;
                    kx[nt] = b;
                    off[nt] = (floor_div (num_y, sy) + top) * pw + floor_div (num_x, sx) + left;
                    nt++;
                  }
              }
            int rows = (out->h - ry + sy - 1) / sy, cols = (out->w - rx + sx - 1) / sx;
            TconvKernelArgs a = { buf, (gsize) ph * pw, pw, cig, off, nt, NULL, NULL, NULL, 0,
                                  rows, cols, NULL, (gsize) out->h * out->w,
                                  (gsize) sy * out->w, sx };
            if (nt == 0)
              {
                /* no tap reaches this phase: only the bias */
                for (int c = 0; c < out->c; c++)
                  for (int r = 0; r < rows; r++)
                    for (int x = 0; x < cols; x++)
                      tconv_tensor_plane (out, n, c)[(gsize) (ry + r * sy) * out->w + rx + x * sx] =
                        bias ? bias[c] : 0.0f;
                continue;
              }
            for (int g = 0; g < p->groups; g++)
              {
                a.in = buf + (gsize) g * cig * ph * pw;
                run_blocks (k, a, cog, w, transposed_weight, g * cig, 0, ky, kx,
                            bias ? bias + g * cog : NULL, NULL, 0,
                            tconv_tensor_plane (out, n, g * cog) + (gsize) ry * out->w + rx);
              }
          }
      g_free (buf);
    }
  g_free (off), g_free (ky), g_free (kx);
  return TRUE;
}
