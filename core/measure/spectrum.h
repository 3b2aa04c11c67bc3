/* tconv — the spectrum of an upscaled plane's detail: where a transposed convolution's
 * checkerboard shows most directly.  Uneven kernel overlap repeats with the stride s,
 * so it is a set of peaks at multiples of 1/s cycles per pixel along each axis. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Largest power of two <= MIN (w, h, limit): the side of the square the spectrum takes. */
int tconv_spectrum_side (int w, int h, int limit);

/* Log-magnitude 2-D DFT of (plane - reference) over the centred n x n square of two
 * w x h planes (n = a power of two, n <= w, h), Hann-windowed so the square's edges add
 * no cross, shifted so zero frequency sits at (n/2, n/2).  One scale for every plane, so
 * spectra compare: each frequency's amplitude a (a cosine of amplitude a peaks at a) as
 * (log10 a + 5) / 4, clamped to [0, 1]: 1e-5 (well under 1/255) is black, 0.1 white, so
 * a trained model's 0.07/255 checkerboard shows as clearly as a bad geometry's 70/255.
 * Frequency
 * f (cycles per pixel, -1/2..1/2) is at column n/2 + f*n: the stride's peaks k/s at
 * n/2 + k*n/s.  `out` holds n*n floats. */
void tconv_spectrum (const float *plane, const float *reference, int w, int h, int n,
                     float *out);

G_END_DECLS
