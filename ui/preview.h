/* tconv dialog — the preview: a crop of the real result that fills the space it is given,
 * zoomed 1:1 to 8:1 with nearest-neighbour magnification (artifacts stay visible), panned
 * by dragging or with the navigation thumbnail, a draggable before/after split, and a
 * compare view: GIMP's cubic, the transposed model, the resize+conv model and the
 * kernel-mode geometry side by side at the same crop and zoom, each with its checkerboard
 * index, as images, checkerboard maps or spectra.  Computed in a worker thread,
 * cancelled when the settings change. */
#pragma once

#include <libgimp/gimp.h>
#include <gtk/gtk.h>

#include "catalog.h"

typedef enum
{
  TCONV_OVERLAY_IMAGE,
  TCONV_OVERLAY_MAP,      /* per-phase deviation, amplified */
  TCONV_OVERLAY_SPECTRUM  /* log amplitude of the detail's 2-D DFT, k/s marked */
} TconvOverlay;

/* `catalog`: the models, read once by the dialog (a reference is kept). */
GtkWidget *tconv_preview_new      (GimpDrawable *drawable, GPtrArray *catalog,
                                   const char *installed_models);
/* Recompute for these settings (copied). */
void       tconv_preview_update   (GtkWidget *preview, const TconvSettings *s);
/* The view, as the user would set it with the preview's own controls. */
void       tconv_preview_set_view (GtkWidget *preview, gboolean compare, int zoom,
                                   TconvOverlay overlay);
/* For tests: how many results have been shown, and what the last one shows (one line
 * per tile: label, size, checkerboard index or why it could not run). */
int        tconv_preview_rendered (GtkWidget *preview);
char      *tconv_preview_describe (GtkWidget *preview);
