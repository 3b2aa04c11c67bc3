/* tconv — command line: upscale, forward, info, models, eval, artifacts. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#include "artifacts.h"
#include "batch.h"
#include "choices.h"
#include "explain.h"
#include "execute.h"
#include "model-geometry.h"
#include "image-io.h"
#include "png-pipeline.h"
#include "png-save.h"
#include "jpeg-degrade.h"
#include "jpeg-quality.h"
#include "layer-kinds.h"
#include "imresize.h"
#include "model-file.h"
#include "safetensors.h"
#include "catalog.h"
#include "sr-metrics.h"
#include "tconv-error.h"
#include "temporaries.h"

/* The installed models: beside the program, when its tree was moved whole (a --destdir
 * install, an unpacked archive), else where the build was configured to put them. */
static const char *
installed_models (void)
{
  static char *dir;
  if (g_once_init_enter (&dir))
    {
      g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
      g_autofree char *bindir = exe ? g_path_get_dirname (exe) : NULL;
      g_autofree char *beside = bindir && TCONV_MODELS_FROM_BINDIR[0]
                                  ? g_build_filename (bindir, TCONV_MODELS_FROM_BINDIR, NULL)
                                  : NULL;
      g_once_init_leave (&dir, beside && g_file_test (beside, G_FILE_TEST_IS_DIR)
                                 ? g_canonicalize_filename (beside, NULL)
                                 : g_strdup (TCONV_INSTALLED_MODELS));
    }
  return dir;
}
#define TCONV_MODELS_DIR installed_models ()

/* ---- shared flags ------------------------------------------------------------------ */

typedef struct
{
  TconvSettings s;
  char         *mode, *interp, *model;
  int           stride; /* --stride is a synonym of --scale */
  gboolean      quiet, verbose;
} Flags;

/* "[prefix]a, b or c" for a choice flag's help; made once per list, kept for the process. */
static const char *
choice_help (const TconvChoiceList *list, const char *prefix)
{
  static GHashTable *made;
  if (made == NULL)
    made = g_hash_table_new (NULL, NULL);
  char *help = g_hash_table_lookup (made, list);
  if (help == NULL)
    {
      g_autofree char *nicks = tconv_choice_nicks (list, TCONV_IN_CLI);
      help = g_strconcat (prefix ? prefix : "", nicks, NULL);
      g_hash_table_insert (made, (gpointer) list, help);
    }
  return help;
}

/* GOptionEntries generated from the settings table, plus the string choices. */
static GOptionEntry *
flag_entries (Flags *f, gboolean with_model)
{
  GArray *a = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));

  for (int i = 0; i < tconv_n_int_settings; i++)
    {
      const TconvIntSetting *d = &tconv_int_settings[i];
      /* the range the flag is checked against (flags_check_ranges), made once per process */
      static char **help;
      if (help == NULL)
        help = g_new0 (char *, tconv_n_int_settings);
      if (help[i] == NULL)
        help[i] = g_strdup_printf ("%s (%d to %d)", d->description, d->min, d->max);
      GOptionEntry e = { d->flag, 0, 0, G_OPTION_ARG_INT, G_STRUCT_MEMBER_P (&f->s, d->offset),
                         help[i], "N" };
      g_array_append_val (a, e);
    }
  GOptionEntry extra[] = {
    { "stride", 0, 0, G_OPTION_ARG_INT, &f->stride, "Same as --scale", "S" },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &f->mode, choice_help (&tconv_mode_list, NULL), "MODE" },
    { "interp", 0, 0, G_OPTION_ARG_STRING, &f->interp,
      choice_help (&tconv_kernel_shape_list, "Kernel mode: "), "NAME" },
    { "model", 0, 0, G_OPTION_ARG_STRING, &f->model,
      "Model name or .safetensors file; auto (the default): the clean model of the mode and "
      "scale, the photo model for a JPEG saved below quality "
      G_STRINGIFY (TCONV_PHOTO_BELOW_JPEG_QUALITY), "M" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &f->quiet, "No progress bar", NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (extra); i++)
    if (with_model || !g_str_equal (extra[i].long_name, "model"))
      g_array_append_val (a, extra[i]);
  return (GOptionEntry *) g_array_free (a, FALSE);
}

/* --scale and --stride not given, told apart from a given 0 */
#define FLAG_UNSET G_MININT

static void
flags_init (Flags *f)
{
  memset (f, 0, sizeof *f);
  tconv_settings_init (&f->s);
  f->s.scale = f->stride = FLAG_UNSET;
}

