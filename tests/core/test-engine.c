/* The engine: tiled output equals untiled for every tile size and thread count;
 * progress is monotone and ends at 1; cancel leaves the output untouched; the loader
 * refuses malformed model files with a message naming the problem. */
#include <math.h>
#include <string.h>

#include "artifacts.h"
#include "choices.h"
#include "engine.h"
#include "execute.h"
#include "kernels.h"
#include "model-file.h"
#include "catalog.h"
#include "safetensors.h"
#include "stream.h"
#include "tconv-error.h"

static TconvModel *
fixture_model (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".safetensors", NULL);
  g_autofree char *path = g_build_filename (g_getenv ("TCONV_TEST_DATA"), "models", file, NULL);
  g_autoptr (GError) error = NULL;
  TconvModel *m = tconv_model_load (path, &error);
  g_assert_no_error (error);
  return m;
}

static float *
random_image (int w, int h, int c, guint32 seed)
{
  GRand *r = g_rand_new_with_seed (seed);
  float *p = g_new (float, (gsize) w * h * c);
  for (gsize i = 0; i < (gsize) w * h * c; i++)
    p[i] = (float) g_rand_double (r);
  g_rand_free (r);
  return p;
}

static float *
run (const TconvModel *m, const TconvImageInfo *info, const float *in, int tile, int threads,
     gsize *n)
{
  g_autoptr (GError) error = NULL;
  TconvRunOptions o = { tile, threads, NULL, NULL, NULL, FALSE };
  int             ow, oh;
  g_assert_true (tconv_engine_output_size (m, info->width, info->height, &ow, &oh, &error));
  *n = (gsize) ow * oh * info->channels;
  float *out = g_new (float, *n);
  g_assert_true (tconv_engine_run_pixels (m, info, in, out, &o, &error));
  g_assert_no_error (error);
  return out;
}

/* The row-streamed chain (core/run/stream.c) equals the layer-by-layer pass, on every
 * fixture model it covers, on sizes that are not multiples of any vector width. */
static void
test_streamed_equals_layers (void)
{
  const char *names[] = { "tiny-x2", "tiny-rc-x2", "tiny-rgb-x3", "mixed-x4", "keys-rgb-x3" };
  int         covered = 0;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (TconvModel) m = fixture_model (names[i]);
      g_autoptr (GError) error = NULL;
      const int sizes[][2] = { { 37, 29 }, { 150, 7 }, { 5, 90 } };
      const TconvPlanOptions layer_by_layer = { .no_streaming = TRUE };
      g_autoptr (TconvPlan) plan = tconv_plan_new (m, NULL);
      g_autoptr (TconvPlan) plain = tconv_plan_new (m, &layer_by_layer);
      if (plan->n_streamed == 0)
        continue;
      g_assert_cmpint (plain->n_streamed, ==, 0);
      covered++;
      for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
        {
          int         w = sizes[k][0], h = sizes[k][1];
          g_autofree float *pixels = random_image (w, h, m->channels, 7 + k);
          TconvTensor in = { 1, m->channels, h, w, pixels }, a, b;
          gboolean    streamed;
          g_assert_true (tconv_stream_forward (plan, &in, NULL, &a, &streamed, &error));
          g_assert_true (streamed); /* or the comparison below would be vacuous */
          tconv_tensor_free (&a);
          g_assert_true (tconv_plan_forward (plan, &in, &a, &error));
          g_assert_true (tconv_plan_forward (plain, &in, &b, &error));
          g_assert_cmpint (a.c * a.h * a.w, ==, b.c * b.h * b.w);
          double diff = 0.0;
          for (gsize e = 0; e < tconv_tensor_numel (&a); e++)
            diff = MAX (diff, fabs ((double) a.data[e] - b.data[e]));
          if (diff > 1e-5)
            g_error ("%s %dx%d: streamed differs from layer by layer by %g", names[i], w, h, diff);
          tconv_tensor_free (&a);
          tconv_tensor_free (&b);
        }
    }
  g_printerr ("streamed == layer by layer on %d fixture models\n", covered);
  g_assert_cmpint (covered, >=, 2);
}

