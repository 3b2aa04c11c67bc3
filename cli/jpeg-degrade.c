#include <math.h>
#include <setjmp.h>
#include <stdio.h>

#include <jpeglib.h>

#include "jpeg-degrade.h"
#include "jpeg-common.h"
#include "tconv-error.h"

static guint8 *
interleave_8bit (const TconvTensor *rgb)
{
  gsize   plane = (gsize) rgb->h * rgb->w;
  guint8 *px = g_new (guint8, plane * 3);
  for (gsize i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++)
      px[3 * i + c] = (guint8) CLAMP (nearbyint (rgb->data[c * plane + i] * 255.0), 0.0, 255.0);
  return px;
}

/* Encodes `px` into *out (malloc'd by libjpeg). */
static gboolean
encode (const guint8 *px, int w, int h, int quality, unsigned char **out, unsigned long *len,
        GError **error)
{
  struct jpeg_compress_struct c;
  TconvJpegError              err;

  c.err = jpeg_std_error (&err.pub);
  err.pub.error_exit = tconv_jpeg_error_escape;
  if (setjmp (err.escape))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "JPEG encoding failed: %s", err.message);
      jpeg_destroy_compress (&c);
      return FALSE;
    }
  jpeg_create_compress (&c);
  jpeg_mem_dest (&c, out, len);
  c.image_width = (JDIMENSION) w;
  c.image_height = (JDIMENSION) h;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults (&c);
  jpeg_set_quality (&c, quality, TRUE);
  c.comp_info[0].h_samp_factor = c.comp_info[0].v_samp_factor = 2; /* 4:2:0 */
  c.comp_info[1].h_samp_factor = c.comp_info[1].v_samp_factor = 1;
  c.comp_info[2].h_samp_factor = c.comp_info[2].v_samp_factor = 1;
  jpeg_start_compress (&c, TRUE);
  while (c.next_scanline < c.image_height)
    {
      JSAMPROW row = (JSAMPROW) (px + (gsize) c.next_scanline * w * 3);
      jpeg_write_scanlines (&c, &row, 1);
    }
  jpeg_finish_compress (&c);
  jpeg_destroy_compress (&c);
  return TRUE;
}

static gboolean
decode_rgb (const unsigned char *data, unsigned long len, TconvTensor *rgb, GError **error)
{
  struct jpeg_decompress_struct d;
  TconvJpegError                err;
  guint8 *volatile              row = NULL;

  d.err = jpeg_std_error (&err.pub);
  err.pub.error_exit = tconv_jpeg_error_escape;
  if (setjmp (err.escape))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "JPEG decoding failed: %s", err.message);
      jpeg_destroy_decompress (&d);
      g_free (row);
      return FALSE;
    }
  jpeg_create_decompress (&d);
  jpeg_mem_src (&d, data, len);
  jpeg_read_header (&d, TRUE);
  d.out_color_space = JCS_RGB;
  jpeg_start_decompress (&d);
  row = g_new (guint8, (gsize) d.output_width * 3);
  while (d.output_scanline < d.output_height)
    {
      gsize    plane = (gsize) rgb->h * rgb->w, at = (gsize) d.output_scanline * rgb->w;
      JSAMPROW r = row;
      jpeg_read_scanlines (&d, &r, 1);
      for (int x = 0; x < rgb->w; x++)
        for (int c = 0; c < 3; c++)
          rgb->data[c * plane + at + x] = row[3 * x + c] / 255.0f;
    }
  jpeg_finish_decompress (&d);
  jpeg_destroy_decompress (&d);
  g_free (row);
  return TRUE;
}

gboolean
tconv_jpeg_roundtrip (const TconvTensor *rgb, int quality, TconvTensor *out, GError **error)
{
  unsigned char *jpeg = NULL;
  unsigned long  len = 0;
  gboolean       ok;

  if (rgb->n != 1 || rgb->c != 3 || quality < 1 || quality > 100)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "JPEG quality must be from 1 to 100 (got %d) and the image RGB", quality);
      return FALSE;
    }
  guint8 *px = interleave_8bit (rgb);
  *out = (TconvTensor) { 1, 3, rgb->h, rgb->w, NULL };
  ok = encode (px, rgb->w, rgb->h, quality, &jpeg, &len, error)
       && tconv_tensor_alloc (out, "decoded JPEG", error) && decode_rgb (jpeg, len, out, error);
  if (!ok)
    tconv_tensor_free (out);
  free (jpeg);
  g_free (px);
  return ok;
}
