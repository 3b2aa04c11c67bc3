/* Holds the core operators equal to PyTorch on the fixtures written by
 * gen_parity_fixtures.py, and kernel mode on those of gen_kernel_fixtures.py:
 * max |ours - torch| <= 1e-4 * max(1, max|torch|).  Kernel mode's padding is
 * ConvTranspose2d's: one more crops one pixel from each side, nothing else. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "choices.h"
#include "execute.h"
#include "kernels.h"
#include "tconv-ops.h"

#define MAX_TENSORS 6

typedef struct
{
  char       *op;
  GHashTable *params;                   /* key -> value string */
  char       *names[MAX_TENSORS];
  TconvTensor tensors[MAX_TENSORS];
  int         n_tensors;
} Case;

static void
parse_shape (const char *s, TconvTensor *t)
{
  g_auto (GStrv) dims = g_strsplit (s, "x", -1);
  int d[4] = { 1, 1, 1, 1 }, nd = g_strv_length (dims);

  g_assert_cmpint (nd, >=, 1);
  g_assert_cmpint (nd, <=, 4);
  /* A 1-D tensor (bias, slopes) is stored as [1, 1, 1, len]. */
  for (int i = 0; i < nd; i++)
    d[4 - nd + i] = atoi (dims[i]);
  *t = (TconvTensor) { d[0], d[1], d[2], d[3], NULL };
}

/* Reads one case at *pos; FALSE at the end of the file. */
static gboolean
read_case (const char *buf, gsize len, gsize *pos, Case *c)
{
  if (*pos >= len)
    return FALSE;
  const char *nl = memchr (buf + *pos, '\n', len - *pos);
  g_assert_nonnull (nl);
  g_autofree char *line = g_strndup (buf + *pos, nl - (buf + *pos));
  *pos = nl - buf + 1;

  g_auto (GStrv) tok = g_strsplit (line, " ", -1);
  memset (c, 0, sizeof *c);
  c->op = g_strdup (tok[0]);
  c->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (int i = 1; tok[i]; i++)
    {
      char *eq = strchr (tok[i], '=');
      g_assert_nonnull (eq);
      g_hash_table_insert (c->params, g_strndup (tok[i], eq - tok[i]), g_strdup (eq + 1));
    }
  g_auto (GStrv) specs = g_strsplit (g_hash_table_lookup (c->params, "tensors"), ",", -1);
  for (int i = 0; specs[i]; i++)
    {
      char *colon = strchr (specs[i], ':');
      g_assert_cmpint (c->n_tensors, <, MAX_TENSORS);
      c->names[c->n_tensors] = g_strndup (specs[i], colon - specs[i]);
      TconvTensor *t = &c->tensors[c->n_tensors++];
      parse_shape (colon + 1, t);
      gsize bytes = tconv_tensor_numel (t) * sizeof (float);
      g_assert_cmpuint (*pos + bytes, <=, len);
      g_assert_true (tconv_tensor_alloc (t, "fixture", NULL));
      memcpy (t->data, buf + *pos, bytes); /* fixtures are little-endian, as this machine */
      *pos += bytes;
    }
  return TRUE;
}

static void
case_free (Case *c)
{
  for (int i = 0; i < c->n_tensors; i++)
    {
      g_free (c->names[i]);
      tconv_tensor_free (&c->tensors[i]);
    }
  g_hash_table_unref (c->params);
  g_free (c->op);
}

static TconvTensor *
tensor (Case *c, const char *name)
{
  for (int i = 0; i < c->n_tensors; i++)
    if (strcmp (c->names[i], name) == 0)
      return &c->tensors[i];
  return NULL;
}

static void
int_pair (Case *c, const char *key, int v[2])
{
  const char *s = g_hash_table_lookup (c->params, key);
  g_assert_nonnull (s);
  g_assert_cmpint (sscanf (s, "%d,%d", &v[0], &v[1]), ==, 2);
}

static TconvPaddingMode
padding_mode (const char *s)
{
  if (g_str_equal (s, "reflect"))
    return TCONV_PAD_REFLECT;
  if (g_str_equal (s, "replicate"))
    return TCONV_PAD_REPLICATE;
  if (g_str_equal (s, "circular"))
    return TCONV_PAD_CIRCULAR;
  g_assert_cmpstr (s, ==, "zeros");
  return TCONV_PAD_ZEROS;
}