/* Each integer flag within the range its table row declares, before any model is chosen. */
static gboolean
flags_check_ranges (const Flags *f, GError **error)
{
  for (int i = 0; i < tconv_n_int_settings; i++)
    {
      const TconvIntSetting *d = &tconv_int_settings[i];
      int                    v = G_STRUCT_MEMBER (int, &f->s, d->offset);
      g_autofree char       *flag = g_strconcat ("--", d->flag, NULL);
      if (v != FLAG_UNSET && !tconv_flag_in_range (flag, v, d->min, d->max, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
flags_resolve (Flags *f, GError **error)
{
  if (f->stride != FLAG_UNSET)
    {
      if (f->s.scale != FLAG_UNSET && f->s.scale != f->stride)
        {
          g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                       "--scale %d and --stride %d disagree", f->s.scale, f->stride);
          return FALSE;
        }
      f->s.scale = f->stride;
    }
  if (!flags_check_ranges (f, error))
    return FALSE;
  if (f->s.scale == FLAG_UNSET)
    f->s.scale = 0; /* the model's, else 2 */
  if (f->mode && !tconv_settings_parse_mode (f->mode, &f->s.mode, error))
    return FALSE;
  if (f->interp && !tconv_kernel_shape_parse (f->interp, &f->s.interpolation, error))
    return FALSE;
  if (f->interp && !f->mode)
    f->s.mode = TCONV_MODE_KERNEL; /* --interp alone asks for a fixed kernel */
  f->s.model = f->model;
  return TRUE;
}

/* The model for the flags and an image (its JPEG quality steers the automatic choice). */
static TconvModel *
flags_model (const Flags *f, int channels, int jpeg_quality, GError **error)
{
  TconvSettings s = f->s;
  s.source_jpeg_quality = jpeg_quality;
  return tconv_settings_model (&s, channels, TCONV_MODELS_DIR, error);
}

/* ---- progress bar ------------------------------------------------------------------ */

static void
progress_bar (gpointer data, double fraction)
{
  const int width = 40, fill = (int) (fraction * width);
  (void) data;
  fprintf (stderr, "\r[%.*s%*s] %3d%%", fill, "########################################",
           width - fill, "", (int) (fraction * 100));
  if (fraction >= 1.0)
    fputc ('\n', stderr);
  fflush (stderr);
}

static TconvRunOptions
run_options (const Flags *f)
{
  TconvRunOptions o = { f->s.tile_size, f->s.threads, NULL, NULL, NULL, FALSE };
  if (!f->quiet && isatty (STDERR_FILENO))
    o.progress = progress_bar;
  return o;
}

static gboolean
parse (GOptionContext *ctx, GOptionEntry *entries, int *argc, char ***argv, GError **error)
{
  gboolean ok;
  g_option_context_add_main_entries (ctx, entries, NULL);
  ok = g_option_context_parse (ctx, argc, argv, error);
  g_free (entries);
  return ok;
}

/* ---- upscale ----------------------------------------------------------------------- */

/* The models of one run, by image channel count (kernels depend on it) and JPEG quality
 * (the automatic choice reads it; 0 = not a JPEG), each made once. */
typedef struct
{
  Flags      *flags;
  gboolean    batch; /* many images: the batch shows progress, not each image */
  int         png_level;
  GMutex      lock;
  TconvModel *models[5][101];
} Upscaler;

/* The model for the image IN of `channels` channels; with -v, says which and why. */
static TconvModel *
model_for_image (Upscaler *u, const char *in, int channels, GError **error)
{
  const Flags *f = u->flags;
  int          q = 0;

  if (tconv_settings_model_is_auto (&f->s) && !tconv_jpeg_file_quality (in, &q, NULL, error))
    return NULL;
  g_mutex_lock (&u->lock);
  TconvModel **slot = &u->models[channels][q];
  if (*slot == NULL)
    *slot = flags_model (f, channels, q, error);
  TconvModel *m = *slot ? tconv_model_ref (*slot) : NULL;
  g_mutex_unlock (&u->lock);
  if (m && f->verbose)
    {
      TconvSettings s = f->s;
      s.source_jpeg_quality = q;
      g_autofree char *why = tconv_settings_model_why (&s, m);
      fprintf (stderr, "%s: %s\n", in, why ? why : m->name);
    }
  return m;
}

/* PNG or JPEG without GEGL (png-pipeline.h); the model is chosen once the header is read. */
static gboolean
upscale_png (Upscaler *u, const char *in, const char *out, int threads, int quality,
             GError **error)
{
  int w, h, ow, oh, channels;
  if (!tconv_pipeline_header (in, &w, &h, &channels, error))
    return FALSE;
  g_autoptr (TconvModel) model = model_for_image (u, in, channels, error);
  if (model == NULL)
    return FALSE;
  TconvRunOptions  options = run_options (u->flags);
  TconvPngPipeline p = { u->png_level, quality };
  options.threads = threads ? threads : options.threads;
  if (u->batch)
    options.progress = NULL;
  if (!tconv_png_pipeline_run (model, in, out, &p, &options, &w, &h, &ow, &oh, error))
    return FALSE;
  if (!u->flags->quiet && !u->batch)
    fprintf (stderr, "%s: %dx%d -> %dx%d with %s\n", out, w, h, ow, oh, model->name);
  return TRUE;
}

/* IN -> OUT, the whole image or nothing (tconv_image_save writes a temporary first). */
static gboolean
upscale_file (gpointer data, const char *in, const char *out, int threads, int quality,
              GError **error)
{
  Upscaler  *u = data;
  TconvImage image;
  int        ow, oh;
  gsize      n;

  if (!tconv_output_name_check (out, error))
    return FALSE;
  if (tconv_pipeline_takes (in, out))
    return upscale_png (u, in, out, threads, quality, error);
  if (!tconv_image_load (in, &image, error))
    return FALSE;
  g_autoptr (TconvModel) model = model_for_image (u, in, image.channels, error);
  gboolean ok = model != NULL
                && tconv_engine_output_size (model, image.width, image.height, &ow, &oh, error);
  if (ok && (ow > 524288 || oh > 524288))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_TOO_LARGE,
                   "%s: the output would be %dx%d pixels; the limit is 524288 per side", in, ow,
                   oh);
      ok = FALSE;
    }
  if (ok)
    ok = tconv_checked_numel (1, image.channels, oh, ow, "output image", &n, error);
  if (ok)
    {
      GeglBuffer     *result = tconv_image_new_like (&image, ow, oh);
      TconvRunOptions options = run_options (u->flags);
      options.threads = threads ? threads : options.threads;
      if (u->batch)
        options.progress = NULL;
      TconvSaveOptions save = { image.bits, quality, u->png_level, 0, 0, NULL };
      guint32          x_ppm, y_ppm;
      /* a PNG's profile is kept as it was, and its resolution scaled: the same print size */
      if (tconv_png_read_facts (in, &x_ppm, &y_ppm, &save.icc))
        save.x_ppm = (guint32) ((double) x_ppm * ow / image.width + 0.5),
        save.y_ppm = (guint32) ((double) y_ppm * oh / image.height + 0.5);
      ok = tconv_gegl_upscale (model, image.buffer, result, &options, error)
           && tconv_image_save_with (result, &save, out, error);
      g_clear_pointer (&save.icc, g_bytes_unref);
      g_object_unref (result);
      if (ok && !u->flags->quiet && !u->batch)
        fprintf (stderr, "%s: %dx%d -> %dx%d with %s\n", out, image.width, image.height, ow, oh,
                 model->name);
    }
  tconv_image_clear (&image);
  return ok;
}

static gboolean
cmd_upscale (int argc, char **argv, GError **error)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new (
    "IN OUT | -o OUTDIR IN... - upscale an image, or files and folders of them");
  TconvBatchOptions batch;
  Upscaler          u = { 0 };
  Flags             f;
  gboolean          ok;

  flags_init (&f);
  tconv_batch_options_init (&batch);
  u.png_level = TCONV_DEFAULT_PNG_LEVEL;
  g_autofree GOptionEntry *batch_entries = tconv_batch_entries (&batch);
  GOptionEntry             upscale_entries[] = {
    { "png-level", 0, 0, G_OPTION_ARG_INT, &u.png_level,
      "PNG deflate level, 0-9 (default 3: fast; 9: smallest files)", "N" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &f.verbose, "Say which model each image gets, and why",
      NULL },
    { NULL }
  };
  g_option_context_add_main_entries (ctx, batch_entries, NULL);
  g_option_context_add_main_entries (ctx, upscale_entries, NULL);
  if (!parse (ctx, flag_entries (&f, TRUE), &argc, &argv, error) || !flags_resolve (&f, error))
    return FALSE;
  if (!batch.outdir && argc != 3)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "usage: tconv upscale IN OUT, or tconv upscale -o OUTDIR IN...; see --help");
      return FALSE;
    }
  if (!tconv_flag_in_range ("--png-level", u.png_level, 0, 9, error)
      || !tconv_batch_options_check (&batch, error))
    return FALSE;
  if (!batch.outdir && tconv_same_file (argv[1], argv[2]))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "%s would be overwritten by its own result (%s is the same file); give "
                   "another output name", argv[1], argv[2]);
      return FALSE;
    }
  if (!batch.outdir && !tconv_output_name_check (argv[2], error))
    return FALSE;
  tconv_temporaries_catch_signals ();
  u.flags = &f;
  u.batch = batch.outdir != NULL;
  g_mutex_init (&u.lock);
  batch.quiet = f.quiet;
  if (batch.max_pixels > 0)
    tconv_image_set_max_pixels (batch.max_pixels);
  ok = batch.outdir ? tconv_batch_run (&batch, argv + 1, argc - 1, upscale_file, &u, error)
                    : upscale_file (&u, argv[1], argv[2], 0, batch.quality, error);
  for (int c = 0; c < 5; c++)
    for (int q = 0; q <= 100; q++)
      tconv_model_free (u.models[c][q]);
  g_mutex_clear (&u.lock);
  g_free (batch.outdir), g_free (batch.glob), g_free (batch.suffix), g_free (batch.format);
  return ok;
}

