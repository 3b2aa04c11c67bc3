/* Photos as people hand them to tconv (tests/data/photo, made by make.py): a portrait
 * JPEG stored on its side with EXIF orientation 6, a truncated JPEG, an RGBA PNG with
 * green hidden under its transparent half.  Each test would fail on the code before
 * issue 29: the pixels upright in all eight orientations, EXIF and ICC carried over, a
 * damaged JPEG refused by name (alone and in a folder run), colour under transparency
 * without effect, and JPEG in without GEGL's memory. */
#include <glib/gstdio.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <jpeglib.h>

#include "exif.h"

static char *tmpdir;

static char *
photo (const char *name)
{
  return g_build_filename (g_getenv ("TCONV_TEST_DATA"), "photo", name, NULL);
}

static char *
temp (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* Runs `tconv ARGS` with the test models; its exit status, stderr in *err. */
static int
tconv (char **err, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  va_list ap;
  int     status;
  char   *a;

  g_ptr_array_add (argv, (char *) g_getenv ("TCONV_CLI"));
  va_start (ap, err);
  while ((a = va_arg (ap, char *)))
    g_ptr_array_add (argv, a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_autofree char *models = g_build_filename (g_getenv ("TCONV_TEST_DATA"), "models", NULL);
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "TCONV_MODEL_PATH", models, TRUE);
  env = g_environ_setenv (env, "XDG_DATA_HOME", tmpdir, TRUE);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL,
                               NULL, err, &status, NULL));
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* ---- files --------------------------------------------------------------------------- */

typedef struct
{
  int     w, h, c;
  guint8 *px;   /* 8-bit, interleaved */
  GBytes *icc;  /* as stored, or NULL */
  GBytes *exif; /* TIFF structure, or NULL */
} Picture;

static void
picture_clear (Picture *p)
{
  g_free (p->px);
  g_clear_pointer (&p->icc, g_bytes_unref);
  g_clear_pointer (&p->exif, g_bytes_unref);
}

static void
read_jpeg (const char *path, Picture *p)
{
  struct jpeg_decompress_struct d;
  struct jpeg_error_mgr         e;
  FILE                         *f = fopen (path, "rb");
  JOCTET                       *icc;
  unsigned int                  icc_len;

  g_assert_nonnull (f);
  memset (p, 0, sizeof *p);
  d.err = jpeg_std_error (&e);
  jpeg_create_decompress (&d);
  jpeg_stdio_src (&d, f);
  jpeg_save_markers (&d, JPEG_APP0 + 1, 0xffff);
  jpeg_save_markers (&d, JPEG_APP0 + 2, 0xffff);
  jpeg_read_header (&d, TRUE);
  if (jpeg_read_icc_profile (&d, &icc, &icc_len))
    p->icc = g_bytes_new (icc, icc_len), free (icc);
  for (jpeg_saved_marker_ptr m = d.marker_list; m; m = m->next)
    if (m->marker == JPEG_APP0 + 1 && memcmp (m->data, "Exif\0\0", 6) == 0)
      p->exif = g_bytes_new (m->data + 6, m->data_length - 6);
  jpeg_start_decompress (&d);
  p->w = d.output_width, p->h = d.output_height, p->c = d.output_components;
  p->px = g_malloc ((gsize) p->w * p->h * p->c);
  while (d.output_scanline < d.output_height)
    {
      JSAMPROW row = p->px + (gsize) d.output_scanline * p->w * p->c;
      jpeg_read_scanlines (&d, &row, 1);
    }
  jpeg_finish_decompress (&d);
  jpeg_destroy_decompress (&d);
  fclose (f);
}

/* An 8-bit PNG as stored (gray, RGB or RGBA), with its iCCP and eXIf. */
static void
read_png (const char *path, Picture *p)
{
  FILE       *f = fopen (path, "rb");
  png_structp png = png_create_read_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop   info = png_create_info_struct (png);
  png_charp   name;
  png_bytep   data;
  png_uint_32 len;
  int         compression;

  g_assert_nonnull (f);
  memset (p, 0, sizeof *p);
  g_assert_false (setjmp (png_jmpbuf (png)));
  png_init_io (png, f);
  png_read_info (png, info);
  g_assert_cmpint (png_get_bit_depth (png, info), ==, 8);
  p->w = png_get_image_width (png, info), p->h = png_get_image_height (png, info);
  p->c = png_get_channels (png, info);
  if (png_get_iCCP (png, info, &name, &compression, &data, &len))
    p->icc = g_bytes_new (data, len);
  p->px = g_malloc ((gsize) p->w * p->h * p->c);
  for (int y = 0; y < p->h; y++)
    png_read_row (png, p->px + (gsize) y * p->w * p->c, NULL);
  png_read_end (png, info);
  if (png_get_eXIf_1 (png, info, &len, &data))
    p->exif = g_bytes_new (data, len);
  png_destroy_read_struct (&png, &info, NULL);
  fclose (f);
}

