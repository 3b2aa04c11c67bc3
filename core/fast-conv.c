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
  int        co;       /* channel index in the weight, bias and slopes */
  int        ntaps;
  const int *off;      /* linear offsets into the padded input */
  const int *ky, *kx;  /* the kernel element of each tap */
  int        plane;    /* output plane, counted from the output base */
  gsize      out;      /* first output pixel within that plane */
  int        rows, cols;
} Channel;

typedef struct
{
  const TconvTensor *w;
  WeightAt           at;
  int                ci0;          /* the group's first input channel in the weight */
  const float       *bias, *slopes;
  int                n_slopes;
} Weights;

/* The distinct tap offsets (minus `shift`) of channels [0, n), numbered in first-seen
 * order, through a slot per offset of their range: large kernels give a block thousands
 * of taps, so searching a list of them would be quadratic. */
typedef struct
{
  int  lo, n;
  int *slot; /* [offset - lo]: the tap's number, or -1 */
} TapIndex;

static int
tap_index_build (TapIndex *idx, const Channel *ch, int n, int shift, int *off)
{
  int lo = G_MAXINT, hi = G_MININT, count = 0;
  for (int j = 0; j < n; j++)
    for (int t = 0; t < ch[j].ntaps; t++)
      lo = MIN (lo, ch[j].off[t] - shift), hi = MAX (hi, ch[j].off[t] - shift);
  idx->lo = lo;
  idx->n = hi >= lo ? hi - lo + 1 : 0;
  idx->slot = g_new (int, MAX (idx->n, 1));
  memset (idx->slot, 0xff, (gsize) MAX (idx->n, 1) * sizeof (int));
  for (int j = 0; j < n; j++)
    for (int t = 0; t < ch[j].ntaps; t++)
      {
        int *slot = &idx->slot[ch[j].off[t] - shift - lo];
        if (*slot < 0)
          {
            if (off)
              off[count] = ch[j].off[t] - shift;
            *slot = count++;
          }
      }
  return count;
}

/* Distinct tap offsets of channels [0, n): the taps a block of them must run. */
static int
union_taps (const Channel *ch, int n)
{
  TapIndex idx;
  int      count = tap_index_build (&idx, ch, n, 0, NULL);
  g_free (idx.slot);
  return count;
}

/* The kernel for these channels: fewest FMAs counting the padding channels and, for a
 * transposed convolution's phases, the taps a block runs for some channels and not
 * others; weighed by how many FMAs a load feeds (one channel per block is load-bound). */
static const TconvKernel *
pick_kernel (const Isa *isa, const Channel *ch, int n)
{
  const TconvKernel *best = NULL;
  double             best_cost = 0;

  for (int i = 0; i < TCONV_KERNELS_PER_ISA; i++)
    {
      const TconvKernel *k = &isa->kernels[i];
      double             fmas = 0;
      for (int b = 0; b < n; b += k->ocb)
        fmas += (double) MAX (1, union_taps (ch + b, MIN (k->ocb, n - b))) * k->ocb;
      double cost = fmas * (1.0 + 1.0 / k->ocb);
      if (best == NULL || cost < best_cost)
        best = k, best_cost = cost;
    }
  return best;
}

/* Everything a layer needs to run one output row at a time: the channel blocks with
 * their packed weights, and the geometry of the padded input it reads. */
struct _TconvPlan
{
  const TconvKernel *k;
  int                n_blocks, ocb, cin, chunk, pstride;
  TconvKernelArgs   *args;
  gsize             *out_off;   /* [n_blocks][ocb] channel offsets from the output base */
  int               *out_chan;  /* [n_blocks][ocb] the output plane of each channel */
  gsize             *out_phase; /* [n_blocks][ocb] offset within that plane */
  int               *out_rows;  /* [n_blocks][ocb] rows of each channel */
  int                rows;      /* output rows (phase rows for a transposed conv) */
  float             *partial;
  int              **tap_row;   /* [n_blocks][ntaps] the window row each tap reads */
  int               *moved;     /* scratch: a block's offsets over rows not pw apart */
  TconvPlanInput     input;
  /* transposed: taps of every phase; conv2d: of the kernel */
  int               *off, *ky, *kx;
};

/* Builds the blocks of channels [0, n); tap offsets are relative to the first row
 * the taps read (input->row_lo), so a window starting there is what a row needs. */
