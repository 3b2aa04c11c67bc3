/* tconv dialog — a cairo drawing of the upsampling layer: the input with the inserted
 * zeros, the kernel footprint, and how many taps each output phase receives. */
#pragma once

#include <gtk/gtk.h>

#include "geometry.h"

GtkWidget *tconv_taps_view_new (void);
void       tconv_taps_view_set (GtkWidget *view, const TconvGeometry *g);