/* ---- forward ----------------------------------------------------------------------- */

/* The raw graph on every image of the batch, tiled over the threads by the engine (raw:
 * no colour, range or clamping), which holds it equal to the untiled pass; tensors the
 * engine cannot take (more than 4 channels, other than the model's) run untiled. */
static gboolean
forward_tiled (const TconvModel *model, const TconvTensor *x, int threads, int tile,
               gboolean whole, TconvTensor *out, GError **error)
{
  TconvImageInfo  info = { x->w, x->h, x->c };
  TconvRunOptions o = { .tile_size = tile, .threads = threads, .raw = TRUE };
  int             ow, oh;
  if (whole || x->c > 4 || x->c != model->channels
      || !tconv_engine_output_size (model, x->w, x->h, &ow, &oh, NULL))
    return tconv_model_forward (model, x, out, error);
  *out = (TconvTensor) { x->n, x->c, oh, ow, NULL };
  gsize             in_px = (gsize) x->w * x->h, out_px = (gsize) ow * oh;
  g_autofree float *hwc = g_try_new (float, in_px * x->c);
  g_autofree float *ohwc = g_try_new (float, out_px * x->c);
  if (hwc == NULL || ohwc == NULL || !tconv_tensor_alloc (out, "forward output", error))
    {
      if (error && *error == NULL)
        g_set_error (error, TCONV_ERROR, TCONV_ERROR_NO_MEMORY, "not enough memory for a %dx%d output", ow, oh);
      return FALSE;
    }
  for (int n = 0; n < x->n; n++)
    {
      for (int c = 0; c < x->c; c++)
        for (gsize i = 0; i < in_px; i++)
          hwc[i * x->c + c] = tconv_tensor_plane (x, n, c)[i];
      if (!tconv_engine_run_pixels_direct (model, &info, hwc, ohwc, &o, error))
        {
          tconv_tensor_free (out);
          return FALSE;
        }
      for (int c = 0; c < x->c; c++)
        for (gsize i = 0; i < out_px; i++)
          tconv_tensor_plane (out, n, c)[i] = ohwc[i * x->c + c];
    }
  return TRUE;
}

