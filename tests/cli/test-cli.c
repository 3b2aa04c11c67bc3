/* The tconv command line, run as a user would: round trips through PNG (gray, RGB,
 * RGBA, 16-bit) equal the engine's result; forward equals PyTorch; eval reproduces the
 * published bicubic baseline; failures exit 1 with a message and write nothing. */
#include <gegl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "catalog.h"
#include "engine.h"
#include "model-file.h"
#include "safetensors.h"

static char *tmpdir;

static char *
data_path (const char *a, const char *b)
{
  return g_build_filename (g_getenv ("TCONV_TEST_DATA"), a, b, NULL);
}

/* Runs `tconv ARGS` with the models of the folder `models`; returns its exit status and
 * stdout/stderr. */
static int
tconv_va (const char *models, char **out, char **err, va_list ap)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  int     status;
  char   *a;

  g_ptr_array_add (argv, (char *) g_getenv ("TCONV_CLI"));
  while ((a = va_arg (ap, char *)))
    g_ptr_array_add (argv, a);
  g_ptr_array_add (argv, NULL);
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "TCONV_MODEL_PATH", models, TRUE);
  env = g_environ_setenv (env, "XDG_DATA_HOME", tmpdir, TRUE); /* no user models */
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL,
                               out, err, &status, NULL));
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* `tconv ARGS` with the test models (tests/data/models). */
static int
tconv (char **out, char **err, ...)
{
  g_autofree char *models = data_path ("models", NULL);
  va_list          ap;
  va_start (ap, err);
  int status = tconv_va (models, out, err, ap);
  va_end (ap);
  return status;
}

/* `tconv ARGS` with the models of the folder `models`. */
static int
tconv_with (const char *models, char **out, char **err, ...)
{
  va_list ap;
  va_start (ap, err);
  int status = tconv_va (models, out, err, ap);
  va_end (ap);
  return status;
}

static const char *const FORMATS[] = { NULL, "Y'", "Y'A", "R'G'B'", "R'G'B'A" };

static void
write_png (const char *path, int w, int h, int channels, int bits)
{
  g_autofree char *name = g_strdup_printf ("%s %s", FORMATS[channels], bits == 8 ? "u8" : "u16");
  GeglBuffer      *buf = gegl_buffer_new (GEGL_RECTANGLE (0, 0, w, h), babl_format (name));
  float           *px = g_new (float, (gsize) w * h * channels);
  GRand           *r = g_rand_new_with_seed (w * 31 + channels);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < channels; c++)
        px[((gsize) y * w + x) * channels + c] =
          (float) (0.5 + 0.3 * sin (x * 0.3 + c) * cos (y * 0.2) + 0.1 * g_rand_double (r));
  g_autofree char *fname = g_strdup_printf ("%s float", FORMATS[channels]);
  gegl_buffer_set (buf, NULL, 0, babl_format (fname), px, GEGL_AUTO_ROWSTRIDE);
  GeglNode *g = gegl_node_new ();
  GeglNode *src = gegl_node_new_child (g, "operation", "gegl:buffer-source", "buffer", buf, NULL);
  GeglNode *save = gegl_node_new_child (g, "operation", "gegl:png-save", "path", path,
                                        "bitdepth", bits, NULL);
  gegl_node_link (src, save);
  gegl_node_process (save);
  g_object_unref (g);
  g_object_unref (buf);
  g_free (px);
  g_rand_free (r);
}

