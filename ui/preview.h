/* tconv dialog — a 1:1 crop of the real result with a draggable before/after split,
 * a switch between modes, and the checkerboard index; computed in a worker thread. */
#pragma once

#include <libgimp/gimp.h>
#include <gtk/gtk.h>

#include "settings.h"

/* A box holding the mode switch, the preview and the index label. */
GtkWidget *tconv_preview_new      (GimpDrawable *drawable, const char *installed_models);
/* Recompute for these settings (copied); the mode follows them. */
void       tconv_preview_update   (GtkWidget *preview, const TconvSettings *s);
/* How many results have been shown (for tests). */
int        tconv_preview_rendered (GtkWidget *preview);
