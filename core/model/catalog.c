/* The model catalogue: every model file in the search path, read once, and the one
 * function that decides which model a set of settings means. */
#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "catalog.h"
#include "model-file.h"
#include "tconv-error.h"

/* The learned models' default head: FSRCNN's 9x9 transposed convolution. */
#define DEFAULT_LEARNED_KERNEL 9

int
tconv_model_head_kernel (const TconvModel *model)
{
  g_autofree int *path = g_new (int, model->n_layers);
  const int       n = tconv_model_main_path (model, path);

  for (int i = n - 1; i >= 0; i--)
    {
      const TconvLayer *l = &model->layers[path[i]];
      if (l->kind == TCONV_LAYER_CONV_TRANSPOSE2D)
        return l->weight.h;
      if (l->kind == TCONV_LAYER_RESIZE)
        for (int j = i + 1; j < n; j++)
          if (model->layers[path[j]].kind == TCONV_LAYER_CONV2D)
            return model->layers[path[j]].weight.h;
      /* a k x k conv to s^2 channels then a pixel shuffle is a transposed conv of kernel s*k */
      if (l->kind == TCONV_LAYER_PIXEL_SHUFFLE)
        for (int j = i - 1; j >= 0; j--)
          if (model->layers[path[j]].kind == TCONV_LAYER_CONV2D)
            return model->layers[path[j]].weight.h * l->factor;
    }
  return 0;
}

void
tconv_model_entry_free (TconvModelEntry *e)
{
  g_free (e->path);
  g_free (e->name);
  g_free (e->facts_json);
  g_free (e->degradation);
  tconv_model_free (e->model);
  g_free (e);
}

/* The metadata's object, or NULL. */
static JsonObject *
facts_object (JsonParser *parser, const char *facts_json)
{
  if (!facts_json || !json_parser_load_from_data (parser, facts_json, -1, NULL))
    return NULL;
  JsonNode *root = json_parser_get_root (parser);
  return JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
}

/* What a model's inputs were trained on: "jpeg" for the photo models; NULL for clean
 * (bicubic-downscaled) inputs. */
static char *
facts_degradation (JsonObject *o)
{
  const char *d = o ? json_object_get_string_member_with_default (o, "degradation", NULL) : NULL;
  return d && !g_str_equal (d, "bicubic") ? g_strdup (d) : NULL;
}

/* The facts the catalogue shows: "degradation" and pytorch_psnr_y.Set5 of the metadata. */
static void
entry_read_facts (TconvModelEntry *e)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o = facts_object (parser, e->facts_json);
  if (o == NULL)
    return;
  e->degradation = facts_degradation (o);
  JsonNode *psnr = json_object_get_member (o, "pytorch_psnr_y");
  if (psnr && JSON_NODE_HOLDS_OBJECT (psnr))
    e->set5_psnr = json_object_get_double_member_with_default (json_node_get_object (psnr),
                                                               "Set5", 0.0);
}

static int
entry_cmp (gconstpointer a, gconstpointer b)
{
  const TconvModelEntry *x = *(TconvModelEntry **) a, *y = *(TconvModelEntry **) b;
  if (x->mode != y->mode)
    return x->mode - y->mode;
  if (x->scale != y->scale)
    return x->scale - y->scale;
  if (x->kernel != y->kernel)
    return x->kernel - y->kernel;
  if ((x->degradation == NULL) != (y->degradation == NULL))
    return x->degradation == NULL ? -1 : 1;
  return strcmp (x->name, y->name);
}

GPtrArray *
tconv_model_catalog (const char *installed_dir, GString *skipped)
{
  g_auto (GStrv) dirs = tconv_model_search_path (installed_dir);
  GPtrArray  *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) tconv_model_entry_free);
  GHashTable *seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (int i = 0; dirs[i]; i++)
    {
      g_autoptr (GDir) dir = g_dir_open (dirs[i], 0, NULL);
      const char *file;
      while (dir && (file = g_dir_read_name (dir)))
        {
          if (!g_str_has_suffix (file, TCONV_MODEL_SUFFIX))
            continue;
          g_autofree char *path = g_build_filename (dirs[i], file, NULL);
          g_autoptr (GError) error = NULL;
          g_autoptr (TconvModel) model = tconv_model_load (path, &error);
          if (model == NULL)
            {
              if (skipped)
                g_string_append_printf (skipped, "%s\n", error->message);
              continue;
            }
          if (g_hash_table_contains (seen, model->name))
            continue; /* an earlier folder's model of that name wins */
          g_hash_table_add (seen, g_strdup (model->name));
          TconvModelEntry *e = g_new0 (TconvModelEntry, 1);
          e->path = g_steal_pointer (&path);
          e->name = g_strdup (model->name);
          e->mode = model->mode;
          e->scale = model->scale;
          e->kernel = tconv_model_head_kernel (model);
          e->params = tconv_model_param_count (model);
          e->facts_json = g_strdup (model->facts_json);
          e->model = g_steal_pointer (&model);
          entry_read_facts (e);
          g_ptr_array_add (entries, e);
        }
    }
  g_hash_table_unref (seen);
  g_ptr_array_sort (entries, entry_cmp);
  return entries;
}

