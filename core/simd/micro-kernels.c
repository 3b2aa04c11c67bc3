/* Register-blocked convolution micro-kernels, compiled once per instruction set
 * (meson builds this file with -DTCONV_ISA=portable|avx2|avx512 and the matching -m
 * flags; fast-conv.c picks one at run time).  GCC vector extensions keep one source;
 * a vector is one register of the target: 16 floats with AVX-512, 8 with AVX2, 4 with
 * the SSE2 every x86-64 has.
 *
 * Each kernel keeps OCB output channels x NV vectors of one output row in registers
 * while it walks the input channels and taps: one vector load feeds OCB FMAs and one
 * broadcast weight feeds NV, so the FMA units, not the loads, set the pace. */
#include <string.h>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "micro-kernels.h"

#if defined(__AVX512F__)
#define VL 16
#elif defined(__AVX2__)
#define VL 8
#else
#define VL 4
#endif
typedef float vf __attribute__ ((vector_size (VL * sizeof (float))));
typedef int   vi __attribute__ ((vector_size (VL * sizeof (int))));

#define CAT2(a, b) a##_##b
#define CAT(a, b)  CAT2 (a, b)
#define NAME(n)    CAT (n, TCONV_ISA)

static inline vf
load (const float *p)
{
  vf v;
  memcpy (&v, p, sizeof v);
  return v;
}

/* PReLU on a vector: v where v >= 0, slope * v elsewhere.  In two instructions where
 * the target has them (a compare and a masked multiply; or a compare, a multiply and
 * a blend), where the generic form takes five: after a 1x1 convolution, whose sums take
 * few FMAs, they add up. */
static inline vf
prelu (vf v, float slope)
{
#if defined(__AVX512F__)
  __m512    x = (__m512) v;
  __mmask16 neg = _mm512_cmp_ps_mask (x, _mm512_setzero_ps (), _CMP_LT_OQ);
  return (vf) _mm512_mask_mul_ps (x, neg, x, _mm512_set1_ps (slope));
#elif defined(__AVX2__)
  __m256 x = (__m256) v, neg = _mm256_cmp_ps (x, _mm256_setzero_ps (), _CMP_LT_OQ);
  return (vf) _mm256_blendv_ps (x, _mm256_mul_ps (x, _mm256_set1_ps (slope)), neg);
#else
  vi neg = v < (vf) {};
  return (vf) (((vi) v & ~neg) | ((vi) (v * slope) & neg));
#endif
}

static inline void
store (float *dst, vf v, int n, int step)
{
  float tmp[VL];
  if (step == 1 && n == VL)
    {
      memcpy (dst, &v, sizeof v);
      return;
    }
  memcpy (tmp, &v, sizeof v);
  for (int i = 0; i < n; i++)
    dst[(gsize) i * step] = tmp[i];
}

/* Channel j's row r, columns x.. of NV vectors, clipped to its extent. */
static inline void
store_row (const TconvMicroKernelArgs *a, int j, int r, int x, const vf *v, int nv)
{
  if (r >= a->rows[j])
    return;
  float *dst = a->out[j] + (gsize) r * a->out_row + (gsize) x * a->out_step;
  int    n = a->cols[j] - x;
  for (int i = 0; i < nv && n > i * VL; i++)
    store (dst + (gsize) i * VL * a->out_step, a->slope ? prelu (v[i], a->slope[j]) : v[i],
           MIN (n - i * VL, VL), a->out_step);
}

/* The start of channel j's sums: the bias, or the previous chunk's partial sums. */
static inline vf
acc_init (const TconvMicroKernelArgs *a, int j, int x)
{
  return a->first ? (vf) {} + a->bias[j] : load (a->partial + (gsize) j * a->pstride + x);
}

static inline void
acc_done (const TconvMicroKernelArgs *a, int j, int r, int x, vf *v, int nv)
{
  if (a->last)
    store_row (a, j, r, x, v, nv);
  else
    for (int i = 0; i < nv; i++)
      memcpy (a->partial + (gsize) j * a->pstride + x + i * VL, &v[i], sizeof v[i]);
}

/* Whether every channel of a full block stores NV whole vectors at row r, column x,
 * one after the other: then the sums go out straight from the registers, where the
 * general path (acc_done) makes the compiler spill them and test every vector.  For
 * layers with few multiply-adds per output, such as 1x1 convolutions, that path cost
 * as much as the sums. */
