/* Fast conv2d and conv_transpose2d: pad the input once, pack the weights so the
 * micro-kernel reads them in order, then run a register-blocked kernel over rows.
 * A transposed convolution runs as stride*stride ordinary convolutions, one per output
 * phase, each with only the taps that reach that phase (no inserted zeros). */
#include <string.h>

#include "fast-conv.h"
#include "fast-kernels.h"

typedef struct
{
  const char        *name;
  const TconvKernel *kernels; /* TCONV_KERNELS_PER_ISA of them */
} Isa;

static const Isa ISAS[] = {
  { "reference", NULL },
  { "portable", tconv_kernels_portable },
  { "avx2", tconv_kernels_avx2 },
  { "avx512", tconv_kernels_avx512 },
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
  float *buf = tconv_block_alloc (plane * in->c + TCONV_KERNEL_SLACK);

  if (buf == NULL)
    return NULL;
  memset (buf + plane * in->c, 0, TCONV_KERNEL_SLACK * sizeof (float));
  for (int c = 0; c < in->c; c++)
    {
      const float *src = tconv_tensor_plane (in, n, c);
      float       *dst = buf + c * plane;
      for (int y = 0; y < ph; y++)
        {
          float *row = dst + (gsize) y * pw;
          int    sy = tconv_pad_index (y - top, in->h, mode);
          if (sy < 0)
            {
              memset (row, 0, pw * sizeof (float));
              continue;
            }
          const float *srow = src + (gsize) sy * in->w;
          if (mode == TCONV_PAD_ZEROS)
            {
              /* zeros, the row, zeros */
              int x0 = CLAMP (left, 0, pw), x1 = CLAMP (left + in->w, 0, pw);
              memset (row, 0, x0 * sizeof (float));
              if (x1 > x0)
                memcpy (row + x0, srow + (x0 - left), (gsize) (x1 - x0) * sizeof (float));
              memset (row + x1, 0, (pw - x1) * sizeof (float));
              continue;
            }
          for (int x = 0; x < pw; x++)
            {
              int sx = tconv_pad_index (x - left, in->w, mode);
              row[x] = sx >= 0 ? srow[sx] : 0.0f;
            }
        }
    }
  return buf;
}

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

/* One output channel of the kernels: a real channel, or one phase of it for a
 * transposed convolution, with the taps that reach it. */
typedef struct
{
  int          co;       /* channel index in the weight, bias and slopes */
  int          ntaps;
  const int   *off;      /* linear offsets into the padded input */
  const int   *ky, *kx;  /* the kernel element of each tap */
  float       *out;      /* first output pixel */
  int          rows, cols;
} Channel;

typedef struct
{
  const TconvTensor *w;
  WeightAt           at;
  int                ci0;          /* the group's first input channel in the weight */
  const float       *bias, *slopes;
  int                n_slopes;
} Weights;

/* The kernel for n channels: fewest padded channels, weighed by how many FMAs a load
 * feeds (a single-channel kernel is load-bound). */
static const TconvKernel *
pick_kernel (const Isa *isa, int n)
{
  const TconvKernel *best = NULL;
  double             best_cost = 0;

  for (int i = 0; i < TCONV_KERNELS_PER_ISA; i++)
    {
      const TconvKernel *k = &isa->kernels[i];
      double cost = (double) ((n + k->ocb - 1) / k->ocb * k->ocb) * (1.0 + 1.0 / k->ocb);
      if (best == NULL || cost < best_cost)
        best = k, best_cost = cost;
    }
  return best;
}

/* Runs channels [0, n) over the padded input `in` (cin planes of `plane`, rows of pw),
 * ocb at a time; row by row so that a row's inputs stay in cache for every block. */
