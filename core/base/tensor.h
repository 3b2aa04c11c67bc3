/* tconv — dense float32 NCHW tensors and overflow-checked size arithmetic. */
#pragma once

#include <glib.h>

#include "block-alloc.h"

G_BEGIN_DECLS

/* Largest element count the core will allocate for one tensor (16 GiB of floats);
 * anything larger is a mistake in the parameters, not a real image. */
#define TCONV_MAX_ELEMENTS ((gsize) 1 << 32)

/* Floats of zeros allocated after every tensor's data (see tconv_tensor_alloc). */
#define TCONV_TENSOR_SLACK 128

typedef struct
{
  int    n, c, h, w; /* batch, channels, height, width */
  float *data;       /* n*c*h*w floats, row-major NCHW; owned when allocated by tconv_tensor_alloc */
} TconvTensor;


/* Element count n*c*h*w, or FALSE with TCONV_ERROR_TOO_LARGE when it overflows
 * or exceeds TCONV_MAX_ELEMENTS. `what` names the tensor in the message. */
gboolean tconv_checked_numel (int n, int c, int h, int w, const char *what,
                              gsize *numel, GError **error);

/* Allocates t->data for the shape already in t (zero-filled, with TCONV_TENSOR_SLACK). */
gboolean tconv_tensor_alloc (TconvTensor *t, const char *what, GError **error);
/* The same with the data left as it is (the slack is zeroed): for an output that the
 * caller writes in full, where zeroing it first costs a pass over memory. */
gboolean tconv_tensor_alloc_uninit (TconvTensor *t, const char *what, GError **error);
void     tconv_tensor_free  (TconvTensor *t);

static inline gsize
tconv_tensor_numel (const TconvTensor *t)
{
  return (gsize) t->n * t->c * t->h * t->w;
}

/* Pointer to plane (n, c). */
/* Sum of the element-wise products of two tensors of the same shape, in double. */
double tconv_tensor_dot (const TconvTensor *a, const TconvTensor *b);
/* Every element uniform in [-1, 1) from `rand` (checks on random tensors). */
void   tconv_tensor_fill_random (TconvTensor *t, GRand *rand);

static inline float *
tconv_tensor_plane (const TconvTensor *t, int n, int c)
{
  return t->data + ((gsize) n * t->c + c) * t->h * t->w;
}

G_END_DECLS