/* Loads a PNG as floats; reports its channels and bit depth. */
static float *
read_png (const char *path, int *w, int *h, int *channels, int *bits)
{
  GeglBuffer *buf = NULL;
  GeglNode   *g = gegl_node_new ();
  GeglNode   *load = gegl_node_new_child (g, "operation", "gegl:load", "path", path, NULL);
  GeglNode   *sink = gegl_node_new_child (g, "operation", "gegl:buffer-sink", "buffer", &buf,
                                          NULL);
  gegl_node_link (load, sink);
  gegl_node_process (sink);
  g_object_unref (g);
  g_assert_nonnull (buf);
  const Babl *fmt = gegl_buffer_get_format (buf);
  int         alpha = babl_format_has_alpha (fmt);
  *channels = (babl_format_get_n_components (fmt) - alpha == 1 ? 1 : 3) + alpha;
  *bits = g_str_equal (babl_get_name (babl_format_get_type (fmt, 0)), "u8") ? 8 : 16;
  *w = gegl_buffer_get_extent (buf)->width;
  *h = gegl_buffer_get_extent (buf)->height;
  g_autofree char *fname = g_strdup_printf ("%s float", FORMATS[*channels]);
  float           *px = g_new (float, (gsize) *w * *h * *channels);
  gegl_buffer_get (buf, NULL, 1.0, babl_format (fname), px, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  g_object_unref (buf);
  return px;
}

static void
test_round_trips (void)
{
  const struct
  {
    int channels, bits;
  } cases[] = { { 1, 8 }, { 2, 8 }, { 3, 8 }, { 4, 8 }, { 1, 16 }, { 3, 16 }, { 4, 16 } };
  g_autofree char *model_path = data_path ("models", "tiny-x2.safetensors");
  g_autoptr (GError) error = NULL;
  TconvModel *model = tconv_model_load (model_path, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *in = g_strdup_printf ("%s/in-%u.png", tmpdir, i);
      g_autofree char *out = g_strdup_printf ("%s/out-%u.png", tmpdir, i);
      g_autofree char *sout = NULL, *serr = NULL;
      int              w, h, c, bits, ow, oh, oc, obits;

      write_png (in, 23, 17, cases[i].channels, cases[i].bits);
      g_assert_cmpint (tconv (&sout, &serr, "upscale", in, out, "--model", "tiny-x2", "-q", NULL),
                       ==, 0);
      float *src = read_png (in, &w, &h, &c, &bits);
      float *got = read_png (out, &ow, &oh, &oc, &obits);
      g_assert_cmpint (c, ==, cases[i].channels);
      g_assert_cmpint (bits, ==, cases[i].bits);
      g_assert_cmpint (ow, ==, 2 * w);
      g_assert_cmpint (oh, ==, 2 * h);
      g_assert_cmpint (oc, ==, c);
      g_assert_cmpint (obits, ==, bits); /* 16-bit in, 16-bit out */

      TconvImageInfo info = { w, h, c };
      float         *want = g_new (float, (gsize) ow * oh * c);
      g_assert_true (tconv_engine_run_pixels (model, &info, src, want, NULL, &error));
      double worst = 0;
      for (gsize k = 0; k < (gsize) ow * oh * c; k++)
        worst = MAX (worst, fabs (got[k] - want[k]));
      /* quantisation of the saved file: half a step, plus float noise */
      g_assert_cmpfloat (worst, <=, (bits == 8 ? 0.5 / 255 : 0.5 / 65535) + 1e-5);
      /* PNG to PNG runs without GEGL (cli/png-pipeline.c); to TIFF, through GEGL: the
       * same pixels either way */
      g_autofree char *tif = g_strdup_printf ("%s/out-%u.tif", tmpdir, i);
      g_assert_cmpint (tconv (NULL, NULL, "upscale", in, tif, "--model", "tiny-x2", "-q", NULL),
                       ==, 0);
      int    tw, th, tc, tbits;
      float *via_gegl = read_png (tif, &tw, &th, &tc, &tbits);
      g_assert_cmpint (tw * th * tc, ==, ow * oh * oc);
      double apart = 0;
      for (gsize k = 0; k < (gsize) ow * oh * c; k++)
        apart = MAX (apart, fabs (got[k] - via_gegl[k]));
      g_assert_cmpfloat (apart, <=, (bits == 8 ? 1.0 / 255 : 1.0 / 65535) + 1e-6);
      g_free (via_gegl);
      g_free (src);
      g_free (got);
      g_free (want);
    }
  tconv_model_free (model);
}

/* `tconv forward` against PyTorch's output: every layer type (mixed-x4), and the Keys
 * residual PyTorch's interpolate lacks (keys-rgb-x3, computed by tconv_export). */
static void
test_forward_equals_pytorch (void)
{
  static const char *const cases[][3] = {
    { "mixed-x4", "forward-input.safetensors", "forward-expected.safetensors" },
    { "keys-rgb-x3", "forward-keys-input.safetensors", "forward-keys-expected.safetensors" },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree char *in = data_path (cases[c][1], NULL);
      g_autofree char *expected = data_path (cases[c][2], NULL);
      g_autofree char *out = g_build_filename (tmpdir, "forward.safetensors", NULL);
      g_autofree char *sout = NULL, *serr = NULL;
      g_autoptr (GError) error = NULL;

      g_assert_cmpint (tconv (&sout, &serr, "forward", cases[c][0], in, out, NULL), ==, 0);
      g_autoptr (TconvSafetensors) a = tconv_safetensors_load (out, &error);
      g_assert_no_error (error);
      g_autoptr (TconvSafetensors) b = tconv_safetensors_load (expected, &error);
      g_assert_no_error (error);
      TconvStTensor *x = g_hash_table_lookup (a->tensors, "output");
      TconvStTensor *y = g_hash_table_lookup (b->tensors, "output");
      g_assert_nonnull (x);
      g_assert_cmpuint (x->numel, ==, y->numel);
      for (int d = 0; d < 4; d++)
        g_assert_cmpint (x->shape[d], ==, y->shape[d]);
      for (gsize i = 0; i < x->numel; i++)
        g_assert_cmpfloat (fabsf (x->data[i] - y->data[i]), <=, 1e-4f);
    }
}

static void
test_eval_bicubic (void)
{
  g_autofree char *set5 = data_path ("Set5", NULL);
  g_autofree char *sout = NULL, *serr = NULL;

  g_assert_cmpint (tconv (&sout, &serr, "eval", "--model", "bicubic", "--scale", "2", set5, NULL),
                   ==, 0);
  g_assert_nonnull (strstr (sout, "mean PSNR=33.66 SSIM=0.929"));
}

/* The mean PSNR a `tconv eval` run printed. */
static double
mean_psnr (const char *out)
{
  const char *at = strstr (out, "mean PSNR=");
  g_assert_nonnull (at);
  return g_ascii_strtod (at + strlen ("mean PSNR="), NULL);
}

/* RGB models are measured too, on the Y of their RGB output: the RGB fixture with every
 * weight zeroed is its Keys-cubic residual alone, so it scores as the bicubic baseline
 * (which differs only at the shaved borders), clean and with the JPEG protocol. */
static void
test_eval_rgb (void)
{
  g_autofree char *src = data_path ("models", "keys-rgb-x3.safetensors");
  g_autofree char *zeroed = g_build_filename (tmpdir, "zero-rgb-x3.safetensors", NULL);
  g_autofree char *set5 = data_path ("Set5", NULL);
  char            *bytes;
  gsize            len;
  guint64          hlen;

  g_assert_true (g_file_get_contents (src, &bytes, &len, NULL));
  memcpy (&hlen, bytes, 8);
  hlen = GUINT64_FROM_LE (hlen);
  memset (bytes + 8 + hlen, 0, len - 8 - hlen); /* every tensor: zeros */
  g_assert_true (g_file_set_contents (zeroed, bytes, len, NULL));
  g_free (bytes);
  for (int jpeg = 0; jpeg <= 1; jpeg++)
    {
      g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL;
      const char      *q = jpeg ? "--jpeg" : "--scale", *v = jpeg ? "75" : "3";
      g_assert_cmpint (tconv (&o1, &e1, "eval", "--model", zeroed, q, v, set5, NULL), ==, 0);
      g_assert_cmpint (tconv (&o2, &e2, "eval", "--model", "bicubic", "--scale", "3", q, v, set5,
                              NULL), ==, 0);
      g_assert_cmpfloat (fabs (mean_psnr (o1) - mean_psnr (o2)), <, 0.05);
    }
}

static gboolean
same_file (const char *a, const char *b)
{
  g_autofree char *x = NULL, *y = NULL;
  gsize            nx, ny;
  return g_file_get_contents (a, &x, &nx, NULL) && g_file_get_contents (b, &y, &ny, NULL)
         && nx == ny && memcmp (x, y, nx) == 0;
}

/* Nothing but finished results in a folder: no temporary (".NAME.tconv-XXXXXX") left. */
static void
assert_no_temporaries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_assert_null (strstr (name, ".tconv-"));
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        assert_no_temporaries (path);
    }
}