static int
int_param (Case *c, const char *key)
{
  const char *s = g_hash_table_lookup (c->params, key);
  g_assert_nonnull (s);
  return atoi (s);
}

/* A fixed kernel as tconv builds it: the weights must be the fixture's taps x taps (they
 * do not depend on the padding), automatic values must resolve to the fixture's, and the
 * model's output must be PyTorch's. */
static TconvTensor
run_kernel_case (Case *c)
{
  TconvTensor     got = { 0 };
  g_autoptr (GError) error = NULL;
  gboolean        automatic = int_param (c, "auto");
  TconvKernelSpec spec = { 0, int_param (c, "stride"), int_param (c, "kernel"),
                           automatic ? -1 : int_param (c, "padding"),
                           automatic ? -1 : int_param (c, "output_padding"),
                           int_param (c, "dilation") };
  TconvTensor    *taps = tensor (c, "taps");

  g_assert_true (tconv_kernel_shape_parse (g_hash_table_lookup (c->params, "shape"), &spec.shape,
                                           &error));
  g_autoptr (TconvModel) m = tconv_kernel_model_new (&spec, 1, &error);
  g_assert_no_error (error);
  const TconvLayer *l = &m->layers[0];
  g_assert_cmpint (l->transposed.padding[0], ==, int_param (c, "padding"));
  g_assert_cmpint (l->transposed.output_padding[0], ==, int_param (c, "output_padding"));
  g_assert_cmpint (l->weight.h, ==, spec.kernel);
  for (int y = 0; y < spec.kernel; y++)
    for (int x = 0; x < spec.kernel; x++)
      g_assert_cmpfloat_with_epsilon (l->weight.data[y * spec.kernel + x],
                                      taps->data[y] * taps->data[x], 1e-5);
  g_assert_true (tconv_model_forward (m, tensor (c, "input"), &got, &error));
  g_assert_no_error (error);
  return got;
}