static void
check_tiling (TconvModel *m, int w, int h, int channels)
{
  TconvImageInfo info = { w, h, channels };
  float         *in = random_image (w, h, channels, 42);
  gsize          n;
  float         *whole = run (m, &info, in, 4096, 1, &n);
  const int      tiles[] = { 1, 5, 8, 13, 24, 31 };

  for (guint t = 0; t < G_N_ELEMENTS (tiles); t++)
    for (int threads = 1; threads <= 3; threads += 2)
      {
        gsize  n2;
        float *tiled = run (m, &info, in, tiles[t], threads, &n2);
        double worst = 0.0;
        g_assert_cmpuint (n, ==, n2);
        for (gsize i = 0; i < n; i++)
          {
            /* colour comes out divided by alpha, which scales float noise by 1 / alpha:
             * compared as it is seen, premultiplied */
            const gboolean colour = (channels == 2 || channels == 4)
                                    && (int) (i % channels) != channels - 1;
            const double   seen = colour ? whole[i - i % channels + channels - 1] : 1.0;
            worst = MAX (worst, fabs ((double) tiled[i] - whole[i]) * seen);
          }
        if (worst > 1e-5)
          g_error ("%s on %dx%dx%d: tile %d, %d threads differs from untiled by %g", m->name, w,
                   h, channels, tiles[t], threads, worst);
        g_free (tiled);
      }
  g_free (whole);
  g_free (in);
}

static void
test_tiled_equals_untiled (void)
{
  const char *names[] = { "tiny-x2", "mixed-x4", "tiny-rgb-x3", "keys-rgb-x3", "tiny-rc-x2" };
  const int   channels[][2] = { { 1, 4 }, { 1, 2 }, { 3, 4 }, { 3, 4 }, { 1, 3 } };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    for (int c = 0; c < 2; c++)
      {
        TconvModel *m = fixture_model (names[i]);
        /* mixed-x4 unshuffles: its input sides must be even */
        check_tiling (m, i == 1 ? 36 : 37, i == 1 ? 28 : 29, channels[i][c]);
        tconv_model_free (m);
      }
  /* Fixed kernels, including geometries whose output is not scale * input. */
  TconvKernelSpec specs[] = { { TCONV_INTERP_KEYS, 2, 0, -1, -1, 1 },
                              { TCONV_INTERP_BILINEAR, 3, 5, 0, 0, 1 },
                              { TCONV_INTERP_LANCZOS3, 4, 9, 6, 3, 2 },
                              { TCONV_INTERP_NEAREST, 5, 3, 1, 4, 1 } };
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      g_autoptr (GError) error = NULL;
      TconvModel *m = tconv_kernel_model_new (&specs[i], 3, &error);
      g_assert_no_error (error);
      check_tiling (m, 23, 17, 3);
      tconv_model_free (m);
    }
}

/* Colour is resampled premultiplied by alpha: the colour under fully transparent pixels
 * changes nothing, for a y model, an rgb model and a fixed kernel, gray+alpha and RGBA;
 * with alpha 1, colour times the resampled alpha is the result without alpha (a kernel's
 * alpha fades at the border, where its colour fades without alpha). */
static void
test_premultiplied_alpha (void)
{
  TconvKernelSpec spec = { TCONV_INTERP_BILINEAR, 2, 0, -1, -1, 1 };
  const char     *names[] = { "tiny-x2", "tiny-rgb-x3", NULL };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    for (int ch = 2; ch <= 4; ch += 2)
      {
        TconvModel *m = names[i] ? fixture_model (names[i])
                                 : tconv_kernel_model_new (&spec, ch, NULL);
        TconvModel *m1 = names[i] ? tconv_model_ref (m)
                                  : tconv_kernel_model_new (&spec, ch - 1, NULL);
        TconvImageInfo info = { 19, 13, ch }, opaque_info = { 19, 13, ch - 1 };
        float *a = random_image (19, 13, ch, 5), *b = random_image (19, 13, ch, 5);
        float *straight = g_new (float, 19 * 13 * (ch - 1));
        gsize  n, n2, n1;

        for (int p = 0; p < 19 * 13; p++)
          if (p % 3 == 0) /* hidden: anything in a, its opposite in b */
            for (int c = 0; c < ch; c++)
              a[p * ch + c] = c == ch - 1 ? 0.0f : a[p * ch + c],
              b[p * ch + c] = c == ch - 1 ? 0.0f : 1.0f - a[p * ch + c];
        float *out_a = run (m, &info, a, 8, 2, &n), *out_b = run (m, &info, b, 8, 2, &n2);
        g_assert_cmpmem (out_a, n * sizeof (float), out_b, n2 * sizeof (float));

        for (int p = 0; p < 19 * 13; p++)
          {
            a[p * ch + ch - 1] = 1.0f;
            memcpy (straight + p * (ch - 1), a + p * ch, (ch - 1) * sizeof (float));
          }
        float *with = run (m, &info, a, 8, 2, &n);
        float *without = run (m1, &opaque_info, straight, 8, 2, &n1);
        for (gsize k = 0; k < n1; k++)
          {
            const float *px = with + k / (ch - 1) * ch;
            g_assert_cmpfloat (fabs (px[k % (ch - 1)] * px[ch - 1] - without[k]), <=, 1e-5);
          }
        g_free (a), g_free (b), g_free (straight), g_free (out_a), g_free (out_b);
        g_free (with), g_free (without);
        tconv_model_free (m);
        tconv_model_free (m1);
      }

  /* a kernel for an RGBA layer keeps its checkerboard index (tconv artifacts, the dialog) */
  TconvKernelSpec k3 = { TCONV_INTERP_BILINEAR, 2, 3, -1, -1, 1 };
  TconvModel     *rgba = tconv_kernel_model_new (&k3, 4, NULL);
  TconvModel     *gray = tconv_kernel_model_new (&k3, 1, NULL);
  double          flat4, ramp4, flat1, ramp1;
  g_assert_true (tconv_checkerboard_index (rgba, &flat4, &ramp4, NULL));
  g_assert_true (tconv_checkerboard_index (gray, &flat1, &ramp1, NULL));
  g_assert_cmpfloat (flat1, >, 10.0);
  g_assert_cmpfloat (fabs (flat4 - flat1) + fabs (ramp4 - ramp1), <, 1e-6);
  tconv_model_free (rgba);
  tconv_model_free (gray);
}