static gboolean
cmd_forward (int argc, char **argv, GError **error)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new (
    "MODEL IN.safetensors OUT.safetensors - run the raw graph on tensor \"input\"");
  int          threads = 0, tile = 0;
  gboolean     whole = FALSE;
  GOptionEntry entries[] = { { "threads", 0, 0, G_OPTION_ARG_INT, &threads,
                               "Worker threads; 0 = all cores", "N" },
                             { "tile", 0, 0, G_OPTION_ARG_INT, &tile,
                               "Tile side in input pixels; 0 = automatic", "N" },
                             { "whole", 0, 0, G_OPTION_ARG_NONE, &whole,
                               "One pass over the whole tensor, untiled", NULL },
                             { NULL } };
  g_autoptr (TconvModel) model = NULL;
  g_autoptr (TconvSafetensors) st = NULL;
  g_autofree char *path = NULL;
  TconvTensor      out;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, error)
      || !tconv_flag_in_range ("--threads", threads, 0, 64, error))
    return FALSE;
  if (argc != 4)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "usage: tconv forward MODEL IN.safetensors OUT.safetensors");
      return FALSE;
    }
  if (!(path = tconv_model_find (argv[1], TCONV_MODELS_DIR, error))
      || !(model = tconv_model_load (path, error)) || !(st = tconv_safetensors_load (argv[2], error)))
    return FALSE;
  TconvStTensor *in = g_hash_table_lookup (st->tensors, "input");
  if (in == NULL || in->n_dims != 4)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "%s has no 4-D tensor \"input\" (N, C, H, W)", argv[2]);
      return FALSE;
    }
  TconvTensor x = { (int) in->shape[0], (int) in->shape[1], (int) in->shape[2],
                    (int) in->shape[3], in->data };
  if (!forward_tiled (model, &x, threads, tile, whole, &out, error))
    return FALSE;
  const char        *names[] = { "output" };
  const TconvTensor *tensors[] = { &out };
  gboolean           ok = tconv_safetensors_save (argv[3], names, tensors, 1, error);
  tconv_tensor_free (&out);
  return ok;
}

/* ---- info / models ----------------------------------------------------------------- */

