#include <glib/gi18n-lib.h>
#include "choices.h"
#include "model.h"
#include "tconv-error.h"

TconvModel *
tconv_model_ref (TconvModel *model)
{
  g_atomic_int_inc (&model->extra_refs);
  return model;
}

void
tconv_model_free (TconvModel *model)
{
  if (model == NULL)
    return;
  /* the last holder frees; others only drop their reference */
  for (gint refs = g_atomic_int_get (&model->extra_refs); refs > 0;
       refs = g_atomic_int_get (&model->extra_refs))
    if (g_atomic_int_compare_and_exchange (&model->extra_refs, refs, refs - 1))
      return;
  g_free (model->name);
  g_free (model->layers);
  g_free (model->facts_json);
  g_free (model->storage);
  g_free (model);
}

void
tconv_model_value_range (const TconvModel *model, float *lo, float *hi)
{
  gboolean unset = model->value_lo == 0.0f && model->value_hi == 0.0f;
  *lo = unset ? 0.0f : model->value_lo;
  *hi = unset ? 1.0f : model->value_hi;
}

gsize
tconv_model_param_count (const TconvModel *model)
{
  gsize n = 0;

  for (int i = 0; i < model->n_layers; i++)
    {
      const TconvLayer *l = &model->layers[i];
      if (l->weight.data)
        n += tconv_tensor_numel (&l->weight);
      if (l->bias)
        n += l->out_channels;
    }
  return n;
}

const TconvLayer *
tconv_model_upsampling_layer (const TconvModel *model)
{
  for (int i = model->n_layers - 1; i >= 0; i--)
    if (model->layers[i].kind == TCONV_LAYER_CONV_TRANSPOSE2D)
      return &model->layers[i];
  return NULL;
}

const char *
tconv_mode_name (TconvMode mode)
{
  return tconv_choice_nick (&tconv_mode_list, mode);
}

const char *
tconv_layer_kind_name (TconvLayerKind kind)
{
  static const char *names[] = { "conv2d", "conv_transpose2d", "relu", "leaky_relu", "prelu",
                                 "resize", "pixel_shuffle", "pixel_unshuffle",
                                 "add_upscaled_input" };
  return names[kind];
}

const char *
tconv_interp_name (TconvInterp interp)
{
  return tconv_choice_nick (&tconv_interp_list, interp);
}

/* Output length of one layer along an axis. */
static gboolean
layer_output_len (const TconvLayer *l, int axis, int in, int *out, GError **error)
{
  switch (l->kind)
    {
    case TCONV_LAYER_CONV2D:
      return tconv_conv2d_output_len (in, axis ? l->weight.w : l->weight.h, l->conv.stride[axis],
                                      l->conv.padding[axis], l->conv.dilation[axis], out, error);
    case TCONV_LAYER_CONV_TRANSPOSE2D:
      return tconv_conv_transpose2d_output_len (
        in, axis ? l->weight.w : l->weight.h, l->transposed.stride[axis],
        l->transposed.padding[axis], l->transposed.output_padding[axis],
        l->transposed.dilation[axis], out, error);
    case TCONV_LAYER_RESIZE:
      return tconv_resize_output_len (in, l->resize.factor, out, error);
    case TCONV_LAYER_PIXEL_SHUFFLE:
      *out = in * l->factor;
      return TRUE;
    case TCONV_LAYER_PIXEL_UNSHUFFLE:
      if (in % l->factor != 0)
        {
          g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                       _("pixel_unshuffle: size %d is not divisible by the factor %d"), in,
                       l->factor);
          return FALSE;
        }
      *out = in / l->factor;
      return TRUE;
    default:
      *out = in;
      return TRUE;
    }
}

gboolean
tconv_model_output_len (const TconvModel *model, int axis, int in, int *out, GError **error)
{
  int len = in;

  for (int i = 0; i < model->n_layers; i++)
    if (!layer_output_len (&model->layers[i], axis, len, &len, error))
      return FALSE;
  *out = len;
  return TRUE;
}

static gboolean
fail (GError **error, int index, const TconvLayer *l, const char *msg)
{
  g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL, "layer %d (%s): %s", index,
               tconv_layer_kind_name (l->kind), msg);
  return FALSE;
}

