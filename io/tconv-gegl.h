/* tconv — the engine on GeglBuffers, shared by the CLI and the GIMP plug-in. */
#pragma once

#include <gegl.h>

#include "engine.h"

G_BEGIN_DECLS

/* Interleaved gamma-encoded float format with `channels` (1 Y', 2 Y'A, 3 R'G'B',
 * 4 R'G'B'A) in the colour space of `space_of` (any format of the image). */
const Babl *tconv_gegl_float_format (int channels, const Babl *space_of);

/* Channels of a buffer's format as the engine counts them (1..4). */
int tconv_gegl_channels (const Babl *format);

/* Upscales `in` (its extent, any origin) into `out`, writing only what falls inside
 * out's extent.  On failure or cancel `out` may hold some tiles: callers write into a
 * buffer of their own and publish it only on success. */
gboolean tconv_gegl_upscale (const TconvModel *model, GeglBuffer *in, GeglBuffer *out,
                             const TconvRunOptions *options, GError **error);

/* Whether a file name looks like an image the batches take (PNG, JPEG, TIFF, WebP, EXR,
 * BMP, and GIMP's XCF for the plug-in's), by its extension, case-insensitively. */
gboolean tconv_is_image_name (const char *name, gboolean with_xcf);

/* g_ptr_array_sort's comparator for an array of strings (it passes pointers to them). */
int tconv_compare_names (gconstpointer a, gconstpointer b);

G_END_DECLS