static void
print_facts (const char *facts_json)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  if (facts_json == NULL || !json_parser_load_from_data (p, facts_json, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
    return;
  JsonObject *o = json_node_get_object (json_parser_get_root (p));
  g_autoptr (GList) keys = json_object_get_members (o);
  for (GList *k = keys; k; k = k->next)
    {
      if (g_str_equal (k->data, "layers") || g_str_equal (k->data, "format")
          || g_str_equal (k->data, "version"))
        continue;
      g_autofree char *v = json_to_string (json_object_get_member (o, k->data), FALSE);
      printf ("  %-14s %s\n", (char *) k->data, v);
    }
}

/* What does the upsampling, in words: the last resolution change of the graph. */
static char *
head_description (const TconvModel *model)
{
  const int       k = tconv_model_head_kernel (model);
  g_autofree int *path = g_new (int, model->n_layers);
  for (int i = tconv_model_main_path (model, path) - 1; i >= 0; i--)
    {
      const TconvLayer *l = &model->layers[path[i]];
      if (l->kind == TCONV_LAYER_CONV_TRANSPOSE2D)
        return g_strdup_printf ("transposed convolution %dx%d, stride %d", l->weight.h,
                                l->weight.w, l->transposed.stride[0]);
      if (l->kind == TCONV_LAYER_RESIZE)
        return g_strdup_printf ("%s resize x%d, then a %dx%d convolution",
                                tconv_interp_name (l->resize.interp), l->resize.factor, k, k);
      if (l->kind == TCONV_LAYER_PIXEL_SHUFFLE)
        return g_strdup_printf ("%dx%d convolution + pixel shuffle x%d (a transposed convolution "
                                "%dx%d, stride %d)", k / l->factor, k / l->factor, l->factor, k, k,
                                l->factor);
    }
  return g_strdup ("none");
}

/* How the engine runs it: its steps, the streamed prefix, a tile's working memory. */
static void
print_plan (const TconvModel *model)
{
  g_autoptr (TconvPlan) plan = tconv_plan_new (model, NULL);
  const int tile = tconv_engine_auto_tile (model), side = tile + 2 * plan->halo;

  printf ("  plan: %d steps, %d row-streamed; ", plan->n_steps, plan->n_streamed);
  if (plan->whole_image)
    printf ("%.0f bytes per input pixel, the whole image at once\n",
            plan->bytes_per_input_pixel);
  else
    printf ("tiles of %d px + halo: %.1f MiB each (%.0f bytes per input pixel layer by layer)%s\n",
            tile, plan->bytes_per_input_pixel * side * side / (1 << 20),
            plan->bytes_per_input_pixel,
            tconv_engine_whole_pays (tile, plan->halo, plan->bytes_per_input_pixel, 1.0,
                                     g_get_num_processors ())
              ? "; the halo costs more than the threads gain: images whose layers fit 1 GiB "
                "run whole"
              : "");
}

/* One line per layer: index, kind, channels, parameters, and (in a graph) its inputs. */
static void
print_layer (const TconvModel *model, int i)
{
  const TconvLayer *l = &model->layers[i];
  g_autoptr (GString) text = g_string_new (NULL);
  char              buf[32];

  tconv_layer_kind_info (l->kind)->describe (l, text);
  printf ("  %2d %-18s %4d -> %-4d %s", i, tconv_layer_kind_name (l->kind), l->in_channels,
          l->out_channels, text->str);
  if (model->is_graph)
    {
      printf ("%s%s <-", text->len ? "  " : "", l->name ? l->name : "");
      for (int k = 0; k < l->n_inputs; k++)
        printf (" %s", tconv_layer_label (model, l->inputs[k], buf));
    }
  printf ("\n");
}

static gboolean
cmd_info (int argc, char **argv, GError **error)
{
  g_autoptr (TconvModel) model = NULL;
  g_autofree char *path = NULL;
  int              halo, align;

  if (argc != 2)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT, "usage: tconv info MODEL");
      return FALSE;
    }
  if (!(path = tconv_model_find (argv[1], TCONV_MODELS_DIR, error))
      || !(model = tconv_model_load (path, error)))
    return FALSE;
  const gboolean bounded = tconv_model_tiling (model, &halo, &align);
  g_autofree char *tiling = bounded ? g_strdup_printf ("halo %d px", halo)
                                    : g_strdup ("whole image at once (a global pool reads "
                                                "every pixel)");
  printf ("%s (%s)\n  scale %d, mode %s, color %s, %" G_GSIZE_FORMAT " parameters, %s\n",
          model->name, path, model->scale, tconv_mode_name (model->mode),
          model->color == TCONV_COLOR_Y ? "y" : "rgb", tconv_model_param_count (model), tiling);
  if (model->is_graph)
    {
      printf ("  graph of %d layers (each: index, kind, channels, parameters, name <- inputs)\n",
              model->n_layers);
      print_plan (model);
    }
  g_autofree char *head = head_description (model);
  float            lo, hi;
  tconv_model_value_range (model, &lo, &hi);
  printf ("  head: %s; values %g to %g\n", head, lo, hi);
  for (int i = 0; i < model->n_layers; i++)
    print_layer (model, i);
  print_facts (model->facts_json);
  return TRUE;
}

