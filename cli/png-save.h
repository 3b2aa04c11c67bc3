/* tconv CLI — PNG output with libpng (cli/png-save.c). */
#pragma once

#include <gegl.h>
#include <stdio.h>

typedef struct
{
  int     bits;         /* 8 or 16 per channel */
  int     level;        /* zlib level, 0-9 */
  guint32 x_ppm, y_ppm; /* resolution in pixels per metre, 0 = none */
} TconvPngOptions;

/* Writes the whole buffer as a PNG into f, with the ICC profile of its colour space (none
 * for sRGB).  FALSE with a message when libpng fails (a write error among them). */
gboolean tconv_png_write (GeglBuffer *buffer, const TconvPngOptions *o, FILE *f, GError **error);

/* The resolution a PNG file declares (pHYs in pixels per metre); FALSE when it has none. */
gboolean tconv_png_read_ppm (const char *path, guint32 *x_ppm, guint32 *y_ppm);