/* One layer against the channels it receives; NULL when it is sound, else what is wrong. */
static char *
layer_problem (const TconvLayer *l, int channels)
{
  /* Large enough for any kernel the loader admits, small enough to never overflow. */
  TconvTensor probe = { 1, channels, 1024, 1024, NULL }, shape;
  g_autoptr (GError) err = NULL;

  if (l->in_channels != channels)
    return g_strdup_printf ("takes %d channels but receives %d", l->in_channels, channels);
  switch (l->kind)
    {
    case TCONV_LAYER_CONV2D:
      if (!tconv_conv2d_shape (&probe, &l->weight, l->bias ? l->out_channels : -1, &l->conv,
                               &shape, &err))
        return g_strdup (err->message);
      return l->weight.n != l->out_channels
               ? g_strdup ("weight's first dimension is not out_channels") : NULL;
    case TCONV_LAYER_CONV_TRANSPOSE2D:
      if (!tconv_conv_transpose2d_shape (&probe, &l->weight, l->bias ? l->out_channels : -1,
                                         &l->transposed, &shape, &err))
        return g_strdup (err->message);
      return shape.c != l->out_channels
               ? g_strdup ("weight's second dimension * groups is not out_channels") : NULL;
    case TCONV_LAYER_PRELU:
      if (l->weight.w != 1 && l->weight.w != channels)
        return g_strdup ("needs 1 slope or one per channel");
      /* fall through */
    case TCONV_LAYER_RELU:
    case TCONV_LAYER_LEAKY_RELU:
    case TCONV_LAYER_ADD_UPSCALED_INPUT:
      return l->out_channels != channels ? g_strdup ("changes the channel count") : NULL;
    case TCONV_LAYER_RESIZE:
      if (l->resize.factor < 1 || l->resize.factor > 16)
        return g_strdup ("scale must be an integer from 1 to 16");
      return l->out_channels != channels ? g_strdup ("changes the channel count") : NULL;
    case TCONV_LAYER_PIXEL_SHUFFLE:
    case TCONV_LAYER_PIXEL_UNSHUFFLE:
    default:
      if (l->factor < 1 || l->factor > 16)
        return g_strdup ("factor must be from 1 to 16");
      if (l->kind == TCONV_LAYER_PIXEL_SHUFFLE
            ? channels % (l->factor * l->factor)
                || l->out_channels * l->factor * l->factor != channels
            : l->out_channels != channels * l->factor * l->factor)
        return g_strdup ("channels do not match the factor");
      return NULL;
    }
}

/* A learned model's output must be exactly scale * input: checked on two sizes. */
static gboolean
check_integer_scale (TconvModel *model, GError **error)
{
  int out_a, out_b;
  if (!tconv_model_output_len (model, 0, 48, &out_a, error)
      || !tconv_model_output_len (model, 0, 97 * 48, &out_b, error))
    return FALSE;
  if (out_a % 48 != 0 || out_b != out_a * 97)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   _("model does not upscale by an integer factor: 48 pixels become %d"), out_a);
      return FALSE;
    }
  if (model->scale == 0)
    model->scale = out_a / 48;
  if (model->scale != out_a / 48 || model->scale < 1 || model->scale > 16)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   _("model says scale %d but its layers upscale by %d"), model->scale, out_a / 48);
      return FALSE;
    }
  return TRUE;
}

gboolean
tconv_model_validate (TconvModel *model, GError **error)
{
  int channels = model->channels;

  if (model->n_layers < 1 || model->n_layers > 256)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   _("model has %d layers; it must have 1 to 256"), model->n_layers);
      return FALSE;
    }
  if (model->color == TCONV_COLOR_ALL ? model->channels < 1 || model->channels > 4
                                      : model->channels != (model->color == TCONV_COLOR_Y ? 1 : 3))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   _("model works on %s but its first layer takes %d channels"),
                   model->color == TCONV_COLOR_Y ? "y" : "rgb", model->channels);
      return FALSE;
    }
  for (int i = 0; i < model->n_layers; i++)
    {
      g_autofree char *problem = layer_problem (&model->layers[i], channels);
      if (problem)
        return fail (error, i, &model->layers[i], problem);
      channels = model->layers[i].out_channels;
    }
  if (channels != model->channels)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   _("model outputs %d channels; it must output %d like its input"), channels,
                   model->channels);
      return FALSE;
    }

  /* Fixed-kernel graphs may have any output size: that is what they are for. */
  if (model->mode == TCONV_MODE_KERNEL)
    return TRUE;

  return check_integer_scale (model, error);
}
