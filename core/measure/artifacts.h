/* tconv — measuring checkerboard artifacts (Odena, Dumoulin, Olah, Distill 2016).
 * An output pixel's phase is (y mod s, x mod s); uneven kernel overlap makes phases
 * differ systematically, which shows as a checkerboard. */
#pragma once

#include "model.h"

G_BEGIN_DECLS

/* The checkerboard index of a model, in 1/255: the spread (max - min) of the per-phase
 * means of the interior of (output - ideal) for a flat gray image and for a gentle ramp,
 * whose ideal upscalings are known exactly.  A fixed kernel is measured on the same pixels
 * of the centred result whatever its padding (tconv_kernel_placement). */
gboolean tconv_checkerboard_index (const TconvModel *model, double *flat, double *ramp,
                                   GError **error);

/* The same index of any upscaler of one plane (GIMP's own scaling, say): it upscales the
 * n x n plane `in` (n = TCONV_CHECKERBOARD_SIDE) by `scale` into out_w x out_h. */
#define TCONV_CHECKERBOARD_SIDE 64
typedef gboolean (*TconvPlaneUpscaler) (gpointer data, const float *in, int n, float *out,
                                        int out_w, int out_h, GError **error);
gboolean tconv_checkerboard_index_of (TconvPlaneUpscaler up, gpointer data, int scale,
                                      int out_w, int out_h, double *flat, double *ramp,
                                      GError **error);

/* A per-pixel map of the checkerboard of an upscaled plane (w x h, stride s):
 * 0.5 + gain * (mean of the pixel's phase - mean of all phases), means taken over
 * the (2*radius+1)^2 cells of s x s pixels around it. */
void tconv_checkerboard_map (const float *plane, int w, int h, int s, int radius, float gain,
                             float *map);

G_END_DECLS
