#include <glib/gi18n-lib.h>
#include <string.h>

#include "choices.h"
#include "layer-kinds.h"
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
  for (int i = 0; model->layers && i < model->n_layers; i++)
    g_free (model->layers[i].name);
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

void
tconv_model_take_storage (TconvModel *model)
{
  gsize total = 0, at = 0;

  for (int i = 0; i < model->n_layers; i++)
    total += (model->layers[i].weight.data ? tconv_tensor_numel (&model->layers[i].weight) : 0)
             + (model->layers[i].bias ? (gsize) model->layers[i].out_channels : 0);
  model->storage = g_new (float, MAX (total, 1));
  for (int i = 0; i < model->n_layers; i++)
    {
      TconvLayer *l = &model->layers[i];
      if (l->weight.data)
        {
          gsize n = tconv_tensor_numel (&l->weight);
          memcpy (model->storage + at, l->weight.data, n * sizeof (float));
          l->weight.data = model->storage + at;
          at += n;
        }
      if (l->bias)
        {
          memcpy (model->storage + at, l->bias, l->out_channels * sizeof (float));
          l->bias = model->storage + at;
          at += l->out_channels;
        }
    }
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
  return tconv_layer_kind_info (kind)->name;
}

const char *
tconv_layer_label (const TconvModel *model, int index, char *buf)
{
  if (index == TCONV_INPUT_MODEL)
    return "input";
  if (model->layers[index].name)
    return model->layers[index].name;
  g_snprintf (buf, 32, "layer %d", index);
  return buf;
}

const char *
tconv_interp_name (TconvInterp interp)
{
  return tconv_choice_nick (&tconv_interp_list, interp);
}

int
tconv_model_main_path (const TconvModel *model, int *path)
{
  int n = 0;

  for (int i = model->n_layers - 1; i >= 0; i = tconv_layer_input (model, i, 0))
    path[n++] = i;
  for (int a = 0, b = n - 1; a < b; a++, b--)
    {
      int t = path[a];
      path[a] = path[b], path[b] = t;
    }
  return n;
}

char *
tconv_layer_describe (const TconvModel *model, int index)
{
  const TconvLayer *l = &model->layers[index];
  return l->name ? g_strdup_printf ("layer %d \"%s\" (%s)", index, l->name,
                                    tconv_layer_kind_name (l->kind))
                 : g_strdup_printf ("layer %d (%s)", index, tconv_layer_kind_name (l->kind));
}

static gboolean
fail (GError **error, const TconvModel *model, int index, const char *msg)
{
  g_autofree char *which = tconv_layer_describe (model, index);
  g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL, "%s: %s", which, msg);
  return FALSE;
}

gboolean
tconv_model_shapes (const TconvModel *model, int h, int w, TconvTensor *shapes, GError **error)
{
  const TconvTensor input = { 1, model->channels, h, w, NULL };

  for (int i = 0; i < model->n_layers; i++)
    {
      const TconvLayer  *l = &model->layers[i];
      const TconvTensor *in[TCONV_MAX_INPUTS];
      g_autoptr (GError) err = NULL;
      for (int k = 0; k < tconv_layer_n_inputs (model, i); k++)
        {
          const int at = tconv_layer_input (model, i, k);
          in[k] = at == TCONV_INPUT_MODEL ? &input : &shapes[at];
        }
      if (!tconv_layer_kind_info (l->kind)->shape (l, in, &shapes[i], &err))
        return fail (error, model, i, err->message);
      /* bounded, so that no later size computation can overflow */
      if (shapes[i].h > (1 << 24) || shapes[i].w > (1 << 24))
        return fail (error, model, i, "its output would be too large");
    }
  return TRUE;
}

/* The strip's other side: a size every validated model takes (the integer-scale probe
 * below; fixed kernels, up to 64 wide and never checked at 48, take the validation's
 * 1008).  Only a strip: an in x in square of a 256-channel layer (waifu2x upconv_7's) at
 * a few thousand pixels passes TCONV_MAX_ELEMENTS, although tiles run it in little memory;
 * the element bound still refuses a strip that no tile could hold. */
#define PROBE_LEARNED 48
#define PROBE_ANY     1008

gboolean
tconv_model_output_len (const TconvModel *model, int axis, int in, int *out, GError **error)
{
  g_autofree TconvTensor *shapes = g_new (TconvTensor, model->n_layers);
  const int across = model->mode == TCONV_MODE_KERNEL ? PROBE_ANY : PROBE_LEARNED;

  if (!tconv_model_shapes (model, axis ? across : in, axis ? in : across, shapes, error))
    return FALSE;
  *out = axis ? shapes[model->n_layers - 1].w : shapes[model->n_layers - 1].h;
  return TRUE;
}

