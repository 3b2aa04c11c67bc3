#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "choices.h"
#include "model-file.h"
#include "safetensors.h"
#include "tconv-error.h"

#define MAX_CHANNELS 4096
#define MAX_KERNEL   64
#define MAX_STRIDE   16

typedef struct
{
  const char       *what; /* file name, for messages */
  TconvSafetensors *st;
  GPtrArray        *used; /* tensor names already bound to a layer */
  int               index;
  const char       *op;
} Ctx;

#define LAYER_FAIL(ctx, ...)                                                                 \
  do                                                                                         \
    {                                                                                        \
      g_autofree char *msg_ = g_strdup_printf (__VA_ARGS__);                                 \
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL, "%s: layer %d (%s): %s",            \
                   (ctx)->what, (ctx)->index, (ctx)->op, msg_);                              \
      return FALSE;                                                                          \
    }                                                                                        \
  while (0)

/* An integer field given as n or [y, x], within [min, max]. */
static gboolean
get_pair (Ctx *ctx, JsonObject *o, const char *key, int def, int min, int max, int v[2],
          GError **error)
{
  JsonNode *n;

  v[0] = v[1] = def;
  if (!json_object_has_member (o, key))
    return TRUE;
  n = json_object_get_member (o, key);
  if (json_node_get_value_type (n) == G_TYPE_INT64)
    v[0] = v[1] = (int) CLAMP (json_node_get_int (n), G_MININT, G_MAXINT);
  else if (JSON_NODE_HOLDS_ARRAY (n) && json_array_get_length (json_node_get_array (n)) == 2
           && json_node_get_value_type (json_array_get_element (json_node_get_array (n), 0))
                == G_TYPE_INT64
           && json_node_get_value_type (json_array_get_element (json_node_get_array (n), 1))
                == G_TYPE_INT64)
    for (int i = 0; i < 2; i++)
      v[i] = (int) CLAMP (json_array_get_int_element (json_node_get_array (n), i), G_MININT,
                          G_MAXINT);
  else
    LAYER_FAIL (ctx, "\"%s\" must be an integer or a pair of integers", key);
  for (int i = 0; i < 2; i++)
    if (v[i] < min || v[i] > max)
      LAYER_FAIL (ctx, "\"%s\" is %d; it must be from %d to %d", key, v[i], min, max);
  return TRUE;
}

static gboolean
get_int (Ctx *ctx, JsonObject *o, const char *key, int def, int min, int max, int *v,
         GError **error)
{
  int pair[2];

  if (json_object_has_member (o, key)
      && json_node_get_value_type (json_object_get_member (o, key)) != G_TYPE_INT64)
    LAYER_FAIL (ctx, "\"%s\" must be an integer", key);
  if (!get_pair (ctx, o, key, def, min, max, pair, error))
    return FALSE;
  *v = pair[0];
  return TRUE;
}

static const char *
get_string (JsonObject *o, const char *key)
{
  JsonNode *n = json_object_get_member (o, key);
  return n && json_node_get_value_type (n) == G_TYPE_STRING ? json_node_get_string (n) : NULL;
}

/* Binds the tensor named by o[key]; it must exist, be used once, and have `dims` dims. */
static gboolean
get_tensor (Ctx *ctx, JsonObject *o, const char *key, gboolean required, int dims,
            TconvStTensor **out, GError **error)
{
  const char *name = get_string (o, key);

  *out = NULL;
  if (name == NULL)
    {
      if (json_object_has_member (o, key) || required)
        LAYER_FAIL (ctx, "\"%s\" must name a tensor", key);
      return TRUE;
    }
  *out = g_hash_table_lookup (ctx->st->tensors, name);
  if (*out == NULL)
    LAYER_FAIL (ctx, "tensor \"%s\" is not in the file", name);
  for (guint i = 0; i < ctx->used->len; i++)
    if (g_str_equal (ctx->used->pdata[i], name))
      LAYER_FAIL (ctx, "tensor \"%s\" is used by two layers", name);
  g_ptr_array_add (ctx->used, (gpointer) name);
  if ((*out)->n_dims != dims)
    LAYER_FAIL (ctx, "tensor \"%s\" has %d dimensions, expected %d", name, (*out)->n_dims, dims);
  return TRUE;
}