/* Runs the case's op on its inputs; returns the output the core produced. */
static TconvTensor
run_case (Case *c)
{
  g_autoptr (GError) error = NULL;
  TconvTensor *in = tensor (c, "input"), *want = tensor (c, "output");
  TconvTensor *w = tensor (c, "weight"), *b = tensor (c, "bias");
  TconvTensor  got = { want->n, want->c, want->h, want->w, NULL };
  gboolean     ok = FALSE;

  if (g_str_equal (c->op, "conv_transpose2d"))
    {
      TconvConvTranspose2dParams p = tconv_conv_transpose2d_params_default ();
      TconvTensor                shape;
      int_pair (c, "stride", p.stride);
      int_pair (c, "padding", p.padding);
      int_pair (c, "output_padding", p.output_padding);
      int_pair (c, "dilation", p.dilation);
      p.groups = atoi (g_hash_table_lookup (c->params, "groups"));
      /* The shape function alone must agree with PyTorch too. */
      g_assert_true (tconv_conv_transpose2d_shape (in, w, b ? b->w : -1, &p, &shape, &error));
      g_assert_cmpint (shape.h, ==, want->h);
      g_assert_cmpint (shape.w, ==, want->w);
      g_assert_true (tconv_tensor_alloc (&got, "output", &error));
      ok = tconv_conv_transpose2d (in, w, b ? b->data : NULL, b ? b->w : 0, &p, &got, &error);
    }
  else if (g_str_equal (c->op, "kernel"))
    return run_kernel_case (c);
  else if (g_str_equal (c->op, "conv2d"))
    {
      TconvConv2dParams p = tconv_conv2d_params_default ();
      TconvTensor       shape;
      int_pair (c, "stride", p.stride);
      int_pair (c, "padding", p.padding);
      int_pair (c, "dilation", p.dilation);
      p.groups = atoi (g_hash_table_lookup (c->params, "groups"));
      p.padding_mode = padding_mode (g_hash_table_lookup (c->params, "padding_mode"));
      g_assert_true (tconv_conv2d_shape (in, w, b ? b->w : -1, &p, &shape, &error));
      g_assert_cmpint (shape.h, ==, want->h);
      g_assert_cmpint (shape.w, ==, want->w);
      g_assert_true (tconv_tensor_alloc (&got, "output", &error));
      ok = tconv_conv2d (in, w, b ? b->data : NULL, b ? b->w : 0, &p, &got, &error);
    }
  else if (g_str_equal (c->op, "resize"))
    {
      const char *mode = g_hash_table_lookup (c->params, "mode");
      TconvInterp interp = g_str_equal (mode, "nearest")    ? TCONV_INTERP_NEAREST
                           : g_str_equal (mode, "bilinear") ? TCONV_INTERP_BILINEAR
                                                            : TCONV_INTERP_BICUBIC;
      int         scale[2];
      int_pair (c, "scale", scale);
      if (scale[0] > 0)
        {
          int oh, ow;
          g_assert_true (tconv_resize_output_len (in->h, scale[0], &oh, &error));
          g_assert_true (tconv_resize_output_len (in->w, scale[1], &ow, &error));
          g_assert_cmpint (oh, ==, want->h);
          g_assert_cmpint (ow, ==, want->w);
        }
      g_assert_true (tconv_tensor_alloc (&got, "output", &error));
      ok = tconv_resize (in, interp, scale[0], scale[1], &got, &error);
    }
  else if (g_str_equal (c->op, "pixel_shuffle") || g_str_equal (c->op, "pixel_unshuffle"))
    {
      int r = atoi (g_hash_table_lookup (c->params, "factor"));
      g_assert_true (tconv_tensor_alloc (&got, "output", &error));
      ok = g_str_equal (c->op, "pixel_shuffle") ? tconv_pixel_shuffle (in, r, &got, &error)
                                                : tconv_pixel_unshuffle (in, r, &got, &error);
    }
  else
    {
      g_assert_true (tconv_tensor_alloc (&got, "output", &error));
      memcpy (got.data, in->data, tconv_tensor_numel (in) * sizeof (float));
      ok = TRUE;
      if (g_str_equal (c->op, "relu"))
        tconv_relu (&got);
      else if (g_str_equal (c->op, "leaky_relu"))
        tconv_leaky_relu (&got, g_ascii_strtod (g_hash_table_lookup (c->params, "slope"), NULL));
      else if (g_str_equal (c->op, "prelu"))
        {
          TconvTensor *s = tensor (c, "slopes");
          ok = tconv_prelu (&got, s->data, s->w, &error);
        }
      else
        g_error ("unknown op %s in fixtures", c->op);
    }
  g_assert_no_error (error);
  g_assert_true (ok);
  return got;
}

/* Every case of a fixture file against the core; returns the number of cases. */
static int
check_file (const char *name, int *n_transposed, double *worst)
{
  g_autofree char *path = g_build_filename (g_getenv ("TCONV_TEST_DATA"), name, NULL);
  g_autofree char *buf = NULL;
  gsize            len, pos = 0;
  g_autoptr (GError) error = NULL;
  int              n_cases = 0;
  Case             c;

  g_assert_true (g_file_get_contents (path, &buf, &len, &error));
  while (read_case (buf, len, &pos, &c))
    {
      TconvTensor *want = tensor (&c, "output");
      TconvTensor  got = run_case (&c);
      double       peak = 1.0, err = 0.0;

      g_assert_cmpint (got.h, ==, want->h);
      g_assert_cmpint (got.w, ==, want->w);
      for (gsize i = 0; i < tconv_tensor_numel (want); i++)
        {
          peak = MAX (peak, fabs (want->data[i]));
          err = MAX (err, fabs ((double) got.data[i] - want->data[i]));
        }
      if (err > 1e-4 * peak)
        g_error ("%s case %d (%s %s): max error %g exceeds %g", name, n_cases, c.op,
                 (char *) g_hash_table_lookup (c.params, "tensors"), err, 1e-4 * peak);
      *worst = MAX (*worst, err / peak);
      *n_transposed += g_str_equal (c.op, "conv_transpose2d");
      n_cases++;
      tconv_tensor_free (&got);
      case_free (&c);
    }
  return n_cases;
}

static void
test_parity (void)
{
  int    n_transposed = 0;
  double worst = 0.0;
  int    n_cases = check_file ("parity.bin", &n_transposed, &worst);

  g_assert_cmpint (n_cases, >=, 300);
  g_printerr ("PyTorch parity: %d cases (%d conv_transpose2d), worst relative error %.3g\n",
              n_cases, n_transposed, worst);
}

