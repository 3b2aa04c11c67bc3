#include <glib/gi18n-lib.h>
#include <math.h>

#include "conv-transpose2d.h"
#include "taps-view.h"

#define PERIODS 3  /* output periods shown per axis */
#define FAR_IN  64 /* a long input, so the cells shown are away from its borders */

typedef struct
{
  gboolean valid, resize_conv;
  int      stride, kernel, padding, dilation;
} Taps;

static int
taps_at (const Taps *t, int o)
{
  if (t->resize_conv)
    return t->kernel; /* nearest resize then conv: every pixel sees the whole kernel */
  return tconv_conv_transpose2d_taps (o, FAR_IN, t->kernel, t->stride, t->padding, t->dilation);
}

static gboolean
draw (GtkWidget *widget, cairo_t *cr, gpointer data)
{
  Taps     *t = data;
  const int w = gtk_widget_get_allocated_width (widget);

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  if (!t->valid)
    return FALSE;

  const int    s = t->stride, n = PERIODS * s, o0 = 8 * s; /* first output index shown */
  const double cell = MIN (22.0, (w - 20.0) / n), x0 = 10, strip_y = 18;
  double       lo = G_MAXDOUBLE, hi = 0, mean = 0;

  /* 1. the upsampled input: real pixels every `stride` cells, inserted zeros between */
  cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, 10);
  cairo_move_to (cr, x0, 11);
  cairo_show_text (cr, t->resize_conv ? _("input repeated by the resize")
                                      : _("input with inserted zeros (hollow)"));
  for (int j = 0; j < n; j++)
    {
      double cx = x0 + (j + 0.5) * cell;
      cairo_arc (cr, cx, strip_y + cell / 2, cell * 0.3, 0, 2 * G_PI);
      if (t->resize_conv || j % s == 0)
        cairo_fill (cr);
      else
        cairo_stroke (cr);
    }
  /* 2. the kernel footprint under it: taps every `dilation` cells */
  const double ky = strip_y + cell + 6;
  const int    span = t->resize_conv ? t->kernel : t->dilation * (t->kernel - 1) + 1;
  cairo_set_source_rgb (cr, 0.1, 0.4, 0.8);
  cairo_rectangle (cr, x0 + 0.5, ky, MIN (span, n) * cell - 1, 6);
  cairo_stroke (cr);
  for (int k = 0; k < t->kernel && k * (t->resize_conv ? 1 : t->dilation) < n; k++)
    {
      cairo_rectangle (cr, x0 + (k * (t->resize_conv ? 1 : t->dilation) + 0.3) * cell, ky,
                       cell * 0.4, 6);
      cairo_fill (cr);
    }

  /* 3. taps per output pixel, 2-D: rows x columns of phases */
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++)
      {
        double c = (double) taps_at (t, o0 + y) * taps_at (t, o0 + x);
        lo = MIN (lo, c);
        hi = MAX (hi, c);
        mean += c / (n * n);
      }
  const double gy = ky + 14;
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++)
      {
        int    c = taps_at (t, o0 + y) * taps_at (t, o0 + x);
        double d = hi > lo ? (c - mean) / (hi - lo) : 0.0; /* -1..1: even overlap is white */
        cairo_set_source_rgb (cr, d > 0 ? 1.0 : 1.0 + d, 1.0 - fabs (d), d < 0 ? 1.0 : 1.0 - d);
        cairo_rectangle (cr, x0 + x * cell, gy + y * cell, cell, cell);
        cairo_fill_preserve (cr);
        cairo_set_source_rgb (cr, 0.75, 0.75, 0.75);
        cairo_set_line_width (cr, 0.5);
        cairo_stroke (cr);
        if (cell >= 14)
          {
            char txt[16];
            g_snprintf (txt, sizeof txt, "%d", c);
            cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
            cairo_move_to (cr, x0 + x * cell + 3, gy + y * cell + cell - 4);
            cairo_show_text (cr, txt);
          }
      }
  g_autofree char *range = hi > lo ? g_strdup_printf (_("taps per output pixel: %g to %g"), lo, hi)
                                   : g_strdup_printf (_("taps per output pixel: %g everywhere"), hi);
  cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
  cairo_move_to (cr, x0, gy + n * cell + 13);
  cairo_show_text (cr, range);
  cairo_move_to (cr, x0, gy + n * cell + 26);
  cairo_show_text (cr, hi > lo ? _("uneven overlap: a checkerboard") : _("even overlap: no checkerboard"));
  return FALSE;
}

GtkWidget *
tconv_taps_view_new (void)
{
  GtkWidget *area = gtk_drawing_area_new ();
  Taps      *t = g_new0 (Taps, 1);

  gtk_widget_set_size_request (area, 280, 300);
  g_object_set_data_full (G_OBJECT (area), "taps", t, g_free);
  g_signal_connect (area, "draw", G_CALLBACK (draw), t);
  return area;
}

void
tconv_taps_view_set (GtkWidget *view, const TconvGeometry *g)
{
  Taps *t = g_object_get_data (G_OBJECT (view), "taps");

  *t = (Taps) { g->runnable || g->formula[0] != NULL, g->resize_conv, MAX (1, g->stride),
                MAX (1, g->kernel), g->padding, MAX (1, g->dilation) };
  gtk_widget_queue_draw (view);
}
