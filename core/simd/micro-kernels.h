/* tconv — the micro-kernels' interface (internal to fast-conv.c). */
#pragma once

#include "tensor.h"

/* Floats the kernels may read past the last tap of the last row they compute: they
 * read whole vector groups.  Padded inputs get this much slack; tensors have
 * TCONV_TENSOR_SLACK, which is at least as large. */
#define TCONV_MICRO_KERNEL_SLACK 128
G_STATIC_ASSERT (TCONV_TENSOR_SLACK >= TCONV_MICRO_KERNEL_SLACK);

/* Most output channels one kernel call computes together. */
#define TCONV_MICRO_KERNEL_MAX_OCB 12

/* One block of up to `ocb` output channels over some rows:
 *   out[j][r][x] = bias[j] + sum_ci sum_t w[ci][t][j] * in[ci*plane + r*pw + x + off[t]]
 * then the PReLU when slope is set.  A conv2d (stride 1) is this with one tap per
 * kernel element; a transposed convolution is this once its output phases are made
 * channels of their own (each with zero weights on the taps that miss it). */
typedef struct
{
  const float *in;          /* padded input, cin planes of `plane` floats, rows of pw */
  gsize        plane;
  int          pw, cin;
  const int   *off;         /* ntaps linear offsets (row*pw + col) */
  int          ntaps;
  const float *w;           /* [cin][ntaps][ocb] */
  const float *bias;        /* ocb values */
  const float *slope;       /* fused PReLU: ocb negative slopes, or NULL */
  int          cob;         /* channels of the block actually stored (1..ocb) */
  float       *out[TCONV_MICRO_KERNEL_MAX_OCB]; /* each channel's first output pixel */
  int          rows[TCONV_MICRO_KERNEL_MAX_OCB], cols[TCONV_MICRO_KERNEL_MAX_OCB]; /* each channel's extent */
  int          row0, nrows; /* rows computed by this call */
  int          width;       /* columns computed (the widest channel's) */
  gsize        out_row;     /* between output rows of a channel */
  int          out_step;    /* between output columns of a channel */
  /* The input channels may come in chunks, so that the rows a call reads stay in cache:
   * a chunk that is not the first starts from `partial` (ocb rows of pstride floats),
   * one that is not the last leaves its sums there instead of in `out`. */
  float       *partial;
  int          pstride;
  gboolean     first, last;
} TconvMicroKernelArgs;

typedef void (*TconvMicroKernelFunc) (const TconvMicroKernelArgs *args);

/* A kernel and its register blocking: ocb channels x vectors of `lanes` floats. */
typedef struct
{
  TconvMicroKernelFunc run;
  int             ocb, lanes_per_step;
} TconvMicroKernel;

#define TCONV_MICRO_KERNELS_PER_ISA 4
#define TCONV_DECLARE_MICRO_KERNELS(isa) extern const TconvMicroKernel tconv_micro_kernels_##isa[TCONV_MICRO_KERNELS_PER_ISA];

TCONV_DECLARE_MICRO_KERNELS (portable)
TCONV_DECLARE_MICRO_KERNELS (avx2)
TCONV_DECLARE_MICRO_KERNELS (avx512)
