/* The I/O a whole-process upscale cannot avoid, for tools/dev/bench/run: a plain libpng
 * decode of IN and encode of OUT's pixels at deflate level LEVEL (the same filters and
 * strategy tconv's writer uses), best of REPEATS, in milliseconds.
 *   png-baseline IN.png OUT.png LEVEL REPEATS */
#include <glib.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct
{
  png_uint_32 w, h;
  int         channels, depth;
  png_bytep   data;
} Image;

static gboolean
decode (const char *path, Image *im)
{
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    return FALSE;
  png_structp png = png_create_read_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop   info = png_create_info_struct (png);
  if (setjmp (png_jmpbuf (png)))
    return FALSE;
  png_init_io (png, f);
  png_read_info (png, info);
  im->w = png_get_image_width (png, info);
  im->h = png_get_image_height (png, info);
  im->channels = png_get_channels (png, info);
  im->depth = png_get_bit_depth (png, info);
  gsize stride = png_get_rowbytes (png, info);
  g_free (im->data);
  im->data = g_malloc (stride * im->h);
  png_bytep *rows = g_new (png_bytep, im->h);
  for (png_uint_32 y = 0; y < im->h; y++)
    rows[y] = im->data + y * stride;
  png_read_image (png, rows);
  png_read_end (png, NULL);
  png_destroy_read_struct (&png, &info, NULL);
  g_free (rows);
  fclose (f);
  return TRUE;
}

static gboolean
encode (const Image *im, const char *path, int level)
{
  FILE *f = fopen (path, "wb");
  if (f == NULL)
    return FALSE;
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop   info = png_create_info_struct (png);
  if (setjmp (png_jmpbuf (png)))
    return FALSE;
  static const int types[] = { 0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                               PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA };
  png_init_io (png, f);
  png_set_compression_level (png, level);
  png_set_IHDR (png, info, im->w, im->h, im->depth, types[im->channels], PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info (png, info);
  gsize stride = (gsize) im->w * im->channels * (im->depth / 8);
  for (png_uint_32 y = 0; y < im->h; y++)
    png_write_row (png, im->data + y * stride);
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  fclose (f);
  return TRUE;
}

int
main (int argc, char **argv)
{
  if (argc != 5)
    return 2;
  int    level = atoi (argv[3]), repeats = atoi (argv[4]);
  double best_dec = G_MAXDOUBLE, best_enc = G_MAXDOUBLE;
  Image  in = { 0 }, out = { 0 };
  if (!decode (argv[2], &out))
    return 1;
  g_autofree char *tmp = g_strdup_printf ("%s.baseline.png", argv[2]);
  for (int r = 0; r < repeats; r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      if (!decode (argv[1], &in))
        return 1;
      gint64 t1 = g_get_monotonic_time ();
      if (!encode (&out, tmp, level))
        return 1;
      gint64 t2 = g_get_monotonic_time ();
      best_dec = MIN (best_dec, (t1 - t0) / 1e3);
      best_enc = MIN (best_enc, (t2 - t1) / 1e3);
    }
  remove (tmp);
  printf ("decode_ms %.1f\nencode_ms %.1f\n", best_dec, best_enc);
  return 0;
}