static gboolean
cmd_models (int argc, char **argv, GError **error)
{
  g_autoptr (GString) skipped = g_string_new (NULL);
  g_autoptr (GPtrArray) all = tconv_model_catalog (TCONV_MODELS_DIR, skipped);
  g_auto (GStrv) dirs = tconv_model_search_path (TCONV_MODELS_DIR);
  (void) argc, (void) argv, (void) error;

  printf ("%-24s %-12s %5s %6s %7s %-7s %5s  %s\n", "name", "mode", "scale", "kernel", "params",
          "inputs", "Set5", "file");
  for (guint i = 0; i < all->len; i++)
    {
      TconvModelEntry *e = all->pdata[i];
      g_autofree char *set5 = e->set5_psnr > 0 ? g_strdup_printf ("%.2f", e->set5_psnr)
                                               : g_strdup ("-");
      /* "photo": trained on JPEG-degraded inputs (the file's degradation fact) */
      printf ("%-24s %-12s %5d %6d %7" G_GSIZE_FORMAT " %-7s %5s  %s\n", e->name,
              tconv_mode_name (e->mode), e->scale, e->kernel, e->params,
              e->degradation ? "photo" : "clean", set5, e->path);
    }
  if (all->len == 0)
    printf ("(none)\n");
  g_autofree char *joined = g_strjoinv (":", dirs);
  printf ("searched: %s\n", joined);
  if (skipped->len)
    fprintf (stderr, "skipped:\n%s", skipped->str);
  return TRUE;
}

/* ---- eval -------------------------------------------------------------------------- */

/* The image's pixels, modcropped to a multiple of scale, as interleaved floats in its own
 * colour space: R'G'B' (when `rgb` or the image has colour) or Y'; *w, *h and *channels
 * get the cropped size and the channel count. */
static float *
load_modcropped (const char *path, int scale, gboolean rgb, int *w, int *h, int *channels,
                 GError **error)
{
  TconvImage img;
  if (!tconv_image_load (path, &img, error))
    return NULL;
  /* gray images: their gray value for the SRCNN protocol's Y, or as R = G = B */
  int         n = rgb || img.channels >= 3 ? 3 : 1;
  const Babl *fmt = babl_format_with_space (n == 3 ? "R'G'B' float" : "Y' float",
                                            gegl_buffer_get_format (img.buffer));
  *w = img.width - img.width % scale, *h = img.height - img.height % scale, *channels = n;
  float *px = g_new (float, (gsize) *w * *h * n);
  gegl_buffer_get (img.buffer, GEGL_RECTANGLE (0, 0, *w, *h), 1.0, fmt, px, GEGL_AUTO_ROWSTRIDE,
                   GEGL_ABYSS_NONE);
  tconv_image_clear (&img);
  return px;
}

/* Y plane in [0, 1] (gray images: the gray value), modcropped to a multiple of scale. */
static gboolean
load_y (const char *path, int scale, TconvTensor *y, GError **error)
{
  int    w, h, n;
  float *px = load_modcropped (path, scale, FALSE, &w, &h, &n, error);
  if (px == NULL)
    return FALSE;
  *y = (TconvTensor) { 1, 1, h, w, NULL };
  gboolean ok = tconv_tensor_alloc (y, "image", error);
  for (gsize i = 0; ok && i < (gsize) w * h; i++)
    y->data[i] = n == 3 ? tconv_rgb_to_y (px[3 * i], px[3 * i + 1], px[3 * i + 2]) : px[i];
  g_free (px);
  return ok;
}

/* The image's R'G'B' planes [1, 3, H, W] in [0, 1] (gray images repeated in all three),
 * modcropped to a multiple of scale. */
static gboolean
load_rgb (const char *path, int scale, TconvTensor *rgb, GError **error)
{
  int    w, h, n;
  float *px = load_modcropped (path, scale, TRUE, &w, &h, &n, error);
  if (px == NULL)
    return FALSE;
  gsize plane = (gsize) w * h;
  *rgb = (TconvTensor) { 1, 3, h, w, NULL };
  gboolean ok = tconv_tensor_alloc (rgb, "image", error);
  for (gsize i = 0; ok && i < plane; i++)
    for (int c = 0; c < 3; c++)
      rgb->data[c * plane + i] = px[3 * i + c];
  g_free (px);
  return ok;
}

static gboolean
y_of_rgb (const TconvTensor *rgb, TconvTensor *y, GError **error)
{
  gsize plane = (gsize) rgb->h * rgb->w;
  *y = (TconvTensor) { 1, 1, rgb->h, rgb->w, NULL };
  if (!tconv_tensor_alloc (y, "Y plane", error))
    return FALSE;
  for (gsize i = 0; i < plane; i++)
    y->data[i] = tconv_rgb_to_y (rgb->data[i], rgb->data[plane + i], rgb->data[2 * plane + i]);
  return TRUE;
}

static gboolean
imresize_new (const TconvTensor *in, double scale, TconvTensor *out, GError **error)
{
  *out = (TconvTensor) { in->n, in->c, 0, 0, NULL };
  return tconv_imresize_output_len (in->h, scale, &out->h, error)
         && tconv_imresize_output_len (in->w, scale, &out->w, error)
         && tconv_tensor_alloc (out, "resized image", error)
         && tconv_imresize (in, scale, out, error);
}

