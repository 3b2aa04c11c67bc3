/* tconv CLI — an image as libpng or libjpeg decoded it, and what its file declares that
 * the result keeps: the input side of the GEGL-free pipeline (cli/png-pipeline.c). */
#pragma once

#include <glib.h>

typedef struct
{
  int     w, h, channels, bits; /* channels 1-4; bits 8 or 16 */
  gsize   stride;               /* bytes from one row to the next */
  guint8 *data;                 /* rows of native-endian u8 or u16 samples */
} TconvDecoded;

typedef struct
{
  GBytes *icc;          /* the ICC profile as stored, or NULL */
  GBytes *exif;         /* the EXIF block as a TIFF structure (no "Exif\0\0"), or NULL */
  int     orientation;  /* EXIF orientation 1-8, already applied to the pixels */
  guint32 x_ppm, y_ppm; /* resolution in pixels per metre, 0 when not declared */
} TconvFacts;

void tconv_facts_clear (TconvFacts *facts);