/* A learned model's output must be exactly scale * input: checked on two sizes. */
static gboolean
check_integer_scale (TconvModel *model, GError **error)
{
  int out_a, out_b, out_c;
  if (!tconv_model_output_len (model, 0, PROBE_LEARNED, &out_a, error)
      || !tconv_model_output_len (model, 0, 97 * PROBE_LEARNED, &out_b, error)
      || !tconv_model_output_len (model, 1, 97 * PROBE_LEARNED, &out_c, error))
    return FALSE;
  if (out_a % 48 != 0 || out_b != out_a * 97 || out_c != out_b)
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

/* Layers built without inputs take the layer before (the model's input for the first);
 * the residual also takes the model's input. */
static void
link_chain (TconvModel *model)
{
  for (int i = 0; i < model->n_layers; i++)
    {
      TconvLayer *l = &model->layers[i];
      if (l->n_inputs > 0)
        continue;
      l->n_inputs = l->kind == TCONV_LAYER_ADD_UPSCALED_INPUT ? 2 : 1;
      l->inputs[0] = i - 1; /* TCONV_INPUT_MODEL for the first */
      l->inputs[1] = TCONV_INPUT_MODEL;
    }
}

/* Inputs refer to earlier layers only (so the graph has no cycle), within each kind's
 * count; every layer's output is used, by at most TCONV_MAX_CONSUMERS layers. */
static gboolean
check_links (TconvModel *model, GError **error)
{
  g_autofree int *consumers = g_new0 (int, model->n_layers);
  char            msg[300];

  model->is_graph = FALSE;
  for (int i = 0; i < model->n_layers; i++)
    {
      const TconvLayer         *l = &model->layers[i];
      const TconvLayerKindInfo *k = tconv_layer_kind_info (l->kind);
      if (l->n_inputs < k->min_inputs || l->n_inputs > k->max_inputs)
        {
          g_snprintf (msg, sizeof msg, "takes %d to %d inputs, not %d", k->min_inputs,
                      k->max_inputs, l->n_inputs);
          return fail (error, model, i, msg);
        }
      for (int j = 0; j < l->n_inputs; j++)
        {
          const int in = l->inputs[j];
          if (in < TCONV_INPUT_MODEL || in >= i)
            return fail (error, model, i, "an input is not an earlier layer");
          if (in >= 0 && ++consumers[in] > TCONV_MAX_CONSUMERS)
            {
              g_autofree char *which = tconv_layer_describe (model, in);
              g_snprintf (msg, sizeof msg, "the output of %s is read by more than %d layers",
                          which, TCONV_MAX_CONSUMERS);
              return fail (error, model, i, msg);
            }
        }
      /* a chain: the layer before, and the residual's model input */
      if (l->inputs[0] != i - 1
          || (l->n_inputs == 2
              && !(l->kind == TCONV_LAYER_ADD_UPSCALED_INPUT && l->inputs[1] == TCONV_INPUT_MODEL))
          || l->n_inputs > 2)
        model->is_graph = TRUE;
    }
  for (int i = 0; i < model->n_layers - 1; i++)
    if (consumers[i] == 0)
      return fail (error, model, i, "its output is never used");
  return TRUE;
}

gboolean
tconv_model_validate (TconvModel *model, GError **error)
{
  if (model->n_layers < 1 || model->n_layers > TCONV_MAX_LAYERS)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   _("model has %d layers; it must have 1 to %d"), model->n_layers,
                   TCONV_MAX_LAYERS);
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
  link_chain (model);
  if (!check_links (model, error))
    return FALSE;

  /* channels and sizes, on a probe large enough for any kernel the loader admits and
   * divisible by 2, 3, 4, 6, 8, 12 and 16 (strides and pixel_unshuffle factors) */
  g_autofree TconvTensor *shapes = g_new (TconvTensor, model->n_layers);
  if (!tconv_model_shapes (model, PROBE_ANY, PROBE_ANY, shapes, error))
    return FALSE;
  for (int i = 0; i < model->n_layers; i++)
    {
      const int first = tconv_layer_input (model, i, 0);
      model->layers[i].in_channels = first == TCONV_INPUT_MODEL ? model->channels
                                                                : shapes[first].c;
      model->layers[i].out_channels = shapes[i].c;
    }
  if (shapes[model->n_layers - 1].c != model->channels)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   _("model outputs %d channels; it must output %d like its input"),
                   shapes[model->n_layers - 1].c, model->channels);
      return FALSE;
    }

  /* Fixed-kernel graphs may have any output size: that is what they are for. */
  if (model->mode == TCONV_MODE_KERNEL)
    return TRUE;

  return check_integer_scale (model, error);
}
