/* ncnn files as tconv models, against PyTorch (tests/core/gen_ncnn_fixtures.py reads the
 * same files independently and runs SRVGG in PyTorch).
 *   test-ncnn-model                      the tiny SRVGG x2 and Deconvolution nets in
 *                                        tests/data/ncnn, whole and tiled
 *   test-ncnn-model MODEL.param IO.bin   a real file against its io file; prints the
 *                                        largest difference in 8-bit levels, whole and
 *                                        in 16-pixel tiles */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "ncnn-model.h"
#include "tconv-error.h"

typedef struct
{
  int    c, h, w, scale;
  float *in, *out; /* interleaved (H, W, C), as the engine takes them */
} Io;

static float *
interleave (const float *chw, int c, int h, int w)
{
  float *p = g_new (float, (gsize) c * h * w);
  for (int k = 0; k < c; k++)
    for (int i = 0; i < h * w; i++)
      p[(gsize) i * c + k] = chw[(gsize) k * h * w + i];
  return p;
}

static Io
read_io (const char *path)
{
  g_autofree char *bytes = NULL;
  gsize            len;
  gint32           head[4];
  Io               io;

  if (!g_file_get_contents (path, &bytes, &len, NULL) || len < sizeof head)
    g_error ("cannot read %s", path);
  memcpy (head, bytes, sizeof head);
  io = (Io) { head[0], head[1], head[2], head[3], NULL, NULL };
  gsize n_in = (gsize) io.c * io.h * io.w, n_out = n_in * io.scale * io.scale;
  g_assert_cmpuint (len, ==, sizeof head + 4 * (n_in + n_out));
  io.in = interleave ((const float *) (bytes + sizeof head), io.c, io.h, io.w);
  io.out = interleave ((const float *) (bytes + sizeof head) + n_in, io.c, io.h * io.scale,
                       io.w * io.scale);
  return io;
}

/* The largest |tconv - PyTorch| over the raw (unclamped) output. */
static double
max_diff (const char *param, const Io *io, int tile)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TconvNcnnNet) net = tconv_ncnn_load (param, &error);
  g_assert_no_error (error);
  g_autoptr (TconvModel) model = tconv_ncnn_model (net, "model", &error);
  g_assert_no_error (error);
  TconvImageInfo  info = { io->w, io->h, io->c };
  TconvRunOptions opt = { .tile_size = tile, .raw = TRUE };
  gsize           n = (gsize) io->c * io->h * io->w * io->scale * io->scale;
  g_autofree float *out = g_new (float, n);
  double          d = 0;

  g_assert_cmpint (model->scale, ==, io->scale);
  g_assert_true (tconv_engine_run_pixels (model, &info, io->in, out, &opt, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < n; i++)
    d = MAX (d, fabs (out[i] - io->out[i]));
  return d;
}

static void
check_tiny (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".param", NULL);
  g_autofree char *io_file = g_strconcat (name, "-io.bin", NULL);
  g_autofree char *param = g_build_filename (g_getenv ("TCONV_TEST_DATA"), "ncnn", file, NULL);
  g_autofree char *io_path = g_build_filename (g_getenv ("TCONV_TEST_DATA"), "ncnn", io_file,
                                               NULL);
  Io io = read_io (io_path);

  g_assert_cmpfloat (max_diff (param, &io, 0), <, 1e-5);
  g_assert_cmpfloat (max_diff (param, &io, 4), <, 1e-5); /* tiles of 4 with their halo */
  g_free (io.in);
  g_free (io.out);
}

static void
test_tiny (void)
{
  check_tiny ("srvgg-tiny");
}

/* ncnn's Deconvolution weight (out, in, kh, kw) becomes PyTorch's (in, out, kh, kw) */
static void
test_deconv (void)
{
  check_tiny ("deconv-tiny");
}

/* waifu2x upconv_7 photo noise0 on an odd 21x21 crop of Set5 img_001: recognised from its
 * graph, its program's replicate pre-padding of 7 as layer 0, exactly x2 (the odd size's
 * extra row of the program changes nothing it keeps), whole and in tiles; and a
 * 4656-pixel wide image's output size is known (the 256-channel layer as a strip), a
 * 2^24-pixel one's is refused. */
static void
test_upconv_7 (void)
{
  g_autofree char *param = g_build_filename (g_getenv ("TCONV_TEST_DATA"), "ncnn",
                                             "upconv_7_photo_noise0_scale2.0x.param", NULL);
  g_autofree char *io_path = g_build_filename (g_getenv ("TCONV_TEST_DATA"), "ncnn",
                                               "upconv_7-photo-noise0-io.bin", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (TconvNcnnNet) net = tconv_ncnn_load (param, &error);
  g_assert_no_error (error);
  g_autoptr (TconvModel) model = tconv_ncnn_model (net, "upconv_7", &error);
  g_assert_no_error (error);
  const TconvLayer *pad = &model->layers[0];
  Io               io = read_io (io_path);
  int              out;

  g_assert_cmpint (pad->kind, ==, TCONV_LAYER_PAD);
  g_assert_cmpint (pad->pad.mode, ==, TCONV_PAD_REPLICATE);
  for (int s = 0; s < 4; s++)
    g_assert_cmpint (pad->pad.border[s], ==, 7);
  g_assert_nonnull (strstr (model->facts_json, "waifu2x upconv_7"));
  g_assert_true (tconv_model_output_len (model, 1, 4656, &out, &error));
  g_assert_cmpint (out, ==, 2 * 4656);
  /* the element bound still holds: a strip of 2^24 px by 256 channels is refused */
  g_assert_false (tconv_model_output_len (model, 1, 1 << 24, &out, &error));
  g_assert_error (error, TCONV_ERROR, TCONV_ERROR_MODEL);
  g_clear_error (&error);
  g_assert_cmpint (io.h % 2, ==, 1);
  g_assert_cmpfloat (max_diff (param, &io, 0), <, 1e-4); /* 8.9e-7 measured */
  g_assert_cmpfloat (max_diff (param, &io, 8), <, 1e-4);
  g_free (io.in);
  g_free (io.out);
}

/* A layer tconv cannot map yet is named in the refusal. */
static void
test_refused (void)
{
  static const char param[] = "7767517\n3 3\nInput in 0 1 data\n"
                              "Pooling gp 1 1 data g 0=1 4=1\nSigmoid s 1 1 g out\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (TconvNcnnNet) net = tconv_ncnn_parse (param, strlen (param), NULL, 0, "p", &error);
  g_assert_no_error (error);
  g_assert_null (tconv_ncnn_model (net, "p", &error));
  g_assert_nonnull (strstr (error->message, "layer \"gp\" (Pooling)"));
}

int
main (int argc, char **argv)
{
  if (argc == 3)
    {
      Io io = read_io (argv[2]);
      const double whole = max_diff (argv[1], &io, 0), tiled = max_diff (argv[1], &io, 16);
      printf ("%s: %dx%d x%d: largest difference from PyTorch %.3g (%.4f levels of 255); "
              "in 16-pixel tiles %.3g\n", argv[1], io.w, io.h, io.scale, whole, 255 * whole,
              tiled);
      return 0;
    }
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ncnn-model/tiny-srvgg", test_tiny);
  g_test_add_func ("/ncnn-model/deconvolution", test_deconv);
  g_test_add_func ("/ncnn-model/waifu2x-upconv_7", test_upconv_7);
  g_test_add_func ("/ncnn-model/refused", test_refused);
  return g_test_run ();
}