/* Folders: relative paths and the suffix kept, each result the single-file command's, an
 * unreadable file and a decompression bomb reported by name and skipped (exit status 1),
 * a resume redoing nothing, another format, and no input overwritten by its result.
 * The folder mixes what people have: 8- and 16-bit, gray, gray+alpha, RGB, RGBA, JPEG. */
static void
test_batch (void)
{
  g_autofree char *in = g_build_filename (tmpdir, "batch-in", NULL);
  g_autofree char *sub = g_build_filename (in, "sub", NULL);
  g_autofree char *out = g_build_filename (tmpdir, "batch-out", NULL);
  g_autofree char *o = NULL, *e = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL, *e3 = NULL;
  const char      *images[] = { "img_001.png", "img_002.png" };

  g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (images); i++)
    {
      g_autofree char *src = data_path ("Set5", images[i]);
      g_autofree char *dst = g_build_filename (i ? sub : in, images[i], NULL);
      g_autofree char *bytes = NULL;
      gsize            len;
      g_assert_true (g_file_get_contents (src, &bytes, &len, NULL));
      g_assert_true (g_file_set_contents (dst, bytes, len, NULL));
    }
  /* images of other kinds at the top: the CLI makes the JPEG itself (GEGL's encoder) */
  const struct { const char *name; int channels, bits; } kinds[] = {
    { "gray16.png", 1, 16 }, { "graya16.png", 2, 16 }, { "rgba8.png", 4, 8 } };
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autofree char *path = g_build_filename (in, kinds[k].name, NULL);
      write_png (path, 37 + 5 * k, 29, kinds[k].channels, kinds[k].bits);
    }
  g_autofree char *jpeg_src = data_path ("Set5", "img_003.png");
  g_autofree char *jpeg_in = g_build_filename (in, "photo.jpg", NULL);
  g_autofree char *jo = NULL, *je = NULL;
  g_assert_cmpint (tconv (&jo, &je, "upscale", jpeg_src, jpeg_in, "--mode", "kernel", "--interp",
                          "nearest", "--scale", "1", "-q", NULL), ==, 0);
  const char *good[][2] = { { ".", "img_001.png" }, { "sub", "img_002.png" }, { ".", "gray16.png" },
                            { ".", "graya16.png" }, { ".", "rgba8.png" }, { ".", "photo.jpg" } };
  g_autofree char *broken = g_build_filename (sub, "broken.png", NULL);
  g_assert_true (g_file_set_contents (broken, "not a PNG", -1, NULL));
  /* a 74-byte PNG that declares 100000 x 100000 pixels (its data: a few zeros) */
  static const guint8 bomb[] = { 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d,
                                 0x49, 0x48, 0x44, 0x52, 0x00, 0x01, 0x86, 0xa0, 0x00, 0x01, 0x86, 0xa0,
                                 0x08, 0x00, 0x00, 0x00, 0x00, 0x8d, 0x39, 0x54, 0x14, 0x00, 0x00, 0x00,
                                 0x11, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x18, 0x05, 0xa3,
                                 0x60, 0x14, 0x0c, 0x77, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x01, 0xb3, 0xa6,
                                 0xd3, 0x46, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42,
                                 0x60, 0x82 };
  g_autofree char *bomb_path = g_build_filename (in, "bomb.png", NULL);
  g_assert_true (g_file_set_contents (bomb_path, (const char *) bomb, sizeof bomb, NULL));

  g_assert_cmpint (tconv (&o, &e, "upscale", "-o", out, "-r", in, "--suffix", "_x2", "--jobs", "2",
                          NULL), ==, 1);
  g_assert_nonnull (strstr (e, "broken.png: not an image GEGL can decode"));
  g_assert_nonnull (strstr (e, "bomb.png: the image declares 100000x100000"));
  g_assert_nonnull (strstr (e, "6 upscaled, 0 skipped (already there), 2 failed, of 8 images"));
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *src = g_build_filename (in, good[i][0], good[i][1], NULL);
      const char      *ext = strrchr (good[i][1], '.');
      g_autofree char *single = g_strconcat (tmpdir, "/single", ext, NULL);
      g_autofree char *stem = g_strndup (good[i][1], ext - good[i][1]);
      g_autofree char *name = g_strconcat (stem, "_x2", ext, NULL);
      g_autofree char *result = g_build_filename (out, good[i][0], name, NULL);
      g_autofree char *so = NULL, *se = NULL;
      g_assert_cmpint (tconv (&so, &se, "upscale", src, single, "-q", NULL), ==, 0);
      if (!same_file (single, result))
        g_error ("%s: the batch's result differs from the single-file command's", name);
    }
  assert_no_temporaries (out);
  g_assert_cmpint (tconv (&o2, &e2, "upscale", "-o", out, "-r", in, "--suffix", "_x2",
                          "--skip-existing", NULL), ==, 1);
  g_assert_nonnull (strstr (e2, "0 upscaled, 6 skipped (already there), 2 failed"));
  g_assert_cmpint (tconv (&o3, &e3, "upscale", "-o", out, in, "--format", "jpeg", "--quality",
                          "85", "-q", NULL), ==, 1); /* the bomb fails again */
  g_autofree char *jpeg = g_build_filename (out, "img_001.jpg", NULL);
  g_assert_true (g_file_test (jpeg, G_FILE_TEST_IS_REGULAR));
  g_autofree char *o4 = NULL, *e4 = NULL;
  g_assert_cmpint (tconv (&o4, &e4, "upscale", "-o", in, in, NULL), ==, 1);
  g_assert_nonnull (strstr (e4, "would be overwritten by its own result"));
}

