/* The forward pass reads like the plan: each step is one packed layer or one operator. */
#include <glib/gi18n-lib.h>
#include <string.h>

#include "execute.h"
#include "layer-kinds.h"
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

/* One layer through its reference operator (layer-kinds.c); the residual's second input
 * is the model's. */
static gboolean
run_layer (const TconvLayer *l, const TconvTensor *input, Activation *x, GError **error)
{
  const TconvLayerKindInfo *kind = tconv_layer_kind_info (l->kind);
  const TconvTensor        *in[2] = { &x->t, input };
  TconvTensor               next = { 0 };

  if (!kind->shape (l, in, &next, error))
    {
      g_prefix_error (error, "%s: ", kind->name);
      return FALSE;
    }
  if (kind->in_place)
    {
      if (!make_owned (x, error))
        return FALSE;
      in[0] = &x->t;
      return kind->run (l, in, &x->t, error);
    }
  if (!tconv_tensor_alloc (&next, "layer output", error) || !kind->run (l, in, &next, error))
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

/* ---- graphs ----------------------------------------------------------------------- */

/* Every layer's output while some layer still reads it; the model's input is the caller's. */
typedef struct
{
  const TconvPlan *plan;
  const TconvTensor *input;
  TconvTensor     *vals;
  int             *left; /* readers still to run, per layer */
} Graph;

static const TconvTensor *
graph_value (const Graph *g, int at)
{
  return at == TCONV_INPUT_MODEL ? g->input : &g->vals[at];
}

static gboolean
layer_error (const Graph *g, int index, GError **error)
{
  g_autofree char *which = tconv_layer_describe (g->plan->model, index);
  g_prefix_error (error, "%s: ", which);
  return FALSE;
}

/* Takes input k's buffer for the output when this layer is its last reader and it has
 * the output's shape: the layer then runs in place. */
static gboolean
steal (Graph *g, const TconvLayer *l, int k, const TconvTensor *shape, TconvTensor *out)
{
  const int    at = l->inputs[k];
  TconvTensor *v;

  if (at == TCONV_INPUT_MODEL || g->left[at] != 1)
    return FALSE;
  v = &g->vals[at];
  if (v->c != shape->c || v->h != shape->h || v->w != shape->w || v->n != shape->n)
    return FALSE;
  *out = *v;
  v->data = NULL; /* moved: the reader's release below frees nothing */
  return TRUE;
}

/* One step of a graph: its output into vals[last layer], allocated or taken over. */
static gboolean
run_graph_step (Graph *g, const TconvStep *step, GError **error)
{
  const TconvModel         *model = g->plan->model;
  const TconvLayer         *l = step->layer;
  const int                 first = l - model->layers, last = first + step->n_layers - 1;
  const TconvLayerKindInfo *kind = tconv_layer_kind_info (l->kind);
  const TconvTensor        *in[TCONV_MAX_INPUTS];
  TconvTensor               out = { 0 };
  gboolean                  ok;

  for (int k = 0; k < l->n_inputs; k++)
    in[k] = graph_value (g, l->inputs[k]);
  if (step->kind != TCONV_STEP_LAYER)
    {
      Activation x = { *in[0], FALSE };
      if (!run_packed (step, &x, error))
        return layer_error (g, first, error);
      g->vals[last] = x.t;
      return TRUE;
    }
  if (!kind->shape (l, in, &out, error))
    return layer_error (g, first, error);
  const gboolean binary = l->kind == TCONV_LAYER_ADD || l->kind == TCONV_LAYER_SUB
                          || l->kind == TCONV_LAYER_MUL;
  TconvTensor shape = out;
  if (kind->in_place && (steal (g, l, 0, &shape, &out) || (binary && steal (g, l, 1, &shape, &out))))
    ok = TRUE;
  else
    {
      ok = tconv_tensor_alloc_uninit (&out, tconv_layer_kind_name (l->kind), error);
      /* an in-place kind works on a copy of its first input */
      if (ok && kind->in_place && !binary)
        memcpy (out.data, in[0]->data, tconv_tensor_numel (&out) * sizeof (float));
    }
  /* the inputs again: one may have been moved into `out` */
  for (int k = 0; k < l->n_inputs; k++)
    in[k] = l->inputs[k] != TCONV_INPUT_MODEL && g->vals[l->inputs[k]].data == NULL ? &out
                                                                                   : in[k];
  if (!ok || !kind->run (l, in, &out, error))
    {
      tconv_tensor_free (&out);
      return layer_error (g, first, error);
    }
  g->vals[last] = out;
  return TRUE;
}

/* A step's inputs are read: those no later layer reads are freed. */
static void
release_inputs (Graph *g, const TconvStep *step)
{
  const TconvLayer *l = step->layer;
  for (int k = 0; k < l->n_inputs; k++)
    if (l->inputs[k] != TCONV_INPUT_MODEL && --g->left[l->inputs[k]] == 0)
      tconv_tensor_free (&g->vals[l->inputs[k]]);
}

/* The steps in order, each output freed after its last reader; a leading chain is
 * row-streamed as in a chain model. */
static gboolean
run_graph (const TconvPlan *plan, const TconvTensor *input, TconvTensor *output, GError **error)
{
  const TconvModel *model = plan->model;
  Graph             g = { plan, input, g_new0 (TconvTensor, model->n_layers),
                          g_memdup2 (plan->consumers, model->n_layers * sizeof (int)) };
  gboolean          ok = TRUE, covered = FALSE;
  int               first = 0;

  if (plan->n_streamed > 0)
    {
      const TconvStep *s = &plan->steps[plan->n_streamed - 1];
      TconvTensor      streamed;
      ok = tconv_stream_forward (plan, input, NULL, &streamed, &covered, error);
      if (ok && covered)
        g.vals[s->layer - model->layers + s->n_layers - 1] = streamed, first = plan->n_streamed;
    }
  for (int i = first; ok && i < plan->n_steps; i++)
    if ((ok = run_graph_step (&g, &plan->steps[i], error)))
      release_inputs (&g, &plan->steps[i]);
  if (ok)
    *output = g.vals[model->n_layers - 1], g.vals[model->n_layers - 1].data = NULL;
  for (int i = 0; i < model->n_layers; i++)
    tconv_tensor_free (&g.vals[i]);
  g_free (g.vals);
  g_free (g.left);
  return ok;
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
  if (model->is_graph)
    return run_graph (plan, input, output, error);
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
