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

/* The size a file declares, read from its header only. */
gboolean tconv_image_probe (const char *path, int *width, int *height, GError **error);
gboolean tconv_image_load  (const char *path, TconvImage *image, GError **error);
void     tconv_image_clear (TconvImage *image);

/* A new buffer for the result, with the same channels, precision and colour space. */
GeglBuffer *tconv_image_new_like (const TconvImage *image, int width, int height);

/* Writes the buffer to `path` via a temporary file in the same folder that is renamed
 * over `path` only when complete: never a half-written or clobbered file. */
gboolean tconv_image_save (GeglBuffer *buffer, int bits, const char *path, GError **error);
/* The same with a quality (1-100) for lossy formats (JPEG, WebP); 0 = GEGL's default. */
gboolean tconv_image_save_quality (GeglBuffer *buffer, int bits, int quality, const char *path,
                                   GError **error);
