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
} TconvTapsFigure;

/* Taps output pixel `o` receives along one axis, away from the input's borders. */
int tconv_taps_figure_taps (const TconvTapsFigure *f, int o);

/* Draws into the `width`-wide area at the origin of cr; returns the height used. */
double tconv_taps_figure_draw (cairo_t *cr, double width, const TconvTapsFigure *f);

/* A w x h plane of values in [0, 1] as gray pixels, `side` points wide, at (x, y), with a
 * caption above it; nearest-neighbour, so single pixels stay visible. */
void tconv_draw_plane (cairo_t *cr, double x, double y, double side, const float *values, int w,
                       int h, const char *caption);

/* Circles on a spectrum drawn by tconv_draw_plane at (x, y, side): the frequencies k/s
 * where a stride-s checkerboard has its peaks (n: the spectrum's side in bins). */
void tconv_draw_stride_marks (cairo_t *cr, double x, double y, double side, int n, int s);

G_END_DECLS