/* A layer's choice field (list->name); `def` when absent, or -1 if required. */
static gboolean
get_choice (Ctx *ctx, JsonObject *o, const TconvChoiceList *list, int def, int *value,
            GError **error)
{
  const char *nick = get_string (o, list->name);

  if (!nick && def >= 0)
    {
      *value = def;
      return TRUE;
    }
  if (nick && tconv_choice_parse (list, TCONV_IN_MODEL_FILE, nick, value, NULL))
    return TRUE;
  g_autofree char *allowed = tconv_choice_nicks (list, TCONV_IN_MODEL_FILE);
  LAYER_FAIL (ctx, "\"%s\" must be %s", list->name, allowed);
}

static gboolean
get_interp (Ctx *ctx, JsonObject *o, int def, TconvInterp *interp, GError **error)
{
  int v;
  if (!get_choice (ctx, o, &tconv_interp_list, def, &v, error))
    return FALSE;
  *interp = v;
  return TRUE;
}

static TconvTensor
as_tensor (const TconvStTensor *t)
{
  return (TconvTensor) { (int) t->shape[0], (int) t->shape[1], (int) t->shape[2],
                         (int) t->shape[3], t->data };
}

static gboolean
parse_conv (Ctx *ctx, JsonObject *o, TconvLayer *l, int channels, GError **error)
{
  TconvStTensor *w, *b;
  int            groups;

  if (!get_tensor (ctx, o, "weight", TRUE, 4, &w, error)
      || !get_tensor (ctx, o, "bias", FALSE, 1, &b, error)
      || !get_int (ctx, o, "groups", 1, 1, MAX_CHANNELS, &groups, error))
    return FALSE;
  l->weight = as_tensor (w);
  if (l->weight.h > MAX_KERNEL || l->weight.w > MAX_KERNEL)
    LAYER_FAIL (ctx, "kernel %dx%d is larger than %d", l->weight.h, l->weight.w, MAX_KERNEL);
  if (l->kind == TCONV_LAYER_CONV2D)
    {
      TconvConv2dParams *p = &l->conv;
      int                mode;
      *p = tconv_conv2d_params_default ();
      p->groups = groups;
      if (!get_pair (ctx, o, "stride", 1, 1, MAX_STRIDE, p->stride, error)
          || !get_pair (ctx, o, "padding", 0, 0, MAX_KERNEL, p->padding, error)
          || !get_pair (ctx, o, "dilation", 1, 1, MAX_KERNEL, p->dilation, error)
          || !get_choice (ctx, o, &tconv_padding_mode_list, TCONV_PAD_ZEROS, &mode, error))
        return FALSE;
      p->padding_mode = mode;
      l->out_channels = l->weight.n;
    }
  else
    {
      TconvConvTranspose2dParams *p = &l->transposed;
      *p = tconv_conv_transpose2d_params_default ();
      p->groups = groups;
      if (!get_pair (ctx, o, "stride", 1, 1, MAX_STRIDE, p->stride, error)
          || !get_pair (ctx, o, "padding", 0, 0, MAX_KERNEL, p->padding, error)
          || !get_pair (ctx, o, "output_padding", 0, 0, MAX_KERNEL, p->output_padding, error)
          || !get_pair (ctx, o, "dilation", 1, 1, MAX_KERNEL, p->dilation, error))
        return FALSE;
      l->out_channels = l->weight.c * groups;
    }
  if (l->out_channels > MAX_CHANNELS)
    LAYER_FAIL (ctx, "%d output channels are more than %d", l->out_channels, MAX_CHANNELS);
  if (b)
    {
      if (b->shape[0] != l->out_channels)
        LAYER_FAIL (ctx, "bias has %d values for %d output channels", (int) b->shape[0],
                    l->out_channels);
      l->bias = b->data;
    }
  (void) channels;
  return TRUE;
}

