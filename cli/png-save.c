/* tconv CLI — PNG written with libpng: the colour profile kept (the iCCP of the image's
 * colour space), the resolution scaled (pHYs), a chosen deflate level, and the rows
 * converted a strip at a time rather than the whole image at once. */
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "png-save.h"
#include "tconv-error.h"

#define STRIP 64 /* rows converted per gegl_buffer_get */

typedef struct
{
  char message[256];
} PngError;

const char *
tconv_png_explain (const char *msg)
{
  if (g_str_equal (msg, "Read Error")) /* fread(3) came short */
    return "the file ends before its image data does (truncated?)";
  if (g_str_equal (msg, "Write Error")) /* fwrite(3) failed: errno says why */
    return g_strerror (errno);
  return msg;
}

static void
on_png_error (png_structp png, png_const_charp msg)
{
  PngError *e = png_get_error_ptr (png);
  g_strlcpy (e->message, tconv_png_explain (msg), sizeof e->message);
  png_longjmp (png, 1);
}

static void
on_png_warning (png_structp png, png_const_charp msg)
{
  (void) png, (void) msg; /* libpng's warnings are not the user's business */
}

void
tconv_png_lenient (png_structp png)
{
  png_set_benign_errors (png, 1);
#ifdef PNG_SKIP_sRGB_CHECK_PROFILE
  png_set_option (png, PNG_SKIP_sRGB_CHECK_PROFILE, PNG_OPTION_ON);
#endif
}

gboolean
tconv_png_read_facts (const char *path, guint32 *x_ppm, guint32 *y_ppm, GBytes **icc)
{
  FILE       *f = fopen (path, "rb");
  PngError    err = { "" };
  png_structp png = NULL;
  png_infop   info = NULL;
  volatile gboolean ok = FALSE;

  *x_ppm = *y_ppm = 0, *icc = NULL;
  if (f == NULL)
    return FALSE;
  png = png_create_read_struct (PNG_LIBPNG_VER_STRING, &err, on_png_error, on_png_warning);
  info = png ? png_create_info_struct (png) : NULL;
  if (info && setjmp (png_jmpbuf (png)) == 0)
    {
      png_uint_32 x = 0, y = 0, len = 0;
      tconv_png_lenient (png);
      int         unit = 0, compression;
      png_charp   name;
      png_bytep   profile;
      png_init_io (png, f);
      png_read_info (png, info);
      if (png_get_pHYs (png, info, &x, &y, &unit) && unit == PNG_RESOLUTION_METER)
        *x_ppm = x, *y_ppm = y;
      if (png_get_iCCP (png, info, &name, &compression, &profile, &len) && len > 0)
        *icc = g_bytes_new (profile, len);
      ok = TRUE;
    }
  png_destroy_read_struct (&png, &info, NULL);
  fclose (f);
  return ok;
}

/* libpng's colour type and the babl format of the buffer's rows. */
static int
layout (GeglBuffer *buffer, int bits, const Babl **fmt, int *channels)
{
  static const char *const names[] = { NULL, "Y'", "Y'A", "R'G'B'", "R'G'B'A" };
  static const int         types[] = { 0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                       PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA };
  const Babl *own = gegl_buffer_get_format (buffer);
  int         alpha = babl_format_has_alpha (own);
  *channels = (babl_format_get_n_components (own) - alpha >= 3 ? 3 : 1) + alpha;
  g_autofree char *name = g_strdup_printf ("%s %s", names[*channels], bits == 8 ? "u8" : "u16");
  *fmt = babl_format_with_space (name, own);
  return types[*channels];
}

static void
write_profile (png_structp png, png_infop info, const Babl *fmt, GBytes *keep)
{
  const Babl *space = babl_format_get_space (fmt);
  int         len = 0;
  if (keep) /* the input's own profile, byte for byte (sRGB ones too) */
    {
      gsize n;
      const guint8 *d = g_bytes_get_data (keep, &n);
      png_set_iCCP (png, info, "ICC profile", PNG_COMPRESSION_TYPE_BASE, d, (png_uint_32) n);
      return;
    }
  if (space == babl_space ("sRGB"))
    return; /* the PNG default: no profile needed */
  const char *icc = babl_space_get_icc (space, &len);
  if (icc && len > 0)
    png_set_iCCP (png, info, "ICC profile", PNG_COMPRESSION_TYPE_BASE, (png_const_bytep) icc, len);
}

static gboolean
write_rows (png_structp png, GeglBuffer *buffer, const Babl *fmt, int w, int h, int row_bytes)
{
  guint8 *strip = g_try_malloc ((gsize) row_bytes * STRIP);
  if (strip == NULL)
    return FALSE;
  for (int y0 = 0; y0 < h; y0 += STRIP)
    {
      int n = MIN (STRIP, h - y0);
      gegl_buffer_get (buffer, GEGL_RECTANGLE (0, y0, w, n), 1.0, fmt, strip, row_bytes,
                       GEGL_ABYSS_NONE);
      for (int r = 0; r < n; r++)
        png_write_row (png, strip + (gsize) r * row_bytes);
    }
  g_free (strip);
  return TRUE;
}

gboolean
tconv_png_write (GeglBuffer *buffer, const TconvPngOptions *o, FILE *f, GError **error)
{
  const GeglRectangle *r = gegl_buffer_get_extent (buffer);
  const Babl          *fmt;
  int                  channels, bits = o->bits == 8 ? 8 : 16;
  int                  type = layout (buffer, bits, &fmt, &channels);
  PngError             err = { "" };
  png_structp          png = png_create_write_struct (PNG_LIBPNG_VER_STRING, &err, on_png_error,
                                                      on_png_warning);
  png_infop            info = png ? png_create_info_struct (png) : NULL;
  volatile gboolean    ok = FALSE;

  if (info == NULL)
    g_strlcpy (err.message, "out of memory", sizeof err.message);
  else if (setjmp (png_jmpbuf (png)))
    ok = FALSE; /* libpng's error: a write that failed (a full disk), or memory */
  else
    {
      tconv_png_lenient (png);
      png_init_io (png, f);
      png_set_compression_level (png, CLAMP (o->level, 0, 9));
      png_set_IHDR (png, info, r->width, r->height, bits, type, PNG_INTERLACE_NONE,
                    PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
      write_profile (png, info, fmt, o->icc);
      if (o->x_ppm && o->y_ppm)
        png_set_pHYs (png, info, o->x_ppm, o->y_ppm, PNG_RESOLUTION_METER);
      png_write_info (png, info);
      if (bits == 16 && G_BYTE_ORDER == G_LITTLE_ENDIAN)
        png_set_swap (png); /* babl's u16 is native, PNG's big-endian */
      ok = write_rows (png, buffer, fmt, r->width, r->height, r->width * channels * bits / 8);
      if (ok)
        png_write_end (png, NULL);
    }
  png_destroy_write_struct (&png, &info);
  if (!ok)
    g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "PNG could not be written: %s",
                 err.message[0] ? err.message : "out of memory");
  return ok;
}
