/* The ncnn reader: a synthetic model using every weight storage decodes to the values
 * written; the real waifu2x upconv_7 pair and the other families' .param files parse;
 * each hostile file is refused quickly with a message naming the cause.
 *   test-ncnn                  run the tests
 *   test-ncnn --corpus DIR     write the fuzz seeds (PARAM \0 BIN) into DIR */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ncnn.h"
#include "tconv-error.h"

#define TAG_F16  0x01306B47u
#define TAG_INT8 0x000D4B38u
#define TAG_F32  0x0002C056u

static void
put_u32 (GByteArray *b, guint32 v)
{
  v = GUINT32_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &v, 4);
}

static void
put_f32 (GByteArray *b, float f)
{
  guint32 v;
  memcpy (&v, &f, 4);
  put_u32 (b, v);
}

static void
put_u16 (GByteArray *b, guint16 v)
{
  v = GUINT16_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &v, 2);
}

/* ---- a synthetic model with every storage kind ---- */

static const char synthetic_param[] =
  "7767517\n"
  "11 12\n"
  "Input        in   0 1 data 0=4 1=4 2=3\n"
  "Split        sp   1 2 data a b\n"
  "Convolution  c1   1 1 a c1o 0=2 1=1 5=1 6=6 9=2 -23310=1,1.000000e-01\n"
  "PReLU        p1   1 1 c1o p1o 0=2\n"
  "Convolution  c2   1 1 p1o c2o 0=4 1=1 6=8\n"
  "PixelShuffle ps   1 1 c2o pso 0=2\n"
  "Interp       up   1 1 b upo 0=1 1=2.000000e+00 2=2.0\n"
  "BinaryOp     add  2 1 pso upo sum 0=0\n"
  "Deconvolution dc  1 1 sum dco 0=1 1=3 3=2 4=1 6=9\n"
  "Pooling      gp   1 1 dco g 0=1 4=1\n"
  "InnerProduct fc   1 1 g fco 0=2 1=1 2=2 9=4\n";

/* float16 bits of 0.5, -1.25, 2, 0.25, -0.75, 3 */
static const guint16 c1_half[] = { 0x3800, 0xBD00, 0x4000, 0x3400, 0xBA00, 0x4200 };
static const float   c1_value[] = { 0.5f, -1.25f, 2.f, 0.25f, -0.75f, 3.f };

static GByteArray *
synthetic_bin (void)
{
  GByteArray *b = g_byte_array_new ();

  put_u32 (b, TAG_F16); /* c1: 6 halves = 12 bytes, already 4-aligned */
  for (int i = 0; i < 6; i++)
    put_u16 (b, c1_half[i]);
  put_f32 (b, 0.5f), put_f32 (b, -0.5f); /* c1 bias */
  put_f32 (b, 0.25f), put_f32 (b, 0.125f); /* p1 slopes */
  put_u32 (b, TAG_F32); /* c2 */
  for (int i = 0; i < 8; i++)
    put_f32 (b, i - 4.f);
  put_u32 (b, 0x00000101u); /* dc: any other tag is a 256-entry table */
  for (int k = 0; k < 256; k++)
    put_f32 (b, k * 0.5f - 1.f);
  for (int i = 0; i < 12; i++) /* 9 indices, padded to 12 */
    g_byte_array_append (b, (const guint8[]) { i < 9 ? 8 - i : 0 }, 1);
  put_u32 (b, 0); /* fc: tag 0 is plain float32 */
  put_f32 (b, 1.5f), put_f32 (b, -2.5f);
  put_f32 (b, 0.75f), put_f32 (b, -0.75f); /* fc bias */
  return b;
}

static const TconvNcnnLayer *
layer (const TconvNcnnNet *net, const char *name)
{
  for (int i = 0; i < net->n_layers; i++)
    if (g_str_equal (net->layers[i].name, name))
      return &net->layers[i];
  g_error ("no layer %s", name);
}

