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

gboolean tconv_image_load (const char *path, TconvImage *image, GError **error);
void     tconv_image_clear (TconvImage *image);

/* A new buffer for the result, with the same channels, precision and colour space. */
GeglBuffer *tconv_image_new_like (const TconvImage *image, int width, int height);

/* Writes the buffer to `path` via a temporary file in the same folder that is renamed
 * over `path` only when complete: never a half-written or clobbered file. */
gboolean tconv_image_save (GeglBuffer *buffer, int bits, const char *path, GError **error);
