/* tconv — fixed-kernel mode: a transposed convolution whose kernel is an analytic
 * interpolation kernel instead of learned weights.  Any stride, kernel size, padding,
 * output padding and dilation can be tried, including those that cause checkerboards.
 * The weights follow the shape, stride, kernel size and dilation; padding and output
 * padding mean what they mean in torch.nn.ConvTranspose2d. */
#pragma once

#include "model.h"

G_BEGIN_DECLS

typedef struct
{
  TconvInterp      shape;          /* nearest (box), bilinear (tent), Keys' cubic, Lanczos-3 */
  int              stride;         /* 1..8: the upscale factor */
  int              kernel;         /* taps per axis; 0 = the shape's natural support */
  int              padding;        /* -1 = what makes the output exactly stride * input */
  int              output_padding; /* -1 = likewise */
  int              dilation;       /* >= 1 */
} TconvKernelSpec;

/* Name as the CLI and plug-in spell it: nearest, bilinear, bicubic (Keys'), lanczos. */
const char *tconv_kernel_shape_name  (TconvInterp shape);
gboolean    tconv_kernel_shape_parse (const char *name, TconvInterp *shape, GError **error);

/* The support in output pixels: stride * (1, 2, 4, 6) for box, tent, cubic, Lanczos-3;
 * at stride 1 an even support gets one more tap, so the kernel is centred. */
int tconv_kernel_natural_size (TconvInterp shape, int stride);

/* The padding and output_padding that make a transposed convolution's output exactly
 * stride * input: 2*padding - output_padding = dilation*(kernel-1) + 1 - stride. */
void tconv_same_scale_padding (int kernel, int stride, int dilation, int *padding,
                               int *output_padding);

/* Fills the defaults (-1, 0) of spec in place and checks the rest. */
gboolean tconv_kernel_spec_resolve (TconvKernelSpec *spec, GError **error);

/* The 1-D kernel (spec->kernel taps), normalised so that the phases average to 1:
 * taps[k] = f(distance of tap k from the input pixel's centre / stride) * stride / sum,
 * the distance taken for the automatic padding.  It depends on the shape, stride, kernel
 * size and dilation only: padding and output_padding crop and extend the output exactly
 * as in ConvTranspose2d, with the same weights. */
void tconv_kernel_taps (const TconvKernelSpec *spec, float *taps);

/* Where a resolved spec's output lies against the centred result (stride * input pixels,
 * output pixel j at input coordinate (j + 0.5)/stride - 0.5, which the automatic padding
 * and output padding give): `before` rows/columns more at the top and left (negative:
 * that many cropped), `after` more at the bottom and right.  Output pixel j shows the
 * centred result's pixel j - before. */
void tconv_kernel_placement (const TconvKernelSpec *spec, int *before, int *after);

/* The same for a person, one sentence: centred, or the offset on each side and the
 * values that centre it (the dialog and `tconv explain` say it in these words). */
char *tconv_kernel_placement_text (const TconvKernelSpec *spec);

/* A one-layer model: conv_transpose2d with groups = channels (1..4) and the
 * separable kernel taps x taps, applied to every channel, alpha included. */
TconvModel *tconv_kernel_model_new (const TconvKernelSpec *spec, int channels, GError **error);

G_END_DECLS