static void
test_synthetic (void)
{
  g_autoptr (GByteArray) bin = synthetic_bin ();
  g_autoptr (GError) error = NULL;
  g_autoptr (TconvNcnnNet) net = tconv_ncnn_parse (synthetic_param, strlen (synthetic_param),
                                                   bin->data, bin->len, "synthetic", &error);
  const TconvNcnnWeight *w;

  g_assert_no_error (error);
  g_assert_cmpint (net->n_layers, ==, 11);
  g_assert_cmpint (net->n_blobs, ==, 12);
  /* the graph: Split fans out, the sum reads PixelShuffle's and Interp's outputs */
  const TconvNcnnLayer *add = layer (net, "add");
  g_assert_cmpstr (net->blob_names[add->inputs[0]], ==, "pso");
  g_assert_cmpstr (net->blob_names[add->inputs[1]], ==, "upo");
  g_assert_cmpint (net->consumers[tconv_ncnn_blob (net, "data")], ==, 1);
  g_assert_cmpint (net->consumers[tconv_ncnn_blob (net, "fco")], ==, 0);
  g_assert_cmpint (net->producer[tconv_ncnn_blob (net, "b")], ==, 1);

  const TconvNcnnLayer *c1 = layer (net, "c1");
  g_assert_cmpint (c1->params[10].type, ==, TCONV_NCNN_FLOAT_ARRAY);
  g_assert_cmpint (c1->params[10].n, ==, 1);
  g_assert_cmpfloat (c1->params[10].fv[0], ==, 0.1f);
  g_assert_cmpint (tconv_ncnn_param_int (c1, 11, -1), ==, -1); /* absent: the default */
  w = tconv_ncnn_weight (c1, "weight");
  g_assert_cmpint (w->storage, ==, TCONV_NCNN_F16);
  g_assert_cmpint (w->shape[0], ==, 2);
  g_assert_cmpint (w->shape[1], ==, 3);
  g_assert_cmpint (w->shape[2], ==, 1);
  g_assert_cmpint (w->shape[3], ==, 1);
  for (int i = 0; i < 6; i++)
    g_assert_cmpfloat (w->data[i], ==, c1_value[i]);
  g_assert_cmpfloat (tconv_ncnn_weight (c1, "bias")->data[1], ==, -0.5f);
  g_assert_cmpfloat (tconv_ncnn_weight (layer (net, "p1"), "slope")->data[1], ==, 0.125f);

  w = tconv_ncnn_weight (layer (net, "c2"), "weight");
  g_assert_cmpint (w->storage, ==, TCONV_NCNN_F32_TAGGED);
  g_assert_cmpint (w->shape[1], ==, 2);
  g_assert_cmpfloat (w->data[7], ==, 3.f);

  const TconvNcnnLayer *up = layer (net, "up");
  g_assert_cmpfloat (tconv_ncnn_param_float (up, 1, 0), ==, 2.f);
  g_assert_cmpfloat (tconv_ncnn_param_float (up, 2, 0), ==, 2.f);

  w = tconv_ncnn_weight (layer (net, "dc"), "weight");
  g_assert_cmpint (w->storage, ==, TCONV_NCNN_TABLE);
  g_assert_cmpint (w->shape[0], ==, 1);
  g_assert_cmpint (w->shape[1], ==, 1);
  g_assert_cmpint (w->shape[2], ==, 3);
  g_assert_cmpint (w->shape[3], ==, 3);
  for (int i = 0; i < 9; i++)
    g_assert_cmpfloat (w->data[i], ==, (8 - i) * 0.5f - 1.f);
  g_assert_null (tconv_ncnn_weight (layer (net, "dc"), "bias"));

  const TconvNcnnLayer *fc = layer (net, "fc");
  w = tconv_ncnn_weight (fc, "weight");
  g_assert_cmpint (w->storage, ==, TCONV_NCNN_F32);
  g_assert_cmpint (w->shape[0], ==, 2);
  g_assert_cmpint (w->shape[1], ==, 1);
  g_assert_cmpfloat (w->data[1], ==, -2.5f);
  g_assert_cmpfloat (tconv_ncnn_weight (fc, "bias")->data[0], ==, 0.75f);
  g_assert_cmpint (tconv_ncnn_param_int (fc, 9, 0), ==, 4);
}

