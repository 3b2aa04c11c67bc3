/* tconv CLI — JPEG in and out with libjpeg (cli/jpeg-io.c): no GEGL, whose start-up costs
 * some 370 MB, for the commonest photo format.  8 bits, gray or RGB; the ICC profile
 * (APP2) and the EXIF block (APP1) travel with the pixels. */
#pragma once

#include <stdio.h>

#include "decoded.h"
#include "jpeg-common.h" /* tconv_is_jpeg_file */

/* The size as shown (EXIF orientation applied: 5-8 swap width and height) and the
 * channels (1 gray, 3 RGB, 4 CMYK, which only GEGL's loader reads), from the headers
 * alone. */
gboolean tconv_jpeg_header (const char *path, int *width, int *height, int *channels,
                            GError **error);

/* Decodes `path` upright (as GIMP shows it on import) with its facts.  Damaged data,
 * which libjpeg only warns about (a truncated file, a bad Huffman code), fails with an
 * error naming the file instead of a grey remainder. */
gboolean tconv_jpeg_decode (const char *path, TconvDecoded *d, TconvFacts *facts,
                            GError **error);

/* Row-by-row JPEG encoding into `f`; `msg` (256 bytes) receives libjpeg's error. */
typedef struct TconvJpegWriter TconvJpegWriter;

#define TCONV_DEFAULT_JPEG_QUALITY 90 /* GEGL's jpg-save default, which tconv used before */

/* `facts`: the input's, for a result `width` x `height` (the EXIF gets the new size and
 * orientation 1; the resolution, already scaled, goes into the JFIF header). */
TconvJpegWriter *tconv_jpeg_writer_new (FILE *f, int width, int height, int channels,
                                        int quality, const TconvFacts *facts, char *msg);
gboolean         tconv_jpeg_writer_row (TconvJpegWriter *w, const guint8 *row, char *msg);
gboolean         tconv_jpeg_writer_finish (TconvJpegWriter *w, char *msg);
void             tconv_jpeg_writer_free (TconvJpegWriter *w);