static gboolean
parse_layer (Ctx *ctx, JsonNode *node, TconvLayer *l, int channels, GError **error)
{
  JsonObject *o;

  ctx->op = "?";
  if (!JSON_NODE_HOLDS_OBJECT (node))
    LAYER_FAIL (ctx, "is not an object");
  o = json_node_get_object (node);
  ctx->op = get_string (o, "op");
  if (ctx->op == NULL)
    {
      ctx->op = "?";
      LAYER_FAIL (ctx, "has no \"op\"");
    }
  l->in_channels = l->out_channels = channels;

  if (g_str_equal (ctx->op, "conv2d") || g_str_equal (ctx->op, "conv_transpose2d"))
    {
      l->kind = g_str_equal (ctx->op, "conv2d") ? TCONV_LAYER_CONV2D
                                                : TCONV_LAYER_CONV_TRANSPOSE2D;
      return parse_conv (ctx, o, l, channels, error);
    }
  if (g_str_equal (ctx->op, "relu"))
    l->kind = TCONV_LAYER_RELU;
  else if (g_str_equal (ctx->op, "leaky_relu"))
    {
      JsonNode *s = json_object_get_member (o, "negative_slope");
      l->kind = TCONV_LAYER_LEAKY_RELU;
      l->negative_slope = 0.01f;
      if (s && json_node_get_value_type (s) != G_TYPE_DOUBLE
          && json_node_get_value_type (s) != G_TYPE_INT64)
        LAYER_FAIL (ctx, "\"negative_slope\" must be a number");
      if (s)
        l->negative_slope = (float) json_node_get_double (s);
    }
  else if (g_str_equal (ctx->op, "prelu"))
    {
      TconvStTensor *w;
      l->kind = TCONV_LAYER_PRELU;
      if (!get_tensor (ctx, o, "weight", TRUE, 1, &w, error))
        return FALSE;
      l->weight = (TconvTensor) { 1, 1, 1, (int) w->shape[0], w->data };
    }
  else if (g_str_equal (ctx->op, "resize"))
    {
      TconvInterp interp;
      l->kind = TCONV_LAYER_RESIZE;
      if (!get_int (ctx, o, "scale", 0, 1, MAX_STRIDE, &l->resize.factor, error)
          || !get_interp (ctx, o, -1, &interp, error))
        return FALSE;
      l->resize.interp = interp;
    }
  else if (g_str_equal (ctx->op, "pixel_shuffle") || g_str_equal (ctx->op, "pixel_unshuffle"))
    {
      gboolean up = g_str_equal (ctx->op, "pixel_shuffle");
      l->kind = up ? TCONV_LAYER_PIXEL_SHUFFLE : TCONV_LAYER_PIXEL_UNSHUFFLE;
      if (!get_int (ctx, o, "factor", 0, 1, MAX_STRIDE, &l->factor, error))
        return FALSE;
      int r2 = l->factor * l->factor;
      if (up && channels % r2 != 0)
        LAYER_FAIL (ctx, "%d channels are not divisible by factor^2 = %d", channels, r2);
      l->out_channels = up ? channels / r2 : channels * r2;
      if (l->out_channels > MAX_CHANNELS)
        LAYER_FAIL (ctx, "too many channels");
    }
  else if (g_str_equal (ctx->op, "add_upscaled_input"))
    {
      /* files written before "mode" existed mean PyTorch's bicubic */
      TconvInterp interp;
      l->kind = TCONV_LAYER_ADD_UPSCALED_INPUT;
      if (!get_interp (ctx, o, TCONV_INTERP_BICUBIC, &interp, error))
        return FALSE;
      l->resize.interp = interp;
    }
  else
    LAYER_FAIL (ctx, "unknown op; known ops are conv2d, conv_transpose2d, relu, leaky_relu, "
                     "prelu, resize, pixel_shuffle, pixel_unshuffle, add_upscaled_input");
  return TRUE;
}

#define MODEL_FAIL(...) TCONV_FAIL (error, TCONV_ERROR_MODEL, NULL, __VA_ARGS__)

/* "value_range": [black, white] of the network's input and output, e.g. [0, 255] for a
 * network trained on 8-bit values; the engine converts to and from it. */
static gboolean
parse_value_range (JsonObject *graph, TconvModel *model, const char *what, GError **error)
{
  JsonNode  *n = json_object_get_member (graph, "value_range");
  JsonArray *a = n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;

  if (n == NULL)
    return TRUE; /* [0, 1] */
  if (a && json_array_get_length (a) == 2)
    {
      JsonNode *lo = json_array_get_element (a, 0), *hi = json_array_get_element (a, 1);
      if (JSON_NODE_HOLDS_VALUE (lo) && JSON_NODE_HOLDS_VALUE (hi)
          && json_node_get_value_type (lo) != G_TYPE_STRING
          && json_node_get_value_type (hi) != G_TYPE_STRING)
        {
          double l = json_node_get_double (lo), h = json_node_get_double (hi);
          if (isfinite (l) && isfinite (h) && h > l && fabs (l) <= 1e6 && fabs (h) <= 1e6)
            {
              model->value_lo = (float) l, model->value_hi = (float) h;
              return TRUE;
            }
        }
    }
  g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
               _("%s: \"value_range\" must be [black, white] with white > black (e.g. [0, 1] or "
                 "[0, 255])"), what);
  return FALSE;
}