static void
run_channels (const Isa *isa, const float *in, gsize plane, int pw, int cin,
              const Channel *ch, int n, const Weights *wt, gsize out_row, int out_step)
{
  const TconvKernel *k = pick_kernel (isa, n);
  const int          ocb = k->ocb, n_blocks = (n + ocb - 1) / ocb;
  TconvKernelArgs   *args = g_new0 (TconvKernelArgs, n_blocks);
  int                max_rows = 0, max_width = 0;

  for (int b = 0; b < n_blocks; b++)
    {
      const Channel *c = ch + b * ocb;
      const int      cob = MIN (ocb, n - b * ocb);
      int            ntaps = 0, width = 0, bound = 1;
      for (int j = 0; j < cob; j++)
        bound += c[j].ntaps;
      /* the block's taps: every offset some channel of it reads */
      int *off = g_new (int, bound);
      for (int j = 0; j < cob; j++)
        for (int t = 0; t < c[j].ntaps; t++)
          {
            int u = 0;
            while (u < ntaps && off[u] != c[j].off[t])
              u++;
            if (u == ntaps)
              off[ntaps++] = c[j].off[t];
          }
      float *w = g_new0 (float, (gsize) cin * MAX (ntaps, 1) * ocb + 2 * ocb);
      float *bias = w + (gsize) cin * MAX (ntaps, 1) * ocb, *slope = bias + ocb;
      TconvKernelArgs *a = &args[b];
      for (int j = 0; j < cob; j++)
        {
          for (int t = 0; t < c[j].ntaps; t++)
            {
              int u = 0;
              while (off[u] != c[j].off[t])
                u++;
              for (int ci = 0; ci < cin; ci++)
                w[((gsize) ci * ntaps + u) * ocb + j] =
                  wt->at (wt->w, wt->ci0 + ci, c[j].co, c[j].ky[t], c[j].kx[t]);
            }
          bias[j] = wt->bias ? wt->bias[c[j].co] : 0.0f;
          if (wt->slopes)
            slope[j] = wt->slopes[wt->n_slopes == 1 ? 0 : c[j].co];
          a->out[j] = c[j].out;
          a->rows[j] = c[j].rows;
          a->cols[j] = c[j].cols;
          width = MAX (width, c[j].cols);
          max_rows = MAX (max_rows, c[j].rows);
          max_width = MAX (max_width, c[j].cols);
        }
      a->in = in;
      a->plane = plane;
      a->pw = pw;
      a->cin = cin;
      a->off = off;
      a->ntaps = ntaps;
      a->w = w;
      a->bias = bias;
      a->slope = wt->slopes ? slope : NULL;
      a->cob = cob;
      a->nrows = 1;
      a->width = width;
      a->out_row = out_row;
      a->out_step = out_step;
    }
  /* Input channels in chunks whose rows fit half of a 48 KB L1 data cache. */
  int row_min = G_MAXINT, row_max = 0;
  for (int t = 0; t < args[0].ntaps; t++)
    row_min = MIN (row_min, args[0].off[t] / pw), row_max = MAX (row_max, args[0].off[t] / pw);
  int row_span = row_max >= row_min ? row_max - row_min + 1 : 1;
  int per_channel = row_span * (pw + k->lanes_per_step) * (int) sizeof (float);
  int chunk = CLAMP ((24 << 10) / per_channel, 1, cin);
  int n_chunks = (cin + chunk - 1) / chunk;
  chunk = (cin + n_chunks - 1) / n_chunks;
  int    pstride = (max_width + k->lanes_per_step - 1) / k->lanes_per_step * k->lanes_per_step;
  float *partial = n_chunks > 1 ? g_new (float, (gsize) ocb * pstride) : NULL;

  for (int r = 0; r < max_rows; r++)
    for (int b = 0; b < n_blocks; b++)
      {
        TconvKernelArgs a = args[b];
        gboolean        wanted = FALSE;
        for (int j = 0; j < a.cob; j++)
          wanted |= r < a.rows[j];
        if (!wanted)
          continue;
        a.row0 = r;
        a.partial = partial;
        a.pstride = pstride;
        for (int c0 = 0; c0 < cin; c0 += chunk)
          {
            a.in = in + (gsize) c0 * plane;
            a.cin = MIN (chunk, cin - c0);
            a.w = args[b].w + (gsize) c0 * a.ntaps * ocb;
            a.first = c0 == 0;
            a.last = c0 + chunk >= cin;
            k->run (&a);
          }
      }
  g_free (partial);
  for (int b = 0; b < n_blocks; b++)
    {
      g_free ((int *) args[b].off);
      g_free ((float *) args[b].w);
    }
  g_free (args);
}

