/* tconv — the figure of an upsampling layer, drawn with cairo for the dialog (ui/) and
 * for `tconv explain --svg/--png` (cli/), so the two cannot disagree: the input with the
 * zeros a stride inserts, the kernel footprint sliding over it, and how many taps each
 * output pixel receives (uneven counts are the checkerboard). */
#pragma once

#include <cairo.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gboolean resize_conv; /* nearest resize + conv: every output pixel sees the whole kernel */
  int      stride, kernel, padding, dilation;
  gboolean fixed;       /* a fixed kernel: `weights` holds its `kernel` taps (1-D) */
  float    weights[64];
} TconvTapsFigure;

/* Taps output pixel `o` receives along one axis, away from the input's borders. */
int tconv_taps_figure_taps (const TconvTapsFigure *f, int o);

/* The kernel indices that reach output phase r (output index mod stride) along one axis,
 * away from the borders, into k[] (room for f->kernel; NULL: only counted); returns how
 * many. */
int tconv_taps_figure_phase (const TconvTapsFigure *f, int r, int *k);

/* A fixed kernel's weight sum over phase r's taps (1-D); the 2-D phase (r, c) gets
 * sum(r) * sum(c), and a flat image comes out times that. */
double tconv_taps_figure_phase_sum (const TconvTapsFigure *f, int r);

/* The two things that decide a checkerboard, one line each, as the figure and `tconv
 * explain` print them: the structure (taps per phase: what a learned kernel has to
 * compensate) and, for a fixed kernel, its per-phase sums (what the checkerboard index
 * measures; NULL for a learned kernel).  The verdict follows the sums. */
char *tconv_taps_figure_structure (const TconvTapsFigure *f);
char *tconv_taps_figure_kernel    (const TconvTapsFigure *f);

/* Draws into the `width`-wide area at the origin of cr; returns the height used. */
double tconv_taps_figure_draw (cairo_t *cr, double width, const TconvTapsFigure *f);

/* A w x h plane of values in [0, 1] as gray pixels, `side` points wide, at (x, y), with a
 * caption above it; nearest-neighbour, so single pixels stay visible. */
void tconv_draw_plane (cairo_t *cr, double x, double y, double side, const float *values, int w,
                       int h, const char *caption);

/* One period of a checkerboard: the s x s per-phase means (in 1/255) as cells, red above
 * their average, blue below, white equal (the taps grid's colours), with the values
 * written in when the cells are large enough. */
void tconv_draw_phase_means (cairo_t *cr, double x, double y, double side, const double *means,
                             int s, const char *caption);

/* Circles on a spectrum drawn by tconv_draw_plane at (x, y, side): the frequencies k/s
 * where a stride-s checkerboard has its peaks (n: the spectrum's side in bins). */
void tconv_draw_stride_marks (cairo_t *cr, double x, double y, double side, int n, int s);

G_END_DECLS