#define FACT_FAIL(...) TCONV_FAIL (error, TCONV_ERROR_MODEL, FALSE, __VA_ARGS__)

/* The graph object of the file's "tconv" metadata, parsed into `parser`. */
static JsonObject *
graph_object (const TconvSafetensors *st, JsonParser *parser, const char *what, GError **error)
{
  g_autoptr (GError) json_error = NULL;
  const char *text = g_hash_table_lookup (st->metadata, "tconv");

  if (text == NULL)
    MODEL_FAIL ("%s: not a tconv model: __metadata__ has no \"tconv\" graph", what);
  if (tconv_json_depth (text, strlen (text)) > TCONV_SAFETENSORS_MAX_DEPTH)
    MODEL_FAIL ("%s: the graph JSON is unbalanced or nested too deeply", what);
  if (!json_parser_load_from_data (parser, text, -1, &json_error))
    MODEL_FAIL ("%s: the graph is not valid JSON: %s", what, json_error->message);
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    MODEL_FAIL ("%s: the graph is not a JSON object", what);
  return json_node_get_object (json_parser_get_root (parser));
}

/* name, color, mode, scale, value_range, y_range. */
static gboolean
parse_facts (JsonObject *graph, TconvModel *model, const char *what, GError **error)
{
  const char *s = get_string (graph, "name");
  if (s == NULL)
    {
      model->name = g_strdup (what);
      if (g_str_has_suffix (model->name, TCONV_MODEL_SUFFIX))
        model->name[strlen (model->name) - strlen (TCONV_MODEL_SUFFIX)] = '\0';
    }
  else
    model->name = g_strdup (s);
  s = get_string (graph, "color");
  if (s == NULL || g_str_equal (s, "y"))
    model->color = TCONV_COLOR_Y;
  else if (g_str_equal (s, "rgb"))
    model->color = TCONV_COLOR_RGB;
  else
    FACT_FAIL ("%s: \"color\" is \"%s\"; it must be y or rgb", what, s);
  model->channels = model->color == TCONV_COLOR_Y ? 1 : 3;
  s = get_string (graph, "mode");
  int mode = TCONV_MODE_TRANSPOSED;
  if (s && !tconv_choice_parse (&tconv_mode_list, TCONV_IN_MODEL_FILE, s, &mode, NULL))
    {
      g_autofree char *allowed = tconv_choice_nicks (&tconv_mode_list, TCONV_IN_MODEL_FILE);
      FACT_FAIL ("%s: \"mode\" is \"%s\"; it must be %s", what, s, allowed);
    }
  model->mode = mode;
  if (json_object_has_member (graph, "scale"))
    {
      JsonNode *n = json_object_get_member (graph, "scale");
      if (json_node_get_value_type (n) != G_TYPE_INT64 || json_node_get_int (n) < 1
          || json_node_get_int (n) > MAX_STRIDE)
        FACT_FAIL ("%s: \"scale\" must be an integer from 1 to %d", what, MAX_STRIDE);
      model->scale = (int) json_node_get_int (n);
    }
  if (!parse_value_range (graph, model, what, error))
    return FALSE;
  s = get_string (graph, "y_range");
  if (s && !g_str_equal (s, "studio") && !g_str_equal (s, "full"))
    FACT_FAIL (_("%s: \"y_range\" is \"%s\"; it must be studio (BT.601, 16-235) or full"), what,
               s);
  model->y_full = s && g_str_equal (s, "full");
  return TRUE;
}