/* ---- hostile files ---- */

/* A valid base: one convolution (2 out, 3 in, 1x1, bias) between Input and ReLU. */
#define HEAD "7767517\n3 3\nInput in 0 1 data\n"
#define CONV "Convolution conv 1 1 data c 0=2 1=1 5=1 6=6"
#define TAIL "\nReLU r 1 1 c out\n"

typedef enum
{
  BIN_OK,        /* tag F32, 6 weights, 2 biases: 36 bytes */
  BIN_TRUNCATED, /* the last 4 bytes missing */
  BIN_TRAILING,  /* 4 bytes too many */
  BIN_INT8,
  BIN_F16_NAN,
  BIN_TABLE_NAN,
  BIN_EMPTY
} BinKind;

typedef struct
{
  const char *name;
  const char *param; /* NULL: built by the test */
  BinKind     bin;
  const char *needle;
} Hostile;

static const Hostile hostile[] = {
  { "empty", "", BIN_OK, "empty" },
  { "magic", "7767516\n3 3\n", BIN_OK, "first line must be 7767517" },
  { "absurd-layer-count", "7767517\n2000000000 3\n", BIN_OK, "layer count" },
  { "negative-blob-count", "7767517\n3 -1\n", BIN_OK, "blob count" },
  { "layer-count-mismatch", "7767517\n4 3\nInput in 0 1 data\n" CONV TAIL, BIN_OK,
    "declares 4 layers but 3" },
  { "blob-count-small", "7767517\n3 2\nInput in 0 1 data\n" CONV TAIL, BIN_OK, "more blobs" },
  { "undefined-blob", HEAD "Convolution conv 1 1 nope c 0=2 1=1 5=1 6=6" TAIL, BIN_OK,
    "\"nope\" is not produced by an earlier layer" },
  { "cycle", HEAD "Convolution conv 1 1 out c 0=2 1=1 5=1 6=6" TAIL, BIN_OK,
    "\"out\" is not produced by an earlier layer" },
  { "blob-twice", HEAD CONV "\nReLU r 1 1 c c\n", BIN_OK, "already produced by layer \"conv\"" },
  { "unknown-operator", HEAD CONV "\nSwish r 1 1 c out\n", BIN_OK,
    "layer \"r\" has the operator Swish" },
  { "link-count", HEAD "Convolution conv 100 1 data c" TAIL, BIN_OK, "input count" },
  { "op-arity", HEAD CONV "\nReLU r 1 2 c out o2\n", BIN_OK, "ReLU takes 1 to 1" },
  { "param-id", HEAD CONV " 99=1" TAIL, BIN_OK, "\"99=1\" is not a parameter" },
  { "param-unread", HEAD CONV " 20=1" TAIL, BIN_OK, "parameter 20 is not one Convolution reads" },
  { "param-twice", HEAD CONV " 0=2" TAIL, BIN_OK, "parameter 0 is given twice" },
  { "param-int-overflow", HEAD "Convolution conv 1 1 data c 0=99999999999 1=1 5=1 6=6" TAIL,
    BIN_OK, "is not a number" },
  { "param-range", HEAD "Convolution conv 1 1 data c 0=2 1=100000 5=1 6=6" TAIL, BIN_OK,
    "parameter 1 is 100000" },
  { "param-type", HEAD "Convolution conv 1 1 data c 0=2 1=1.5 5=1 6=6" TAIL, BIN_OK,
    "parameter 1 must be an integer" },
  { "param-string", HEAD CONV " 18=abc" TAIL, BIN_OK, "a string" },
  { "param-nan", HEAD CONV " 18=nan" TAIL, BIN_OK, "a string" },
  { "param-huge-float", HEAD CONV " 18=1e99" TAIL, BIN_OK, "is not a number" },
  { "array-count", HEAD CONV " 9=2 -23310=5,0.1" TAIL, BIN_OK, "declares 5 values but has 1" },
  { "array-mixed", HEAD CONV " 9=3 -23310=2,0,0.5" TAIL, BIN_OK, "mixes integers and floats" },
  { "activation-args", HEAD CONV " 9=2" TAIL, BIN_OK, "activation 2 needs 1" },
  { "dynamic-weight", HEAD CONV " 19=1" TAIL, BIN_OK, "dynamic_weight" },
  { "weight-size", HEAD "Convolution conv 1 1 data c 0=2 1=1 5=1 6=7" TAIL, BIN_OK,
    "not a multiple" },
  { "weight-size-huge", HEAD "Convolution conv 1 1 data c 0=2 1=1 5=1 6=2000000000" TAIL, BIN_OK,
    "which needs 8000000000" },
  { "bin-truncated", HEAD CONV TAIL, BIN_TRUNCATED, "the .bin has 4 bytes left for its bias, which needs 8" },
  { "bin-empty", HEAD CONV TAIL, BIN_EMPTY, "the .bin has 0 bytes left for its weight" },
  { "bin-trailing", HEAD CONV TAIL, BIN_TRAILING, "4 bytes after the last layer" },
  { "bin-int8", HEAD CONV TAIL, BIN_INT8, "int8" },
  { "bin-f16-nan", HEAD CONV TAIL, BIN_F16_NAN, "weight holds a NaN" },
  { "bin-table-nan", HEAD CONV TAIL, BIN_TABLE_NAN, "weight holds a NaN or infinite value at index 3" },
  { "eltwise-coeffs", "7767517\n3 4\nInput in 0 1 data\nSplit s 1 2 data x y\nEltwise e 2 1 x y out 0=1 -23301=3,1.0,1.0,1.0\n",
    BIN_EMPTY, "3 coefficients (1) for 2 inputs" },
  { "crop-reference", "7767517\n3 4\nInput in 0 1 data\nSplit s 1 2 data x y\n"
                      "Crop c 2 1 x y out 3=4\n", BIN_EMPTY, "reference blob" },
  { "binaryop-scalar", "7767517\n3 4\nInput in 0 1 data\nSplit s 1 2 data x y\n"
                       "BinaryOp b 2 1 x y out 1=1 2=2.0\n", BIN_EMPTY, "with a scalar" },
  { "interp-scale", "7767517\n2 2\nInput in 0 1 data\nInterp i 1 1 data out 0=1 1=0.0\n",
    BIN_EMPTY, "scales" },
  { "scale-two-inputs", "7767517\n3 4\nInput in 0 1 data\nSplit s 1 2 data x y\n"
                        "Scale sc 2 1 x y out 0=3\n", BIN_EMPTY, "0=-233" },
  { "control-chars", "7767517\n1 1\nInput in\x01 0 1 data\n", BIN_EMPTY, "not text" },
  { "invalid-utf8", "7767517\n1 1\nInput in\xff 0 1 data\n", BIN_EMPTY, "not text" },
  { "long-name", NULL, BIN_EMPTY, "longer than 255" },
  { "long-line", NULL, BIN_EMPTY, "longer than 65536" },
};