/* y_range: a model marked "full" gets full-range Y (JPEG's and OpenCV's), one marked
 * "studio" (the default) BT.601's 16-235.  The fixtures threshold their Y at 0.5, so where
 * the two Y differ around mid-gray, so do the images; each equals the threshold computed
 * here on the Y the model declares, within 8-bit rounding. */
static void
test_y_range (void)
{
  g_autofree char *in = g_build_filename (tmpdir, "yrange.png", NULL);
  int              w, h, c, bits, differ = 0;
  write_png (in, 40, 30, 3, 8);
  g_autofree float *src = read_png (in, &w, &h, &c, &bits);
  for (int full = 0; full <= 1; full++)
    {
      g_autofree char *model = data_path ("byom", full ? "step-full.safetensors" : "step-studio.safetensors");
      g_autofree char *out = g_build_filename (tmpdir, full ? "yfull.png" : "ystudio.png", NULL);
      g_autofree char *o = NULL, *e = NULL;
      g_assert_cmpint (tconv (&o, &e, "upscale", in, out, "--model", model, "-q", NULL), ==, 0);
      int               ow, oh, oc, ob;
      g_autofree float *px = read_png (out, &ow, &oh, &oc, &ob);
      g_assert_cmpint (ow, ==, w);
      for (int i = 0; i < w * h; i++)
        {
          float ycc[3], rgb[3];
          tconv_rgb_to_ycbcr (src + 3 * i, ycc);
          double y = full ? (ycc[0] - 16.0 / 255) * 255.0 / 219 : ycc[0];
          y = MAX (y - 0.5, 0.0) + 0.5;
          ycc[0] = (float) (full ? y * 219.0 / 255 + 16.0 / 255 : y);
          tconv_ycbcr_to_rgb (ycc, rgb);
          for (int k = 0; k < 3; k++)
            g_assert_cmpfloat (fabs (px[3 * i + k] - CLAMP (rgb[k], 0.0f, 1.0f)), <=, 1.5 / 255);
        }
      if (full)
        {
          g_autofree char *studio = g_build_filename (tmpdir, "ystudio.png", NULL);
          g_autofree float *sp = read_png (studio, &ow, &oh, &oc, &ob);
          for (int i = 0; i < w * h * 3; i++)
            differ += fabs (sp[i] - px[i]) > 2.0 / 255;
        }
    }
  g_assert_cmpint (differ, >, 100); /* the declared range matters */
}