/* The "layers" array, each layer's tensors taken from the file; every tensor must be used. */
static gboolean
parse_layers (JsonObject *graph, TconvSafetensors *st, TconvModel *model, const char *what,
              GError **error)
{
  g_autoptr (GPtrArray) used = g_ptr_array_new ();

  if (!json_object_has_member (graph, "layers")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (graph, "layers")))
    FACT_FAIL ("%s: the graph has no \"layers\" array", what);
  JsonArray *layers = json_object_get_array_member (graph, "layers");
  model->n_layers = json_array_get_length (layers);
  if (model->n_layers < 1 || model->n_layers > 256)
    FACT_FAIL ("%s: %d layers; a model has 1 to 256", what, model->n_layers);
  model->layers = g_new0 (TconvLayer, model->n_layers);

  Ctx ctx = { what, st, used, 0, NULL };
  int channels = model->channels;
  for (int i = 0; i < model->n_layers; i++)
    {
      ctx.index = i;
      if (!parse_layer (&ctx, json_array_get_element (layers, i), &model->layers[i], channels,
                        error))
        return FALSE;
      channels = model->layers[i].out_channels;
    }
  if (used->len != g_hash_table_size (st->tensors))
    FACT_FAIL ("%s: the file holds %u tensors but the layers use %u", what,
               g_hash_table_size (st->tensors), used->len);
  return TRUE;
}

/* Moves every tensor into one owned block, so the model outlives the parsed file. */
static void
take_storage (TconvModel *model, const TconvSafetensors *st)
{
  gsize          total = 0, at = 0;
  GHashTableIter it;
  gpointer       value;

  g_hash_table_iter_init (&it, st->tensors);
  while (g_hash_table_iter_next (&it, NULL, &value))
    total += ((TconvStTensor *) value)->numel;
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

TconvModel *
tconv_model_load_bytes (const guint8 *bytes, gsize len, const char *what, GError **error)
{
  g_autoptr (TconvSafetensors) st = tconv_safetensors_parse (bytes, len, what, error);
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (TconvModel) model = NULL;
  JsonObject *graph;

  if (st == NULL || (graph = graph_object (st, parser, what, error)) == NULL)
    return NULL;
  model = g_new0 (TconvModel, 1);
  if (!parse_facts (graph, model, what, error) || !parse_layers (graph, st, model, what, error))
    return NULL;
  take_storage (model, st);
  model->facts_json = g_strdup (g_hash_table_lookup (st->metadata, "tconv"));
  if (!tconv_model_validate (model, error))
    {
      g_prefix_error (error, "%s: ", what);
      return NULL;
    }
  return g_steal_pointer (&model);
}

static guint files_read;

guint
tconv_model_files_read (void)
{
  return g_atomic_int_get (&files_read);
}

TconvModel *
tconv_model_load (const char *path, GError **error)
{
  g_autoptr (GMappedFile) file = tconv_safetensors_map (path, error);
  g_autofree char *base = g_path_get_basename (path);

  g_atomic_int_inc (&files_read);

  if (file == NULL)
    return NULL;
  return tconv_model_load_bytes ((const guint8 *) g_mapped_file_get_contents (file),
                                 g_mapped_file_get_length (file), base, error);
}

GStrv
tconv_model_search_path (const char *installed_dir)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  const char *env = g_getenv ("TCONV_MODEL_PATH");

  if (env && *env)
    {
      g_auto (GStrv) parts = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);
      for (int i = 0; parts[i]; i++)
        if (*parts[i])
          g_strv_builder_add (b, parts[i]);
    }
  g_autofree char *user = g_build_filename (g_get_user_data_dir (), "tconv", "models", NULL);
  g_strv_builder_add (b, user);
  if (installed_dir)
    g_strv_builder_add (b, installed_dir);
  return g_strv_builder_end (b);
}

char *
tconv_model_find (const char *name_or_path, const char *installed_dir, GError **error)
{
  g_auto (GStrv) dirs = NULL;

  if (strchr (name_or_path, G_DIR_SEPARATOR) || g_str_has_suffix (name_or_path, TCONV_MODEL_SUFFIX))
    {
      if (g_file_test (name_or_path, G_FILE_TEST_IS_REGULAR))
        return g_strdup (name_or_path);
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, _("model file %s does not exist"),
                   name_or_path);
      return NULL;
    }
  dirs = tconv_model_search_path (installed_dir);
  for (int i = 0; dirs[i]; i++)
    {
      g_autofree char *file = g_strconcat (name_or_path, TCONV_MODEL_SUFFIX, NULL);
      g_autofree char *path = g_build_filename (dirs[i], file, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  g_autofree char *joined = g_strjoinv (", ", dirs);
  g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO,
               _("no model named \"%s\" (searched %s); `tconv models` lists them"), name_or_path,
               joined);
  return NULL;
}