static void
write_png (const char *path, const Picture *p)
{
  png_image image = { .version = PNG_IMAGE_VERSION, .width = p->w, .height = p->h,
                      .format = PNG_FORMAT_RGBA };
  g_assert_cmpint (p->c, ==, 4);
  g_assert_true (png_image_write_to_file (&image, path, 0, p->px, 0, NULL));
}

static guint8 *
pixel (const Picture *p, int x, int y)
{
  return p->px + ((gsize) y * p->w + x) * p->c;
}

/* ---- EXIF orientation ---------------------------------------------------------------- */

/* The stored picture made upright the way the EXIF standard describes each tag, as
 * mirrors and a transpose (cli/jpeg-io.c writes it as one coordinate formula). */
static Picture
upright (const Picture *s, int orientation)
{
  gboolean transpose = orientation >= 5;
  gboolean flip_h = orientation == 2 || orientation == 3 || orientation == 6 || orientation == 7;
  gboolean flip_v = orientation == 3 || orientation == 4 || orientation == 7 || orientation == 8;
  Picture  u = { transpose ? s->h : s->w, transpose ? s->w : s->h, s->c, NULL, NULL, NULL };

  u.px = g_malloc ((gsize) u.w * u.h * u.c);
  for (int y = 0; y < u.h; y++)
    for (int x = 0; x < u.w; x++)
      {
        int tx = flip_h ? u.w - 1 - x : x, ty = flip_v ? u.h - 1 - y : y; /* in T */
        int sx = transpose ? ty : tx, sy = transpose ? tx : ty;
        memcpy (pixel (&u, x, y), pixel (s, sx, sy), u.c);
      }
  return u;
}

/* The input file with its Orientation value replaced (PIL writes EXIF big-endian: tag
 * 0x0112, type SHORT, count 1, the value in the first two bytes of the last four). */
static char *
with_orientation (int orientation)
{
  static const guint8 entry[] = { 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00 };
  g_autofree char *src = photo ("portrait-orientation-6.jpg");
  g_autofree char *name = g_strdup_printf ("orientation-%d.jpg", orientation);
  char            *path = temp (name);
  g_autofree char *data = NULL;
  gsize            len;

  g_assert_true (g_file_get_contents (src, &data, &len, NULL));
  guint8 *at = memmem (data, len, entry, sizeof entry);
  g_assert_nonnull (at);
  at[9] = (guint8) orientation;
  g_assert_true (g_file_set_contents (path, data, len, NULL));
  return path;
}

/* Nearest x2, so the output samples are the decoded input's: every orientation comes out
 * as the EXIF standard says, to PNG and to JPEG. */
static void
test_orientation (void)
{
  g_autofree char *orig = photo ("portrait-orientation-6.jpg");
  Picture          stored;

  read_jpeg (orig, &stored);
  g_assert_cmpint (stored.w, ==, 48); /* landscape as stored */
  for (int o = 1; o <= 8; o++)
    {
      g_autofree char *in = with_orientation (o);
      g_autofree char *out = temp ("upright.png");
      g_autofree char *err = NULL;
      Picture          got, want = upright (&stored, o);

      g_assert_cmpint (tconv (&err, "upscale", in, out, "--mode", "kernel", "--interp",
                              "nearest", "-q", NULL), ==, 0);
      read_png (out, &got);
      g_assert_cmpint (got.w, ==, 2 * want.w);
      g_assert_cmpint (got.h, ==, 2 * want.h);
      for (int y = 0; y < want.h; y++)
        for (int x = 0; x < want.w; x++)
          g_assert_cmpmem (pixel (&got, 2 * x, 2 * y), 3, pixel (&want, x, y), 3);
      picture_clear (&got);
      picture_clear (&want);
    }
  picture_clear (&stored);
}

