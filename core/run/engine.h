/* tconv — runs a model over an image of any size, tile by tile, in bounded memory.
 *
 * The image is read and written through callbacks in rectangles, as interleaved float
 * pixels in [0, 1], gamma-encoded (R'G'B'), with 1 (gray), 2 (gray+alpha), 3 (RGB) or
 * 4 (RGBA) channels.  Each tile is read with the halo the model's layers state, so the
 * tiled result equals the whole-image result.  Colour follows the model: a `y` model sees
 * BT.601 Y (chroma and alpha are upscaled with bicubic), an `rgb` model sees R'G'B',
 * fixed kernels see every channel.  With alpha, colour is resampled premultiplied by it
 * (core/run/color.c): pixels come and go straight (GIMP's and PNG's alpha), and the
 * colour under fully transparent pixels has no effect on the result. */
#pragma once

#include "model.h"

G_BEGIN_DECLS

typedef struct
{
  int width, height;
  int channels; /* 1..4 */
} TconvImageInfo;

/* Fill `pixels` (w*h*channels floats, row-major) with the rectangle at (x, y). */
typedef gboolean (*TconvReadFunc)  (gpointer data, int x, int y, int w, int h, float *pixels,
                                    GError **error);
/* Store a finished output rectangle; rectangles never overlap. */
typedef gboolean (*TconvWriteFunc) (gpointer data, int x, int y, int w, int h,
                                    const float *pixels, GError **error);
/* Fraction done, monotone, ending at exactly 1.0. */
typedef void (*TconvProgressFunc) (gpointer data, double fraction);

typedef struct
{
  int               tile_size; /* input pixels per tile side; 0 = automatic */
  int               threads;   /* 0 = all cores */
  TconvProgressFunc progress;
  gpointer          progress_data;
  const gint       *cancel; /* read atomically between tiles; non-zero stops with CANCELLED */
  gboolean          raw;    /* the graph's own values, channel for channel: no colour
                               conversion, value-range mapping or clamping (tconv forward);
                               the image has the model's channels */
} TconvRunOptions;

/* Output size of the model for an image (exactly scale * size for learned models). */
gboolean tconv_engine_output_size (const TconvModel *model, int width, int height,
                                   int *out_width, int *out_height, GError **error);

/* Whether the engine runs an image of `pixels` whole rather than in tiles of `tile` with
 * `halo` (automatic tile size): when the halo's recomputation costs more than the threads
 * gain and the whole image, at `bytes_per_pixel` (TconvPlan's), fits its memory budget.
 * Both give the same result. */
gboolean tconv_engine_whole_pays (int tile, int halo, double bytes_per_pixel, double pixels,
                                  int n_threads);

/* The tile side the engine picks for this model when tile_size is 0. */
int tconv_engine_auto_tile (const TconvModel *model);

gboolean tconv_engine_run (const TconvModel *model, const TconvImageInfo *info,
                           TconvReadFunc read, gpointer read_data, TconvWriteFunc write,
                           gpointer write_data, const TconvRunOptions *options,
                           GError **error);

/* Whole images in memory, interleaved.  `output` (out_w*out_h*channels floats) is written
 * only when everything succeeded: a failure or cancel leaves it untouched. */
gboolean tconv_engine_run_pixels (const TconvModel *model, const TconvImageInfo *info,
                                  const float *input, float *output,
                                  const TconvRunOptions *options, GError **error);
/* The same, with tiles written straight into `output`, which holds partial results after
 * a failure: for a buffer the caller made for this run and drops when it fails (saves
 * a copy of the whole output). */
gboolean tconv_engine_run_pixels_direct (const TconvModel *model, const TconvImageInfo *info,
                                         const float *input, float *output,
                                         const TconvRunOptions *options, GError **error);

/* BT.601 as the SRCNN/FSRCNN papers (MATLAB rgb2ycbcr on [0, 1] values). */
void tconv_rgb_to_ycbcr (const float rgb[3], float ycbcr[3]);
void tconv_ycbcr_to_rgb (const float ycbcr[3], float rgb[3]);

G_END_DECLS