/* The engine on a gray image is the graph itself, clamped: no colour conversion. */
static void
test_gray_is_the_graph (void)
{
  g_autoptr (GError) error = NULL;
  TconvModel    *m = fixture_model ("mixed-x4");
  TconvImageInfo info = { 20, 16, 1 };
  float         *in = random_image (20, 16, 1, 3);
  TconvTensor    x = { 1, 1, 16, 20, in }, y;
  gsize          n;
  float         *out = run (m, &info, in, 8, 2, &n);

  g_assert_true (tconv_model_forward (m, &x, &y, &error));
  g_assert_cmpuint (tconv_tensor_numel (&y), ==, n);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (fabsf (out[i] - CLAMP (y.data[i], 0.0f, 1.0f)), <=, 1e-5f);
  tconv_tensor_free (&y);
  g_free (out);
  g_free (in);
  tconv_model_free (m);
}

/* Y/CbCr round trip is exact to float precision. */
static void
test_ycbcr (void)
{
  for (int i = 0; i < 1000; i++)
    {
      float rgb[3] = { (i % 10) / 9.0f, (i / 10 % 10) / 9.0f, (i / 100) / 9.0f }, ycc[3], back[3];
      tconv_rgb_to_ycbcr (rgb, ycc);
      tconv_ycbcr_to_rgb (ycc, back);
      for (int c = 0; c < 3; c++)
        g_assert_cmpfloat (fabsf (back[c] - rgb[c]), <, 1e-5f);
    }
}

typedef struct
{
  double last;
  int    calls;
  gint  *cancel;
  int    cancel_after;
} Progress;

static void
on_progress (gpointer data, double f)
{
  Progress *p = data;
  g_assert_cmpfloat (f, >, p->last);
  g_assert_cmpfloat (f, <=, 1.0);
  p->last = f;
  if (p->cancel && ++p->calls >= p->cancel_after)
    g_atomic_int_set (p->cancel, 1);
}

static void
test_progress_and_cancel (void)
{
  g_autoptr (GError) error = NULL;
  TconvModel    *m = fixture_model ("tiny-x2");
  TconvImageInfo info = { 64, 64, 3 };
  float         *in = random_image (64, 64, 3, 5);
  gsize          n = 128 * 128 * 3;
  float         *out = g_new (float, n);
  Progress       p = { 0 };
  gint           cancel = 0;
  TconvRunOptions o = { 16, 2, on_progress, &p, &cancel, FALSE };

  g_assert_true (tconv_engine_run_pixels (m, &info, in, out, &o, &error));
  g_assert_cmpfloat (p.last, ==, 1.0);
  /* unstaged, the same pixels */
  float *direct = g_new (float, n);
  p = (Progress) { 0 };
  g_assert_true (tconv_engine_run_pixels_direct (m, &info, in, direct, &o, &error));
  g_assert_cmpmem (direct, n * sizeof (float), out, n * sizeof (float));
  g_free (direct);

  for (gsize i = 0; i < n; i++)
    out[i] = -7.0f;
  p = (Progress) { 0, 0, &cancel, 3 };
  g_assert_false (tconv_engine_run_pixels (m, &info, in, out, &o, &error));
  g_assert_error (error, TCONV_ERROR, TCONV_ERROR_CANCELLED);
  g_assert_cmpfloat (p.last, <, 1.0);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (out[i], ==, -7.0f);
  g_free (out);
  g_free (in);
  tconv_model_free (m);
}

