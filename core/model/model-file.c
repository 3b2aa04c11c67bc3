#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "choices.h"
#include "layer-kinds.h"
#include "model-file.h"
#include "ncnn-model.h"
#include "safetensors.h"
#include "tconv-error.h"

#define MAX_STRIDE 16

static const char *
get_string (JsonObject *o, const char *key)
{
  JsonNode *n = json_object_get_member (o, key);
  return n && json_node_get_value_type (n) == G_TYPE_STRING ? json_node_get_string (n) : NULL;
}

/* The layer's name, for the layers after it (not for its own inputs: no self-loop). */
static gboolean
remember (GHashTable *names, const TconvLayer *l, int index)
{
  if (l->name)
    g_hash_table_insert (names, l->name, GINT_TO_POINTER (index + 1));
  return TRUE;
}

/* Version 2: the layer's "name" (unique, not "input") and its "inputs", names of earlier
 * layers or "input" (the model's); without "inputs" a layer takes the one before it, as
 * every layer of a version 1 file does.  `names` maps the names seen so far to index + 1. */
static gboolean
parse_links (TconvLayerReader *r, JsonObject *o, TconvLayer *l, GHashTable *names,
             GError **error)
{
  const char *name = get_string (o, "name");
  JsonNode   *n = json_object_get_member (o, "inputs");
  JsonArray  *a = n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;

  if (json_object_has_member (o, "name") && name == NULL)
    TCONV_LAYER_FAIL (r, "\"name\" must be a string");
  if (name && (g_str_equal (name, "input") || g_hash_table_contains (names, name)
               || strlen (name) > 128))
    TCONV_LAYER_FAIL (r, "the name \"%s\" is taken, reserved or too long", name);
  if (name)
    l->name = g_strdup (name);
  if (n == NULL)
    return remember (names, l, r->index); /* linked as a chain by tconv_model_validate */
  if (a == NULL || json_array_get_length (a) < 1 || json_array_get_length (a) > TCONV_MAX_INPUTS)
    TCONV_LAYER_FAIL (r, "\"inputs\" must list 1 to %d layer names", TCONV_MAX_INPUTS);
  l->n_inputs = json_array_get_length (a);
  for (int k = 0; k < l->n_inputs; k++)
    {
      JsonNode   *e = json_array_get_element (a, k);
      const char *in = json_node_get_value_type (e) == G_TYPE_STRING ? json_node_get_string (e)
                                                                     : NULL;
      int         at = in ? GPOINTER_TO_INT (g_hash_table_lookup (names, in)) : 0;
      if (in && g_str_equal (in, "input"))
        l->inputs[k] = TCONV_INPUT_MODEL;
      else if (at > 0)
        l->inputs[k] = at - 1;
      else
        TCONV_LAYER_FAIL (r, "input \"%s\" is not an earlier layer's name (a graph is listed in "
                       "order, so a cycle cannot be written)", in ? in : "?");
    }
  return remember (names, l, r->index);
}

