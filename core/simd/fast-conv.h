/* tconv — fast paths for conv2d and conv_transpose2d, used by the graph.  The reference
 * kernels (conv2d.c, conv-transpose2d.c) stay; tests hold these equal to them.
 *
 * The instruction set is picked at run time (AVX-512, AVX2+FMA, or portable C);
 * TCONV_ISA=reference|portable|avx2|avx512 in the environment overrides it, and
 * "reference" turns the fast paths off. */
#pragma once

#include "conv-transpose2d.h"
#include "conv2d.h"

G_BEGIN_DECLS

/* "avx512", "avx2", "portable" or "reference". */
const char *tconv_fast_isa (void);

/* Force an instruction set ("reference", "portable", "avx2", "avx512") for this
 * process; FALSE if this processor lacks it.  Tests and benchmarks use it. */
gboolean tconv_fast_set_isa (const char *isa);

/* Bytes of input rows the kernels read per chunk of input channels (0: half the L2
 * cache, the default).  Tests force small chunks to cover the partial-sum path. */
void tconv_fast_set_chunk_budget (gsize bytes);

/* Both compute exactly what the reference does, into an output of the shape the
 * reference's shape function gives.  They return FALSE, touching nothing, when the
 * layer is not one they cover (strided conv2d) or the fast paths are off. */
/* slopes (n_slopes = 1 or C_out, or NULL): a PReLU fused into the conv2d's output. */
gboolean tconv_fast_conv2d (const TconvTensor *input, const TconvTensor *weight,
                            const float *bias, const TconvConv2dParams *p,
                            const float *slopes, int n_slopes, TconvTensor *output);
gboolean tconv_fast_conv_transpose2d (const TconvTensor *input, const TconvTensor *weight,
                                      const float *bias, const TconvConvTranspose2dParams *p,
                                      TconvTensor *output);

/* A nearest resize by `factor` followed by this conv2d, as one transposed convolution;
 * output is the conv2d's output on the resized input. */
gboolean tconv_fast_resize_conv2d (const TconvTensor *input, int factor,
                                   const TconvTensor *weight, const float *bias,
                                   const TconvConv2dParams *p, TconvTensor *output);

/* The transposed convolution equal to a nearest resize by s and then this conv2d: its
 * weight (allocated into *folded) and parameters; FALSE when not covered. */
gboolean tconv_fold_resize_conv2d (int s, const TconvTensor *weight, const TconvConv2dParams *p,
                                   TconvTensor *folded, TconvConvTranspose2dParams *t);

/* ---- packed layers and row passes ----------------------------------------------------
 * A packed layer is one layer (one group of it) with its weights packed for the
 * micro-kernels and the taps each block runs; it does not depend on the input's size, so
 * a run packs each layer once (core/run/plan.c) and every tile and thread shares it.
 * A row pass binds a packed layer to one input size: it reads a zero-padded input of
 * ph rows x pw columns (the input at row `top`, column `left`), and output row r reads
 * padded rows r + row_lo .. r + row_hi.  Packing gives NULL when the fast paths do not
 * cover the layer. */
typedef struct
{
  int top, left, ph, pw;
  int row_lo, row_hi; /* padded rows output row 0 reads */
  int col_lo, col_hi; /* padded columns output column 0 reads */
} TconvPassInput;

typedef struct _TconvPackedLayer TconvPackedLayer;
typedef struct _TconvRowPass     TconvRowPass;

/* slopes (n_slopes = 1 or C_out, or NULL): a PReLU fused into the conv2d's output. */
TconvPackedLayer *tconv_pack_conv2d (const TconvTensor *weight, const float *bias,
                                     const TconvConv2dParams *p, const float *slopes,
                                     int n_slopes, int group);
TconvPackedLayer *tconv_pack_conv_transpose2d (const TconvTensor *weight, const float *bias,
                                               const TconvConvTranspose2dParams *p, int group);
void              tconv_packed_layer_free (TconvPackedLayer *packed);
/* Whether the layer is wide (32 input channels or more, several blocks of output
 * channels): its row passes run in segments of columns and are shared by the calling
 * thread's team (team.h), if it has one. */
gboolean          tconv_packed_layer_is_wide (const TconvPackedLayer *packed);

/* A whole layer of `groups` packed groups over every image of the batch, into an output
 * of the reference's shape; FALSE only when out of memory. */
gboolean tconv_fast_run_packed (TconvPackedLayer *const *packed, int groups,
                                const TconvTensor *input, TconvTensor *output,
                                TconvPaddingMode mode);

TconvRowPass         *tconv_row_pass_new (const TconvPackedLayer *packed, int in_h, int in_w,
                                          int out_h, int out_w);
void                  tconv_row_pass_free (TconvRowPass *pass);
const TconvPassInput *tconv_row_pass_input (const TconvRowPass *pass);
/* Output channels `stride` floats apart instead of out_h * out_w. */
void                  tconv_row_pass_set_plane_stride (TconvRowPass *pass, gsize stride);
/* Output rows; a transposed convolution's are rows of its stride-row phases. */
int                   tconv_row_pass_rows (const TconvRowPass *pass);
/* Output row r from `window` = padded row r + row_lo of the first input channel
 * (channels `plane` floats apart), into the output whose channel 0 starts at `out`
 * (planes out_h x out_w, as the layer's output tensor).  Window row k starts
 * row_offsets[k] floats after `window` (may be negative: a ring buffer), or k * pw
 * when row_offsets is NULL.  Only columns [x0, x1) of the row are computed (columns of
 * the phases for a transposed convolution; 0, G_MAXINT: all). */
void                  tconv_row_pass_run (const TconvRowPass *pass, const float *window,
                                          const int *row_offsets, gsize plane, float *out, int r,
                                          int x0, int x1);

G_END_DECLS