static inline gboolean
dense_at (const TconvMicroKernelArgs *a, int ocb, int min_rows, int min_cols, int r, int x,
          int nv)
{
  return a->cob == ocb && a->out_step == 1 && r < min_rows && x + nv * VL <= min_cols;
}

/* The smallest extent of the block's channels, rows then columns (0 if it is not full). */
static inline void
block_extent (const TconvMicroKernelArgs *a, int ocb, int *min_rows, int *min_cols)
{
  *min_rows = *min_cols = 0;
  if (a->cob != ocb)
    return;
  *min_rows = *min_cols = G_MAXINT;
  for (int j = 0; j < ocb; j++)
    *min_rows = MIN (*min_rows, a->rows[j]), *min_cols = MIN (*min_cols, a->cols[j]);
}

#define DENSE_DONE(OCB, NV)                                                                  \
  {                                                                                          \
    const float *slope = a->last ? a->slope : NULL;                                          \
    _Pragma ("GCC unroll 16") for (int j = 0; j < OCB; j++)                                  \
    {                                                                                        \
      float *dst = a->last ? a->out[j] + (gsize) r * a->out_row + x                          \
                           : a->partial + (gsize) j * a->pstride + x;                        \
      float  s = slope ? slope[j] : 0.0f;                                                    \
      _Pragma ("GCC unroll 8") for (int i = 0; i < NV; i++)                                  \
      {                                                                                      \
        vf v = slope ? prelu (acc[j][i], s) : acc[j][i];                                     \
        memcpy (dst + i * VL, &v, sizeof v);                                                 \
      }                                                                                      \
    }                                                                                        \
  }

/* The line one cache line past the next block's first column, for every tap row: the
 * block after this one reads it next, and with a row of 12-56 channels x 3-9 taps in
 * flight the hardware prefetchers miss it.  AVX2 only, where it was measured (AMD EPYC
 * Zen 3, 32 KB L1; bench-tconv 1024x1024, 2 threads, 25 alternating runs, medians:
 * fsrcnn-x2 394 -> 367 ms, fsrcnn-x4 426 -> 403, sesr-x2 387 -> 338); no AVX-512
 * machine was at hand to measure it there. */
#if VL == 8
#define PREFETCH_NEXT_BLOCK(p, NV) __builtin_prefetch ((p) + (NV) * VL + 16, 0, 3)
#else
#define PREFETCH_NEXT_BLOCK(p, NV)
#endif

/* OCB channels x NV vectors at row r, columns x.. */
#define BLOCK(OCB, NV)                                                                       \
  {                                                                                          \
    vf           acc[OCB][NV];                                                               \
    const float *base = a->in + (gsize) r * a->pw + x;                                       \
    _Pragma ("GCC unroll 16") for (int j = 0; j < OCB; j++)                                  \
      _Pragma ("GCC unroll 8") for (int i = 0; i < NV; i++)                                  \
        acc[j][i] = acc_init (a, j, x + i * VL);                                             \
    for (int ci = 0; ci < a->cin; ci++)                                                      \
      {                                                                                      \
        const float *src = base + (gsize) ci * a->plane;                                     \
        const float *wp = a->w + (gsize) ci * a->ntaps * OCB;                                \
        for (int t = 0; t < a->ntaps; t++, wp += OCB)                                        \
          {                                                                                  \
            vf v[NV];                                                                        \
            PREFETCH_NEXT_BLOCK (src + a->off[t], NV);                                       \
            _Pragma ("GCC unroll 8") for (int i = 0; i < NV; i++)                            \
              v[i] = load (src + a->off[t] + i * VL);                                        \
            _Pragma ("GCC unroll 16") for (int j = 0; j < OCB; j++)                          \
              _Pragma ("GCC unroll 8") for (int i = 0; i < NV; i++)                          \
                acc[j][i] += wp[j] * v[i];                                                   \
          }                                                                                  \
      }                                                                                      \
    if (dense_at (a, OCB, min_rows, min_cols, r, x, NV))                                     \
      DENSE_DONE (OCB, NV)                                                                   \
    else                                                                                     \
      for (int j = 0; j < a->cob; j++)                                                       \
        acc_done (a, j, r, x, acc[j], NV);                                                   \
  }