static gboolean
parse_layer (TconvLayerReader *r, JsonNode *node, TconvLayer *l, gboolean graph,
             GHashTable *names, GError **error)
{
  const TconvLayerKindInfo *info;
  JsonObject               *o;

  r->op = "?";
  if (!JSON_NODE_HOLDS_OBJECT (node))
    TCONV_LAYER_FAIL (r, "is not an object");
  o = json_node_get_object (node);
  r->op = get_string (o, "op");
  if (r->op == NULL)
    {
      r->op = "?";
      TCONV_LAYER_FAIL (r, "has no \"op\"");
    }
  info = tconv_layer_kind_find (r->op, &l->kind);
  /* version 1 knows the first nine kinds only */
  if (info == NULL || (!graph && l->kind > TCONV_LAYER_ADD_UPSCALED_INPUT))
    {
      g_autofree char *known = tconv_layer_kind_names ();
      TCONV_LAYER_FAIL (r, "unknown op; known ops are %s%s", known,
                  graph ? "" : " (all but the first nine need \"version\": 2)");
    }
  if (graph && !parse_links (r, o, l, names, error))
    return FALSE;
  return info->parse (r, o, l, error);
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

/* Braces in the graph's text: at least one per layer, counted before the JSON is parsed
 * so that a file of a million layers is refused at once. */
static gboolean
few_enough_layers (const char *text, const char *what, GError **error)
{
  gsize braces = 0;
  for (const char *c = text; *c; c++)
    braces += *c == '{';
  if (braces > TCONV_MAX_LAYERS + 1)
    FACT_FAIL ("%s: the graph has more than %d layers", what, TCONV_MAX_LAYERS);
  return TRUE;
}

/* The graph object of the file's "tconv" metadata, parsed into `parser`. */
static JsonObject *
graph_object (const TconvSafetensors *st, JsonParser *parser, const char *what, GError **error)
{
  g_autoptr (GError) json_error = NULL;
  const char *text = g_hash_table_lookup (st->metadata, "tconv");

  if (text == NULL)
    MODEL_FAIL ("%s: not a tconv model: __metadata__ has no \"tconv\" graph", what);
  if (!few_enough_layers (text, what, error))
    return NULL;
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

/* "version": 1 (a chain; absent means 1) or 2 (layers with names and inputs). */
static gboolean
parse_version (JsonObject *graph, gboolean *is_graph, const char *what, GError **error)
{
  JsonNode *n = json_object_get_member (graph, "version");
  gint64    v = n && json_node_get_value_type (n) == G_TYPE_INT64 ? json_node_get_int (n) : 0;

  if (n && v != 1 && v != 2)
    FACT_FAIL ("%s: \"version\" must be 1 or 2", what);
  *is_graph = v == 2;
  return TRUE;
}

/* The "layers" array, each layer's tensors taken from the file; every tensor must be used. */
static gboolean
parse_layers (JsonObject *graph, TconvSafetensors *st, TconvModel *model, const char *what,
              GError **error)
{
  g_autoptr (GPtrArray) used = g_ptr_array_new ();
  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean               is_graph;

  if (!parse_version (graph, &is_graph, what, error))
    return FALSE;
  if (!json_object_has_member (graph, "layers")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (graph, "layers")))
    FACT_FAIL ("%s: the graph has no \"layers\" array", what);
  JsonArray *layers = json_object_get_array_member (graph, "layers");
  const guint n = json_array_get_length (layers);
  const guint max = is_graph ? TCONV_MAX_LAYERS : 256;
  if (n < 1 || n > max)
    FACT_FAIL ("%s: %u layers; a model has 1 to %u", what, n, max);
  model->n_layers = n;
  model->layers = g_new0 (TconvLayer, model->n_layers);

  TconvLayerReader r = { what, st, used, 0, NULL };
  for (int i = 0; i < model->n_layers; i++)
    {
      r.index = i;
      if (!parse_layer (&r, json_array_get_element (layers, i), &model->layers[i], is_graph,
                        names, error))
        return FALSE;
    }
  if (used->len != g_hash_table_size (st->tensors))
    FACT_FAIL ("%s: the file holds %u tensors but the layers use %u", what,
               g_hash_table_size (st->tensors), used->len);
  return TRUE;
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
  tconv_model_take_storage (model);
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
  g_autofree char *base = g_path_get_basename (path);
  g_autoptr (GMappedFile) file = NULL;

  g_atomic_int_inc (&files_read);

  /* an ncnn pair (Upscayl's, waifu2x's, ...): PATH.param and PATH.bin */
  if (g_str_has_suffix (path, ".param"))
    {
      g_autoptr (TconvNcnnNet) net = tconv_ncnn_load (path, error);
      return net ? tconv_ncnn_model (net, base, error) : NULL;
    }
  if ((file = tconv_safetensors_map (path, error)) == NULL)
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