/* The data of a PNG's first chunk of a type (its bytes after the type), or NULL. */
static GBytes *
png_chunk (const char *path, const char *type)
{
  g_autofree guint8 *d = NULL;
  gsize              len;
  g_assert_true (g_file_get_contents (path, (char **) &d, &len, NULL));
  for (gsize at = 8; at + 12 <= len;)
    {
      guint32 n = (guint32) d[at] << 24 | d[at + 1] << 16 | d[at + 2] << 8 | d[at + 3];
      if (memcmp (d + at + 4, type, 4) == 0 && at + 8 + n <= len)
        return g_bytes_new (d + at + 8, n);
      at += 12 + (gsize) n;
    }
  return NULL;
}

/* The ICC profile an iCCP chunk holds: after its name, a zero and the method byte, zlib. */
static GBytes *
iccp_profile (GBytes *chunk)
{
  gsize         len;
  const guint8 *d = g_bytes_get_data (chunk, &len);
  gsize         at = strnlen ((const char *) d, len) + 2;
  g_autoptr (GConverter) z = G_CONVERTER (g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB));
  g_autoptr (GByteArray) out = g_byte_array_new ();
  guint8 buf[4096];
  GConverterResult r;
  do
    {
      gsize read = 0, written = 0;
      r = g_converter_convert (z, d + at, len - at, buf, sizeof buf, G_CONVERTER_INPUT_AT_END, &read,
                               &written, NULL);
      g_assert_cmpint (r, !=, G_CONVERTER_ERROR);
      at += read;
      g_byte_array_append (out, buf, written);
    }
  while (r != G_CONVERTER_FINISHED);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* What a photographer keeps: the ICC profile (a wide-gamut one, and an sRGB one) byte for byte,
 * and the resolution scaled by the factor (300 dpi at x2 is 600 dpi: the same print
 * size); --png-level 9 makes the same pixels in a smaller file. */
