#include <glib/gi18n-lib.h>
#include <math.h>

#include "choices.h"
#include "cubic.h"
#include "kernels.h"
#include "tconv-error.h"

static const int SUPPORT[] = { 1, 2, 4, 4, 6 }; /* in TconvInterp order */
G_STATIC_ASSERT (G_N_ELEMENTS (SUPPORT) == TCONV_N_INTERPS);

const char *
tconv_kernel_shape_name (TconvInterp shape)
{
  return tconv_choice_nick (&tconv_kernel_shape_list, shape);
}

gboolean
tconv_kernel_shape_parse (const char *name, TconvInterp *shape, GError **error)
{
  int v;
  if (!tconv_choice_parse (&tconv_kernel_shape_list, TCONV_IN_ALL, name, &v, error))
    return FALSE;
  *shape = v;
  return TRUE;
}

int
tconv_kernel_natural_size (TconvInterp shape, int stride)
{
  /* At stride 1 an even kernel cannot be centred on a pixel: keeping the size would need
   * output padding 1, which stride 1 forbids.  One more tap (a zero of every interpolating
   * kernel) centres it, and x1 is then the identity, as it is for any interpolation. */
  int taps = SUPPORT[shape] * stride;
  return stride == 1 && taps % 2 == 0 ? taps + 1 : taps;
}

void
tconv_same_scale_padding (int kernel, int stride, int dilation, int *padding,
                          int *output_padding)
{
  int excess = dilation * (kernel - 1) + 1 - stride; /* = 2*padding - output_padding */

  if (excess >= 0)
    {
      *output_padding = excess % 2;
      *padding = (excess + *output_padding) / 2;
    }
  else
    {
      *padding = 0;
      *output_padding = -excess; /* < stride, so always legal */
    }
}

gboolean
tconv_kernel_spec_resolve (TconvKernelSpec *spec, GError **error)
{
  int p, op;

  /* a value from outside the list (an API caller's, a fuzzer's) names no kernel */
  if (tconv_choice_of (&tconv_kernel_shape_list, spec->shape) == NULL)
    {
      g_autofree char *allowed = tconv_choice_nicks (&tconv_kernel_shape_list, TCONV_IN_ALL);
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("interpolation %d is not a fixed kernel; the kernels are %s"),
                   (int) spec->shape, allowed);
      return FALSE;
    }
  if (spec->stride < 1 || spec->stride > 8)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("stride is %d; it must be from 1 to 8"), spec->stride);
      return FALSE;
    }
  if (spec->kernel == 0)
    spec->kernel = tconv_kernel_natural_size (spec->shape, spec->stride);
  if (spec->kernel < 1 || spec->kernel > 64)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("kernel size is %d; it must be from 1 to 64"), spec->kernel);
      return FALSE;
    }
  if (spec->dilation < 1 || spec->dilation > 8)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("dilation is %d; it must be from 1 to 8"), spec->dilation);
      return FALSE;
    }
  tconv_same_scale_padding (spec->kernel, spec->stride, spec->dilation, &p, &op);
  if (spec->padding < 0)
    spec->padding = p;
  if (spec->output_padding < 0)
    spec->output_padding = spec->padding == p ? op : 0;
  return TRUE;
}

static double
shape_value (TconvInterp shape, double x)
{
  double ax = fabs (x);

  switch (shape)
    {
    case TCONV_INTERP_NEAREST:
      return x >= -0.5 && x < 0.5 ? 1.0 : 0.0;
    case TCONV_INTERP_BILINEAR:
      return ax < 1.0 ? 1.0 - ax : 0.0;
    case TCONV_INTERP_BICUBIC:
      return tconv_cubic (ax, TCONV_CUBIC_A_PYTORCH);
    case TCONV_INTERP_KEYS:
      return tconv_cubic (ax, TCONV_CUBIC_A_KEYS);
    case TCONV_INTERP_LANCZOS3:
    default:
      if (ax < 1e-9)
        return 1.0;
      return ax < 3.0 ? 3.0 * sin (G_PI * ax) * sin (G_PI * ax / 3.0) / (G_PI * G_PI * ax * ax)
                      : 0.0;
    }
}