static void
assert_exif_for (const Picture *p, int width, int height)
{
  gsize         size;
  const guint8 *tiff;

  g_assert_nonnull (p->exif);
  tiff = g_bytes_get_data (p->exif, &size);
  g_assert_cmpint (tconv_exif_orientation (tiff, size), ==, 1);
  /* the rest carried over: the Make tag's text is still there */
  g_assert_nonnull (memmem (tiff, size, "tconv-test", 10));
  /* PixelXDimension and PixelYDimension (PIL wrote big-endian SHORTs) hold the new size */
  const guint8 px[] = { 0xa0, 0x02, 0x00, 0x03, 0, 0, 0, 1, width >> 8, width & 0xff };
  const guint8 py[] = { 0xa0, 0x03, 0x00, 0x03, 0, 0, 0, 1, height >> 8, height & 0xff };
  g_assert_nonnull (memmem (tiff, size, px, sizeof px));
  g_assert_nonnull (memmem (tiff, size, py, sizeof py));
}

/* The portrait comes out upright with its EXIF (new size, orientation 1) and its ICC
 * profile, to PNG (eXIf, iCCP) and to JPEG (APP1, APP2); --quality still counts. */
static void
test_exif_and_profile_kept (void)
{
  g_autofree char *in = photo ("portrait-orientation-6.jpg");
  g_autofree char *png = temp ("portrait.png"), *jpg = temp ("portrait.jpg");
  g_autofree char *low = temp ("portrait-q30.jpg");
  g_autofree char *err = NULL;
  Picture          src, a, b;

  read_jpeg (in, &src);
  g_assert_nonnull (src.icc);
  g_assert_cmpint (tconv (&err, "upscale", in, png, "--model", "tiny-x2", "-q", NULL), ==, 0);
  g_assert_cmpint (tconv (NULL, "upscale", in, jpg, "--model", "tiny-x2", "-q", NULL), ==, 0);
  g_assert_cmpint (tconv (NULL, "upscale", in, low, "--model", "tiny-x2", "--quality", "30",
                          "-q", NULL), ==, 0);
  read_png (png, &a);
  read_jpeg (jpg, &b);
  for (Picture *p = &a; p; p = p == &a ? &b : NULL)
    {
      g_assert_cmpint (p->w, ==, 64); /* portrait: 32x48 upright, x2 */
      g_assert_cmpint (p->h, ==, 96);
      assert_exif_for (p, 64, 96);
      g_assert_true (g_bytes_equal (p->icc, src.icc));
      /* upright: red top left, green top right, blue bottom left (make.py) */
      guint8 *tl = pixel (p, 8, 8), *tr = pixel (p, 56, 8), *bl = pixel (p, 8, 88);
      g_assert_true (tl[0] > 150 && tl[1] < 120 && tl[2] < 120);
      g_assert_true (tr[1] > 150 && tr[0] < 120 && tr[2] < 120);
      g_assert_true (bl[2] > 150 && bl[0] < 150 && bl[1] < 150);
    }
  GStatBuf s90, s30;
  g_assert_cmpint (g_stat (jpg, &s90), ==, 0);
  g_assert_cmpint (g_stat (low, &s30), ==, 0);
  g_assert_cmpint (s30.st_size, <, s90.st_size);
  picture_clear (&src);
  picture_clear (&a);
  picture_clear (&b);
}

/* Hostile EXIF never reads or writes out of bounds (run under ASan or valgrind for the
 * proof): broken headers, offsets past the end, a sub-IFD pointing at itself, counts
 * larger than the block, and every single-byte corruption of a real block. */
