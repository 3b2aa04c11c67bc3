/* tconv — the micro-kernels' interface (internal to fast-conv.c). */
#pragma once

#include "tensor.h"

/* Slack, in floats, that the input buffer must have after its last plane: a kernel
 * reads whole vectors past the end of a row. */
#define TCONV_KERNEL_SLACK TCONV_TENSOR_SLACK

typedef struct
{
  const float *in;        /* padded input, cin planes of `plane` floats, rows of pw */
  gsize        plane;
  int          pw, cin;
  const int   *off;       /* ntaps linear offsets (row*pw + col) */
  int          ntaps;
  const float *w;         /* [cin][ntaps][4] for cob4, [cin][ntaps] for cob1 */
  const float *bias;      /* 4 (cob4) or 1 values */
  const float *slope;     /* fused PReLU: 4 (cob4) or 1 negative slopes, or NULL */
  int          cob;       /* output channels actually stored (cob4: 1..4) */
  int          rows, width;
  float       *out;       /* first output pixel */
  gsize        out_plane; /* between output channels */
  gsize        out_row;   /* between output rows */
  int          out_step;  /* between output columns */
} TconvKernelArgs;

typedef void (*TconvKernelFunc) (const TconvKernelArgs *args);

#define TCONV_DECLARE_KERNELS(isa)                                                           \
  void tconv_kernel_cob4_##isa (const TconvKernelArgs *args);                                \
  void tconv_kernel_cob1_##isa (const TconvKernelArgs *args);

TCONV_DECLARE_KERNELS (portable)
TCONV_DECLARE_KERNELS (avx2)
TCONV_DECLARE_KERNELS (avx512)
