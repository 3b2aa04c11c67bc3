/* One test per hyperparameter rule: the call fails with TCONV_ERROR_INVALID_ARGUMENT
 * (or TOO_LARGE) and the message names the parameter. */
#include <string.h>

#include "kernels.h"
#include "tconv-ops.h"

static float zeros[4096];

static TconvTensor
shape (int n, int c, int h, int w)
{
  return (TconvTensor) { n, c, h, w, zeros };
}

static void
expect_error (gboolean ok, GError *error, int code, const char *needle)
{
  g_assert_false (ok);
  g_assert_error (error, TCONV_ERROR, code);
  if (!strstr (error->message, needle))
    g_error ("message \"%s\" does not name \"%s\"", error->message, needle);
  g_error_free (error);
}

/* CALL uses `&e`; the macro sequences the call before the check. */
#define expect(CALL, E, CODE, NEEDLE)                                                         \
  do                                                                                          \
    {                                                                                         \
      gboolean ok_ = (CALL);                                                                  \
      expect_error (ok_, E, CODE, NEEDLE);                                                    \
      E = NULL;                                                                               \
    }                                                                                         \
  while (0)

static gboolean
transposed_shape (TconvConvTranspose2dParams p, TconvTensor in, TconvTensor w, int bias_len,
                  GError **error)
{
  TconvTensor out;
  return tconv_conv_transpose2d_shape (&in, &w, bias_len, &p, &out, error);
}

static void
test_transposed_rules (void)
{
  TconvConvTranspose2dParams d = tconv_conv_transpose2d_params_default (), p;
  TconvTensor in = shape (1, 4, 5, 5), w = shape (4, 2, 3, 3);
  GError     *e = NULL;

  p = d, p.stride[0] = 0;
  expect (transposed_shape (p, in, w, -1, &e), e, TCONV_ERROR_INVALID_ARGUMENT, "stride");
  p = d, p.padding[1] = -1;
  expect (transposed_shape (p, in, w, -1, &e), e, TCONV_ERROR_INVALID_ARGUMENT, "padding");
  p = d, p.dilation[0] = 0;
  expect (transposed_shape (p, in, w, -1, &e), e, TCONV_ERROR_INVALID_ARGUMENT, "dilation");
  p = d, p.stride[0] = 2, p.output_padding[0] = 2;
  expect (transposed_shape (p, in, w, -1, &e), e, TCONV_ERROR_INVALID_ARGUMENT,
          "output_padding");
  p = d, p.output_padding[0] = -1;
  expect (transposed_shape (p, in, w, -1, &e), e, TCONV_ERROR_INVALID_ARGUMENT,
          "output_padding");
  p = d, p.groups = 3;
  expect (transposed_shape (p, in, w, -1, &e), e, TCONV_ERROR_INVALID_ARGUMENT, "groups");
  p = d, p.groups = 0;
  expect (transposed_shape (p, in, w, -1, &e), e, TCONV_ERROR_INVALID_ARGUMENT, "groups");
  p = d;
  expect (transposed_shape (p, in, shape (3, 2, 3, 3), -1, &e), e, TCONV_ERROR_INVALID_ARGUMENT,
          "input channels");
  expect (transposed_shape (p, in, w, 5, &e), e, TCONV_ERROR_INVALID_ARGUMENT, "bias");
  p = d, p.padding[0] = 4; /* (5-1)*1 - 8 + 2 + 0 + 1 = -1 */
  expect (transposed_shape (p, in, w, -1, &e), e, TCONV_ERROR_INVALID_ARGUMENT, "output size");
  p = d, p.stride[0] = 1 << 30;
  expect (transposed_shape (p, in, w, -1, &e), e, TCONV_ERROR_TOO_LARGE, "too large");
  p = d, p.stride[0] = p.stride[1] = 1 << 16;
  expect (transposed_shape (p, shape (1, 4, 1 << 8, 1 << 8), w, -1, &e), e,
          TCONV_ERROR_TOO_LARGE, "too large");
}

static void
test_output_size_argument (void)
{
  GError *e = NULL;
  int     op = -1;

  /* in 4, k 3, s 2, p 1: min (4-1)*2 - 2 + 2 + 1 = 7, so 7 and 8 are valid. */
  g_assert_true (tconv_conv_transpose2d_output_padding_for (4, 3, 2, 1, 1, 8, &op, &e));
  g_assert_no_error (e);
  g_assert_cmpint (op, ==, 1);
  expect (tconv_conv_transpose2d_output_padding_for (4, 3, 2, 1, 1, 9, &op, &e), e,
          TCONV_ERROR_INVALID_ARGUMENT, "valid sizes range from 7 to 8");
}