static void
test_profile_and_resolution (void)
{
  g_autofree char *in = data_path ("icc", "wide-red-300dpi.png");
  g_autofree char *out = g_build_filename (tmpdir, "icc-x2.png", NULL);
  g_autofree char *small = g_build_filename (tmpdir, "icc-x2-9.png", NULL);
  g_autofree char *o = NULL, *e = NULL, *o2 = NULL, *e2 = NULL;

  g_assert_cmpint (tconv (&o, &e, "upscale", in, out, "-q", NULL), ==, 0);
  g_autoptr (GBytes) icc_in = png_chunk (in, "iCCP"), icc_out = png_chunk (out, "iCCP");
  g_assert_nonnull (icc_in);
  g_assert_nonnull (icc_out);
  g_autoptr (GBytes) profile_in = iccp_profile (icc_in), profile_out = iccp_profile (icc_out);
  g_assert_cmpuint (g_bytes_get_size (profile_in), >, 100);
  g_assert_true (g_bytes_equal (profile_in, profile_out));
  g_autoptr (GBytes) phys_in = png_chunk (in, "pHYs"), phys_out = png_chunk (out, "pHYs");
  const guint8 *pi = g_bytes_get_data (phys_in, NULL), *po = g_bytes_get_data (phys_out, NULL);
  guint32 ppm_in = (guint32) pi[0] << 24 | pi[1] << 16 | pi[2] << 8 | pi[3];
  guint32 ppm_out = (guint32) po[0] << 24 | po[1] << 16 | po[2] << 8 | po[3];
  g_assert_cmpuint (ppm_out, ==, 2 * ppm_in);
  int w, h, c, b, w2, h2, c2, b2;
  g_autofree float *a = read_png (out, &w, &h, &c, &b);
  g_assert_cmpint (w, ==, 128);
  g_assert_cmpint (tconv (&o2, &e2, "upscale", in, small, "-q", "--png-level", "9", NULL), ==, 0);
  g_autofree float *a9 = read_png (small, &w2, &h2, &c2, &b2);
  for (int i = 0; i < w * h * c; i++)
    g_assert_cmpfloat (a[i], ==, a9[i]);
  GStatBuf s3, s9;
  g_assert_cmpint (g_stat (out, &s3), ==, 0);
  g_assert_cmpint (g_stat (small, &s9), ==, 0);
  g_assert_cmpint (s9.st_size, <, s3.st_size);

  /* an sRGB profile is kept too (GEGL reads it as plain sRGB; the file keeps saying so) */
  g_autofree char *srgb = data_path ("icc", "srgb-profile.png");
  g_autofree char *srgb_out = g_build_filename (tmpdir, "srgb-x2.png", NULL);
  g_autofree char *o3 = NULL, *e3 = NULL;
  g_assert_cmpint (tconv (&o3, &e3, "upscale", srgb, srgb_out, "-q", NULL), ==, 0);
  g_autoptr (GBytes) c_in = png_chunk (srgb, "iCCP"), c_out = png_chunk (srgb_out, "iCCP");
  g_assert_nonnull (c_out);
  g_autoptr (GBytes) p_in = iccp_profile (c_in), p_out = iccp_profile (c_out);
  g_assert_true (g_bytes_equal (p_in, p_out));

  /* HP's 3144-byte "sRGB IEC61966-2.1", which libpng calls known-incorrect: kept as it is,
   * by the PNG pipeline (.png) and by GEGL's decoding with libpng's writer (.PNG) */
  g_autofree char *hp = data_path ("icc", "chelsea-hp-srgb.png");
  const char      *outs[] = { "hp-x2.png", "hp-x2.PNG" };
  for (guint i = 0; i < G_N_ELEMENTS (outs); i++)
    {
      g_autofree char *hp_out = g_build_filename (tmpdir, outs[i], NULL);
      g_autofree char *o4 = NULL, *e4 = NULL;
      g_assert_cmpint (tconv (&o4, &e4, "upscale", hp, hp_out, "-q", NULL), ==, 0);
      g_autoptr (GBytes) hp_c = png_chunk (hp, "iCCP"), hp_c_out = png_chunk (hp_out, "iCCP");
      g_assert_nonnull (hp_c_out);
      g_autoptr (GBytes) hp_p = iccp_profile (hp_c), hp_p_out = iccp_profile (hp_c_out);
      g_assert_cmpuint (g_bytes_get_size (hp_p), ==, 3144);
      g_assert_true (g_bytes_equal (hp_p, hp_p_out));
    }
}

static void
test_failures_write_nothing (void)
{
  g_autofree char *in = g_build_filename (tmpdir, "in-0.png", NULL);
  g_autofree char *existing = g_build_filename (tmpdir, "existing.png", NULL);
  g_autofree char *bad_model = g_build_filename (tmpdir, "bad.safetensors", NULL);
  g_autofree char *sout = NULL, *serr = NULL, *content = NULL;

  g_assert_true (g_file_set_contents (existing, "keep me", -1, NULL));
  g_assert_true (g_file_set_contents (bad_model, "\x08\0\0\0\0\0\0\0{}garbage", 17, NULL));

  g_assert_cmpint (tconv (&sout, &serr, "upscale", "/nonexistent.png", existing, NULL), ==, 1);
  g_assert_nonnull (strstr (serr, "no such file"));
  g_clear_pointer (&serr, g_free);
  g_clear_pointer (&sout, g_free);
  g_assert_cmpint (tconv (&sout, &serr, "upscale", in, existing, "--model", bad_model, NULL), ==, 1);
  g_assert_nonnull (strstr (serr, "bad.safetensors"));
  g_clear_pointer (&serr, g_free);
  g_clear_pointer (&sout, g_free);
  g_assert_cmpint (tconv (&sout, &serr, "upscale", in, "/nonexistent-dir/out.png", "-q", NULL), ==, 1);
  g_assert_nonnull (strstr (serr, "does not exist"));
  g_clear_pointer (&serr, g_free);
  g_clear_pointer (&sout, g_free);
  g_assert_cmpint (tconv (&sout, &serr, "upscale", in, existing, "--mode", "kernel", "--scale",
                          "9", NULL), ==, 1);
  g_assert_nonnull (strstr (serr, "scale"));

  g_assert_true (g_file_get_contents (existing, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, "keep me");
  /* no temporary left behind */
  g_autoptr (GDir) dir = g_dir_open (tmpdir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (dir)))
    g_assert_null (strstr (name, ".tconv-"));
}