static TconvPlan *
plan_new (const Isa *isa, const Channel *ch, int n, const Weights *wt, int cin,
          const TconvPlanInput *input, gsize out_plane, gsize out_row, int out_step)
{
  TconvPlan         *plan = g_new0 (TconvPlan, 1);
  const TconvKernel *k = pick_kernel (isa, ch, n);
  const int          ocb = k->ocb, n_blocks = (n + ocb - 1) / ocb, pw = input->pw;
  const int          shift = input->row_lo * pw;
  int                max_width = 0;

  plan->k = k;
  plan->ocb = ocb;
  plan->n_blocks = n_blocks;
  plan->cin = cin;
  plan->input = *input;
  plan->args = g_new0 (TconvKernelArgs, n_blocks);
  plan->out_off = g_new0 (gsize, (gsize) n_blocks * ocb);
  plan->out_rows = g_new0 (int, (gsize) n_blocks * ocb);
  plan->out_chan = g_new0 (int, (gsize) n_blocks * ocb);
  plan->out_phase = g_new0 (gsize, (gsize) n_blocks * ocb);
  plan->tap_row = g_new0 (int *, n_blocks);
  int max_taps = 1;
  for (int b = 0; b < n_blocks; b++)
    {
      const Channel *c = ch + b * ocb;
      const int      cob = MIN (ocb, n - b * ocb);
      int            ntaps = 0, width = 0, bound = 1;
      for (int j = 0; j < cob; j++)
        bound += c[j].ntaps;
      /* the block's taps: every offset some channel of it reads */
      int     *off = g_new (int, bound);
      TapIndex taps;
      ntaps = tap_index_build (&taps, c, cob, shift, off);
      float *w = g_new0 (float, (gsize) cin * MAX (ntaps, 1) * ocb + 2 * ocb);
      float *bias = w + (gsize) cin * MAX (ntaps, 1) * ocb, *slope = bias + ocb;
      TconvKernelArgs *a = &plan->args[b];
      for (int j = 0; j < cob; j++)
        {
          for (int t = 0; t < c[j].ntaps; t++)
            {
              int u = taps.slot[c[j].off[t] - shift - taps.lo];
              for (int ci = 0; ci < cin; ci++)
                w[((gsize) ci * ntaps + u) * ocb + j] =
                  wt->at (wt->w, wt->ci0 + ci, c[j].co, c[j].ky[t], c[j].kx[t]);
            }
          bias[j] = wt->bias ? wt->bias[c[j].co] : 0.0f;
          if (wt->slopes)
            slope[j] = wt->slopes[wt->n_slopes == 1 ? 0 : c[j].co];
          plan->out_chan[b * ocb + j] = c[j].plane;
          plan->out_phase[b * ocb + j] = c[j].out;
          plan->out_off[b * ocb + j] = (gsize) c[j].plane * out_plane + c[j].out;
          plan->out_rows[b * ocb + j] = c[j].rows;
          a->cols[j] = c[j].cols;
          width = MAX (width, c[j].cols);
          plan->rows = MAX (plan->rows, c[j].rows);
          max_width = MAX (max_width, c[j].cols);
        }
      g_free (taps.slot);
      plan->tap_row[b] = g_new (int, MAX (ntaps, 1));
      for (int t = 0; t < ntaps; t++)
        plan->tap_row[b][t] = off[t] >= 0 ? off[t] / pw : -((-off[t] + pw - 1) / pw);
      max_taps = MAX (max_taps, ntaps);
      a->pw = pw;
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
  int row_span = input->row_hi - input->row_lo + 1;
  int per_channel = row_span * (pw + k->lanes_per_step) * (int) sizeof (float);
  int chunk = CLAMP ((24 << 10) / per_channel, 1, cin);
  int n_chunks = (cin + chunk - 1) / chunk;
  plan->chunk = (cin + n_chunks - 1) / n_chunks;
  plan->pstride = (max_width + k->lanes_per_step - 1) / k->lanes_per_step * k->lanes_per_step;
  if (n_chunks > 1)
    plan->partial = g_new (float, (gsize) ocb * plan->pstride);
  plan->moved = g_new (int, max_taps);
  return plan;
}

void
tconv_plan_free (TconvPlan *plan)
{
  if (plan == NULL)
    return;
  for (int b = 0; b < plan->n_blocks; b++)
    {
      g_free ((int *) plan->args[b].off);
      g_free ((float *) plan->args[b].w);
      g_free (plan->tap_row[b]);
    }
  g_free (plan->tap_row);
  g_free (plan->moved);
  g_free (plan->args);
  g_free (plan->out_off);
  g_free (plan->out_rows);
  g_free (plan->out_chan);
  g_free (plan->out_phase);
  g_free (plan->partial);
  g_free (plan->off);
  g_free (plan->ky);
  g_free (plan->kx);
  g_free (plan);
}

const TconvPlanInput *
tconv_plan_input (const TconvPlan *plan)
{
  return &plan->input;
}

void
tconv_plan_set_plane_stride (TconvPlan *plan, gsize stride)
{
  for (int i = 0; i < plan->n_blocks * plan->ocb; i++)
    plan->out_off[i] = (gsize) plan->out_chan[i] * stride + plan->out_phase[i];
}

int
tconv_plan_rows (const TconvPlan *plan)
{
  return plan->rows;
}

void
tconv_plan_run_row (const TconvPlan *plan, const float *window, const int *row_offsets,
                    gsize plane, float *out, int r)
{
  const int ocb = plan->ocb;

  for (int b = 0; b < plan->n_blocks; b++)
    {
      TconvKernelArgs a = plan->args[b];
      gboolean        wanted = FALSE;
      if (row_offsets)
        {
          /* the same taps, with each row where the caller keeps it */
          for (int t = 0; t < a.ntaps; t++)
            {
              int dy = plan->tap_row[b][t];
              plan->moved[t] = a.off[t] - dy * a.pw + row_offsets[dy];
            }
          a.off = plan->moved;
        }
      for (int j = 0; j < a.cob; j++)
        {
          a.rows[j] = r < plan->out_rows[b * ocb + j];
          a.out[j] = out + plan->out_off[b * ocb + j] + (gsize) r * a.out_row;
          wanted |= a.rows[j];
        }
      if (!wanted)
        continue;
      a.row0 = 0;
      a.plane = plane;
      a.partial = plan->partial;
      a.pstride = plan->pstride;
      for (int c0 = 0; c0 < plan->cin; c0 += plan->chunk)
        {
          a.in = window + (gsize) c0 * plane;
          a.cin = MIN (plan->chunk, plan->cin - c0);
          a.w = plan->args[b].w + (gsize) c0 * a.ntaps * ocb;
          a.first = c0 == 0;
          a.last = c0 + plan->chunk >= plan->cin;
          plan->k->run (&a);
        }
    }
}

/* Runs a plan over a whole padded input (cin planes of ph x pw). */
static void
plan_run (const TconvPlan *plan, const float *in, float *out)
{
  const TconvPlanInput *g = &plan->input;
  for (int r = 0; r < plan->rows; r++)
    tconv_plan_run_row (plan, in + (gsize) (r + g->row_lo) * g->pw, NULL, (gsize) g->ph * g->pw,
                        out, r);
}

TconvPlan *
tconv_plan_conv2d (const TconvTensor *w, const float *bias, const TconvConv2dParams *p,
                   const float *slopes, int n_slopes, int group, int in_h, int in_w)
{
  const Isa *k = isa ();

  if (k->kernels == NULL || p->stride[0] != 1 || p->stride[1] != 1)
    return NULL;

  const int      ntaps = w->h * w->w, cog = w->n / p->groups;
  const int      out_h = in_h + 2 * p->padding[0] - p->dilation[0] * (w->h - 1);
  const int      out_w = in_w + 2 * p->padding[1] - p->dilation[1] * (w->w - 1);
  TconvPlanInput g = { p->padding[0], p->padding[1], in_h + 2 * p->padding[0],
                       in_w + 2 * p->padding[1], 0, p->dilation[0] * (w->h - 1) };
  int           *off = g_new (int, ntaps), *ky = g_new (int, ntaps), *kx = g_new (int, ntaps);
  Channel       *ch = g_new (Channel, cog);

  if (out_h < 1 || out_w < 1)
    {
      g_free (off), g_free (ky), g_free (kx), g_free (ch);
      return NULL;
    }
  for (int y = 0, t = 0; y < w->h; y++)
    for (int x = 0; x < w->w; x++, t++)
      {
        ky[t] = y;
        kx[t] = x;
        off[t] = y * p->dilation[0] * g.pw + x * p->dilation[1];
      }
  for (int c = 0; c < cog; c++)
    ch[c] = (Channel) { group * cog + c, ntaps, off, ky, kx, c, 0, out_h, out_w };
  /* conv weights are [out][in/groups][kh][kw]: ci is within the group already */
  Weights    wt = { w, conv_weight, 0, bias, slopes, n_slopes };
  TconvPlan *plan = plan_new (k, ch, cog, &wt, w->c, &g, (gsize) out_h * out_w, out_w, 1);
  plan->off = off, plan->ky = ky, plan->kx = kx;
  g_free (ch);
  return plan;
}

/* Runs one plan per group over every image of the batch, padding each once. */
static gboolean
run_plans (TconvPlan **plans, int groups, const TconvTensor *in, TconvTensor *out,
           TconvPaddingMode mode)
{
  const TconvPlanInput *g = tconv_plan_input (plans[0]);
  const int             cig = in->c / groups, cog = out->c / groups;
  /* an unpadded input will do as it is: tensors carry the kernels' slack */
  const gboolean        copy = g->top || g->left || g->ph != in->h || g->pw != in->w;

  for (int n = 0; n < in->n; n++)
    {
      float *buf = copy ? padded_copy (in, n, g->top, g->left, g->ph, g->pw, mode)
                        : tconv_tensor_plane (in, n, 0);
      if (buf == NULL)
        return FALSE; /* the reference will report the memory error */
      for (int k = 0; k < groups; k++)
        plan_run (plans[k], buf + (gsize) k * cig * g->ph * g->pw,
                  tconv_tensor_plane (out, n, k * cog));
      if (copy)
        tconv_block_free (buf);
    }
  return TRUE;
}

gboolean
tconv_fast_conv2d (const TconvTensor *in, const TconvTensor *w, const float *bias,
                   const TconvConv2dParams *p, const float *slopes, int n_slopes,
                   TconvTensor *out)
{
  if (isa ()->kernels == NULL || p->stride[0] != 1 || p->stride[1] != 1)
    return FALSE;

  TconvPlan **plans = g_new0 (TconvPlan *, p->groups);
  gboolean    ok = TRUE;

  for (int g = 0; g < p->groups && ok; g++)
    ok = (plans[g] = tconv_plan_conv2d (w, bias, p, slopes, n_slopes, g, in->h, in->w)) != NULL;
  ok = ok && run_plans (plans, p->groups, in, out, p->padding_mode);
  for (int g = 0; g < p->groups; g++)
    tconv_plan_free (plans[g]);
  g_free (plans);
  return ok;
}

/* Floor division for possibly negative numerators. */
static int
floor_div (int a, int b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

TconvPlan *
tconv_plan_conv_transpose2d (const TconvTensor *w, const float *bias,
                             const TconvConvTranspose2dParams *p, int group, int in_h, int in_w,
                             int out_h, int out_w)
{
  const Isa *k = isa ();

  if (k->kernels == NULL)
    return NULL;

  const int cig = w->n / p->groups, cog = w->c;
  const int sy = p->stride[0], sx = p->stride[1], dy = p->dilation[0], dx = p->dilation[1];
  /* Input row of output o through tap k: (o + padding - k*dilation) / stride = q + c.
   * The padded input must cover every c, for every phase. */
  int cmin_y = floor_div (-p->padding[0] - (w->h - 1) * dy + 0, sy) - 1;
  int cmin_x = floor_div (-p->padding[1] - (w->w - 1) * dx + 0, sx) - 1;
  int cmax_y = floor_div (sy - 1 + p->padding[0], sy) + 1;
  int cmax_x = floor_div (sx - 1 + p->padding[1], sx) + 1;
  int top = MAX (0, -cmin_y), left = MAX (0, -cmin_x);
  int qy = (out_h + sy - 1) / sy, qx = (out_w + sx - 1) / sx;
  int ph = top + MAX (in_h, qy + cmax_y) + 1, pw = left + MAX (in_w, qx + cmax_x) + 1;
  int n_phases = MIN (sy, out_h) * MIN (sx, out_w), ntaps_max = w->h * w->w;
  /* taps of each phase, stored phase after phase */
  int     *off = g_new (int, ntaps_max), *ky = g_new (int, ntaps_max), *kx = g_new (int, ntaps_max);
  int     *first = g_new (int, n_phases + 1);
  Channel *ch = g_new (Channel, (gsize) n_phases * cog);
  int      nt = 0, phase = 0, row_lo = G_MAXINT, row_hi = 0;

  for (int ry = 0; ry < sy && ry < out_h; ry++)
    for (int rx = 0; rx < sx && rx < out_w; rx++, phase++)
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
                int row = floor_div (num_y, sy) + top;
                row_lo = MIN (row_lo, row), row_hi = MAX (row_hi, row);
                off[nt] = row * pw + floor_div (num_x, sx) + left;
                nt++;
              }
          }
      }
  first[phase] = nt;
  if (nt == 0)
    row_lo = row_hi = top;

  /* phase-major: the channels of one phase share their taps, so a block of them wastes
   * no FMA; a single-channel output packs its phases together instead */
  int i = 0;
  phase = 0;
  for (int ry = 0; ry < sy && ry < out_h; ry++)
    for (int rx = 0; rx < sx && rx < out_w; rx++, phase++)
      for (int c = 0; c < cog; c++)
        ch[i++] = (Channel) { c, first[phase + 1] - first[phase], off + first[phase],
                              ky + first[phase], kx + first[phase], c,
                              (gsize) ry * out_w + rx,
                              (out_h - ry + sy - 1) / sy, (out_w - rx + sx - 1) / sx };
  TconvPlanInput g = { top, left, ph, pw, row_lo, row_hi };
  Weights        wt = { w, transposed_weight, group * cig, bias ? bias + group * cog : NULL, NULL, 0 };
  TconvPlan     *plan = plan_new (k, ch, i, &wt, cig, &g, (gsize) out_h * out_w, (gsize) sy * out_w, sx);
  plan->off = off, plan->ky = ky, plan->kx = kx;
  g_free (first);
  g_free (ch);
  return plan;
}

