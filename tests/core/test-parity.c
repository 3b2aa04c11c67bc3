/* Holds the core operators equal to PyTorch on the fixtures written by
 * gen_parity_fixtures.py: max |ours - torch| <= 1e-4 * max(1, max|torch|). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void
test_parity (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("TCONV_TEST_DATA"), "parity.bin", NULL);
  g_autofree char *buf = NULL;
  gsize            len, pos = 0;
  g_autoptr (GError) error = NULL;
  int    n_cases = 0, n_transposed = 0;
  double worst = 0.0;
  Case   c;

  g_assert_true (g_file_get_contents (path, &buf, &len, &error));
  while (read_case (buf, len, &pos, &c))
    {
      TconvTensor *want = tensor (&c, "output");
      TconvTensor  got = run_case (&c);
      double       peak = 1.0, err = 0.0;

      for (gsize i = 0; i < tconv_tensor_numel (want); i++)
        {
          peak = MAX (peak, fabs (want->data[i]));
          err = MAX (err, fabs ((double) got.data[i] - want->data[i]));
        }
      if (err > 1e-4 * peak)
        g_error ("case %d (%s %s): max error %g exceeds %g", n_cases, c.op,
                 (char *) g_hash_table_lookup (c.params, "tensors"), err, 1e-4 * peak);
      worst = MAX (worst, err / peak);
      n_transposed += g_str_equal (c.op, "conv_transpose2d");
      n_cases++;
      tconv_tensor_free (&got);
      case_free (&c);
    }
  g_assert_cmpint (n_cases, >=, 300);
  g_printerr ("PyTorch parity: %d cases (%d conv_transpose2d), worst relative error %.3g\n",
              n_cases, n_transposed, worst);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/parity/pytorch", test_parity);
  return g_test_run ();
}
