#include <string.h>

#include "taps-figure.h"
#include "taps-view.h"

static gboolean
draw (GtkWidget *widget, cairo_t *cr, gpointer data)
{
  const TconvTapsFigure *f = data;
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  if (f->stride > 0)
    tconv_taps_figure_draw (cr, gtk_widget_get_allocated_width (widget), f);
  return FALSE;
}

GtkWidget *
tconv_taps_view_new (void)
{
  GtkWidget       *area = gtk_drawing_area_new ();
  TconvTapsFigure *f = g_new0 (TconvTapsFigure, 1);

  gtk_widget_set_size_request (area, 280, 300);
  g_object_set_data_full (G_OBJECT (area), "taps", f, g_free);
  g_signal_connect (area, "draw", G_CALLBACK (draw), f);
  return area;
}

void
tconv_taps_view_set (GtkWidget *view, const TconvGeometry *g)
{
  TconvTapsFigure *f = g_object_get_data (G_OBJECT (view), "taps");
  gboolean         valid = g->runnable || g->formula[0] != NULL;

  *f = (TconvTapsFigure) { g->resize_conv, valid ? MAX (1, g->stride) : 0, MAX (1, g->kernel),
                           g->padding, MAX (1, g->dilation), g->fixed, { 0 } };
  memcpy (f->weights, g->weights, sizeof f->weights);
  gtk_widget_queue_draw (view);
}