/* HR Y and the low-resolution input of the protocol: the SRCNN one (the HR's Y, gray
 * images' gray value, downscaled in float) when jpeg_quality is 0, else the photo one (the
 * RGB image downscaled, JPEG at that quality, the decoded image's Y), as
 * weights/train/degrade.py makes them.  An RGB model's input is the downscaled (and
 * JPEG-decoded) R'G'B' planes themselves. */
static gboolean
protocol_pair (const char *path, int scale, int jpeg_quality, gboolean rgb_model, TconvTensor *hr,
               TconvTensor *lr, GError **error)
{
  TconvTensor rgb = { 0 }, small = { 0 }, decoded = { 0 };
  gboolean    ok;

  if (jpeg_quality == 0 && !rgb_model)
    return load_y (path, scale, hr, error) && imresize_new (hr, 1.0 / scale, lr, error);
  ok = load_rgb (path, scale, &rgb, error) && y_of_rgb (&rgb, hr, error)
       && imresize_new (&rgb, 1.0 / scale, &small, error)
       && (jpeg_quality == 0 || tconv_jpeg_roundtrip (&small, jpeg_quality, &decoded, error));
  const TconvTensor *input = jpeg_quality ? &decoded : &small;
  if (ok && rgb_model)
    {
      *lr = *input;
      if (input == &small)
        small.data = NULL;
      else
        decoded.data = NULL;
    }
  else if (ok)
    ok = y_of_rgb (input, lr, error);
  tconv_tensor_free (&rgb);
  tconv_tensor_free (&small);
  tconv_tensor_free (&decoded);
  return ok;
}

/* Runs the model on the LR planes (1 or 3) and gives the Y of its output. */
static gboolean
upscale_to_y (const TconvModel *model, const TconvTensor *lr, const TconvRunOptions *opts,
              TconvTensor *sr_y, GError **error)
{
  const int      c = lr->c, ow = lr->w * model->scale, oh = lr->h * model->scale;
  const gsize    plane = (gsize) lr->w * lr->h, out_plane = (gsize) ow * oh;
  TconvImageInfo info = { lr->w, lr->h, c };
  float         *in = g_new (float, plane * c), *out = g_new (float, out_plane * c);
  gboolean       ok;

  for (gsize i = 0; i < plane; i++) /* planes -> interleaved, as images are */
    for (int k = 0; k < c; k++)
      in[i * c + k] = lr->data[k * plane + i];
  *sr_y = (TconvTensor) { 1, 1, oh, ow, NULL };
  ok = tconv_engine_run_pixels_direct (model, &info, in, out, opts, error)
       && tconv_tensor_alloc (sr_y, "result", error);
  for (gsize i = 0; ok && i < out_plane; i++)
    sr_y->data[i] = c == 3 ? tconv_rgb_to_y (out[3 * i], out[3 * i + 1], out[3 * i + 2]) : out[i];
  g_free (in);
  g_free (out);
  return ok;
}

static gboolean
eval_image (const TconvModel *model, int scale, int jpeg_quality, const char *path,
            const TconvRunOptions *opts, double *psnr, double *ssim, GError **error)
{
  TconvTensor hr = { 0 }, lr = { 0 }, sr = { 0 };
  gboolean    rgb = model && model->color == TCONV_COLOR_RGB;
  gboolean    ok = protocol_pair (path, scale, jpeg_quality, rgb, &hr, &lr, error);

  if (ok && model == NULL)
    ok = imresize_new (&lr, scale, &sr, error); /* the bicubic baseline */
  else if (ok)
    ok = upscale_to_y (model, &lr, opts, &sr, error);
  ok = ok && tconv_psnr_y (&sr, &hr, scale, psnr, error) && tconv_ssim_y (&sr, &hr, scale, ssim, error);
  tconv_tensor_free (&hr);
  tconv_tensor_free (&lr);
  tconv_tensor_free (&sr);
  return ok;
}

