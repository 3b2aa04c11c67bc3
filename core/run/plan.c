/* Planning: the decisions about how a model runs, made once per run (see plan.h). */
#include <string.h>

#include "model-geometry.h"
#include "plan.h"

/* Whether layer l + 1 may run fused with l: it reads l alone and nothing else reads l
 * (always so in a chain). */
static gboolean
fusable (const TconvPlan *plan, const TconvLayer *l)
{
  const TconvModel *model = plan->model;
  const int         i = l - model->layers;
  return i + 1 < model->n_layers && plan->consumers[i] == 1
         && tconv_layer_n_inputs (model, i + 1) == 1 && tconv_layer_input (model, i + 1, 0) == i;
}

/* A nearest resize folds into the conv2d after it when the fast paths cover the pair. */
static gboolean
fold_resize (const TconvPlan *plan, TconvStep *step, const TconvLayer *l)
{
  if (l->kind != TCONV_LAYER_RESIZE || l->resize.interp != TCONV_INTERP_NEAREST
      || !fusable (plan, l) || l[1].kind != TCONV_LAYER_CONV2D
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
pack_layer (const TconvPlan *plan, TconvStep *step, const TconvLayer *l)
{
  const gboolean    conv = l->kind == TCONV_LAYER_CONV2D;
  const TconvLayer *prelu = conv && fusable (plan, l) && l[1].kind == TCONV_LAYER_PRELU ? &l[1]
                                                                                        : NULL;

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

/* Whether step i reads the output of step i - 1 (the model's input for step 0) alone,
 * and nothing else reads that: always so in a chain. */
static gboolean
chained (const TconvPlan *plan, int i)
{
  const TconvModel *model = plan->model;
  const int         first = plan->steps[i].layer - model->layers;
  return tconv_layer_n_inputs (model, first) == 1
         && tconv_layer_input (model, first, 0) == first - 1
         && (first == 0 || plan->consumers[first - 1] == 1);
}

/* The leading steps one row stream runs: conv2d steps, ending at most with one transposed
 * step (the head, or a folded resize); 0 when streaming would not pay. */
static int
streamed_prefix (const TconvPlan *plan)
{
  int i = 0;
  while (i < plan->n_steps && streams_as_conv (&plan->steps[i]) && chained (plan, i))
    i++;
  if (i < plan->n_steps && plan->steps[i].kind == TCONV_STEP_CONV_TRANSPOSE2D
      && plan->steps[i].groups == 1 && chained (plan, i))
    return i >= 1 ? i + 1 : 0;
  return i >= 2 ? i : 0;
}

/* Whether steps [first, n_steps) each compute an output pixel from that pixel alone. */
static gboolean
pixelwise_from (const TconvPlan *plan, int first)
{
  if (plan->model->is_graph)
    return FALSE;
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

/* Bytes one input pixel costs at the widest point of the steps run one by one: in a chain
 * the input and output of a step; in a graph every output still to be read, measured on
 * a probe input. */
static double
bytes_per_input_pixel (const TconvPlan *plan)
{
  const TconvModel       *model = plan->model;
  const int               side = MAX (256 / plan->align, 1) * plan->align;
  g_autofree TconvTensor *shapes = g_new (TconvTensor, model->n_layers);
  g_autofree int         *left = g_memdup2 (plan->consumers, model->n_layers * sizeof (int));
  double                  live = model->channels, widest = model->channels;

  if (!tconv_model_shapes (model, side, side, shapes, NULL))
    return model->channels * sizeof (float) + 64.0;
  for (int i = 0; i < plan->n_steps; i++)
    {
      const TconvStep *s = &plan->steps[i];
      const int        first = s->layer - model->layers, last = first + s->n_layers - 1;
      const double     out = (double) shapes[last].c * shapes[last].h * shapes[last].w / side / side;
      if (!model->is_graph)
        {
          const double in = first ? (double) shapes[first - 1].c * shapes[first - 1].h
                                      * shapes[first - 1].w / side / side
                                  : model->channels;
          widest = MAX (widest, in + out);
          continue;
        }
      live += out;
      widest = MAX (widest, live);
      for (int k = 0; k < tconv_layer_n_inputs (model, first); k++)
        {
          const int at = tconv_layer_input (model, first, k);
          if (at >= 0 && --left[at] == 0)
            live -= (double) shapes[at].c * shapes[at].h * shapes[at].w / side / side;
        }
    }
  return widest * sizeof (float) + 64.0; /* + colour planes and staging */
}

/* How many layers read each layer's output. */
static int *
count_consumers (const TconvModel *model)
{
  int *consumers = g_new0 (int, model->n_layers);
  for (int i = 0; i < model->n_layers; i++)
    for (int k = 0; k < tconv_layer_n_inputs (model, i); k++)
      if (tconv_layer_input (model, i, k) >= 0)
        consumers[tconv_layer_input (model, i, k)]++;
  return consumers;
}

TconvPlan *
tconv_plan_new (const TconvModel *model, const TconvPlanOptions *options)
{
  TconvPlan        *plan = g_new0 (TconvPlan, 1);
  const TconvLayer *end = model->layers + model->n_layers;

  plan->model = model;
  plan->consumers = count_consumers (model);
  plan->steps = g_new0 (TconvStep, MAX (model->n_layers, 1));
  for (const TconvLayer *l = model->layers; l < end; plan->n_steps++)
    {
      TconvStep *step = &plan->steps[plan->n_steps];
      step->layer = l;
      if (!fold_resize (plan, step, l) && !pack_layer (plan, step, l))
        step->kind = TCONV_STEP_LAYER, step->n_layers = 1;
      l += step->n_layers;
    }
  if (!(options && options->no_streaming))
    plan->n_streamed = streamed_prefix (plan);
  plan->pixelwise_tail = pixelwise_from (plan, plan->n_streamed);
  plan->whole_image = !tconv_model_tiling (model, &plan->halo, &plan->align);
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
  g_free (plan->consumers);
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