/* The rest of the bad-input matrix: each exits 1 with a message naming the problem. */
static void
test_bad_inputs (void)
{
  g_autofree char *in = g_build_filename (tmpdir, "in-2.png", NULL);
  g_autofree char *corrupt = g_build_filename (tmpdir, "corrupt.png", NULL);
  g_autofree char *empty = g_build_filename (tmpdir, "empty.safetensors", NULL);
  g_autofree char *out = g_build_filename (tmpdir, "never.png", NULL);
  const struct
  {
    const char *args[12];
    const char *needle;
  } cases[] = {
    { { "upscale", corrupt, out }, "not an image GEGL can decode" },
    { { "upscale", in, out, "--model", empty }, "too short for a safetensors header" },
    { { "upscale", in, out, "--model", "tiny-x2", "--scale", "3" }, "upscales by 2, not by the requested scale 3" },
    { { "upscale", in, out, "--mode", "resize-conv", "--scale", "5" }, "no resize-conv model for scale 5" },
    { { "upscale", in, out, "--model", "mixed-x4" }, "needs width and height divisible by 2" },
    { { "upscale", in, out, "--mode", "kernel", "--output-padding", "5" }, "output_padding (5) must be smaller" },
    { { "upscale", in, out, "--mode", "kernel", "--scale", "1", "--kernel", "1", "--padding", "40" }, "is empty" },
    { { "upscale", in, out, "--model", "tiny-x2", "--padding", "2" }, "trained with padding 4" },
    { { "upscale", in, out, "--mode", "sideways" }, "mode \"sideways\" is not one of" },
  };

  g_assert_true (g_file_set_contents (corrupt, "\x89PNG garbage", -1, NULL));
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *sout = NULL, *serr = NULL;
      const char *const *a = cases[i].args;
      int status = tconv (&sout, &serr, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8],
                          a[9], a[10], NULL);
      g_assert_cmpint (status, ==, 1);
      if (!strstr (serr, cases[i].needle))
        g_error ("case %u: stderr \"%s\" lacks \"%s\"", i, serr, cases[i].needle);
      g_assert_null (strchr (g_strchomp (serr), '\n')); /* one line */
      g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
    }
}

/* Tiny images and float precision go through like any other. */
static void
test_odd_images (void)
{
  const int sizes[][2] = { { 1, 1 }, { 1, 7 }, { 9, 1 } };
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *in = g_strdup_printf ("%s/tiny-%u.png", tmpdir, i);
      g_autofree char *out = g_strdup_printf ("%s/tiny-out-%u.png", tmpdir, i);
      g_autofree char *sout = NULL, *serr = NULL;
      int              w, h, c, bits;
      write_png (in, sizes[i][0], sizes[i][1], 4, 8);
      g_assert_cmpint (tconv (&sout, &serr, "upscale", in, out, "--model", "tiny-x2", "-q", NULL), ==, 0);
      g_free (read_png (out, &w, &h, &c, &bits));
      g_assert_cmpint (w, ==, 2 * sizes[i][0]);
      g_assert_cmpint (h, ==, 2 * sizes[i][1]);
    }

  /* 32-bit float in (OpenEXR), float out */
  g_autofree char *png = g_build_filename (tmpdir, "in-3.png", NULL);
  g_autofree char *exr = g_build_filename (tmpdir, "float.exr", NULL);
  g_autofree char *exr2 = g_build_filename (tmpdir, "float-x2.exr", NULL);
  g_autofree char *sout = NULL, *serr = NULL;
  g_assert_cmpint (tconv (&sout, &serr, "upscale", png, exr, "--mode", "kernel", "--scale", "1",
                          "--interp", "nearest", "-q", NULL), ==, 0);
  g_clear_pointer (&sout, g_free);
  g_clear_pointer (&serr, g_free);
  g_assert_cmpint (tconv (&sout, &serr, "upscale", exr, exr2, "--model", "tiny-x2", "-q", NULL), ==, 0);
  GeglBuffer *buf = NULL;
  GeglNode   *g = gegl_node_new ();
  GeglNode   *load = gegl_node_new_child (g, "operation", "gegl:load", "path", exr2, NULL);
  GeglNode   *sink = gegl_node_new_child (g, "operation", "gegl:buffer-sink", "buffer", &buf, NULL);
  gegl_node_link (load, sink);
  gegl_node_process (sink);
  g_object_unref (g);
  g_assert_nonnull (buf);
  const char *type = babl_get_name (babl_format_get_type (gegl_buffer_get_format (buf), 0));
  g_assert_true (g_str_equal (type, "float") || g_str_equal (type, "half"));
  g_assert_cmpint (gegl_buffer_get_width (buf), ==, 46);
  g_object_unref (buf);
}

static void
test_kernel_mode_and_artifacts (void)
{
  g_autofree char *in = g_build_filename (tmpdir, "in-2.png", NULL);
  g_autofree char *out = g_build_filename (tmpdir, "kernel.png", NULL);
  g_autofree char *sout = NULL, *serr = NULL;
  int              w, h, c, bits;

  g_assert_cmpint (tconv (&sout, &serr, "upscale", in, out, "--mode", "kernel", "--interp",
                          "lanczos", "--scale", "3", "-q", NULL), ==, 0);
  g_free (read_png (out, &w, &h, &c, &bits));
  g_assert_cmpint (w, ==, 69);
  g_assert_cmpint (h, ==, 51);
  g_clear_pointer (&sout, g_free);
  g_clear_pointer (&serr, g_free);
  /* the checkerboard index: 0 for a natural kernel, large for kernel 3 at stride 2 */
  g_assert_cmpint (tconv (&sout, &serr, "artifacts", "--mode", "kernel", "--interp", "bilinear",
                          NULL), ==, 0);
  g_assert_nonnull (strstr (sout, "checkerboard index=0.000"));
  g_clear_pointer (&sout, g_free);
  g_clear_pointer (&serr, g_free);
  g_assert_cmpint (tconv (&sout, &serr, "artifacts", "--mode", "kernel", "--interp", "bilinear",
                          "--kernel", "3", NULL), ==, 0);
  const char *at = strstr (sout, "checkerboard index=");
  g_assert_nonnull (at);
  g_assert_cmpfloat (g_ascii_strtod (at + strlen ("checkerboard index="), NULL), >, 10.0);
}