void
tconv_kernel_taps (const TconvKernelSpec *spec, float *taps)
{
  const int s = spec->stride;
  double    sum = 0.0, v[64];
  int       p, op;

  /* The weights belong to the kernel, not to the crop: they are sampled for the automatic
   * padding p, with which output pixel j sits at input coordinate (j + 0.5)/s - 0.5, so
   * input pixel i's centre at output i*s + (s-1)/2.  Tap k carries input pixel i to output
   * i*s - p + k*dilation: k*dilation - p - (s-1)/2 from that centre.  Any other padding
   * only crops or extends that output, as in ConvTranspose2d. */
  tconv_same_scale_padding (spec->kernel, s, spec->dilation, &p, &op);
  for (int k = 0; k < spec->kernel; k++)
    {
      double distance = k * spec->dilation - p - (s - 1) / 2.0;
      v[k] = shape_value (spec->shape, distance / s);
      sum += v[k];
    }
  for (int k = 0; k < spec->kernel; k++)
    taps[k] = (float) (fabs (sum) > 1e-12 ? v[k] * s / sum : 0.0);
}

void
tconv_kernel_placement (const TconvKernelSpec *spec, int *before, int *after)
{
  int p, op;

  tconv_same_scale_padding (spec->kernel, spec->stride, spec->dilation, &p, &op);
  /* each unit of padding below p keeps one more row on both sides; output_padding adds
   * at the end only */
  *before = p - spec->padding;
  *after = p - spec->padding + spec->output_padding - op;
}
char *
tconv_kernel_placement_text (const TconvKernelSpec *spec)
{
  int before, after, p, op;

  tconv_kernel_placement (spec, &before, &after);
  tconv_same_scale_padding (spec->kernel, spec->stride, spec->dilation, &p, &op);
  if (before == 0 && after == 0)
    return g_strdup_printf (_("Centred: exactly %d x the input (padding %d, output padding %d are "
                              "the automatic values)"), spec->stride, p, op);
  if (before == 0)
    return g_strdup_printf (_("Not centred: %+d px at the bottom and right against the centred %d "
                              "x input; padding %d, output padding %d centre it"),
                            after, spec->stride, p, op);
  return g_strdup_printf (_("Not centred: %+d px at the top and left, %+d px at the bottom and "
                            "right against the centred %d x input (output pixel j is its pixel "
                            "j%+d); padding %d, output padding %d centre it"),
                          before, after, spec->stride, -before, p, op);
}

TconvModel *
tconv_kernel_model_new (const TconvKernelSpec *spec_in, int channels, GError **error)
{
  TconvKernelSpec spec = *spec_in;
  TconvModel     *model;
  TconvLayer     *l;
  float           taps[64];

  if (!tconv_kernel_spec_resolve (&spec, error))
    return NULL;
  if (channels < 1 || channels > 4)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("fixed kernels work on 1 to 4 channels, not %d"), channels);
      return NULL;
    }
  tconv_kernel_taps (&spec, taps);

  model = g_new0 (TconvModel, 1);
  model->name = g_strdup_printf ("%s kernel x%d (k%d p%d op%d d%d)",
                                 tconv_kernel_shape_name (spec.shape), spec.stride, spec.kernel,
                                 spec.padding, spec.output_padding, spec.dilation);
  model->scale = spec.stride;
  model->mode = TCONV_MODE_KERNEL;
  model->color = TCONV_COLOR_ALL;
  model->channels = channels;
  model->n_layers = 1;
  model->layers = l = g_new0 (TconvLayer, 1);
  model->storage = g_new (float, (gsize) channels * spec.kernel * spec.kernel);
  l->kind = TCONV_LAYER_CONV_TRANSPOSE2D;
  l->in_channels = l->out_channels = channels;
  l->weight = (TconvTensor) { channels, 1, spec.kernel, spec.kernel, model->storage };
  for (int c = 0; c < channels; c++)
    for (int y = 0; y < spec.kernel; y++)
      for (int x = 0; x < spec.kernel; x++)
        model->storage[((gsize) c * spec.kernel + y) * spec.kernel + x] = taps[y] * taps[x];
  l->transposed = (TconvConvTranspose2dParams) {
    { spec.stride, spec.stride },
    { spec.padding, spec.padding },
    { spec.output_padding, spec.output_padding },
    { spec.dilation, spec.dilation },
    channels,
  };
  model->facts_json = g_strdup ("{}");
  if (!tconv_model_validate (model, error))
    {
      tconv_model_free (model);
      return NULL;
    }
  return model;
}
