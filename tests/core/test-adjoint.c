/* A transposed convolution is the adjoint of the convolution with the same weight and
 * hyperparameters: <conv_transpose2d(x, w), z> = <x, conv2d(z, w)> for random x, z, over
 * strides, kernels, paddings, dilations and groups (what PyTorch relies on to compute a
 * convolution's input gradient).  The reference operators of the core, in double sums. */
#include <math.h>

#include "tconv-ops.h"

static void
fill (TconvTensor *t, GRand *r)
{
  g_assert_true (tconv_tensor_alloc (t, "t", NULL));
  tconv_tensor_fill_random (t, r);
}

static void
check (GRand *r, int stride, int kernel, int padding, int dilation, int groups, int in)
{
  TconvConvTranspose2dParams t = tconv_conv_transpose2d_params_default ();
  TconvConv2dParams          c = tconv_conv2d_params_default ();
  TconvTensor x = { 1, 2 * groups, in, in + 1, NULL }, w = { 2 * groups, 3, kernel, kernel, NULL };
  TconvTensor y, z, back;

  t.stride[0] = t.stride[1] = c.stride[0] = c.stride[1] = stride;
  t.padding[0] = t.padding[1] = c.padding[0] = c.padding[1] = padding;
  t.dilation[0] = t.dilation[1] = c.dilation[0] = c.dilation[1] = dilation;
  t.groups = c.groups = groups;
  fill (&x, r);
  fill (&w, r);
  if (!tconv_conv_transpose2d_shape (&x, &w, -1, &t, &y, NULL))
    {
      tconv_tensor_free (&x), tconv_tensor_free (&w);
      return; /* PyTorch refuses the geometry too */
    }
  g_assert_true (tconv_tensor_alloc (&y, "y", NULL));
  g_assert_true (tconv_conv_transpose2d (&x, &w, NULL, -1, &t, &y, NULL));
  z = (TconvTensor) { y.n, y.c, y.h, y.w, NULL };
  fill (&z, r);
  /* conv2d reads the same weight as [C_out = 2g, C_in/g = 3, k, k] */
  g_assert_true (tconv_conv2d_shape (&z, &w, -1, &c, &back, NULL));
  g_assert_cmpint (back.h, ==, x.h); /* output_padding 0: the sizes match exactly */
  g_assert_cmpint (back.w, ==, x.w);
  g_assert_true (tconv_tensor_alloc (&back, "back", NULL));
  g_assert_true (tconv_conv2d (&z, &w, NULL, -1, &c, &back, NULL));
  double lhs = tconv_tensor_dot (&y, &z), rhs = tconv_tensor_dot (&x, &back);
  g_assert_cmpfloat (fabs (lhs - rhs), <=, 1e-5 * MAX (1.0, fabs (lhs)));
  tconv_tensor_free (&x), tconv_tensor_free (&w), tconv_tensor_free (&y);
  tconv_tensor_free (&z), tconv_tensor_free (&back);
}

static void
test_adjoint (void)
{
  GRand *r = g_rand_new_with_seed (7);
  int    checked = 0;
  for (int stride = 1; stride <= 4; stride++)
    for (int kernel = 1; kernel <= 7; kernel += 2)
      for (int padding = 0; padding <= 2; padding++)
        for (int dilation = 1; dilation <= 2; dilation++)
          for (int groups = 1; groups <= 2; groups++, checked++)
            check (r, stride, kernel, padding, dilation, groups, 5);
  g_test_message ("%d geometries", checked);
  g_rand_free (r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/adjoint/conv_transpose2d_is_conv2d_transposed", test_adjoint);
  return g_test_run ();
}