static GByteArray *
hostile_bin (BinKind kind)
{
  GByteArray *b = g_byte_array_new ();

  if (kind == BIN_EMPTY)
    return b;
  if (kind == BIN_F16_NAN)
    {
      put_u32 (b, TAG_F16);
      for (int i = 0; i < 6; i++)
        put_u16 (b, i == 0 ? 0x7E00 : 0x3C00);
    }
  else if (kind == BIN_TABLE_NAN)
    {
      put_u32 (b, 0xdeadbeefu);
      for (int k = 0; k < 256; k++)
        put_f32 (b, k == 7 ? NAN : k);
      g_byte_array_append (b, (const guint8[]) { 0, 1, 2, 7, 0, 0, 0, 0 }, 8);
    }
  else
    {
      put_u32 (b, kind == BIN_INT8 ? TAG_INT8 : TAG_F32);
      for (int i = 0; i < 6; i++)
        put_f32 (b, i * 0.25f);
    }
  put_f32 (b, 1.f), put_f32 (b, -1.f);
  if (kind == BIN_TRUNCATED)
    g_byte_array_set_size (b, b->len - 4);
  if (kind == BIN_TRAILING)
    put_u32 (b, 0);
  return b;
}

static char *
hostile_param (const Hostile *h)
{
  if (h->param)
    return g_strdup (h->param);
  g_autofree char *filler = g_strnfill (g_str_equal (h->name, "long-name") ? 300 : 70000, 'x');
  return g_strdup_printf ("7767517\n1 1\nInput %s 0 1 data\n", filler);
}

