/* The forward pass reads like the plan: each step is one packed layer or one operator. */
#include <glib/gi18n-lib.h>
#include <string.h>

#include "activation.h"
#include "execute.h"
#include "stream.h"
#include "tconv-error.h"

/* The tensor being transformed; owns its data unless it is the caller's input. */
typedef struct
{
  TconvTensor t;
  gboolean    owned;
} Activation;

static void
replace (Activation *x, TconvTensor next)
{
  if (x->owned)
    tconv_tensor_free (&x->t);
  x->t = next;
  x->owned = TRUE;
}

/* In-place layers need a tensor of their own. */
static gboolean
make_owned (Activation *x, GError **error)
{
  TconvTensor copy = x->t;

  if (x->owned)
    return TRUE;
  if (!tconv_tensor_alloc (&copy, "activation", error))
    return FALSE;
  memcpy (copy.data, x->t.data, tconv_tensor_numel (&x->t) * sizeof (float));
  replace (x, copy);
  return TRUE;
}

static gboolean
add_upscaled_input (Activation *x, const TconvTensor *input, TconvInterp interp,
                    GError **error)
{
  if (x->t.h % input->h != 0 || x->t.w % input->w != 0)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   _("add_upscaled_input: %dx%d is not an integer multiple of the input %dx%d"),
                   x->t.w, x->t.h, input->w, input->h);
      return FALSE;
    }
  if (x->t.c != input->c)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   _("add_upscaled_input: %d channels cannot take the input's %d"), x->t.c,
                   input->c);
      return FALSE;
    }
  return make_owned (x, error)
         && tconv_resize_add (input, interp, x->t.h / input->h, x->t.w / input->w,
                              &x->t, error);
}

/* One layer through its reference operator. */
static gboolean
run_layer (const TconvLayer *l, const TconvTensor *input, Activation *x, GError **error)
{
  TconvTensor next = { 0 };
  gboolean    ok;

  switch (l->kind)
    {
    case TCONV_LAYER_RELU:
      if (!make_owned (x, error))
        return FALSE;
      tconv_relu (&x->t);
      return TRUE;
    case TCONV_LAYER_LEAKY_RELU:
      if (!make_owned (x, error))
        return FALSE;
      tconv_leaky_relu (&x->t, l->negative_slope);
      return TRUE;
    case TCONV_LAYER_PRELU:
      return make_owned (x, error) && tconv_prelu (&x->t, l->weight.data, l->weight.w, error);
    case TCONV_LAYER_ADD_UPSCALED_INPUT:
      return add_upscaled_input (x, input, l->resize.interp, error);
    case TCONV_LAYER_CONV2D:
      ok = tconv_conv2d_shape (&x->t, &l->weight, l->bias ? l->out_channels : -1, &l->conv,
                               &next, error)
           && tconv_tensor_alloc (&next, "conv2d output", error)
           && tconv_conv2d (&x->t, &l->weight, l->bias, l->out_channels, &l->conv, &next, error);
      break;
    case TCONV_LAYER_CONV_TRANSPOSE2D:
      ok = tconv_conv_transpose2d_shape (&x->t, &l->weight, l->bias ? l->out_channels : -1,
                                         &l->transposed, &next, error)
           && tconv_tensor_alloc (&next, "conv_transpose2d output", error)
           && tconv_conv_transpose2d (&x->t, &l->weight, l->bias, l->out_channels,
                                      &l->transposed, &next, error);
      break;
    case TCONV_LAYER_RESIZE:
      next = (TconvTensor) { x->t.n, x->t.c, x->t.h * l->resize.factor,
                             x->t.w * l->resize.factor, NULL };
      ok = tconv_tensor_alloc (&next, "resize output", error)
           && tconv_resize (&x->t, l->resize.interp, l->resize.factor, l->resize.factor, &next,
                            error);
      break;
    case TCONV_LAYER_PIXEL_SHUFFLE:
      next = (TconvTensor) { x->t.n, l->out_channels, x->t.h * l->factor, x->t.w * l->factor,
                             NULL };
      ok = tconv_tensor_alloc (&next, "pixel_shuffle output", error)
           && tconv_pixel_shuffle (&x->t, l->factor, &next, error);
      break;
    case TCONV_LAYER_PIXEL_UNSHUFFLE:
    default:
      next = (TconvTensor) { x->t.n, l->out_channels, x->t.h / l->factor, x->t.w / l->factor,
                             NULL };
      ok = tconv_tensor_alloc (&next, "pixel_unshuffle output", error)
           && tconv_pixel_unshuffle (&x->t, l->factor, &next, error);
      break;
    }
  if (!ok)
    {
      tconv_tensor_free (&next);
      return FALSE;
    }
  replace (x, next);
  return TRUE;
}

/* A packed conv2d (with its fused PReLU), transposed conv or folded resize + conv2d. */
static gboolean
run_packed (const TconvStep *step, Activation *x, GError **error)
{
  TconvTensor      next = { 0 };
  TconvPaddingMode mode = step->kind == TCONV_STEP_CONV2D ? step->layer->conv.padding_mode
                                                          : TCONV_PAD_ZEROS;

  if (!tconv_step_output_shape (step, &x->t, &next, error)
      || !tconv_tensor_alloc (&next, "layer output", error))
    return FALSE;
  if (!tconv_fast_run_packed (step->packed, step->groups, &x->t, &next, mode))
    {
      tconv_tensor_free (&next);
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_NO_MEMORY, _("not enough memory for a tile"));
      return FALSE;
    }
  replace (x, next);
  return TRUE;
}

gboolean
tconv_plan_forward (const TconvPlan *plan, const TconvTensor *input, TconvTensor *output,
                    GError **error)
{
  return tconv_plan_forward_keeping (plan, input, NULL, output, error);
}

gboolean
tconv_plan_forward_keeping (const TconvPlan *plan, const TconvTensor *input,
                            const TconvRegion *keep, TconvTensor *output, GError **error)
{
  const TconvModel *model = plan->model;
  Activation        x = { *input, FALSE };
  int               first = 0;

  if (input->c != model->channels)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("model %s takes %d channels, the input has %d"), model->name, model->channels,
                   input->c);
      return FALSE;
    }
  if (plan->n_streamed > 0)
    {
      TconvTensor streamed;
      gboolean    covered;
      if (!tconv_stream_forward (plan, input, plan->pixelwise_tail ? keep : NULL, &streamed,
                                 &covered, error))
        return FALSE;
      if (covered)
        x = (Activation) { streamed, TRUE }, first = plan->n_streamed;
    }
  for (int i = first; i < plan->n_steps; i++)
    {
      const TconvStep *step = &plan->steps[i];
      if (!(step->kind == TCONV_STEP_LAYER ? run_layer (step->layer, input, &x, error)
                                           : run_packed (step, &x, error)))
        {
          if (x.owned)
            tconv_tensor_free (&x.t);
          return FALSE;
        }
    }
  if (!make_owned (&x, error))
    return FALSE;
  *output = x.t;
  return TRUE;
}

gboolean
tconv_model_forward (const TconvModel *model, const TconvTensor *input, TconvTensor *output,
                     GError **error)
{
  g_autoptr (TconvPlan) plan = tconv_plan_new (model, NULL);
  return tconv_plan_forward (plan, input, output, error);
}