gboolean
tconv_fast_conv2d (const TconvTensor *in, const TconvTensor *w, const float *bias,
                   const TconvConv2dParams *p, const float *slopes, int n_slopes,
                   TconvTensor *out)
{
  const Isa *k = isa ();

  if (k->kernels == NULL || p->stride[0] != 1 || p->stride[1] != 1)
    return FALSE;

  const int ph = in->h + 2 * p->padding[0], pw = in->w + 2 * p->padding[1];
  const int ntaps = w->h * w->w;
  const int cig = in->c / p->groups, cog = out->c / p->groups;
  int      *off = g_new (int, ntaps), *ky = g_new (int, ntaps), *kx = g_new (int, ntaps);
  Channel  *ch = g_new (Channel, cog);

  for (int y = 0, t = 0; y < w->h; y++)
    for (int x = 0; x < w->w; x++, t++)
      {
        ky[t] = y;
        kx[t] = x;
        off[t] = y * p->dilation[0] * pw + x * p->dilation[1];
      }
  /* Without padding the input itself will do: tensors carry the kernels' slack. */
  const gboolean copy = p->padding[0] || p->padding[1];
  gboolean       ok = TRUE;
  for (int n = 0; n < in->n && ok; n++)
    {
      float *buf = copy ? padded_copy (in, n, p->padding[0], p->padding[1], ph, pw,
                                       p->padding_mode)
                        : tconv_tensor_plane (in, n, 0);
      if (buf == NULL)
        {
          ok = FALSE; /* the reference will report the memory error */
          break;
        }
      for (int g = 0; g < p->groups; g++)
        {
          for (int c = 0; c < cog; c++)
            ch[c] = (Channel) { g * cog + c, ntaps, off, ky, kx,
                                tconv_tensor_plane (out, n, g * cog + c), out->h, out->w };
          Weights wt = { w, conv_weight, 0, bias, slopes, n_slopes };
          /* conv weights are [out][in/groups][kh][kw]: ci is within the group already */
          run_channels (k, buf + (gsize) g * cig * ph * pw, (gsize) ph * pw, pw, cig, ch, cog,
                        &wt, out->w, 1);
        }
      if (copy)
        tconv_block_free (buf);
    }
  g_free (off), g_free (ky), g_free (kx), g_free (ch);
  return ok;
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

  if (k->kernels == NULL)
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
  int n_phases = MIN (sy, out->h) * MIN (sx, out->w), ntaps_max = w->h * w->w;
  /* taps of each phase, stored phase after phase */
  int     *off = g_new (int, ntaps_max), *ky = g_new (int, ntaps_max), *kx = g_new (int, ntaps_max);
  int     *first = g_new (int, n_phases + 1);
  Channel *ch = g_new (Channel, (gsize) n_phases * cog);
  int      nt = 0, phase = 0;

  for (int ry = 0; ry < sy && ry < out->h; ry++)
    for (int rx = 0; rx < sx && rx < out->w; rx++, phase++)
      {
        first[phase] = nt;
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
      }
  first[phase] = nt;

  gboolean ok = TRUE;
  for (int n = 0; n < in->n; n++)
    {
      float *buf = padded_copy (in, n, top, left, ph, pw, TCONV_PAD_ZEROS);
      if (buf == NULL)
        {
          ok = FALSE;
          break;
        }
      for (int g = 0; g < p->groups; g++)
        {
          /* phase-major: the channels of one phase share their taps, so a block of them
           * wastes no FMA; a single-channel output packs its phases together instead */
          int i = 0;
          phase = 0;
          for (int ry = 0; ry < sy && ry < out->h; ry++)
            for (int rx = 0; rx < sx && rx < out->w; rx++, phase++)
              for (int c = 0; c < cog; c++)
                ch[i++] = (Channel) { c, first[phase + 1] - first[phase], off + first[phase],
                                      ky + first[phase], kx + first[phase],
                                      tconv_tensor_plane (out, n, g * cog + c)
                                        + (gsize) ry * out->w + rx,
                                      (out->h - ry + sy - 1) / sy, (out->w - rx + sx - 1) / sx };
          Weights wt = { w, transposed_weight, g * cig, bias ? bias + g * cog : NULL, NULL, 0 };
          run_channels (k, buf + (gsize) g * cig * ph * pw, (gsize) ph * pw, pw, cig, ch, i,
                        &wt, (gsize) sy * out->w, sx);
        }
      tconv_block_free (buf);
    }
  g_free (off), g_free (ky), g_free (kx), g_free (first), g_free (ch);
  return ok;
}