static gboolean
cmd_eval (int argc, char **argv, GError **error)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new (
    "DIR... - PSNR/SSIM on Y with the SRCNN protocol (--model bicubic: the baseline)");
  g_autoptr (TconvModel) model = NULL;
  Flags  f;
  double sum_psnr = 0, sum_ssim = 0;
  int    n = 0, jpeg_quality = 0;
  GOptionEntry protocol[] = {
    { "jpeg", 0, 0, G_OPTION_ARG_INT, &jpeg_quality,
      "Photo protocol: the low-resolution image is saved as JPEG at quality Q (4:2:0) first",
      "Q" },
    { NULL }
  };

  flags_init (&f);
  g_option_context_add_main_entries (ctx, protocol, NULL);
  if (!parse (ctx, flag_entries (&f, TRUE), &argc, &argv, error) || !flags_resolve (&f, error))
    return FALSE;
  if (jpeg_quality != 0 && !tconv_flag_in_range ("--jpeg", jpeg_quality, 1, 100, error))
    return FALSE;
  if (argc < 2)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "usage: tconv eval --model M --scale S DIR...");
      return FALSE;
    }
  if (!(f.model && g_str_equal (f.model, "bicubic")))
    {
      if (!(model = flags_model (&f, 1, 0, error)))
        return FALSE;
    }
  int scale = model ? model->scale : (f.s.scale ? f.s.scale : 2);
  TconvRunOptions opts = { f.s.tile_size, f.s.threads, NULL, NULL, NULL, FALSE };
  for (int d = 1; d < argc; d++)
    {
      g_autoptr (GDir) dir = g_dir_open (argv[d], 0, error);
      g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
      const char *name;
      if (dir == NULL)
        return FALSE;
      while ((name = g_dir_read_name (dir)))
        if (g_str_has_suffix (name, ".png") || g_str_has_suffix (name, ".bmp")
            || g_str_has_suffix (name, ".jpg"))
          g_ptr_array_add (files, g_build_filename (argv[d], name, NULL));
      g_ptr_array_sort (files, tconv_compare_names);
      for (guint i = 0; i < files->len; i++)
        {
          double psnr, ssim;
          if (!eval_image (model, scale, jpeg_quality, files->pdata[i], &opts, &psnr, &ssim, error))
            return FALSE;
          printf ("%s PSNR=%.2f SSIM=%.4f\n", (char *) files->pdata[i], psnr, ssim);
          sum_psnr += psnr;
          sum_ssim += ssim;
          n++;
        }
    }
  if (n == 0)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "no images (.png, .bmp, .jpg) found");
      return FALSE;
    }
  printf ("mean PSNR=%.2f SSIM=%.4f\n", sum_psnr / n, sum_ssim / n);
  return TRUE;
}

/* ---- artifacts --------------------------------------------------------------------- */

static gboolean
cmd_artifacts (int argc, char **argv, GError **error)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new (
    "- checkerboard index: spread of per-phase means on flat and gradient images (1/255)");
  g_autoptr (TconvModel) model = NULL;
  Flags  f;
  double flat, ramp;

  flags_init (&f);
  if (!parse (ctx, flag_entries (&f, TRUE), &argc, &argv, error) || !flags_resolve (&f, error)
      || !(model = flags_model (&f, 1, 0, error)))
    return FALSE;
  if (!tconv_checkerboard_index (model, &flat, &ramp, error))
    return FALSE;
  printf ("%s: flat %.3f gradient %.3f\ncheckerboard index=%.3f\n", model->name, flat, ramp,
          MAX (flat, ramp));
  return TRUE;
}

/* ---- main -------------------------------------------------------------------------- */

typedef struct
{
  const char *name;
  gboolean (*run) (int argc, char **argv, GError **error);
  const char *summary;
} Command;

static const Command COMMANDS[] = {
  { "upscale", cmd_upscale, "IN OUT [options]        upscale an image" },
  { "forward", cmd_forward, "MODEL IN OUT            run the raw graph on a tensor file" },
  { "info", cmd_info, "MODEL                      describe a model" },
  { "models", cmd_models, "                         list installed models" },
  { "eval", cmd_eval, "--model M --scale S DIR... PSNR/SSIM, SRCNN or JPEG protocol" },
  { "artifacts", cmd_artifacts, "[--model M | kernel flags] checkerboard index" },
  { "explain", tconv_cmd_explain, "[--stride --kernel --padding ...] what the layer does" },
};

/* GEGL's loaders warn on stderr about files they cannot read; tconv reports those
 * itself, in one line. */
static void
quiet_log (const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
  (void) domain, (void) data;
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    fprintf (stderr, "tconv: %s\n", message);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  const Command *cmd = NULL;

  if (argc == 2 && g_str_equal (argv[1], "--version"))
    {
      printf ("tconv %s\n", TCONV_VERSION);
      return 0;
    }
  for (guint i = 0; argc > 1 && i < G_N_ELEMENTS (COMMANDS); i++)
    if (g_str_equal (argv[1], COMMANDS[i].name))
      cmd = &COMMANDS[i];
  if (cmd == NULL)
    {
      fprintf (stderr, "usage: tconv COMMAND ... | tconv --version\n");
      for (guint i = 0; i < G_N_ELEMENTS (COMMANDS); i++)
        fprintf (stderr, "  tconv %-9s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
      return argc > 1 && strcmp (argv[1], "--help") != 0 ? 1 : 0;
    }
  if (!g_getenv ("TCONV_VERBOSE"))
    g_log_set_default_handler (quiet_log, NULL);
  g_autofree char *prgname = g_strdup_printf ("tconv %s", cmd->name);
  g_set_prgname (prgname);
  gboolean ok = cmd->run (argc - 1, argv + 1, &error);
  tconv_block_cache_clear (); /* the engine keeps tile buffers for a next run; none comes */
  tconv_gegl_stop ();
  if (!ok)
    {
      fprintf (stderr, "tconv %s: %s\n", cmd->name, error ? error->message : "failed");
      return 1;
    }
  return 0;
}