/* Whether the automatic choice wants a photo model: the image came from a JPEG saved
 * below the measured quality. */
static gboolean
wants_photo (const TconvSettings *s)
{
  return s->source_jpeg_quality > 0 && s->source_jpeg_quality < TCONV_PHOTO_BELOW_JPEG_QUALITY;
}

/* Of two installed models that fit the settings, whether `e` is the better default: a
 * clean model before a photo one (the other way round when `photo`), then one whose
 * file states a clearly higher Set5 PSNR (0.05 dB; files that state none last), then
 * FSRCNN's kernel 9. */
static gboolean
better_default (const TconvModelEntry *e, const TconvModelEntry *best, gboolean photo)
{
  if ((e->degradation == NULL) != (best->degradation == NULL))
    return (e->degradation != NULL) == photo;
  if (fabs (e->set5_psnr - best->set5_psnr) >= 0.05)
    return e->set5_psnr > best->set5_psnr;
  return e->kernel == DEFAULT_LEARNED_KERNEL && best->kernel != DEFAULT_LEARNED_KERNEL;
}

/* "no model installed" names the folders searched and how to fill them: one rule for
 * the CLI and the plug-in, which never fall back to a fixed kernel on their own (a
 * user asking for a learned upscale would get bicubic without knowing). */
static void
set_none_installed (const TconvSettings *s, const char *installed_dir, GError **error)
{
  g_auto (GStrv) dirs = tconv_model_search_path (installed_dir);
  g_autofree char *searched = g_strjoinv (", ", dirs);
  g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO,
               _("no %s model is installed (searched: %s); install the models with "
                 "\"meson install\", copy .safetensors files into one of those folders or "
                 "name a folder in TCONV_MODEL_PATH; or use mode kernel (a fixed kernel, no "
                 "model)"), tconv_mode_name (s->mode), *searched ? searched : _("no folder"));
}

/* Adds " xN" or " N" to `list` unless it already names it. */
static void
add_once (GString *list, const char *format, int value)
{
  g_autofree char *item = g_strdup_printf (format, value);
  g_autofree char *padded = g_strdup_printf (", %s,", item);
  g_autofree char *haystack = g_strdup_printf (", %s,", list->str);

  if (strstr (haystack, padded) == NULL)
    g_string_append_printf (list, "%s%s", list->len ? ", " : "", item);
}

/* Why no installed model fits: the scales installed, or the kernels of this scale. */
static void
set_not_offered (const TconvSettings *s, int scale, GPtrArray *all, GError **error)
{
  g_autoptr (GString) scales = g_string_new (NULL);
  g_autoptr (GString) kernels = g_string_new (NULL);

  for (guint i = 0; i < all->len; i++)
    {
      const TconvModelEntry *e = all->pdata[i];
      if (e->mode != s->mode)
        continue;
      add_once (scales, "x%d", e->scale);
      if (e->scale == scale)
        add_once (kernels, "%d", e->kernel);
    }
  if (kernels->len == 0)
    g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                 _("no %s model for scale %d (installed scales: %s); the fixed kernels "
                   "(mode kernel) take any scale"), tconv_mode_name (s->mode), scale, scales->str);
  else
    g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                 _("no %s x%d model with kernel %d (installed kernels at x%d: %s)"),
                 tconv_mode_name (s->mode), scale, s->kernel, scale, kernels->str);
}

/* The installed model for a learned mode, scale and kernel (0: the best default). */
static TconvModel *
find_learned (const TconvSettings *s, int scale, GPtrArray *all, const char *installed_dir,
              GError **error)
{
  TconvModelEntry *best = NULL;
  gboolean         any = FALSE;

  for (guint i = 0; i < all->len; i++)
    {
      TconvModelEntry *e = all->pdata[i];
      if (e->mode != s->mode)
        continue;
      any = TRUE;
      if (e->scale != scale || (s->kernel && e->kernel != s->kernel))
        continue;
      if (best == NULL || better_default (e, best, wants_photo (s)))
        best = e;
    }
  if (!any)
    {
      set_none_installed (s, installed_dir, error);
      return NULL;
    }
  if (best == NULL)
    {
      set_not_offered (s, scale, all, error);
      return NULL;
    }
  return tconv_model_ref (best->model);
}

