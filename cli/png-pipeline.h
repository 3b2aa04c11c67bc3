/* tconv CLI — PNG to PNG without GEGL: libpng decodes the input, the engine reads it tile
 * by tile, and finished output rows are encoded by a thread of their own while the tiles
 * after them are computed (cli/png-pipeline.c).  No babl tables, no GEGL modules. */
#pragma once

#include "engine.h"

typedef struct
{
  int level; /* zlib level, 0-9 */
} TconvPngPipeline;

/* Whether `path` starts with the PNG signature. */
gboolean tconv_is_png_file (const char *path);

/* Size and channels (after palette and transparency expansion) from the header alone. */
gboolean tconv_png_header (const char *path, int *width, int *height, int *channels,
                           GError **error);

/* Upscales the PNG `in` into the PNG `out` (via a temporary renamed when complete: never
 * a half-written file), keeping its bit depth, its ICC profile byte for byte and its print
 * size (pHYs scaled). *out_w, *out_h: the result's size. */
gboolean tconv_png_pipeline_run (const TconvModel *model, const char *in, const char *out,
                                 const TconvPngPipeline *p, const TconvRunOptions *options,
                                 int *in_w, int *in_h, int *out_w, int *out_h, GError **error);
