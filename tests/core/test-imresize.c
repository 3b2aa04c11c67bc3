/* MATLAB-compatible bicubic: down then up on Set5 reproduces the published bicubic
 * baseline, 33.66 / 30.39 / 28.42 dB at x2 / x3 / x4 (Y channel, shave = scale).
 * Set5 is read through GEGL, as the CLI does. */
#include <gegl.h>
#include <math.h>

#include "sr-metrics.h"
#include "tconv-ops.h"

/* The Y plane in [0, 1] of an 8-bit image, modcropped to a multiple of `scale`. */
static TconvTensor
load_y (const char *path, int scale)
{
  GeglNode   *graph = gegl_node_new ();
  GeglNode   *load = gegl_node_new_child (graph, "operation", "gegl:load", "path", path, NULL);
  GeglBuffer *buffer = NULL;
  GeglNode   *sink = gegl_node_new_child (graph, "operation", "gegl:buffer-sink", "buffer",
                                          &buffer, NULL);

  gegl_node_link (load, sink);
  gegl_node_process (sink);
  g_assert_nonnull (buffer);

  const GeglRectangle *r = gegl_buffer_get_extent (buffer);
  int                  w = r->width - r->width % scale, h = r->height - r->height % scale;
  guint8              *rgb = g_malloc ((gsize) r->width * r->height * 3);
  TconvTensor          y = { 1, 1, h, w, NULL };

  gegl_buffer_get (buffer, r, 1.0, babl_format ("R'G'B' u8"), rgb, GEGL_AUTO_ROWSTRIDE,
                   GEGL_ABYSS_NONE);
  g_assert_true (tconv_tensor_alloc (&y, "y", NULL));
  for (int j = 0; j < h; j++)
    for (int i = 0; i < w; i++)
      {
        const guint8 *p = rgb + ((gsize) j * r->width + i) * 3;
        y.data[(gsize) j * w + i] = tconv_rgb_to_y (p[0] / 255.0f, p[1] / 255.0f, p[2] / 255.0f);
      }
  g_free (rgb);
  g_object_unref (buffer);
  g_object_unref (graph);
  return y;
}

static TconvTensor
resized (const TconvTensor *in, double scale)
{
  TconvTensor out = { 1, 1, 0, 0, NULL };
  g_assert_true (tconv_imresize_output_len (in->h, scale, &out.h, NULL));
  g_assert_true (tconv_imresize_output_len (in->w, scale, &out.w, NULL));
  g_assert_true (tconv_tensor_alloc (&out, "resized", NULL));
  g_assert_true (tconv_imresize (in, scale, &out, NULL));
  return out;
}

static void
test_set5_bicubic (void)
{
  const double published[] = { 0, 0, 33.66, 30.39, 28.42 };

  for (int s = 2; s <= 4; s++)
    {
      double sum = 0.0;
      for (int i = 1; i <= 5; i++)
        {
          g_autofree char *name = g_strdup_printf ("img_%03d.png", i);
          g_autofree char *path = g_build_filename (g_getenv ("TCONV_TEST_DATA"), "Set5", name,
                                                    NULL);
          TconvTensor      hr = load_y (path, s), lr = resized (&hr, 1.0 / s);
          TconvTensor      sr = resized (&lr, s);
          double           psnr;

          g_assert_cmpint (lr.h * s, ==, hr.h);
          g_assert_true (tconv_psnr_y (&sr, &hr, s, &psnr, NULL));
          sum += psnr;
          tconv_tensor_free (&hr);
          tconv_tensor_free (&lr);
          tconv_tensor_free (&sr);
        }
      g_printerr ("Set5 bicubic x%d: %.2f dB (published %.2f)\n", s, sum / 5, published[s]);
      g_assert_cmpfloat (fabs (sum / 5 - published[s]), <, 0.005);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gegl_init (NULL, NULL);
  g_test_add_func ("/core/imresize/set5-bicubic", test_set5_bicubic);
  int status = g_test_run ();
  gegl_exit ();
  return status;
}