/* The automatic choice: a q75 JPEG gets the photo model, a PNG and a q98 JPEG the clean
 * one, a named model is kept; -v says which and why; no model installed is an error that
 * names the folders searched, and nothing is written (no bicubic fallback). */
static void
test_auto_model (void)
{
  g_autofree char *q75 = data_path ("jpeg-quality", "q75-420.jpg");
  g_autofree char *q98 = data_path ("jpeg-quality", "q98-420.jpg");
  g_autofree char *png = data_path ("Set5", "img_001.png");
  g_autofree char *out = g_build_filename (tmpdir, "auto.png", NULL);
  g_autofree char *empty = g_build_filename (tmpdir, "no-models", NULL);
  g_autofree char *shipped = data_path ("../../weights", "models"); /* clean and photo */
  const char      *below = G_STRINGIFY (TCONV_PHOTO_BELOW_JPEG_QUALITY);
  const struct
  {
    const char *in, *model, *says;
  } cases[] = {
    { q75, NULL, "auto: sesr-photo-x2 (JPEG quality ~75 < %s)" },
    { q75, "auto", "auto: sesr-photo-x2 (JPEG quality ~75 < %s)" },
    { q98, NULL, "auto: sesr-x2 (JPEG quality ~98 >= %s)" },
    { png, NULL, "auto: sesr-x2 (not read from a JPEG)" },
    { q75, "fsrcnn-x2", ": fsrcnn-x2\n" },
  };

  g_assert_cmpint (TCONV_PHOTO_BELOW_JPEG_QUALITY, >, 75); /* the cases straddle it */
  g_assert_cmpint (TCONV_PHOTO_BELOW_JPEG_QUALITY, <=, 98);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *sout = NULL, *serr = NULL;
      g_autofree char *says = g_strdup_printf (cases[i].says, below);
      const char      *chosen = strchr (says, ':') + 2;
      g_autofree char *name = g_strndup (chosen, strcspn (chosen, " \n"));
      g_autofree char *with = g_strdup_printf ("with %s\n", name);
      int              status = cases[i].model
                                  ? tconv_with (shipped, &sout, &serr, "upscale", "-v", cases[i].in,
                                                out, "--model", cases[i].model, NULL)
                                  : tconv_with (shipped, &sout, &serr, "upscale", "-v", cases[i].in,
                                                out, NULL);
      g_assert_cmpint (status, ==, 0);
      g_assert_nonnull (strstr (serr, says));
      g_assert_nonnull (strstr (serr, with));
    }

  g_autofree char *sout = NULL, *serr = NULL;
  g_assert_cmpint (g_mkdir (empty, 0755), ==, 0);
  g_remove (out);
  g_assert_cmpint (tconv_with (empty, &sout, &serr, "upscale", q75, out, NULL), ==, 1);
  g_assert_nonnull (strstr (serr, "no transposed model is installed (searched: "));
  g_assert_nonnull (strstr (serr, empty));
  g_assert_null (strstr (serr, "bicubic"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gegl_init (NULL, NULL);
  tmpdir = g_dir_make_tmp ("tconv-cli-XXXXXX", NULL);
  g_test_add_func ("/cli/round-trips", test_round_trips);
  g_test_add_func ("/cli/forward-equals-pytorch", test_forward_equals_pytorch);
  g_test_add_func ("/cli/eval-bicubic", test_eval_bicubic);
  g_test_add_func ("/cli/eval-rgb", test_eval_rgb);
  g_test_add_func ("/cli/batch", test_batch);
  g_test_add_func ("/cli/y-range", test_y_range);
  g_test_add_func ("/cli/profile-and-resolution", test_profile_and_resolution);
  g_test_add_func ("/cli/failures-write-nothing", test_failures_write_nothing);
  g_test_add_func ("/cli/kernel-mode-and-artifacts", test_kernel_mode_and_artifacts);
  g_test_add_func ("/cli/bad-inputs", test_bad_inputs);
  g_test_add_func ("/cli/odd-images", test_odd_images);
  g_test_add_func ("/cli/auto-model", test_auto_model);
  int status = g_test_run ();
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmpdir);
  g_assert_true (g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL));
  gegl_exit ();
  return status;
}