/* ---- hostile model files ----------------------------------------------------------- */

static GBytes *
fixture_file_bytes (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".safetensors", NULL);
  g_autofree char *path = g_build_filename (g_getenv ("TCONV_TEST_DATA"), "models", file, NULL);
  char  *data;
  gsize  len;
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  return g_bytes_new_take (data, len);
}

static GBytes *
fixture_bytes (void)
{
  return fixture_file_bytes ("tiny-x2");
}

static void
expect_load_error (const guint8 *bytes, gsize len, const char *needle)
{
  g_autoptr (GError) error = NULL;
  TconvModel *m = tconv_model_load_bytes (bytes, len, "bad.safetensors", &error);
  g_assert_null (m);
  g_assert_nonnull (error);
  if (!strstr (error->message, needle))
    g_error ("message \"%s\" does not mention \"%s\"", error->message, needle);
}

/* A fixture's bytes with its header's text edited: `from` replaced by `to` (once). */
static GByteArray *
edited_fixture (const char *fixture, const char *from, const char *to)
{
  g_autoptr (GBytes) b = fixture_file_bytes (fixture);
  gsize         len;
  const guint8 *d = g_bytes_get_data (b, &len);
  guint64       hlen;
  memcpy (&hlen, d, 8);
  hlen = GUINT64_FROM_LE (hlen);
  g_autofree char *header = g_strndup ((const char *) d + 8, hlen);
  char            *at = strstr (header, from);
  g_assert_nonnull (at);
  g_autoptr (GString) h = g_string_new_len (header, at - header);
  g_string_append (h, to);
  g_string_append (h, at + strlen (from));
  guint64 nlen = GUINT64_TO_LE ((guint64) h->len);
  GByteArray *out = g_byte_array_new ();
  g_byte_array_append (out, (const guint8 *) &nlen, 8);
  g_byte_array_append (out, (const guint8 *) h->str, h->len);
  g_byte_array_append (out, d + 8 + hlen, len - 8 - hlen);
  return out;
}

static void
expect_edit_error_in (const char *fixture, const char *from, const char *to, const char *needle)
{
  g_autoptr (GByteArray) out = edited_fixture (fixture, from, to);
  expect_load_error (out->data, out->len, needle);
}

/* value_range is honoured: the 0-255 twin of a model (its file says [0, 255], its biases
 * are 255 times the original's; every layer is linear or positively homogeneous) upscales
 * an image exactly as the original does; a range that cannot be honoured is refused. */
static void
test_value_range (void)
{
  const char *names[] = { "tiny-x2", "tiny-rgb-x3", "tiny-rc-x2" };
  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    {
      g_autoptr (GByteArray) bytes = edited_fixture (names[k], "value_range\\\":[0.0,1.0]",
                                                     "value_range\\\":[0.0,255.0]");
      g_autoptr (GError) error = NULL;
      g_autoptr (TconvModel) m1 = fixture_model (names[k]);
      g_autoptr (TconvModel) m255 = tconv_model_load_bytes (bytes->data, bytes->len, names[k], &error);
      g_assert_no_error (error);
      g_assert_cmpfloat (m255->value_hi, ==, 255.0f);
      for (int i = 0; i < m255->n_layers; i++)
        for (int c = 0; m255->layers[i].bias && c < m255->layers[i].out_channels; c++)
          m255->layers[i].bias[c] *= 255.0f;
      TconvImageInfo info = { 37, 29, 3 };
      g_autofree float *in = random_image (info.width, info.height, 3, 11);
      gsize n1, n255;
      g_autofree float *o1 = run (m1, &info, in, 0, 1, &n1);
      g_autofree float *o255 = run (m255, &info, in, 0, 1, &n255);
      g_assert_cmpuint (n1, ==, n255);
      for (gsize i = 0; i < n1; i++)
        g_assert_cmpfloat_with_epsilon (o1[i], o255[i], 2e-5);
    }
  expect_edit_error_in ("tiny-x2", "value_range\\\":[0.0,1.0]", "value_range\\\":[1.0,0.0]",
                            "\"value_range\" must be [black, white]");
  expect_edit_error_in ("tiny-x2", "value_range\\\":[0.0,1.0]", "value_range\\\":\\\"0-255\\\"",
                            "\"value_range\" must be [black, white]");
}