/* A model named by the settings: an entry of the catalogue, else a file. */
static TconvModel *
find_named (const char *name, GPtrArray *all, const char *installed_dir, GError **error)
{
  for (guint i = 0; i < all->len; i++)
    {
      TconvModelEntry *e = all->pdata[i];
      g_autofree char *file = g_path_get_basename (e->path);
      /* a name is a file name in the search path, as tconv_model_find resolves it */
      if (g_str_equal (e->path, name)
          || (g_str_has_prefix (file, name) && g_str_equal (file + strlen (name), TCONV_MODEL_SUFFIX)))
        return tconv_model_ref (e->model);
    }
  g_autofree char *path = tconv_model_find (name, installed_dir, error);
  return path ? tconv_model_load (path, error) : NULL;
}

TconvModel *
tconv_settings_model (const TconvSettings *s, int channels, const char *installed_dir,
                      GError **error)
{
  if (s->mode == TCONV_MODE_KERNEL)
    return tconv_settings_model_in (s, channels, NULL, installed_dir, error);
  g_autoptr (GPtrArray) all = tconv_model_catalog_shared (installed_dir);
  return tconv_settings_model_in (s, channels, all, installed_dir, error);
}

TconvModel *
tconv_settings_model_in (const TconvSettings *s, int channels, GPtrArray *catalog,
                         const char *installed_dir, GError **error)
{
  TconvModel *model;
  int         scale = s->scale ? s->scale : 2;

  if (!tconv_settings_check (s, error))
    return NULL;
  if (s->mode == TCONV_MODE_KERNEL)
    {
      TconvKernelSpec spec = { s->interpolation, scale, s->kernel, s->padding, s->output_padding,
                               s->dilation };
      return tconv_kernel_model_new (&spec, channels, error);
    }

  if (!tconv_settings_model_is_auto (s))
    {
      if ((model = find_named (s->model, catalog, installed_dir, error)) == NULL)
        return NULL;
      if (s->scale && model->scale != s->scale)
        {
          g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                       _("model %s upscales by %d, not by the requested scale %d"), model->name,
                       model->scale, s->scale);
          tconv_model_free (model);
          return NULL;
        }
    }
  else if ((model = find_learned (s, scale, catalog, installed_dir, error)) == NULL)
    return NULL;

  /* A trained head's geometry is fixed: padding can only be what it was trained with. */
  const TconvLayer *head = tconv_model_upsampling_layer (model);
  if ((s->padding >= 0 || s->output_padding >= 0)
      && (head == NULL || (s->padding >= 0 && s->padding != head->transposed.padding[0])
          || (s->output_padding >= 0 && s->output_padding != head->transposed.output_padding[0])))
    {
      if (head)
        g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                     _("model %s was trained with padding %d and output padding %d; use -1 (or "
                     "those values), or mode kernel to try others"), model->name,
                     head->transposed.padding[0], head->transposed.output_padding[0]);
      else
        g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                     _("model %s has no transposed convolution; padding must be -1"), model->name);
      tconv_model_free (model);
      return NULL;
    }
  return model;
}

gboolean
tconv_settings_model_is_auto (const TconvSettings *s)
{
  return s->mode != TCONV_MODE_KERNEL
         && (s->model == NULL || !*s->model || g_str_equal (s->model, "auto"));
}

char *
tconv_settings_model_why (const TconvSettings *s, const TconvModel *model)
{
  const int q = s->source_jpeg_quality, below = TCONV_PHOTO_BELOW_JPEG_QUALITY;

  if (!tconv_settings_model_is_auto (s) || model == NULL)
    return NULL;
  if (q <= 0)
    return g_strdup_printf (_("auto: %s (not read from a JPEG)"), model->name);
  if (q >= below)
    return g_strdup_printf (_("auto: %s (JPEG quality ~%d >= %d)"), model->name, q, below);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *degradation = facts_degradation (facts_object (parser, model->facts_json));
  if (degradation == NULL)
    return g_strdup_printf (_("auto: %s (JPEG quality ~%d < %d, but no photo model of this "
                              "mode and scale is installed)"), model->name, q, below);
  return g_strdup_printf (_("auto: %s (JPEG quality ~%d < %d)"), model->name, q, below);
}

/* ---- the process's catalogue ------------------------------------------------------- */

static GMutex      shared_lock;
static GHashTable *shared; /* installed_dir ("" for none) -> GPtrArray */

GPtrArray *
tconv_model_catalog_shared (const char *installed_dir)
{
  g_mutex_lock (&shared_lock);
  if (shared == NULL)
    shared = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                    (GDestroyNotify) g_ptr_array_unref);
  const char *key = installed_dir ? installed_dir : "";
  GPtrArray  *all = g_hash_table_lookup (shared, key);
  if (all == NULL)
    {
      all = tconv_model_catalog (installed_dir, NULL);
      g_hash_table_insert (shared, g_strdup (key), all);
    }
  g_ptr_array_ref (all);
  g_mutex_unlock (&shared_lock);
  return all;
}
