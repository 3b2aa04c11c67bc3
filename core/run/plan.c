/* Planning: the decisions about how a model runs, made once per run (see plan.h). */
#include <string.h>

#include "model-geometry.h"
#include "plan.h"

/* A nearest resize folds into the conv2d after it when the fast paths cover the pair. */
static gboolean
fold_resize (TconvStep *step, const TconvLayer *l, const TconvLayer *end)
{
  if (l->kind != TCONV_LAYER_RESIZE || l->resize.interp != TCONV_INTERP_NEAREST || l + 1 >= end
      || l[1].kind != TCONV_LAYER_CONV2D
      || !tconv_fold_resize_conv2d (l->resize.factor, &l[1].weight, &l[1].conv, &step->folded,
                                    &step->transposed))
    return FALSE;
  step->packed = g_new0 (TconvPackedLayer *, 1);
  step->packed[0] = tconv_pack_conv_transpose2d (&step->folded, l[1].bias, &step->transposed, 0);
  step->kind = TCONV_STEP_CONV_TRANSPOSE2D;
  step->n_layers = 2;
  step->groups = 1;
  step->weight = &step->folded;
  step->bias = l[1].bias;
  step->out_channels = l[1].out_channels;
  return TRUE;
}

/* Packs every group of a conv2d (with the PReLU after it) or transposed conv; FALSE,
 * packing nothing, when the fast paths do not cover it. */
static gboolean
pack_layer (TconvStep *step, const TconvLayer *l, const TconvLayer *end)
{
  const gboolean    conv = l->kind == TCONV_LAYER_CONV2D;
  const TconvLayer *prelu = conv && l + 1 < end && l[1].kind == TCONV_LAYER_PRELU ? &l[1] : NULL;

  if (!conv && l->kind != TCONV_LAYER_CONV_TRANSPOSE2D)
    return FALSE;
  step->groups = conv ? l->conv.groups : l->transposed.groups;
  step->packed = g_new0 (TconvPackedLayer *, step->groups);
  for (int g = 0; g < step->groups; g++)
    {
      step->packed[g] = conv ? tconv_pack_conv2d (&l->weight, l->bias, &l->conv,
                                                  prelu ? prelu->weight.data : NULL,
                                                  prelu ? prelu->weight.w : 0, g)
                             : tconv_pack_conv_transpose2d (&l->weight, l->bias, &l->transposed, g);
      if (step->packed[g] == NULL)
        {
          for (int i = 0; i < g; i++)
            tconv_packed_layer_free (step->packed[i]);
          g_clear_pointer (&step->packed, g_free);
          return FALSE;
        }
    }
  step->kind = conv ? TCONV_STEP_CONV2D : TCONV_STEP_CONV_TRANSPOSE2D;
  step->n_layers = prelu ? 2 : 1;
  step->weight = &l->weight;
  step->bias = l->bias;
  step->out_channels = l->out_channels;
  if (!conv)
    step->transposed = l->transposed;
  return TRUE;
}

static gboolean
streams_as_conv (const TconvStep *s)
{
  const TconvConv2dParams *p = &s->layer->conv;
  return s->kind == TCONV_STEP_CONV2D && p->groups == 1 && p->padding_mode == TCONV_PAD_ZEROS;
}

/* The leading steps one row stream runs: conv2d steps, ending at most with one transposed
 * step (the head, or a folded resize); 0 when streaming would not pay. */
static int
streamed_prefix (const TconvPlan *plan)
{
  int i = 0;
  while (i < plan->n_steps && streams_as_conv (&plan->steps[i]))
    i++;
  if (i < plan->n_steps && plan->steps[i].kind == TCONV_STEP_CONV_TRANSPOSE2D
      && plan->steps[i].groups == 1)
    return i >= 1 ? i + 1 : 0;
  return i >= 2 ? i : 0;
}

/* Whether steps [first, n_steps) each compute an output pixel from that pixel alone. */
static gboolean
pixelwise_from (const TconvPlan *plan, int first)
{
  for (int i = first; i < plan->n_steps; i++)
    {
      const TconvStep *s = &plan->steps[i];
      TconvLayerKind   k = s->layer->kind;
      if (s->kind != TCONV_STEP_LAYER
          || !(k == TCONV_LAYER_ADD_UPSCALED_INPUT || k == TCONV_LAYER_RELU
               || k == TCONV_LAYER_LEAKY_RELU || k == TCONV_LAYER_PRELU))
        return FALSE;
    }
  return TRUE;
}

/* Bytes one input pixel costs at the widest point of the steps run one by one (the
 * input and output of a layer are alive together). */
static double
bytes_per_input_pixel (const TconvPlan *plan)
{
  const TconvModel *model = plan->model;
  double            area = 1.0, widest = model->channels;

  for (int i = 0; i < plan->n_steps; i++)
    {
      const TconvStep *s = &plan->steps[i];
      double           before = s->layer->in_channels * area;
      for (int j = 0; j < s->n_layers; j++)
        {
          int out_len;
          TconvModel one = { .layers = (TconvLayer *) &s->layer[j], .n_layers = 1 };
          if (tconv_model_output_len (&one, 0, 1000, &out_len, NULL))
            area *= (out_len / 1000.0) * (out_len / 1000.0);
        }
      widest = MAX (widest, before + s->layer[s->n_layers - 1].out_channels * area);
    }
  return widest * sizeof (float) + 64.0; /* + colour planes and staging */
}

TconvPlan *
tconv_plan_new (const TconvModel *model, const TconvPlanOptions *options)
{
  TconvPlan        *plan = g_new0 (TconvPlan, 1);
  const TconvLayer *end = model->layers + model->n_layers;

  plan->model = model;
  plan->steps = g_new0 (TconvStep, MAX (model->n_layers, 1));
  for (const TconvLayer *l = model->layers; l < end; plan->n_steps++)
    {
      TconvStep *step = &plan->steps[plan->n_steps];
      step->layer = l;
      if (!fold_resize (step, l, end) && !pack_layer (step, l, end))
        step->kind = TCONV_STEP_LAYER, step->n_layers = 1;
      l += step->n_layers;
    }
  if (!(options && options->no_streaming))
    plan->n_streamed = streamed_prefix (plan);
  plan->pixelwise_tail = pixelwise_from (plan, plan->n_streamed);
  tconv_model_tiling (model, &plan->halo, &plan->align);
  plan->bytes_per_input_pixel = bytes_per_input_pixel (plan);
  return plan;
}

void
tconv_plan_free (TconvPlan *plan)
{
  if (plan == NULL)
    return;
  for (int i = 0; i < plan->n_steps; i++)
    {
      TconvStep *s = &plan->steps[i];
      for (int g = 0; s->packed && g < s->groups; g++)
        tconv_packed_layer_free (s->packed[g]);
      g_free (s->packed);
      tconv_tensor_free (&s->folded);
    }
  g_free (plan->steps);
  g_free (plan);
}

gboolean
tconv_step_output_shape (const TconvStep *step, const TconvTensor *in, TconvTensor *out,
                         GError **error)
{
  const int bias_len = step->bias ? step->out_channels : -1;
  if (step->kind == TCONV_STEP_CONV2D)
    return tconv_conv2d_shape (in, step->weight, bias_len, &step->layer->conv, out, error);
  return tconv_conv_transpose2d_shape (in, step->weight, bias_len, &step->transposed, out, error);
}
