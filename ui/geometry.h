/* tconv dialog — what the current settings do to a layer: the output-size formula with
 * the numbers filled in, the size, and why a combination cannot run.  No GTK here. */
#pragma once

#include "catalog.h"

G_BEGIN_DECLS

typedef struct
{
  gboolean runnable;
  char    *reason;       /* why not, for the user; NULL when runnable */
  char    *formula[2];   /* "H: (480-1)*2 - 2*4 + 1*(9-1) + 1 + 1 = 960", then "W: ..." */
  char    *size;         /* "960 x 720 px, 2.6 MB" */
  char    *offered;      /* learned modes: the shipped stride/kernel combinations */
  char    *placement;    /* kernel mode: centred, or by how much it is not */
  char    *chosen;       /* the automatic choice's model and why (catalog.h); else NULL */
  int      out_w, out_h;
  /* the upsampling layer, for the drawing */
  gboolean resize_conv;
  int      stride, kernel, padding, output_padding, dilation;
  gboolean fixed;        /* kernel mode: `weights` holds the fixed kernel's taps */
  float    weights[64];
} TconvGeometry;

/* `bytes_per_pixel` of the layer (all channels) sizes the result in megabytes;
 * `catalog` is the dialog's, read once (no model file is read here). */
void tconv_geometry_compute (const TconvSettings *s, int width, int height, int channels,
                             int bytes_per_pixel, GPtrArray *catalog,
                             const char *installed_models, TconvGeometry *g);
void tconv_geometry_clear   (TconvGeometry *g);

G_END_DECLS
