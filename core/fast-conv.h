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

G_END_DECLS