static void
expect_header_edit_error (const char *from, const char *to, const char *needle)
{
  expect_edit_error_in ("tiny-x2", from, to, needle);
}

static void
test_hostile_files (void)
{
  g_autoptr (GBytes) b = fixture_bytes ();
  gsize         len;
  const guint8 *d = g_bytes_get_data (b, &len);
  g_autofree guint8 *copy = g_memdup2 (d, len);
  guint64       huge = GUINT64_TO_LE (G_MAXUINT64 / 2);

  /* the valid file loads */
  g_autoptr (GError) error = NULL;
  TconvModel *ok = tconv_model_load_bytes (d, len, "tiny", &error);
  g_assert_no_error (error);
  tconv_model_free (ok);

  expect_load_error (d, 0, "too short");
  expect_load_error (d, 5, "too short");
  expect_load_error (d, 100, "header length");                /* truncated in the header */
  expect_load_error (d, len - 4, "outside the data area");    /* truncated in the data */
  memcpy (copy, &huge, 8);
  expect_load_error (copy, len, "header length");
  memcpy (copy, d, len);
  copy[8] = '[';
  expect_load_error (copy, len, "JSON");
  expect_header_edit_error ("\"F32\"", "\"I64\"", "unsupported dtype \"I64\"");
  expect_header_edit_error ("\"shape\":[8,1,5,5]", "\"shape\":[8,1,5,4]", "data_offsets hold");
  expect_header_edit_error ("\"data_offsets\":[0,", "\"data_offsets\":[4,", "");
  expect_header_edit_error ("\\\"op\\\":\\\"conv2d\\\"", "\\\"op\\\":\\\"conv3d\\\"",
                            "unknown op");
  expect_header_edit_error ("\\\"stride\\\":[1,1]", "\\\"stride\\\":[0,1]", "stride");
  expect_edit_error_in ("keys-rgb-x3", "\\\"mode\\\":\\\"keys\\\"", "\\\"mode\\\":\\\"lanczos\\\"",
                        "\"mode\" must be nearest, bilinear, bicubic or keys");
  expect_header_edit_error ("\"tconv\":", "\"other\":", "not a tconv model");
  expect_header_edit_error ("{", "{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],",
                            "nested too deeply");

  /* out-of-range offsets */
  expect_header_edit_error ("\"data_offsets\":[0,", "\"data_offsets\":[999999999,", "outside the data area");
}

/* Two tensors claiming the same bytes, and a NaN weight, on a hand-built file. */
static void
test_overlap_and_nan (void)
{
  const char *graph = "{\\\"layers\\\":[{\\\"op\\\":\\\"conv_transpose2d\\\",\\\"weight\\\":\\\"w\\\","
                      "\\\"bias\\\":\\\"b\\\",\\\"stride\\\":2,\\\"padding\\\":0}]}";
  for (int variant = 0; variant < 2; variant++)
    {
      g_autofree char *header = g_strdup_printf (
        "{\"__metadata__\":{\"tconv\":\"%s\"},"
        "\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,2,2],\"data_offsets\":[0,16]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[%d,%d]}}",
        graph, variant ? 16 : 12, variant ? 20 : 16);
      guint64 hlen = GUINT64_TO_LE (strlen (header));
      float   data[5] = { 1, 1, 1, variant ? NAN : 1, 0 };
      g_autoptr (GByteArray) f = g_byte_array_new ();
      g_byte_array_append (f, (const guint8 *) &hlen, 8);
      g_byte_array_append (f, (const guint8 *) header, strlen (header));
      g_byte_array_append (f, (const guint8 *) data, sizeof data);
      expect_load_error (f->data, f->len, variant ? "NaN" : "overlap");
    }
}

/* ---- hostile graphs (format version 2) --------------------------------------------- */

/* A weightless version-2 file whose "layers" are `layers` (JSON, quotes unescaped). */
static GByteArray *
graph_file (const char *layers)
{
  g_autoptr (GString) graph = g_string_new ("{\"version\":2,\"color\":\"y\",\"layers\":");
  g_string_append (graph, layers);
  g_string_append_c (graph, '}');
  g_autoptr (GString) header = g_string_new ("{\"__metadata__\":{\"tconv\":\"");
  for (const char *c = graph->str; *c; c++)
    {
      if (*c == '"')
        g_string_append_c (header, '\\');
      g_string_append_c (header, *c);
    }
  g_string_append (header, "\"}}");
  while (header->len % 8)
    g_string_append_c (header, ' ');
  guint64     hlen = GUINT64_TO_LE ((guint64) header->len);
  GByteArray *f = g_byte_array_new ();
  g_byte_array_append (f, (const guint8 *) &hlen, 8);
  g_byte_array_append (f, (const guint8 *) header->str, header->len);
  return f;
}