static gboolean
conv_shape (TconvConv2dParams p, TconvTensor in, TconvTensor w, GError **error)
{
  TconvTensor out;
  return tconv_conv2d_shape (&in, &w, -1, &p, &out, error);
}

static void
test_conv2d_rules (void)
{
  TconvConv2dParams d = tconv_conv2d_params_default (), p;
  TconvTensor       in = shape (1, 4, 5, 5), w = shape (2, 4, 3, 3);
  GError           *e = NULL;

  p = d, p.stride[1] = 0;
  expect (conv_shape (p, in, w, &e), e, TCONV_ERROR_INVALID_ARGUMENT, "stride");
  p = d, p.padding[0] = -2;
  expect (conv_shape (p, in, w, &e), e, TCONV_ERROR_INVALID_ARGUMENT, "padding");
  p = d, p.dilation[1] = 0;
  expect (conv_shape (p, in, w, &e), e, TCONV_ERROR_INVALID_ARGUMENT, "dilation");
  p = d, p.groups = 3;
  expect (conv_shape (p, in, w, &e), e, TCONV_ERROR_INVALID_ARGUMENT, "groups");
  p = d;
  expect (conv_shape (p, in, shape (2, 3, 3, 3), &e), e, TCONV_ERROR_INVALID_ARGUMENT,
          "input channels");
  p = d, p.dilation[0] = 3; /* dilated kernel 7 > 5 */
  expect (conv_shape (p, in, w, &e), e, TCONV_ERROR_INVALID_ARGUMENT, "output size");
  p = d, p.padding[0] = 5, p.padding_mode = TCONV_PAD_REFLECT;
  expect (conv_shape (p, in, w, &e), e, TCONV_ERROR_INVALID_ARGUMENT, "reflect padding");
  p = d, p.padding[1] = 6, p.padding_mode = TCONV_PAD_CIRCULAR;
  expect (conv_shape (p, in, w, &e), e, TCONV_ERROR_INVALID_ARGUMENT, "circular padding");
}

static void
test_other_rules (void)
{
  TconvTensor in = shape (1, 3, 4, 6), out = shape (1, 1, 8, 12);
  GError     *e = NULL;
  float       slopes[2] = { 0.1f, 0.2f };
  gsize       numel;

  expect (tconv_pixel_shuffle (&in, 2, &out, &e), e, TCONV_ERROR_INVALID_ARGUMENT,
          "divisible by factor squared");
  in = shape (1, 1, 5, 6);
  expect (tconv_pixel_unshuffle (&in, 2, &out, &e), e, TCONV_ERROR_INVALID_ARGUMENT,
          "divisible by the factor");
  in = shape (1, 3, 4, 6);
  expect (tconv_prelu (&in, slopes, 2, &e), e, TCONV_ERROR_INVALID_ARGUMENT, "num_parameters");
  expect (tconv_resize_output_len (3, 0.2, &(int) { 0 }, &e), e, TCONV_ERROR_INVALID_ARGUMENT,
          "scale factor");
  expect (tconv_checked_numel (1 << 20, 1 << 20, 1 << 20, 4, "image", &numel, &e), e,
          TCONV_ERROR_TOO_LARGE, "image");
  /* PyTorch's cubic is a resize layer's, not a fixed kernel; 99 is no interpolation */
  TconvKernelSpec spec = { TCONV_INTERP_BICUBIC, 2, 0, -1, -1, 1 };
  expect (tconv_kernel_spec_resolve (&spec, &e), e, TCONV_ERROR_INVALID_ARGUMENT,
          "is not a fixed kernel; the kernels are nearest, bilinear, bicubic or lanczos");
  spec.shape = 99;
  expect (tconv_kernel_model_new (&spec, 3, &e) != NULL, e, TCONV_ERROR_INVALID_ARGUMENT,
          "interpolation 99");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/errors/conv_transpose2d", test_transposed_rules);
  g_test_add_func ("/core/errors/output_size", test_output_size_argument);
  g_test_add_func ("/core/errors/conv2d", test_conv2d_rules);
  g_test_add_func ("/core/errors/other", test_other_rules);
  return g_test_run ();
}