static void
test_exif_hostile (void)
{
  static const guint8 le_head[] = { 'I', 'I', 42, 0, 8, 0, 0, 0 };
  static const guint8 cases[][32] = {
    { 'I', 'I', 42, 0, 0xf0, 0xff, 0xff, 0xff },                   /* IFD0 past the end */
    { 'M', 'M', 0, 42, 0, 0, 0, 8, 0xff, 0xff },                   /* 65535 entries in 2 bytes */
    { 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 9, 0 }, /* orientation 9 */
    { 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x69, 0x87, 4, 0, 1, 0, 0, 0, 8, 0, 0, 0 }, /* loop */
    { 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x69, 0x87, 4, 0, 1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff },
    { 'I', 'I', 43, 0, 8, 0, 0, 0 },                               /* not TIFF */
  };
  g_assert_cmpint (tconv_exif_orientation (le_head, 3), ==, 1);
  g_assert_null (tconv_exif_for_output (le_head, sizeof le_head, 1, 1, TRUE));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    for (gsize n = 0; n <= sizeof cases[i]; n++)
      {
        g_assert_cmpint (tconv_exif_orientation (cases[i], n), ==, 1);
        g_autoptr (GBytes) out = tconv_exif_for_output (cases[i], n, 70000, 2, TRUE);
        g_assert_true (out == NULL || g_bytes_get_size (out) == n);
      }

  Picture src;
  g_autofree char *in = photo ("portrait-orientation-6.jpg");
  read_jpeg (in, &src);
  gsize         size;
  const guint8 *tiff = g_bytes_get_data (src.exif, &size);
  g_autofree guint8 *bad = g_memdup2 (tiff, size);
  g_assert_cmpint (tconv_exif_orientation (tiff, size), ==, 6);
  for (gsize i = 0; i < size; i++)
    for (int v = 0; v < 256; v += 51)
      {
        bad[i] = (guint8) (tiff[i] ^ (v | 0x80));
        int o = tconv_exif_orientation (bad, size);
        g_assert_true (o >= 1 && o <= 8);
        g_autoptr (GBytes) out = tconv_exif_for_output (bad, size, 64, 96, TRUE);
        bad[i] = tiff[i];
      }
  picture_clear (&src);

  /* the file with IFD0 pointing past its end: upscaled as stored, without the EXIF */
  g_autofree char *data = NULL, *broken = temp ("broken-exif.jpg"), *out = temp ("broken.png");
  gsize            len;
  Picture          got;
  g_assert_true (g_file_get_contents (in, &data, &len, NULL));
  guint8 *mm = memmem (data, len, "MM\0*", 4);
  g_assert_nonnull (mm);
  mm[4] = mm[5] = mm[6] = 0xff;
  g_assert_true (g_file_set_contents (broken, data, len, NULL));
  g_assert_cmpint (tconv (NULL, "upscale", broken, out, "--model", "tiny-x2", "-q", NULL), ==, 0);
  read_png (out, &got);
  g_assert_cmpint (got.w, ==, 96);
  g_assert_null (got.exif);
  picture_clear (&got);
}

/* ---- damaged input ------------------------------------------------------------------- */

static void
assert_no_temporaries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)))
    g_assert_null (strstr (name, ".tconv-"));
}

/* A JPEG cut short: exit 1 with libjpeg's cause and the file's name, nothing written
 * (to PNG without GEGL and to TIFF with it);
 * in a folder run the other file is upscaled and this one counted as failed. */
