/* tconv — resizing as torch.nn.functional.interpolate (align_corners=False),
 * and pixel_shuffle / pixel_unshuffle. */
#pragma once

#include "tensor.h"

G_BEGIN_DECLS

/* Every interpolation in tconv, one enum.  Resize layers (model files) use the first four;
 * fixed kernels (kernel mode) nearest, bilinear, Keys' cubic and Lanczos-3.  The two cubics
 * are not interchangeable: see base/cubic.h. */
typedef enum
{
  TCONV_INTERP_NEAREST,  /* box */
  TCONV_INTERP_BILINEAR, /* tent */
  TCONV_INTERP_BICUBIC,  /* PyTorch's cubic, a = -0.75, borders clamped */
  TCONV_INTERP_KEYS,     /* Keys' cubic, a = -0.5 (MATLAB; ONNX cubic_coeff_a = -0.5): unlike
                            a = -0.75 it reproduces linear ramps, so it adds no per-phase error */
  TCONV_INTERP_LANCZOS3, /* fixed kernels only: no resize layer uses it */
  TCONV_N_INTERPS
} TconvInterp;

/* Output [N, C, out_h, out_w].  PyTorch maps output x to input (x + 0.5) * in/out - 0.5
 * (nearest: floor (x * in/out)).  `scale_y/x` > 0 give the ratio of a scale_factor=
 * call (PyTorch then uses 1/scale_factor rather than in/out); pass 0 for size=. */
gboolean tconv_resize (const TconvTensor *input, TconvInterp interp, double scale_y,
                       double scale_x, TconvTensor *output, GError **error);

/* output += the resize of input (output's shape gives the size), without a resized
 * copy; the same values as adding tconv_resize's result. */
gboolean tconv_resize_add (const TconvTensor *input, TconvInterp interp, double scale_y,
                           double scale_x, TconvTensor *output, GError **error);

/* Output size of scale_factor= resizing: floor (in * factor). */
gboolean tconv_resize_output_len (int in, double factor, int *out, GError **error);

/* [N, C*r*r, H, W] -> [N, C, H*r, W*r] and back. */
gboolean tconv_pixel_shuffle   (const TconvTensor *input, int r, TconvTensor *output,
                                GError **error);
gboolean tconv_pixel_unshuffle (const TconvTensor *input, int r, TconvTensor *output,
                                GError **error);

G_END_DECLS