static void
test_hostile (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      const Hostile *h = &hostile[i];
      g_autofree char *param = hostile_param (h);
      g_autoptr (GByteArray) bin = hostile_bin (h->bin);
      g_autoptr (GError) error = NULL;
      gint64 t0 = g_get_monotonic_time ();
      TconvNcnnNet *net = tconv_ncnn_parse (param, strlen (param), bin->data, bin->len, h->name,
                                            &error);
      double ms = (g_get_monotonic_time () - t0) / 1000.0;
      if (net)
        g_error ("%s: accepted", h->name);
      g_assert_error (error, TCONV_ERROR, TCONV_ERROR_MODEL);
      if (!strstr (error->message, h->needle))
        g_error ("%s: message \"%s\" does not say \"%s\"", h->name, error->message, h->needle);
      g_test_message ("%.2f ms  %s", ms, error->message);
      g_assert_cmpfloat (ms, <, 100);
    }
}

/* The base of the hostile cases is valid: the refusals above come from their changes. */
static void
test_hostile_base (void)
{
  g_autoptr (GByteArray) bin = hostile_bin (BIN_OK);
  g_autoptr (GError) error = NULL;
  const char *param = HEAD CONV TAIL;
  g_autoptr (TconvNcnnNet) net = tconv_ncnn_parse (param, strlen (param), bin->data, bin->len,
                                                   "base", &error);
  g_assert_no_error (error);
  g_assert_cmpint (net->layers[1].weights[0].shape[1], ==, 3);
}

/* ---- real files ---- */

static char *
data_path (const char *file)
{
  return g_build_filename (g_getenv ("TCONV_TEST_DATA"), "ncnn", file, NULL);
}

/* waifu2x upconv_7 photo, noise 0, x2 (nihui/waifu2x-ncnn-vulkan, MIT): the whole pair. */
static void
test_upconv7 (void)
{
  g_autofree char *path = data_path ("upconv_7_photo_noise0_scale2.0x.param");
  g_autofree char *bin_path = data_path ("upconv_7_photo_noise0_scale2.0x.bin");
  g_autoptr (GError) error = NULL;
  g_autoptr (TconvNcnnNet) net = tconv_ncnn_load (path, &error);
  g_autofree char *bin = NULL;
  gsize            bin_len;
  static const int outs[] = { 16, 32, 64, 128, 128, 256, 3 };

  g_assert_no_error (error);
  g_assert_cmpint (net->n_layers, ==, 8);
  g_assert_cmpstr (net->blob_names[0], ==, "Input1");
  g_assert_cmpint (net->consumers[tconv_ncnn_blob (net, "Eltwise4")], ==, 0);
  for (int i = 1; i < 8; i++)
    {
      const TconvNcnnWeight *w = tconv_ncnn_weight (&net->layers[i], "weight");
      g_assert_cmpint (w->shape[0], ==, outs[i - 1]);
      g_assert_cmpint (w->shape[1], ==, i == 1 ? 3 : outs[i - 2]);
      g_assert_cmpint (w->shape[2], ==, i == 7 ? 4 : 3);
      g_assert_cmpint (w->storage, ==, TCONV_NCNN_F16);
      g_assert_nonnull (tconv_ncnn_weight (&net->layers[i], "bias"));
    }
  g_assert_cmpstr (net->layers[7].type, ==, "Deconvolution");
  g_assert_cmpint (tconv_ncnn_param_int (&net->layers[7], 4, 0), ==, 3);
  /* the first weight, decoded here from the file's bytes 4..5 (after the tag) */
  g_assert_true (g_file_get_contents (bin_path, &bin, &bin_len, NULL));
  guint16 h;
  memcpy (&h, bin + 4, 2);
  h = GUINT16_FROM_LE (h);
  float expect = ldexpf ((h & 0x3ff) | 0x400, ((h >> 10) & 0x1f) - 25) * (h >> 15 ? -1 : 1);
  g_assert_cmpuint ((h >> 10) & 0x1f, !=, 0); /* a normal number: the formula above holds */
  g_assert_cmpfloat (net->layers[1].weights[0].data[0], ==, expect);
}

