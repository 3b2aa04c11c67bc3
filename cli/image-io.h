/* tconv CLI — images in and out through GEGL (gegl:load, gegl:png-save / gegl:save). */
#pragma once

#include <gegl.h>

#include "tconv-gegl.h"

typedef struct
{
  GeglBuffer *buffer;
  int         width, height;
  int         channels; /* 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA */
  int         bits;     /* 8, 16 or 32 (float and anything wider) */
} TconvImage;

/* Images above this many pixels are refused before they are decoded (a small file can
 * declare 100000 x 100000): tconv_image_set_max_pixels changes it (--max-pixels). */
#define TCONV_DEFAULT_MAX_PIXELS ((gint64) 400 * 1000 * 1000)
void     tconv_image_set_max_pixels (gint64 max_pixels);

/* GEGL, initialised on first use (thread-safe): PNG to PNG never needs it, and its start
 * costs a third of a second and babl's ~360 MB of tables. */
void     tconv_gegl_start (void);
void     tconv_gegl_stop (void); /* at exit, when started */

/* The size a file declares, read from its header only. */
gboolean tconv_image_probe (const char *path, int *width, int *height, GError **error);
gboolean tconv_image_load  (const char *path, TconvImage *image, GError **error);
void     tconv_image_clear (TconvImage *image);

/* A new buffer for the result, with the same channels, precision and colour space. */
GeglBuffer *tconv_image_new_like (const TconvImage *image, int width, int height);

/* Writes the buffer to `path` via a temporary file in the same folder that is renamed
 * over `path` only when complete: never a half-written or clobbered file. */
gboolean tconv_image_save (GeglBuffer *buffer, int bits, const char *path, GError **error);

#define TCONV_DEFAULT_PNG_LEVEL 3 /* zlib: most of level 9's size at a fraction of its time */
typedef struct
{
  int     bits;         /* 8, 16 or 32 per channel (PNG: 8 or 16) */
  int     quality;      /* JPEG and WebP, 1-100; 0 = GEGL's default */
  int     png_level;    /* PNG deflate level, 0-9 */
  guint32 x_ppm, y_ppm; /* PNG resolution to declare, pixels per metre; 0 = none */
  GBytes *icc;          /* PNG: a profile to embed as it is (the input's); NULL = the space's */
} TconvSaveOptions;

/* A temporary file beside `path` (its descriptor, -1 with an error), and its rename over
 * `path` once complete (removed on failure), or its removal: how every output is written.
 * A signal that ends the process removes the temporaries not yet renamed (temporaries.h). */
int      tconv_output_temporary (const char *path, char **tmp, GError **error);
gboolean tconv_output_commit (const char *tmp, const char *path, GError **error);
void     tconv_output_discard (const char *tmp);

/* The same with options.  PNG is written by libpng (cli/png-save.c), keeping the colour
 * profile of the buffer's space; other formats by GEGL. */
gboolean tconv_image_save_with (GeglBuffer *buffer, const TconvSaveOptions *o, const char *path,
                                GError **error);