/* Nearest resize by s, then a conv2d, is one transposed convolution (Odena et al.'s
 * resize-convolution read backwards): output o reads upsampled pixels o - p + k, i.e.
 * input floor((o - p + k) / s), so input q gets the sum of the conv taps that land in
 * its s-pixel block.  As a transposed conv: kernel K + s - 1, padding K - 1 - p, and
 *   W'[j] = sum of w[k] for k in [K-1-j, K-1-j+s-1] (per axis).
 * It reads the input once instead of s*s times and skips the upsampled copy. */
gboolean
tconv_fast_resize_conv2d (const TconvTensor *in, int s, const TconvTensor *w, const float *bias,
                          const TconvConv2dParams *p, TconvTensor *out)
{
  if (isa ()->kernels == NULL || s < 2 || p->groups != 1 || p->padding_mode != TCONV_PAD_ZEROS
      || p->stride[0] != 1 || p->stride[1] != 1 || p->dilation[0] != 1 || p->dilation[1] != 1
      || p->padding[0] > w->h - 1 || p->padding[1] > w->w - 1)
    return FALSE;

  const int   kh = w->h + s - 1, kw = w->w + s - 1, cout = w->n, cin = w->c;
  TconvTensor folded = { cin, cout, kh, kw, NULL };
  if (!tconv_tensor_alloc (&folded, "folded weights", NULL))
    return FALSE;
  for (int co = 0; co < cout; co++)
    for (int ci = 0; ci < cin; ci++)
      {
        const float *src = w->data + ((gsize) co * cin + ci) * w->h * w->w;
        float       *dst = folded.data + ((gsize) ci * cout + co) * kh * kw;
        for (int jy = 0; jy < kh; jy++)
          for (int jx = 0; jx < kw; jx++)
            {
              double sum = 0.0;
              for (int ky = MAX (0, w->h - 1 - jy); ky <= MIN (w->h - 1, w->h - 1 - jy + s - 1); ky++)
                for (int kx = MAX (0, w->w - 1 - jx); kx <= MIN (w->w - 1, w->w - 1 - jx + s - 1); kx++)
                  sum += src[ky * w->w + kx];
              dst[jy * kw + jx] = (float) sum;
            }
      }
  TconvConvTranspose2dParams t = { { s, s }, { w->h - 1 - p->padding[0], w->w - 1 - p->padding[1] },
                                   { 0, 0 }, { 1, 1 }, 1 };
  gboolean ok = tconv_fast_conv_transpose2d (in, &folded, bias, &t, out);
  tconv_tensor_free (&folded);
  return ok;
}
