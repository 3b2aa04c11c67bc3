/* tconv CLI — PNG output with libpng (cli/png-save.c). */
#pragma once

#include <gegl.h>
#include <png.h>
#include <stdio.h>

typedef struct
{
  int     bits;         /* 8 or 16 per channel */
  int     level;        /* zlib level, 0-9 */
  guint32 x_ppm, y_ppm; /* resolution in pixels per metre, 0 = none */
  GBytes *icc;          /* the profile to embed as it is; NULL: the colour space's */
} TconvPngOptions;

/* Writes the whole buffer as a PNG into f, with the ICC profile of its colour space (none
 * for sRGB).  FALSE with a message when libpng fails (a write error among them). */
gboolean tconv_png_write (GeglBuffer *buffer, const TconvPngOptions *o, FILE *f, GError **error);

/* What a PNG file declares that the result keeps: its resolution (pHYs in pixels per
 * metre, 0 when none) and its ICC profile as stored (NULL when none).  FALSE when the file
 * is not a PNG. */
gboolean tconv_png_read_facts (const char *path, guint32 *x_ppm, guint32 *y_ppm, GBytes **icc);

/* libpng's benign complaints as warnings, on reading and on writing: above all "known
 * incorrect sRGB profile", libpng's verdict on the 3144-byte HP "sRGB IEC61966-2.1"
 * profile that cameras, Photoshop and scikit-image's sample photos embed (its header
 * names a rendering intent other than libpng's).  Every viewer takes it, so it is kept
 * byte for byte like any other profile instead of failing the image. */
void tconv_png_lenient (png_structp png);

/* libpng's message in words for a person: its "Read Error" (a file that ends early) and
 * "Write Error" (the system's reason, a full disk) say what happened. */
const char *tconv_png_explain (const char *msg);