/* The other families' .param files (their .bin files are 1-3 MB, not in the tree): every
 * layer's parameters are validated, and the weights they declare read from a zero .bin
 * (tag 0 = float32) exactly as long as the count of values the real .bin holds. */
typedef struct
{
  const char *file;
  gsize       values;  /* weights + biases + slopes in the real .bin */
  int         tagged;  /* weight arrays that carry a tag */
  int         layers;
  const char *input, *output;
} RealParam;

static const RealParam real_params[] = {
  { "realesr-animevideov3-x2.param", 621424, 18, 41, "data", "output" },
  { "realcugan-se-up2x-conservative.param", 1284598, 30, 55, "in0", "out0" },
  { "waifu2x-cunet-noise0_scale2.0x.param", 1284598, 30, 59, "Input1", "Eltwise4" },
  { "srmd_x2.param", 1511692, 12, 14, "input", "output" },
};

static void
test_real_params (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (real_params); i++)
    {
      const RealParam *r = &real_params[i];
      g_autofree char *path = data_path (r->file);
      g_autofree char *param = NULL;
      gsize            len, bin_len = 4 * (r->values + r->tagged);
      g_autofree guint8 *bin = g_malloc0 (bin_len + 4);
      g_autoptr (GError) error = NULL;

      g_assert_true (g_file_get_contents (path, &param, &len, NULL));
      g_autoptr (TconvNcnnNet) net = tconv_ncnn_parse (param, len, bin, bin_len, r->file, &error);
      g_assert_no_error (error);
      g_assert_cmpint (net->n_layers, ==, r->layers);
      g_assert_cmpint (net->consumers[tconv_ncnn_blob (net, r->output)], ==, 0);
      g_assert_cmpint (net->producer[tconv_ncnn_blob (net, r->input)], ==, 0);
      /* one float short or over: refused */
      g_assert_null (tconv_ncnn_parse (param, len, bin, bin_len - 4, r->file, NULL));
      g_assert_null (tconv_ncnn_parse (param, len, bin, bin_len + 4, r->file, NULL));
    }
}

/* ---- fuzz seeds ---- */

static void
write_seed (const char *dir, const char *name, const char *param, GByteArray *bin)
{
  g_autoptr (GByteArray) seed = g_byte_array_new ();
  g_autofree char *file = g_strdup_printf ("%s/%s", dir, name);

  g_byte_array_append (seed, (const guint8 *) param, strlen (param) + 1); /* with its NUL */
  g_byte_array_append (seed, bin->data, bin->len);
  if (!g_file_set_contents (file, (const char *) seed->data, seed->len, NULL))
    g_error ("cannot write %s", file);
}

static int
write_corpus (const char *dir)
{
  g_autoptr (GByteArray) synthetic = synthetic_bin ();
  g_autoptr (GByteArray) base = hostile_bin (BIN_OK);

  write_seed (dir, "synthetic", synthetic_param, synthetic);
  write_seed (dir, "base", HEAD CONV TAIL, base);
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    if (hostile[i].param && strlen (hostile[i].param) < 4096)
      {
        g_autoptr (GByteArray) bin = hostile_bin (hostile[i].bin);
        write_seed (dir, hostile[i].name, hostile[i].param, bin);
      }
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 3 && g_str_equal (argv[1], "--corpus"))
    return write_corpus (argv[2]);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ncnn/synthetic", test_synthetic);
  g_test_add_func ("/ncnn/hostile-base", test_hostile_base);
  g_test_add_func ("/ncnn/hostile", test_hostile);
  g_test_add_func ("/ncnn/upconv7", test_upconv7);
  g_test_add_func ("/ncnn/real-params", test_real_params);
  return g_test_run ();
}