static void
test_kernel_mode (void)
{
  int    n_transposed = 0;
  double worst = 0.0;
  int    n_cases = check_file ("kernels.bin", &n_transposed, &worst);

  g_assert_cmpint (n_cases, >=, 400);
  g_printerr ("kernel mode against PyTorch: %d cases, worst relative error %.3g\n", n_cases,
              worst);
}

/* A fixed kernel's output for an input of in_h x in_w (a fixed pseudo-random image). */
static TconvTensor
kernel_output (const TconvKernelSpec *spec, int in_h, int in_w)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TconvModel) m = tconv_kernel_model_new (spec, 1, &error);
  TconvTensor in = { 1, 1, in_h, in_w, NULL }, out = { 0 };

  g_assert_no_error (error);
  g_assert_true (tconv_tensor_alloc (&in, "in", NULL));
  for (int i = 0; i < in_h * in_w; i++)
    in.data[i] = (float) ((i * 7919) % 101) / 100.0f;
  tconv_model_forward (m, &in, &out, &error);
  g_assert_no_error (error);
  tconv_tensor_free (&in);
  return out;
}

/* For every fixed kernel and many geometries: padding p+1 gives padding p's output with
 * one pixel removed from each side, and every padding and output padding gives the
 * automatic (centred, exactly stride x input) output moved by tconv_kernel_placement. */
static void
test_kernel_padding_crops (void)
{
  const int h = 9, w = 11; /* large enough for padding up to automatic + 3 at stride 1 */
  int       n = 0;

  for (int shape = 0; shape < TCONV_N_INTERPS; shape++)
    for (int s = 1; s <= 4; s++)
      for (int k = 1; k <= 13; k += 1 + (k > 6))
        for (int d = 1; d <= 3; d++)
          {
            TconvKernelSpec auto_spec = { shape, s, k, -1, -1, d };
            if (tconv_choice_of (&tconv_kernel_shape_list, shape) == NULL)
              continue;
            g_assert_true (tconv_kernel_spec_resolve (&auto_spec, NULL));
            if (auto_spec.output_padding >= MAX (s, d))
              continue; /* stride 1, odd d*(k-1): no legal padding keeps the size */
            TconvTensor centred = kernel_output (&auto_spec, h, w);
            g_assert_cmpint (centred.h, ==, s * h);
            g_assert_cmpint (centred.w, ==, s * w);
            for (int op = 0; op < MAX (s, d); op++)
              for (int p = 0; p <= auto_spec.padding + 2; p++)
                {
                  TconvKernelSpec spec = { shape, s, k, p, op, d }, next = spec;
                  int             before, after;
                  next.padding = p + 1;
                  tconv_kernel_placement (&spec, &before, &after);
                  TconvTensor a = kernel_output (&spec, h, w), b = kernel_output (&next, h, w);
                  g_assert_cmpint (a.h, ==, s * h + before + after);
                  g_assert_cmpint (b.h, ==, a.h - 2);
                  g_assert_cmpint (b.w, ==, a.w - 2);
                  for (int y = 0; y < a.h; y++)
                    for (int x = 0; x < a.w; x++)
                      {
                        float v = a.data[y * a.w + x];
                        int   cy = y - before, cx = x - before;
                        if (y >= 1 && x >= 1 && y <= b.h && x <= b.w)
                          g_assert_cmpfloat_with_epsilon (b.data[(y - 1) * b.w + x - 1], v, 1e-5);
                        if (cy >= 0 && cx >= 0 && cy < centred.h && cx < centred.w)
                          g_assert_cmpfloat_with_epsilon (centred.data[cy * centred.w + cx], v,
                                                          1e-5);
                      }
                  tconv_tensor_free (&a);
                  tconv_tensor_free (&b);
                  n++;
                }
            tconv_tensor_free (&centred);
          }
  g_printerr ("kernel mode: padding crops as ConvTranspose2d's in %d geometries\n", n);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/parity/pytorch", test_parity);
  g_test_add_func ("/core/parity/kernel-mode", test_kernel_mode);
  g_test_add_func ("/core/parity/kernel-padding-crops", test_kernel_padding_crops);
  return g_test_run ();
}