/* Full NV-vector steps, then one step of just the vectors the row has left: a row
 * must not pay for a whole step it mostly does not need, nor run its rest one vector
 * at a time (too few accumulators to hide the FMA latency). */
#define DEFINE_KERNEL(OCB, NV)                                                             \
  G_STATIC_ASSERT (NV <= 6); /* the tail below has one case per vector count */            \
  static void kernel_##OCB##x##NV (const TconvMicroKernelArgs *a)                               \
  {                                                                                        \
    int min_rows, min_cols;                                                                \
    block_extent (a, OCB, &min_rows, &min_cols);                                           \
    for (int r = a->row0; r < a->row0 + a->nrows; r++)                                     \
      {                                                                                    \
        int x = 0;                                                                         \
        for (; x + NV * VL <= a->width; x += NV * VL)                                      \
          BLOCK (OCB, NV)                                                                  \
        int rest = (a->width - x + VL - 1) / VL; /* 0..NV */                               \
        if (NV >= 6 && rest == 6)                                                          \
          BLOCK (OCB, 6)                                                                   \
        else if (NV >= 5 && rest == 5)                                                     \
          BLOCK (OCB, 5)                                                                   \
        else if (NV >= 4 && rest == 4)                                                     \
          BLOCK (OCB, 4)                                                                   \
        else if (NV >= 3 && rest == 3)                                                     \
          BLOCK (OCB, 3)                                                                   \
        else if (NV >= 2 && rest == 2)                                                     \
          BLOCK (OCB, 2)                                                                   \
        else if (rest == 1)                                                                \
          BLOCK (OCB, 1)                                                                   \
      }                                                                                    \
  }

/* One output channel (a network's last layer): four vectors, with the input channels
 * split over two accumulator sets so that eight FMAs are in flight. */
static void
kernel_1x4 (const TconvMicroKernelArgs *a)
{
  for (int r = a->row0; r < a->row0 + a->nrows; r++)
    for (int x = 0; x < a->width; x += 4 * VL)
      {
        vf           acc[2][4];
        const float *base = a->in + (gsize) r * a->pw + x;
        for (int i = 0; i < 4; i++)
          {
            acc[0][i] = a->first ? (vf) {} : load (a->partial + x + i * VL);
            acc[1][i] = (vf) {};
          }
        for (int ci = 0; ci < a->cin; ci++)
          {
            const float *src = base + (gsize) ci * a->plane;
            const float *wp = a->w + (gsize) ci * a->ntaps;
            vf          *s = acc[ci & 1];
            for (int t = 0; t < a->ntaps; t++)
              {
                const float *p = src + a->off[t];
                float        w = wp[t];
                s[0] += w * load (p);
                s[1] += w * load (p + VL);
                s[2] += w * load (p + 2 * VL);
                s[3] += w * load (p + 3 * VL);
              }
          }
        vf sum[4];
        for (int i = 0; i < 4; i++)
          sum[i] = acc[0][i] + acc[1][i] + (a->first ? a->bias[0] : 0.0f);
        acc_done (a, 0, r, x, sum, 4);
      }
}

/* Register budgets: AVX-512 has 32 vector registers, AVX2 and SSE2 16; each blocking
 * leaves room for the NV input vectors and a broadcast weight. */
#if VL == 16
DEFINE_KERNEL (12, 2)
DEFINE_KERNEL (8, 3)
DEFINE_KERNEL (4, 6)
const TconvMicroKernel NAME (tconv_micro_kernels)[TCONV_MICRO_KERNELS_PER_ISA] = {
  { kernel_12x2, 12, 2 * VL }, { kernel_8x3, 8, 3 * VL }, { kernel_4x6, 4, 6 * VL },
  { kernel_1x4, 1, 4 * VL },
};
#else
DEFINE_KERNEL (6, 2)
DEFINE_KERNEL (4, 3)
DEFINE_KERNEL (2, 5)
const TconvMicroKernel NAME (tconv_micro_kernels)[TCONV_MICRO_KERNELS_PER_ISA] = {
  { kernel_6x2, 6, 2 * VL }, { kernel_4x3, 4, 3 * VL }, { kernel_2x5, 2, 5 * VL },
  { kernel_1x4, 1, 4 * VL },
};
#endif
