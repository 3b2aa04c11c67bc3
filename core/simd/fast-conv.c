/* Fast conv2d and conv_transpose2d: pad the input once, pack the weights so the
 * micro-kernel reads them in order, then run a register-blocked kernel over rows.
 * A transposed convolution runs as stride*stride ordinary convolutions, one per output
 * phase, each with only the taps that reach that phase (no inserted zeros). */
#include <string.h>
#include <unistd.h>

#include "fast-conv.h"
#include "micro-kernels.h"
#include "team.h"

/* Input channels from which a layer counts as wide, and the bytes of its input a segment
 * of columns may span (of a 32-48 KB L1 data cache, the rest for the weights). */
#define WIDE_CHANNELS 32
#define L1_BUDGET     (24 * 1024)

typedef struct
{
  const char        *name;
  const TconvMicroKernel *micro_kernels; /* TCONV_MICRO_KERNELS_PER_ISA of them */
} Isa;

static const Isa ISAS[] = {
  { "reference", NULL },
  { "portable", tconv_micro_kernels_portable },
  { "avx2", tconv_micro_kernels_avx2 },
  { "avx512", tconv_micro_kernels_avx512 },
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

/* A zero-padded (or mode-padded) copy of channels c0.. c0 + nc - 1 of one image of the
 * batch: nc planes of ph x pw, with `top`/`left` rows/cols before the input and slack at
 * the end. */
static float *
padded_copy (const TconvTensor *in, int n, int c0, int nc, int top, int left, int ph, int pw,
             TconvPaddingMode mode)
{
  gsize  plane = (gsize) ph * pw;
  float *buf = tconv_block_alloc (plane * nc + TCONV_MICRO_KERNEL_SLACK);

  if (buf == NULL)
    return NULL;
  memset (buf + plane * nc, 0, TCONV_MICRO_KERNEL_SLACK * sizeof (float));
  for (int c = 0; c < nc; c++)
    {
      const float *src = tconv_tensor_plane (in, n, c0 + c);
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

/* One output channel of the kernels: a real channel, or one output phase (ry, rx) of it
 * for a transposed convolution, with the taps that reach it.  A tap is (dy, dx): the
 * row and column it reads, counted from the first row (row_lo) and column the layer
 * reads; nothing depends on the input's size, so a packed layer serves every tile. */
typedef struct
{
  int        co;      /* channel index in the weight, bias and slopes */
  int        ntaps;
  const int *dy, *dx; /* each tap's input row and column */
  const int *ky, *kx; /* the kernel element of each tap */
  int        plane;   /* output plane, counted from the output base */
  int        ry, rx;  /* output phase */
} Channel;

typedef struct
{
  const TconvTensor *w;
  WeightAt           at;
  int                ci0; /* the group's first input channel in the weight */
  const float       *bias, *slopes;
  int                n_slopes;
} Weights;

/* The distinct taps of channels [0, n), numbered in first-seen order, through a slot
 * per key dy * span + dx of their range: large kernels give a block thousands of taps,
 * so searching a list of them would be quadratic. */
typedef struct
{
  int  lo, n, span;
  int *slot; /* [key - lo]: the tap's number, or -1 */
} TapIndex;

static int
tap_index_build (TapIndex *idx, const Channel *ch, int n, int span, int *dy, int *dx)
{
  int lo = G_MAXINT, hi = G_MININT, count = 0;
  for (int j = 0; j < n; j++)
    for (int t = 0; t < ch[j].ntaps; t++)
      {
        int key = ch[j].dy[t] * span + ch[j].dx[t];
        lo = MIN (lo, key), hi = MAX (hi, key);
      }
  idx->lo = lo;
  idx->span = span;
  idx->n = hi >= lo ? hi - lo + 1 : 0;
  idx->slot = g_new (int, MAX (idx->n, 1));
  memset (idx->slot, 0xff, (gsize) MAX (idx->n, 1) * sizeof (int));
  for (int j = 0; j < n; j++)
    for (int t = 0; t < ch[j].ntaps; t++)
      {
        int *slot = &idx->slot[ch[j].dy[t] * span + ch[j].dx[t] - lo];
        if (*slot < 0)
          {
            if (dy)
              dy[count] = ch[j].dy[t], dx[count] = ch[j].dx[t];
            *slot = count++;
          }
      }
  return count;
}

static int
tap_index_of (const TapIndex *idx, const Channel *c, int t)
{
  return idx->slot[c->dy[t] * idx->span + c->dx[t] - idx->lo];
}

/* Distinct taps of channels [0, n): the taps a block of them must run. */
static int
union_taps (const Channel *ch, int n, int span)
{
  TapIndex idx;
  int      count = tap_index_build (&idx, ch, n, span, NULL, NULL);
  g_free (idx.slot);
  return count;
}

/* FMA slots of channels [0, n) in blocks of ocb: each block's union of taps, for
 * every channel of the block, padding ones included. */
static double
block_slots (const Channel *ch, int n, int ocb, int span)
{
  double slots = 0;
  for (int b = 0; b < n; b += ocb)
    slots += (double) MAX (1, union_taps (ch + b, MIN (ocb, n - b), span)) * ocb;
  return slots;
}

/* The kernel for these channels, in this order: fewest FMA slots, weighed by how many
 * FMAs a load feeds (one channel per block is load-bound); of two that cost the same,
 * the one with fewer slots (FSRCNN's x4 head in phase order: 108 slots in blocks of 4,
 * 120 in blocks of 8, and the blocks of 4 measure faster). */
static const TconvMicroKernel *
pick_micro_kernel (const Isa *isa, const Channel *ch, int n, int span, double *cost_out)
{
  const TconvMicroKernel *best = NULL;
  double                  best_cost = 0, best_slots = 0;

  for (int i = 0; i < TCONV_MICRO_KERNELS_PER_ISA; i++)
    {
      const TconvMicroKernel *k = &isa->micro_kernels[i];
      double                  slots = block_slots (ch, n, k->ocb, span);
      double                  cost = slots * (1.0 + 1.0 / k->ocb);
      if (best == NULL || cost < best_cost || (cost == best_cost && slots < best_slots))
        best = k, best_cost = cost, best_slots = slots;
    }
  *cost_out = best_cost;
  return best;
}

/* A block of up to ocb channels: their union of taps and packed weights. */
typedef struct
{
  int    ntaps, cob;
  int   *dy, *dx;
  float *w, *bias, *slope; /* w: [cin][ntaps][ocb], then ocb biases and ocb slopes */
  int    plane[TCONV_MICRO_KERNEL_MAX_OCB], ry[TCONV_MICRO_KERNEL_MAX_OCB], rx[TCONV_MICRO_KERNEL_MAX_OCB];
} Block;

struct _TconvPackedLayer
{
  const TconvMicroKernel *k;
  int                n_blocks, ocb, cin, sy, sx;
  gboolean           transposed;
  /* the padded input: `top` rows and `left` columns before the input; after it, a
   * conv2d's padding (after_y, after_x), a transposed conv's reach past its last phase
   * row (cmax_y, cmax_x); output rows read rows row_lo..row_hi of it */
  int                top, left, after_y, after_x, row_lo, row_hi, col_lo, col_hi;
  Block             *blocks;
};

static void
pack_block (Block *blk, const Channel *c, int cob, int ocb, int span, int cin,
            const Weights *wt)
{
  int bound = 1;
  for (int j = 0; j < cob; j++)
    bound += c[j].ntaps;
  blk->dy = g_new (int, bound);
  blk->dx = g_new (int, bound);
  TapIndex taps;
  blk->ntaps = tap_index_build (&taps, c, cob, span, blk->dy, blk->dx);
  blk->cob = cob;
  const gsize nw = (gsize) cin * MAX (blk->ntaps, 1) * ocb;
  blk->w = g_new0 (float, nw + 2 * ocb);
  blk->bias = blk->w + nw;
  blk->slope = wt->slopes ? blk->bias + ocb : NULL;
  for (int j = 0; j < cob; j++)
    {
      for (int t = 0; t < c[j].ntaps; t++)
        {
          int u = tap_index_of (&taps, &c[j], t);
          for (int ci = 0; ci < cin; ci++)
            blk->w[((gsize) ci * blk->ntaps + u) * ocb + j] =
              wt->at (wt->w, wt->ci0 + ci, c[j].co, c[j].ky[t], c[j].kx[t]);
        }
      blk->bias[j] = wt->bias ? wt->bias[c[j].co] : 0.0f;
      if (wt->slopes)
        blk->slope[j] = wt->slopes[wt->n_slopes == 1 ? 0 : c[j].co];
      blk->plane[j] = c[j].plane;
      blk->ry[j] = c[j].ry;
      blk->rx[j] = c[j].rx;
    }
  g_free (taps.slot);
}

/* Packs channels [0, n) into blocks for the kernel that runs them best; `alt`, when
 * given, is the same channels in another order, taken if it costs less. */
static TconvPackedLayer *
packed_new (const Isa *isa, const Channel *ch, const Channel *alt, int n, const Weights *wt,
            int cin, int span)
{
  TconvPackedLayer       *pl = g_new0 (TconvPackedLayer, 1);
  double                  cost, alt_cost;
  const TconvMicroKernel *k = pick_micro_kernel (isa, ch, n, span, &cost);
  const TconvMicroKernel *k_alt = alt ? pick_micro_kernel (isa, alt, n, span, &alt_cost) : NULL;

  if (k_alt && alt_cost < cost)
    k = k_alt, ch = alt;
  pl->k = k;
  pl->ocb = k->ocb;
  pl->cin = cin;
  pl->n_blocks = (n + k->ocb - 1) / k->ocb;
  pl->blocks = g_new0 (Block, pl->n_blocks);
  for (int b = 0; b < pl->n_blocks; b++)
    pack_block (&pl->blocks[b], ch + b * k->ocb, MIN (k->ocb, n - b * k->ocb), k->ocb, span,
                cin, wt);
  return pl;
}

gboolean
tconv_packed_layer_is_wide (const TconvPackedLayer *pl)
{
  return pl->cin >= WIDE_CHANNELS && pl->n_blocks >= 2;
}

void
tconv_packed_layer_free (TconvPackedLayer *pl)
{
  if (pl == NULL)
    return;
  for (int b = 0; b < pl->n_blocks; b++)
    {
      g_free (pl->blocks[b].dy);
      g_free (pl->blocks[b].dx);
      g_free (pl->blocks[b].w);
    }
  g_free (pl->blocks);
  g_free (pl);
}

TconvPackedLayer *
tconv_pack_conv2d (const TconvTensor *w, const float *bias, const TconvConv2dParams *p,
                   const float *slopes, int n_slopes, int group)
{
  const Isa *k = isa ();

  if (k->micro_kernels == NULL || p->stride[0] != 1 || p->stride[1] != 1)
    return NULL;

  const int ntaps = w->h * w->w, cog = w->n / p->groups;
  int      *dy = g_new (int, ntaps), *dx = g_new (int, ntaps);
  int      *ky = g_new (int, ntaps), *kx = g_new (int, ntaps);
  Channel  *ch = g_new (Channel, cog);

  for (int y = 0, t = 0; y < w->h; y++)
    for (int x = 0; x < w->w; x++, t++)
      ky[t] = y, kx[t] = x, dy[t] = y * p->dilation[0], dx[t] = x * p->dilation[1];
  for (int c = 0; c < cog; c++)
    ch[c] = (Channel) { group * cog + c, ntaps, dy, dx, ky, kx, c, 0, 0 };
  /* conv weights are [out][in/groups][kh][kw]: ci is within the group already */
  Weights           wt = { w, conv_weight, 0, bias, slopes, n_slopes };
  TconvPackedLayer *pl = packed_new (k, ch, NULL, cog, &wt, w->c, p->dilation[1] * (w->w - 1) + 1);
  pl->sy = pl->sx = 1;
  pl->top = pl->after_y = p->padding[0];
  pl->left = pl->after_x = p->padding[1];
  pl->row_lo = pl->col_lo = 0;
  pl->row_hi = p->dilation[0] * (w->h - 1);
  pl->col_hi = p->dilation[1] * (w->w - 1);
  g_free (dy), g_free (dx), g_free (ky), g_free (kx), g_free (ch);
  return pl;
}

/* Floor division for possibly negative numerators. */
static int
floor_div (int a, int b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The input offsets, ascending, that one axis of output phase r reads: one per tap a
 * with r + padding - a*dilation divisible by the stride. */
static int
axis_offsets (int r, int padding, int k, int dilation, int s, int *out)
{
  int n = 0;
  for (int a = k - 1; a >= 0; a--)
    {
      int num = r + padding - a * dilation;
      if (((num % s) + s) % s == 0)
        out[n++] = floor_div (num, s);
    }
  return n;
}

static int
compare_offsets (const int *a, int na, const int *b, int nb)
{
  for (int i = 0; i < MIN (na, nb); i++)
    if (a[i] != b[i])
      return a[i] < b[i] ? -1 : 1;
  return (na > nb) - (na < nb);
}

/* Each phase of an axis ranked by the offsets it reads; phases reading the same
 * offsets share a rank. */
static void
axis_ranks (int s, int padding, int k, int dilation, int *rank)
{
  int *off = g_new (int, (gsize) s * k), *n = g_new (int, s);
  for (int r = 0; r < s; r++)
    n[r] = axis_offsets (r, padding, k, dilation, s, off + (gsize) r * k);
  for (int r = 0; r < s; r++)
    {
      rank[r] = 0;
      for (int q = 0; q < s; q++)
        rank[r] += compare_offsets (off + (gsize) q * k, n[q], off + (gsize) r * k, n[r]) < 0;
    }
  g_free (off);
  g_free (n);
}

static int
compare_ints (const void *a, const void *b)
{
  return (*(const int *) a > *(const int *) b) - (*(const int *) a < *(const int *) b);
}

/* The phases ordered by the rows, then the columns, they read, so that phases reading
 * the same ones are neighbours and share blocks: FSRCNN's 9x9 head at x4 runs 100 FMA
 * slots per input channel in blocks of 4 this way, 108 in phase order (81 useful).
 * NULL for strides with too many phases to be worth it. */
static int *
phases_by_taps (const TconvTensor *w, const TconvConvTranspose2dParams *p)
{
  const int sy = p->stride[0], sx = p->stride[1], n = sy * sx;
  if (n > 256)
    return NULL;
  int *rank_y = g_new (int, sy), *rank_x = g_new (int, sx), *order = g_new (int, n);
  axis_ranks (sy, p->padding[0], w->h, p->dilation[0], rank_y);
  axis_ranks (sx, p->padding[1], w->w, p->dilation[1], rank_x);
  for (int ph = 0; ph < n; ph++)
    order[ph] = (rank_y[ph / sx] * sx + rank_x[ph % sx]) * n + ph;
  qsort (order, n, sizeof *order, compare_ints);
  for (int i = 0; i < n; i++)
    order[i] %= n;
  g_free (rank_y);
  g_free (rank_x);
  return order;
}

/* The taps of every output phase of a transposed convolution, phase after phase
 * (first[phase] .. first[phase + 1]), as padded-input rows and columns. */
static int
phase_taps (const TconvTensor *w, const TconvConvTranspose2dParams *p, const TconvPackedLayer *pl,
            int *row, int *col, int *ky, int *kx, int *first)
{
  const int sy = p->stride[0], sx = p->stride[1];
  int       nt = 0, phase = 0;

  for (int ry = 0; ry < sy; ry++)
    for (int rx = 0; rx < sx; rx++, phase++)
      {
        first[phase] = nt;
        for (int a = 0; a < w->h; a++)
          {
            int num_y = ry + p->padding[0] - a * p->dilation[0];
            if (((num_y % sy) + sy) % sy != 0)
              continue; /* this tap never reaches this phase */
            for (int b = 0; b < w->w; b++)
              {
                int num_x = rx + p->padding[1] - b * p->dilation[1];
                if (((num_x % sx) + sx) % sx != 0)
                  continue;
                ky[nt] = a, kx[nt] = b;
                row[nt] = floor_div (num_y, sy) + pl->top;
                col[nt] = floor_div (num_x, sx) + pl->left;
                nt++;
              }
          }
      }
  first[phase] = nt;
  return nt;
}

/* Output channel c of phase ph as a kernel channel, with the phase's taps. */
static Channel
phase_channel (int c, int ph, int sx, const int *row, const int *col, const int *ky,
               const int *kx, const int *first)
{
  return (Channel) { c, first[ph + 1] - first[ph], row + first[ph], col + first[ph],
                     ky + first[ph], kx + first[ph], c, ph / sx, ph % sx };
}

TconvPackedLayer *
tconv_pack_conv_transpose2d (const TconvTensor *w, const float *bias,
                             const TconvConvTranspose2dParams *p, int group)
{
  const Isa *k = isa ();

  if (k->micro_kernels == NULL)
    return NULL;

  const int sy = p->stride[0], sx = p->stride[1], cig = w->n / p->groups, cog = w->c;
  /* Input row of output o through tap k: (o + padding - k*dilation) / stride = q + c;
   * the padded input must cover every c, for every phase. */
  TconvPackedLayer geo = { 0 };
  geo.top = MAX (0, 1 - floor_div (-p->padding[0] - (w->h - 1) * p->dilation[0], sy));
  geo.left = MAX (0, 1 - floor_div (-p->padding[1] - (w->w - 1) * p->dilation[1], sx));
  geo.after_y = floor_div (sy - 1 + p->padding[0], sy) + 1;
  geo.after_x = floor_div (sx - 1 + p->padding[1], sx) + 1;
  const int n_phases = sy * sx, ntaps_max = w->h * w->w;
  int      *row = g_new (int, ntaps_max), *col = g_new (int, ntaps_max);
  int      *ky = g_new (int, ntaps_max), *kx = g_new (int, ntaps_max);
  int      *first = g_new (int, n_phases + 1);
  int       nt = phase_taps (w, p, &geo, row, col, ky, kx, first);
  int       row_lo = geo.top, row_hi = geo.top, col_lo = geo.left, col_hi = geo.left, span = 1;

  for (int t = 0; t < nt; t++)
    {
      row_lo = t ? MIN (row_lo, row[t]) : row[t], row_hi = t ? MAX (row_hi, row[t]) : row[t];
      col_lo = t ? MIN (col_lo, col[t]) : col[t], col_hi = t ? MAX (col_hi, col[t]) : col[t];
      span = MAX (span, col[t] + 1);
    }
  for (int t = 0; t < nt; t++)
    row[t] -= row_lo;
  /* phase-major: the channels of one phase share their taps, so a block of them wastes
   * no FMA; a single-channel output packs its phases together instead, in phase order
   * or, if that costs less, in the order of their taps */
  int     *by_taps = phases_by_taps (w, p);
  Channel *ch = g_new (Channel, (gsize) n_phases * cog);
  Channel *alt = by_taps ? g_new (Channel, (gsize) n_phases * cog) : NULL;
  for (int i = 0; i < n_phases; i++)
    for (int c = 0; c < cog; c++)
      {
        ch[i * cog + c] = phase_channel (c, i, sx, row, col, ky, kx, first);
        if (alt)
          alt[i * cog + c] = phase_channel (c, by_taps[i], sx, row, col, ky, kx, first);
      }
  Weights wt = { w, transposed_weight, group * cig, bias ? bias + group * cog : NULL, NULL, 0 };
  TconvPackedLayer *pl = packed_new (k, ch, alt, n_phases * cog, &wt, cig, span);
  pl->transposed = TRUE;
  pl->sy = sy, pl->sx = sx;
  pl->top = geo.top, pl->left = geo.left, pl->after_y = geo.after_y, pl->after_x = geo.after_x;
  pl->row_lo = row_lo, pl->row_hi = row_hi, pl->col_lo = col_lo, pl->col_hi = col_hi;
  g_free (row), g_free (col), g_free (ky), g_free (kx), g_free (first), g_free (ch);
  g_free (alt), g_free (by_taps);
  return pl;
}

/* ---- a packed layer bound to one input size ---------------------------------------- */

/* What one thread's run of a row pass writes: each member of a team has its own. */
typedef struct
{
  int                  *moved;    /* the blocks' offsets over rows not pw apart */
  TconvMicroKernelArgs *run_args; /* [n_blocks] this row's arguments */
  gboolean             *wanted;   /* [n_blocks] whether the row has a channel of it */
  float                *partial;  /* [n_blocks][ocb][pstride] sums between chunks, or NULL */
} Scratch;

struct _TconvRowPass
{
  const TconvPackedLayer *pl;
  TconvMicroKernelArgs        *args;      /* [n_blocks] */
  int                    *offs;      /* every block's linear tap offsets */
  gsize                  *out_off;   /* [n_blocks][ocb] channel offsets from the output base */
  gsize                  *out_phase; /* [n_blocks][ocb] offset within the channel's plane */
  int                    *out_rows;  /* [n_blocks][ocb] rows of each channel */
  int                     rows;      /* output rows (phase rows for a transposed conv) */
  int                     chunk, pstride;
  int                     width;     /* the widest block's columns */
  int                     segment;   /* columns run by every block in turn (see pass_chunks) */
  int                     members;   /* threads that may run it at once: of the team */
  Scratch                *scratch;   /* [members] */
  TconvPassInput          input;
};

static TconvPassInput
pass_input (const TconvPackedLayer *pl, int in_h, int in_w, int out_h, int out_w)
{
  TconvPassInput g = { pl->top, pl->left, 0, 0, pl->row_lo, pl->row_hi, pl->col_lo, pl->col_hi };
  if (!pl->transposed)
    g.ph = in_h + pl->top + pl->after_y, g.pw = in_w + pl->left + pl->after_x;
  else
    {
      int qy = (out_h + pl->sy - 1) / pl->sy, qx = (out_w + pl->sx - 1) / pl->sx;
      g.ph = pl->top + MAX (in_h, qy + pl->after_y) + 1;
      g.pw = pl->left + MAX (in_w, qx + pl->after_x) + 1;
    }
  return g;
}

static gsize chunk_budget_override;

void
tconv_fast_set_chunk_budget (gsize bytes)
{
  g_atomic_pointer_set (&chunk_budget_override, bytes);
}

/* Bytes of input rows one chunk of input channels may span: half this core's L2.  The
 * rows of every input channel stay in L2 this way, where the blocks' loads run at FMA
 * pace; chunks of L1 size measured slower (fsrcnn-x4 on a 1 MB-L2 AMD EPYC: 240-259 ms
 * against 216-229 ms), because a chunk of one or two channels spends as many loads and
 * stores on its partial sums as on the input. */
static gsize
chunk_budget (void)
{
  gsize forced = (gsize) g_atomic_pointer_get (&chunk_budget_override);
  if (forced)
    return forced;
  static gsize budget = 0;
  if (g_once_init_enter (&budget))
    {
      long l2 = sysconf (_SC_LEVEL2_CACHE_SIZE);
      g_once_init_leave (&budget, (l2 > 0 ? (gsize) l2 : (gsize) 1 << 20) / 2);
    }
  return budget;
}

/* Input channels in chunks whose rows fit the chunk budget; most layers need one. */
static void
pass_chunks (TconvRowPass *pass, int max_width)
{
  const TconvMicroKernel *k = pass->pl->k;
  const int          cin = pass->pl->cin;
  gsize row_span = pass->input.row_hi - pass->input.row_lo + 1;
  gsize per_channel = row_span * (pass->input.pw + k->lanes_per_step) * sizeof (float);
  int chunk = (int) CLAMP (chunk_budget () / per_channel, 1, (gsize) cin);
  int n_chunks = (cin + chunk - 1) / chunk;
  pass->chunk = (cin + n_chunks - 1) / n_chunks;
  pass->pstride = (max_width + k->lanes_per_step - 1) / k->lanes_per_step * k->lanes_per_step;
  for (int m = 0; m < pass->members && n_chunks > 1; m++)
    pass->scratch[m].partial = g_new (float, (gsize) pass->pl->n_blocks * pass->pl->ocb * pass->pstride);
  /* A wide layer's row (64 channels x 3 rows x 256 columns: 200 KB) does not fit L1, and
   * each block of output channels reads all of it; in segments of a few kernel steps, the
   * blocks share the segment's input from L1.  (No speed-up could be told apart from the
   * noise of the loaded machine it was written on; the segments are what a team shares.)
   * Narrow layers (12-56 channels, tuned before) keep their whole rows. */
  pass->width = max_width;
  pass->segment = G_MAXINT / 2;
  if (tconv_packed_layer_is_wide (pass->pl))
    {
      gsize step_bytes = (gsize) pass->chunk * row_span * k->lanes_per_step * sizeof (float);
      pass->segment = k->lanes_per_step * (int) CLAMP (L1_BUDGET / step_bytes, 1, 64);
    }
}

TconvRowPass *
tconv_row_pass_new (const TconvPackedLayer *pl, int in_h, int in_w, int out_h, int out_w)
{
  const int     ocb = pl->ocb, sy = pl->sy, sx = pl->sx;
  TconvRowPass *pass = g_new0 (TconvRowPass, 1);
  int           total_taps = 0, max_width = 0;

  pass->pl = pl;
  pass->input = pass_input (pl, in_h, in_w, out_h, out_w);
  pass->args = g_new0 (TconvMicroKernelArgs, pl->n_blocks);
  pass->out_off = g_new0 (gsize, (gsize) pl->n_blocks * ocb);
  pass->out_phase = g_new0 (gsize, (gsize) pl->n_blocks * ocb);
  pass->out_rows = g_new0 (int, (gsize) pl->n_blocks * ocb);
  for (int b = 0; b < pl->n_blocks; b++)
    total_taps += pl->blocks[b].ntaps;
  pass->offs = g_new (int, MAX (total_taps, 1));
  /* bound in the thread that runs it: its team's members run it too */
  pass->members = tconv_packed_layer_is_wide (pl) ? tconv_team_size (tconv_team_for_thread ()) : 1;
  pass->scratch = g_new0 (Scratch, pass->members);
  for (int m = 0; m < pass->members; m++)
    {
      pass->scratch[m].moved = g_new (int, MAX (total_taps, 1));
      pass->scratch[m].run_args = g_new (TconvMicroKernelArgs, pl->n_blocks);
      pass->scratch[m].wanted = g_new (gboolean, pl->n_blocks);
    }
  for (int b = 0, o = 0; b < pl->n_blocks; b++)
    {
      const Block     *blk = &pl->blocks[b];
      TconvMicroKernelArgs *a = &pass->args[b];
      int             *off = pass->offs + o;
      for (int t = 0; t < blk->ntaps; t++)
        off[t] = blk->dy[t] * pass->input.pw + blk->dx[t];
      o += blk->ntaps;
      *a = (TconvMicroKernelArgs) { .pw = pass->input.pw, .off = off, .ntaps = blk->ntaps,
                               .w = blk->w, .bias = blk->bias, .slope = blk->slope,
                               .cob = blk->cob, .nrows = 1, .out_row = (gsize) sy * out_w,
                               .out_step = sx };
      for (int j = 0; j < blk->cob; j++)
        {
          int rows = MAX (0, (out_h - blk->ry[j] + sy - 1) / sy);
          int cols = MAX (0, (out_w - blk->rx[j] + sx - 1) / sx);
          pass->out_phase[b * ocb + j] = (gsize) blk->ry[j] * out_w + blk->rx[j];
          pass->out_rows[b * ocb + j] = rows;
          a->cols[j] = cols;
          a->width = MAX (a->width, cols);
          pass->rows = MAX (pass->rows, rows);
        }
      max_width = MAX (max_width, a->width);
    }
  tconv_row_pass_set_plane_stride (pass, (gsize) out_h * out_w);
  pass_chunks (pass, max_width);
  return pass;
}

void
tconv_row_pass_free (TconvRowPass *pass)
{
  if (pass == NULL)
    return;
  g_free (pass->args);
  g_free (pass->offs);
  g_free (pass->out_off);
  g_free (pass->out_phase);
  g_free (pass->out_rows);
  for (int m = 0; m < pass->members; m++)
    {
      g_free (pass->scratch[m].partial);
      g_free (pass->scratch[m].moved);
      g_free (pass->scratch[m].run_args);
      g_free (pass->scratch[m].wanted);
    }
  g_free (pass->scratch);
  g_free (pass);
}

const TconvPassInput *
tconv_row_pass_input (const TconvRowPass *pass)
{
  return &pass->input;
}

void
tconv_row_pass_set_plane_stride (TconvRowPass *pass, gsize stride)
{
  const TconvPackedLayer *pl = pass->pl;
  for (int b = 0; b < pl->n_blocks; b++)
    for (int j = 0; j < pl->blocks[b].cob; j++)
      pass->out_off[b * pl->ocb + j] =
        (gsize) pl->blocks[b].plane[j] * stride + pass->out_phase[b * pl->ocb + j];
}

int
tconv_row_pass_rows (const TconvRowPass *pass)
{
  return pass->rows;
}

/* Columns [x0, x1) of output row r, every block, chunk by chunk of input channels, in
 * the scratch of team member `member`. */
static void
run_columns (const TconvRowPass *pass, const float *window, const int *row_offsets,
             gsize plane, float *out, int r, int x0, int x1, int member)
{
  const TconvPackedLayer *pl = pass->pl;
  const int               ocb = pl->ocb;
  const Scratch          *sc = &pass->scratch[member];
  TconvMicroKernelArgs   *args = sc->run_args;
  gboolean               *wanted = sc->wanted;

  x0 = MAX (x0, 0);
  for (int b = 0; b < pl->n_blocks; b++)
    {
      TconvMicroKernelArgs *a = &args[b];
      *a = pass->args[b];
      wanted[b] = FALSE;
      a->width = MIN (a->width, x1) - x0;
      if (a->width <= 0)
        continue;
      if (row_offsets)
        {
          /* the same taps, with each row where the caller keeps it */
          const Block *blk = &pl->blocks[b];
          int         *moved = sc->moved + (a->off - pass->offs);
          for (int t = 0; t < a->ntaps; t++)
            moved[t] = blk->dx[t] + row_offsets[blk->dy[t]];
          a->off = moved;
        }
      for (int j = 0; j < a->cob; j++)
        {
          a->rows[j] = r < pass->out_rows[b * ocb + j];
          a->out[j] = out + pass->out_off[b * ocb + j] + (gsize) r * a->out_row
                      + (gsize) x0 * a->out_step;
          a->cols[j] = MAX (0, MIN (a->cols[j], x1) - x0);
          wanted[b] |= a->rows[j] && a->cols[j] > 0;
        }
      a->row0 = 0;
      a->plane = plane;
      a->partial = sc->partial + (gsize) b * ocb * pass->pstride;
      a->pstride = pass->pstride;
    }
  /* chunk-major: every block reads a chunk's rows while they are in L1 */
  for (int c0 = 0; c0 < pl->cin; c0 += pass->chunk)
    for (int b = 0; b < pl->n_blocks; b++)
      {
        TconvMicroKernelArgs *a = &args[b];
        if (!wanted[b])
          continue;
        a->in = window + (gsize) c0 * plane + x0;
        a->cin = MIN (pass->chunk, pl->cin - c0);
        a->w = pl->blocks[b].w + (gsize) c0 * a->ntaps * ocb;
        a->first = c0 == 0;
        a->last = c0 + pass->chunk >= pl->cin;
        pl->k->run (a);
      }
}

typedef struct
{
  const TconvRowPass *pass;
  const float        *window;
  const int          *row_offsets;
  gsize               plane;
  float              *out;
  int                 r, x0, x1;
} RowStep;

/* Segment `unit` of a row, by team member `member`: every block over its columns, while
 * they are in L1.  (A team's members take whole segments: each block's arguments and
 * scratch are then the member's own.) */
static void
run_segment (gpointer data, int unit, int member)
{
  const RowStep      *s = data;
  const TconvRowPass *pass = s->pass;
  const int           x = s->x0 + unit * pass->segment, next = x + pass->segment;

  run_columns (pass, s->window, s->row_offsets, s->plane, s->out, s->r, x, MIN (next, s->x1),
               member);
}

void
tconv_row_pass_run (const TconvRowPass *pass, const float *window, const int *row_offsets,
                    gsize plane, float *out, int r, int x0, int x1)
{
  TconvTeam *team = tconv_team_for_thread ();
  RowStep    step = { pass, window, row_offsets, plane, out, r, MAX (x0, 0), MIN (x1, pass->width) };

  if (step.x1 <= step.x0)
    return;
  const int segments = (int) (((gint64) step.x1 - step.x0 + pass->segment - 1) / pass->segment);
  /* a wide layer's row is worth sharing; a narrow one's is over before a helper starts */
  if (team && segments > 1 && tconv_team_size (team) <= pass->members)
    tconv_team_run (team, run_segment, &step, segments);
  else
    for (int u = 0; u < segments; u++)
      run_segment (&step, u, 0);
}

/* ---- whole layers ------------------------------------------------------------------ */

gboolean
tconv_fast_run_packed (TconvPackedLayer *const *packed, int groups, const TconvTensor *in,
                       TconvTensor *out, TconvPaddingMode mode)
{
  const int cig = in->c / groups, cog = out->c / groups;
  gboolean  ok = TRUE;

  for (int n = 0; n < in->n && ok; n++)
    for (int k = 0; k < groups && ok; k++)
      {
        TconvRowPass         *pass = tconv_row_pass_new (packed[k], in->h, in->w, out->h, out->w);
        const TconvPassInput *g = &pass->input;
        /* an unpadded input will do as it is: tensors carry the kernels' slack */
        const gboolean copy = g->top || g->left || g->ph != in->h || g->pw != in->w;
        /* each group pads only its own channels */
        float *buf = copy ? padded_copy (in, n, k * cig, cig, g->top, g->left, g->ph, g->pw, mode)
                          : tconv_tensor_plane (in, n, k * cig);
        float *base = tconv_tensor_plane (out, n, k * cog);
        ok = buf != NULL; /* else the reference will report the memory error */
        for (int r = 0; ok && r < pass->rows; r++)
          tconv_row_pass_run (pass, buf + (gsize) (r + g->row_lo) * g->pw, NULL,
                              (gsize) g->ph * g->pw, base, r, 0, G_MAXINT);
        if (copy)
          tconv_block_free (buf);
        tconv_row_pass_free (pass);
      }
  return ok;
}

static gboolean
run_groups (TconvPackedLayer **packed, int groups, const TconvTensor *in, TconvTensor *out,
            TconvPaddingMode mode)
{
  gboolean ok = TRUE;
  for (int g = 0; g < groups; g++)
    ok = ok && packed[g] != NULL;
  ok = ok && tconv_fast_run_packed (packed, groups, in, out, mode);
  for (int g = 0; g < groups; g++)
    tconv_packed_layer_free (packed[g]);
  g_free (packed);
  return ok;
}

gboolean
tconv_fast_conv2d (const TconvTensor *in, const TconvTensor *w, const float *bias,
                   const TconvConv2dParams *p, const float *slopes, int n_slopes,
                   TconvTensor *out)
{
  if (isa ()->micro_kernels == NULL || p->stride[0] != 1 || p->stride[1] != 1)
    return FALSE;
  TconvPackedLayer **packed = g_new0 (TconvPackedLayer *, p->groups);
  for (int g = 0; g < p->groups; g++)
    packed[g] = tconv_pack_conv2d (w, bias, p, slopes, n_slopes, g);
  return run_groups (packed, p->groups, in, out, p->padding_mode);
}

gboolean
tconv_fast_conv_transpose2d (const TconvTensor *in, const TconvTensor *w, const float *bias,
                             const TconvConvTranspose2dParams *p, TconvTensor *out)
{
  if (isa ()->micro_kernels == NULL)
    return FALSE;
  TconvPackedLayer **packed = g_new0 (TconvPackedLayer *, p->groups);
  for (int g = 0; g < p->groups; g++)
    packed[g] = tconv_pack_conv_transpose2d (w, bias, p, g);
  return run_groups (packed, p->groups, in, out, TCONV_PAD_ZEROS);
}


gboolean
tconv_fold_resize_conv2d (int s, const TconvTensor *w, const TconvConv2dParams *p,
                          TconvTensor *folded, TconvConvTranspose2dParams *t)
{
  if (isa ()->micro_kernels == NULL || s < 2 || p->groups != 1 || p->padding_mode != TCONV_PAD_ZEROS
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