/* Refused with `needle` in the message, in less than a second however large. */
static void
expect_graph_error (const char *layers, const char *needle)
{
  g_autoptr (GByteArray) f = graph_file (layers);
  gint64 t0 = g_get_monotonic_time ();
  expect_load_error (f->data, f->len, needle);
  double ms = (g_get_monotonic_time () - t0) / 1e3;
  g_test_message ("refused in %.1f ms: %s", ms, needle);
  g_assert_cmpfloat (ms, <, 1000.0);
}

/* `n` copies of `layer`, the first preceded by `first` (or nothing), as a JSON array. */
static char *
repeated (const char *first, const char *layer, int n)
{
  GString *s = g_string_new ("[");
  if (first)
    g_string_append_printf (s, "%s,", first);
  for (int i = 0; i < n; i++)
    g_string_append_printf (s, "%s%s", i ? "," : "", layer);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static void
test_hostile_graphs (void)
{
  /* a sound graph loads: two branches of the input added */
  g_autoptr (GByteArray) ok = graph_file (
    "[{\"op\":\"relu\",\"name\":\"a\",\"inputs\":[\"input\"]},"
    "{\"op\":\"sigmoid\",\"name\":\"b\",\"inputs\":[\"input\"]},"
    "{\"op\":\"add\",\"name\":\"sum\",\"inputs\":[\"a\",\"b\"],\"scale_a\":0.5}]");
  g_autoptr (GError) error = NULL;
  g_autoptr (TconvModel) m = tconv_model_load_bytes (ok->data, ok->len, "ok", &error);
  g_assert_no_error (error);
  g_assert_true (m->is_graph);
  g_assert_cmpint (m->layers[2].inputs[1], ==, 1);

  /* a cycle cannot be written: an input must be an earlier layer */
  expect_graph_error ("[{\"op\":\"relu\",\"name\":\"a\",\"inputs\":[\"b\"]},"
                      "{\"op\":\"relu\",\"name\":\"b\",\"inputs\":[\"a\"]}]",
                      "layer 0 (relu): input \"b\" is not an earlier layer's name");
  expect_graph_error ("[{\"op\":\"relu\",\"name\":\"a\",\"inputs\":[\"a\"]}]",
                      "input \"a\" is not an earlier layer's name");
  /* a million layers, and 5000 sound ones: counted before the JSON is parsed */
  g_autofree char *million = repeated (NULL, "{}", 1000000);
  expect_graph_error (million, "more than 4096 layers");
  g_autofree char *many = repeated (NULL, "{\"op\":\"relu\"}", 5000);
  expect_graph_error (many, "more than 4096 layers");
  /* a huge fan-out: one output read by 100 layers */
  g_autofree char *fan = repeated ("{\"op\":\"relu\",\"name\":\"a\",\"inputs\":[\"input\"]}",
                                   "{\"op\":\"relu\",\"inputs\":[\"a\"]}", 100);
  expect_graph_error (fan, "the output of layer 0 \"a\" (relu) is read by more than 64 layers");
  /* a concat of mismatched sizes, named */
  expect_graph_error ("[{\"op\":\"resize\",\"name\":\"up\",\"scale\":2,\"mode\":\"nearest\","
                      "\"inputs\":[\"input\"]},"
                      "{\"op\":\"concat\",\"name\":\"join\",\"inputs\":[\"input\",\"up\"]}]",
                      "layer 1 \"join\" (concat): concat: input 1 is 2016x2016, input 0 is "
                      "1008x1008");
  expect_graph_error ("[{\"op\":\"relu\",\"name\":\"a\",\"inputs\":[\"input\"]},"
                      "{\"op\":\"relu\",\"name\":\"b\",\"inputs\":[\"input\"]}]",
                      "layer 0 \"a\" (relu): its output is never used");
  expect_graph_error ("[{\"op\":\"add\",\"name\":\"a\",\"inputs\":[\"input\",\"input\",\"input\"]}]",
                      "takes 2 to 2 inputs, not 3");
  expect_graph_error ("[{\"op\":\"relu\",\"name\":\"a\"},{\"op\":\"relu\",\"name\":\"a\"}]",
                      "the name \"a\" is taken");
  expect_graph_error ("[{\"op\":\"slice\",\"start\":2,\"end\":3,\"inputs\":[\"input\"]}]",
                      "channels 2 to 3 of 1");
  expect_graph_error ("[{\"op\":\"pad\",\"border\":[2000,0,0,0],\"inputs\":[\"input\"]}]",
                      "\"border\" is 2000");
  /* version 1 knows its nine kinds only */
  g_autoptr (GByteArray) v1 = edited_fixture ("tiny-x2", "\\\"op\\\":\\\"conv2d\\\"",
                                              "\\\"op\\\":\\\"add\\\"");
  expect_load_error (v1->data, v1->len, "need \"version\": 2");
}

/* Random byte flips never crash the loader (each either loads or reports an error). */
static void
test_bit_flips (void)
{
  g_autoptr (GBytes) b = fixture_bytes ();
  gsize         len;
  const guint8 *d = g_bytes_get_data (b, &len);
  GRand        *r = g_rand_new_with_seed (11);

  for (int i = 0; i < 2000; i++)
    {
      g_autofree guint8 *copy = g_memdup2 (d, len);
      for (int k = 0; k < 3; k++)
        copy[g_rand_int_range (r, 0, (int) MIN (len, 600))] ^= 1u << g_rand_int_range (r, 0, 8);
      GError     *error = NULL;
      TconvModel *m = tconv_model_load_bytes (copy, len, "flipped", &error);
      g_assert_true ((m == NULL) == (error != NULL));
      tconv_model_free (m);
      g_clear_error (&error);
    }
  g_rand_free (r);
}


/* The process reads the model files once: a second choice of a model reads none, and
 * hands out the same loaded model (the plug-in's layers, compare mode and every file of
 * a batch ask again). */
static void
test_catalog_read_once (void)
{
  g_autofree char *dir = g_build_filename (g_getenv ("TCONV_TEST_DATA"), "models", NULL);
  g_autoptr (GError) error = NULL;
  TconvSettings s;

  tconv_settings_init (&s);
  s.model = "tiny-x2";
  g_autoptr (TconvModel) first = tconv_settings_model (&s, 1, dir, &error);
  g_assert_no_error (error);
  const guint after_first = tconv_model_files_read ();
  g_assert_cmpuint (after_first, >=, 5); /* every fixture, once */
  s.model = "tiny-rc-x2";
  s.mode = TCONV_MODE_RESIZE_CONV;
  g_autoptr (TconvModel) other = tconv_settings_model (&s, 1, dir, &error);
  s.model = "tiny-x2";
  s.mode = TCONV_MODE_TRANSPOSED;
  g_autoptr (TconvModel) again = tconv_settings_model (&s, 1, dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tconv_model_files_read (), ==, after_first);
  g_assert_true (again == first);
  g_assert_cmpstr (other->name, ==, "tiny-rc-x2");
}

/* Every choice, declared once (core/model/choices.c), round-trips through each place it may be
 * named: the CLI's parsers, the procedures' nicks and model files; elsewhere it is
 * refused with the list of what is allowed. */
static void
check_list (const TconvChoiceList *list)
{
  const unsigned wheres[] = { TCONV_IN_CLI, TCONV_IN_IMAGE_PROC, TCONV_IN_FILES_PROC,
                              TCONV_IN_MODEL_FILE };
  g_assert_nonnull (tconv_choice_of (list, list->def));
  for (int i = 0; i < list->n_items; i++)
    {
      const TconvChoice *c = &list->items[i];
      g_assert_true (tconv_choice_of (list, c->value) == c); /* a value appears once */
      g_assert_true (i == 0 || c->value > list->items[i - 1].value); /* in enum order */
      g_assert_cmpstr (tconv_choice_nick (list, c->value), ==, c->nick);
      g_assert_nonnull (c->label);
      g_assert_cmpuint (c->where, !=, 0);
      for (guint w = 0; w < G_N_ELEMENTS (wheres); w++)
        {
          g_autoptr (GError) error = NULL;
          int v = -1;
          gboolean ok = tconv_choice_parse (list, wheres[w], c->nick, &v, &error);
          g_assert_true (ok == ((c->where & wheres[w]) != 0));
          if (ok)
            g_assert_cmpint (v, ==, c->value);
          else
            g_assert_true (strstr (error->message, "is not one of") != NULL);
        }
      for (int j = 0; j < i; j++) /* a nick names one value wherever both may be named */
        g_assert_true (!(list->items[j].where & c->where)
                       || !g_str_equal (list->items[j].nick, c->nick));
    }
}

static void
test_choices (void)
{
  check_list (&tconv_mode_list);
  check_list (&tconv_kernel_shape_list);
  check_list (&tconv_interp_list);
  check_list (&tconv_padding_mode_list);
  check_list (&tconv_output_list);
  /* the CLI's parsers and the names printed */
  for (int i = 0; i < tconv_mode_list.n_items; i++)
    {
      TconvMode m;
      gboolean  cli = tconv_settings_parse_mode (tconv_mode_list.items[i].nick, &m, NULL);
      g_assert_true (cli == ((tconv_mode_list.items[i].where & TCONV_IN_CLI) != 0));
      g_assert_true (!cli || (int) m == tconv_mode_list.items[i].value);
      g_assert_cmpstr (tconv_mode_name (tconv_mode_list.items[i].value), ==,
                       tconv_mode_list.items[i].nick);
    }
  for (int i = 0; i < tconv_kernel_shape_list.n_items; i++)
    {
      TconvInterp k;
      g_assert_true (tconv_kernel_shape_parse (tconv_kernel_shape_list.items[i].nick, &k, NULL));
      g_assert_cmpint (k, ==, tconv_kernel_shape_list.items[i].value);
    }
  /* model files: the residual's interpolation, a conv2d's padding mode, the model's mode */
  for (int i = 0; i < tconv_interp_list.n_items; i++)
    {
      g_autofree char *to = g_strdup_printf ("\\\"mode\\\":\\\"%s\\\"}]", tconv_interp_list.items[i].nick);
      g_autoptr (GByteArray) b = edited_fixture ("keys-rgb-x3", "\\\"mode\\\":\\\"keys\\\"}]", to);
      g_autoptr (TconvModel) m = tconv_model_load_bytes (b->data, b->len, "edited", NULL);
      g_assert_nonnull (m);
      g_assert_cmpint (m->layers[m->n_layers - 1].resize.interp, ==, tconv_interp_list.items[i].value);
    }
  for (int i = 0; i < tconv_padding_mode_list.n_items; i++)
    {
      g_autofree char *to = g_strdup_printf ("padding_mode\\\":\\\"%s", tconv_padding_mode_list.items[i].nick);
      g_autoptr (GByteArray) b = edited_fixture ("keys-rgb-x3", "padding_mode\\\":\\\"zeros", to);
      g_autoptr (TconvModel) m = tconv_model_load_bytes (b->data, b->len, "edited", NULL);
      g_assert_nonnull (m);
      g_assert_cmpint (m->layers[0].conv.padding_mode, ==, tconv_padding_mode_list.items[i].value);
    }
  for (int i = 0; i < tconv_mode_list.n_items; i++)
    {
      const TconvChoice *c = &tconv_mode_list.items[i];
      g_autofree char *to = g_strdup_printf ("\\\"mode\\\":\\\"%s\\\",\\\"color", c->nick);
      g_autoptr (GByteArray) b = edited_fixture ("keys-rgb-x3", "\\\"mode\\\":\\\"transposed\\\",\\\"color", to);
      g_autoptr (GError) error = NULL;
      g_autoptr (TconvModel) m = tconv_model_load_bytes (b->data, b->len, "edited", &error);
      if (c->where & TCONV_IN_MODEL_FILE)
        g_assert_cmpint (m->mode, ==, c->value);
      else
        g_assert_true (m == NULL && strstr (error->message, "it must be transposed or resize-conv"));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/tiled-equals-untiled", test_tiled_equals_untiled);
  g_test_add_func ("/engine/streamed-equals-layers", test_streamed_equals_layers);
  g_test_add_func ("/engine/gray-is-the-graph", test_gray_is_the_graph);
  g_test_add_func ("/engine/ycbcr", test_ycbcr);
  g_test_add_func ("/engine/premultiplied-alpha", test_premultiplied_alpha);
  g_test_add_func ("/engine/progress-and-cancel", test_progress_and_cancel);
  g_test_add_func ("/model/hostile-files", test_hostile_files);
  g_test_add_func ("/model/hostile-graphs", test_hostile_graphs);
  g_test_add_func ("/model/value-range", test_value_range);
  g_test_add_func ("/model/overlap-and-nan", test_overlap_and_nan);
  g_test_add_func ("/model/bit-flips", test_bit_flips);
  g_test_add_func ("/choices/round-trip", test_choices);
  g_test_add_func ("/catalog/read-once", test_catalog_read_once);
  return g_test_run ();
}