gboolean
tconv_fast_conv_transpose2d (const TconvTensor *in, const TconvTensor *w, const float *bias,
                             const TconvConvTranspose2dParams *p, TconvTensor *out)
{
  if (isa ()->kernels == NULL)
    return FALSE;

  TconvPlan **plans = g_new0 (TconvPlan *, p->groups);
  gboolean    ok = TRUE;

  for (int g = 0; g < p->groups && ok; g++)
    ok = (plans[g] = tconv_plan_conv_transpose2d (w, bias, p, g, in->h, in->w, out->h, out->w))
         != NULL;
  ok = ok && run_plans (plans, p->groups, in, out, TCONV_PAD_ZEROS);
  for (int g = 0; g < p->groups; g++)
    tconv_plan_free (plans[g]);
  g_free (plans);
  return ok;
}

gboolean
tconv_fold_resize_conv2d (int s, const TconvTensor *w, const TconvConv2dParams *p,
                          TconvTensor *folded, TconvConvTranspose2dParams *t)
{
  if (isa ()->kernels == NULL || s < 2 || p->groups != 1 || p->padding_mode != TCONV_PAD_ZEROS
      || p->stride[0] != 1 || p->stride[1] != 1 || p->dilation[0] != 1 || p->dilation[1] != 1
      || p->padding[0] > w->h - 1 || p->padding[1] > w->w - 1)
    return FALSE;

  const int kh = w->h + s - 1, kw = w->w + s - 1, cout = w->n, cin = w->c;
  *folded = (TconvTensor) { cin, cout, kh, kw, NULL };
  if (!tconv_tensor_alloc (folded, "folded weights", NULL))
    return FALSE;
  for (int co = 0; co < cout; co++)
    for (int ci = 0; ci < cin; ci++)
      {
        const float *src = w->data + ((gsize) co * cin + ci) * w->h * w->w;
        float       *dst = folded->data + ((gsize) ci * cout + co) * kh * kw;
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
  *t = (TconvConvTranspose2dParams) { { s, s }, { w->h - 1 - p->padding[0], w->w - 1 - p->padding[1] },
                                      { 0, 0 }, { 1, 1 }, 1 };
  return TRUE;
}

gboolean
tconv_fast_resize_conv2d (const TconvTensor *in, int s, const TconvTensor *w, const float *bias,
                          const TconvConv2dParams *p, TconvTensor *out)
{
  TconvTensor                folded;
  TconvConvTranspose2dParams t;

  if (!tconv_fold_resize_conv2d (s, w, p, &folded, &t))
    return FALSE;
  gboolean ok = tconv_fast_conv_transpose2d (in, &folded, bias, &t, out);
  tconv_tensor_free (&folded);
  return ok;
}