static void
test_truncated_jpeg (void)
{
  g_autofree char *bad = photo ("truncated.jpg"), *good = photo ("portrait-orientation-6.jpg");
  g_autofree char *out = temp ("truncated.png"), *err = NULL, *err2 = NULL;
  g_autofree char *outdir = temp ("batch-out");

  g_assert_cmpint (tconv (&err, "upscale", bad, out, "--model", "tiny-x2", "-q", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "truncated.jpg"));
  g_assert_nonnull (strstr (err, "Premature end of JPEG file"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  /* into a format GEGL writes, read by the same decoder */
  g_autofree char *tif = temp ("truncated.tif"), *err_tif = NULL;
  g_assert_cmpint (tconv (&err_tif, "upscale", bad, tif, "--model", "tiny-x2", "-q", NULL), ==, 1);
  g_assert_nonnull (strstr (err_tif, "Premature end of JPEG file"));
  g_assert_false (g_file_test (tif, G_FILE_TEST_EXISTS));
  assert_no_temporaries (tmpdir);

  g_assert_cmpint (tconv (&err2, "upscale", "-o", outdir, "--format", "png", "--model",
                          "tiny-x2", good, bad, NULL), !=, 0);
  g_assert_nonnull (strstr (err2, "truncated.jpg"));
  g_assert_nonnull (strstr (err2, "1 upscaled"));
  g_assert_nonnull (strstr (err2, "1 failed"));
  g_autofree char *made = g_build_filename (outdir, "portrait-orientation-6.png", NULL);
  g_autofree char *not_made = g_build_filename (outdir, "truncated.png", NULL);
  g_assert_true (g_file_test (made, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (not_made, G_FILE_TEST_EXISTS));
  assert_no_temporaries (outdir);
}

/* ---- transparency -------------------------------------------------------------------- */

/* The colour under transparent pixels has no effect (premultiplied resampling) for a y
 * model, an rgb model and a fixed kernel; with bicubic, every visible pixel keeps the
 * opaque half's colour exactly (one colour averaged with itself): no green fringe. */
static void
test_hidden_colour (void)
{
  g_autofree char *green = photo ("rgba-hidden-green.png");
  g_autofree char *magenta = temp ("rgba-hidden-magenta.png");
  const char      *runs[][4] = { { "--model", "tiny-x2", NULL }, { "--model", "tiny-rgb-x3", NULL },
                                 { "--mode", "kernel", "--interp", "bicubic" } };
  Picture          src;

  read_png (green, &src);
  g_assert_cmpint (src.c, ==, 4);
  for (int i = 0; i < src.w * src.h; i++)
    if (src.px[4 * i + 3] == 0)
      {
        g_assert_cmpint (src.px[4 * i + 1], ==, 255); /* green, as make.py hid it */
        src.px[4 * i] = 255, src.px[4 * i + 1] = 0, src.px[4 * i + 2] = 255;
      }
  write_png (magenta, &src);
  for (guint r = 0; r < G_N_ELEMENTS (runs); r++)
    {
      g_autofree char *out_g = temp ("hidden-g.png"), *out_m = temp ("hidden-m.png");
      Picture          a, b;
      g_assert_cmpint (tconv (NULL, "upscale", green, out_g, "-q", runs[r][0], runs[r][1],
                              runs[r][2], runs[r][3], NULL), ==, 0);
      g_assert_cmpint (tconv (NULL, "upscale", magenta, out_m, "-q", runs[r][0], runs[r][1],
                              runs[r][2], runs[r][3], NULL), ==, 0);
      read_png (out_g, &a);
      read_png (out_m, &b);
      g_assert_cmpint (a.w * a.h, ==, b.w * b.h);
      g_assert_cmpmem (a.px, a.w * a.h * 4, b.px, b.w * b.h * 4);
      for (int k = 0; r == 2 && k < a.w * a.h; k++)
        if (a.px[4 * k + 3] > 0)
          {
            g_assert_cmpint (ABS (a.px[4 * k] - 200), <=, 1);
            g_assert_cmpint (ABS (a.px[4 * k + 1] - 60), <=, 1);
            g_assert_cmpint (ABS (a.px[4 * k + 2] - 40), <=, 1);
          }
      picture_clear (&a);
      picture_clear (&b);
    }
  picture_clear (&src);
}

/* ---- memory -------------------------------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* A 1500x1125 photo-sized JPEG x2 to PNG and to JPEG stays under 100 MB (through GEGL it
 * took ~370 MB: babl's tables alone). */
static void
test_jpeg_memory (void)
{
  g_autofree char *in = temp ("big.jpg"), *png = temp ("big-x2.png"), *jpg = temp ("big-x2.jpg");
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr       e;
  FILE                       *f = fopen (in, "wb");
  guint8                     *row = g_malloc (1500 * 3);

  c.err = jpeg_std_error (&e);
  jpeg_create_compress (&c);
  jpeg_stdio_dest (&c, f);
  c.image_width = 1500, c.image_height = 1125, c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults (&c);
  jpeg_start_compress (&c, TRUE);
  for (int y = 0; y < 1125; y++)
    {
      for (int x = 0; x < 1500 * 3; x++)
        row[x] = (guint8) ((x * 7 + y * 3 + (x * y) % 13) & 0xff);
      jpeg_write_scanlines (&c, &row, 1);
    }
  jpeg_finish_compress (&c);
  jpeg_destroy_compress (&c);
  fclose (f);
  g_free (row);

  g_assert_cmpint (tconv (NULL, "upscale", in, png, "--model", "tiny-x2", "-q", NULL), ==, 0);
  g_assert_cmpint (tconv (NULL, "upscale", in, jpg, "--model", "tiny-x2", "-q", NULL), ==, 0);
  struct rusage use;
  g_assert_cmpint (getrusage (RUSAGE_CHILDREN, &use), ==, 0);
  g_test_message ("largest peak RSS of the tconv runs so far: %ld kB", use.ru_maxrss);
#if SANITIZED
  /* the sanitizers' shadow memory and quarantine double the footprint: the bound is the
   * plain build's */
  g_test_message ("sanitized build: peak RSS not bounded");
#else
  g_assert_cmpint (use.ru_maxrss, <, 100 * 1024);
#endif
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("tconv-photo-XXXXXX", NULL);
  /* first: RUSAGE_CHILDREN is the largest of all the runs before it */
  g_test_add_func ("/photo/jpeg-memory", test_jpeg_memory);
  g_test_add_func ("/photo/orientation", test_orientation);
  g_test_add_func ("/photo/exif-and-profile-kept", test_exif_and_profile_kept);
  g_test_add_func ("/photo/exif-hostile", test_exif_hostile);
  g_test_add_func ("/photo/truncated-jpeg", test_truncated_jpeg);
  g_test_add_func ("/photo/hidden-colour", test_hidden_colour);
  int status = g_test_run ();
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmpdir);
  g_assert_true (g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL));
  return status;
}
