/* tconv CLI — PNG or JPEG to PNG or JPEG without GEGL: libpng or libjpeg decodes the
 * input (cli/jpeg-io.c), the engine reads it tile by tile, and finished output rows are
 * encoded by a thread of their own while the tiles after them are computed
 * (cli/png-pipeline.c).  No babl tables, no GEGL modules. */
#pragma once

#include "engine.h"

typedef struct
{
  int level;   /* PNG output: zlib level, 0-9 */
  int quality; /* JPEG output: 1-100; 0 = TCONV_DEFAULT_JPEG_QUALITY */
} TconvPngPipeline;

/* Whether `path` starts with the PNG signature. */
gboolean tconv_is_png_file (const char *path);

/* Size and channels (after palette and transparency expansion) from the header alone. */
gboolean tconv_png_header (const char *path, int *width, int *height, int *channels,
                           GError **error);

/* The same for a PNG or a JPEG (its size as shown, EXIF orientation applied). */
gboolean tconv_pipeline_header (const char *path, int *width, int *height, int *channels,
                                GError **error);

/* Whether this pipeline upscales `in` into `out`: a PNG or JPEG (not CMYK) into a name
 * ending in .png, .jpg or .jpeg, alpha only into PNG.  The rest goes through GEGL. */
gboolean tconv_pipeline_takes (const char *in, const char *out);

/* Upscales the PNG or JPEG `in` into `out` (via a temporary renamed when complete: never
 * a half-written file), upright, keeping its bit depth (8 into JPEG), its ICC profile
 * byte for byte, its EXIF (with the new size, orientation 1) and its print size (scaled).
 * *in_w, *in_h, *out_w, *out_h: the sizes, input upright. */
gboolean tconv_png_pipeline_run (const TconvModel *model, const char *in, const char *out,
                                 const TconvPngPipeline *p, const TconvRunOptions *options,
                                 int *in_w, int *in_h, int *out_w, int *out_h, GError **error);
