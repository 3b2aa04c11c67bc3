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

G_END_DECLS
