#include <errno.h>
#include <glib/gstdio.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "image-io.h"
#include "tconv-gegl.h"
#include "tconv-error.h"

/* Images this large (input pixels) get every core for their tiles, one at a time; smaller
 * ones run side by side, a few cores each. */
#define LARGE_PIXELS (2 * 1000 * 1000)

typedef struct
{
  char  *in, *out;
  gint64 pixels;
} Item;

typedef struct
{
  const TconvBatchOptions *o;
  TconvUpscaleFile         upscale;
  gpointer                 data;
  GMutex                   lock;
  int                      total, done, skipped, failed, threads;
  gint64                   pixels_done;
  gint64                   started;
} Run;

GOptionEntry *
tconv_batch_entries (TconvBatchOptions *o)
{
  GOptionEntry e[] = {
    { "output-dir", 'o', 0, G_OPTION_ARG_FILENAME, &o->outdir,
      "Write the results into DIR (then every argument is an input file or folder)", "DIR" },
    { "recursive", 'r', 0, G_OPTION_ARG_NONE, &o->recursive, "Folders: their subfolders too", NULL },
    { "glob", 0, 0, G_OPTION_ARG_STRING, &o->glob,
      "Folders: only files whose name matches (default: every image)", "PATTERN" },
    { "suffix", 0, 0, G_OPTION_ARG_STRING, &o->suffix,
      "Added to each output's name before its extension", "TEXT" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &o->format, "png | jpeg | tiff | webp | exr | same",
      "FORMAT" },
    { "quality", 0, 0, G_OPTION_ARG_INT, &o->quality, "JPEG and WebP quality, 1-100", "Q" },
    { "jobs", 0, 0, G_OPTION_ARG_INT, &o->jobs, "Images in parallel (default: the cores)", "N" },
    { "skip-existing", 0, 0, G_OPTION_ARG_NONE, &o->skip_existing,
      "Do not redo an output that exists (outputs are only ever written whole)", NULL },
    { "max-pixels", 0, 0, G_OPTION_ARG_INT64, &o->max_pixels,
      "Refuse inputs declaring more pixels than this, before decoding them (default 4e8)", "N" },
    { NULL }
  };
  return g_memdup2 (e, sizeof e);
}

/* ---- the flags and names --------------------------------------------------------------- */

/* The formats tconv writes: a --format name (or any of its extensions without the dot)
 * gives the first extension; an output name must end in one of them. */
static const struct
{
  const char *format, *ext[3];
} FORMATS[] = {
  { "png", { ".png" } },   { "jpeg", { ".jpg", ".jpeg" } }, { "tiff", { ".tif", ".tiff" } },
  { "webp", { ".webp" } }, { "exr", { ".exr" } },
};

/* The extension --format names, "" for "same", NULL for a format tconv does not write. */
static const char *
format_extension (const char *format)
{
  if (g_ascii_strcasecmp (format, "same") == 0)
    return "";
  for (guint i = 0; i < G_N_ELEMENTS (FORMATS); i++)
    {
      if (g_ascii_strcasecmp (format, FORMATS[i].format) == 0)
        return FORMATS[i].ext[0];
      for (int e = 0; e < 3 && FORMATS[i].ext[e]; e++)
        if (g_ascii_strcasecmp (format, FORMATS[i].ext[e] + 1) == 0)
          return FORMATS[i].ext[0];
    }
  return NULL;
}

gboolean
tconv_output_name_check (const char *path, GError **error)
{
  g_autofree char *base = g_path_get_basename (path);
  const char      *dot = strrchr (base, '.');

  for (guint i = 0; dot && i < G_N_ELEMENTS (FORMATS); i++)
    for (int e = 0; e < 3 && FORMATS[i].ext[e]; e++)
      if (g_ascii_strcasecmp (dot, FORMATS[i].ext[e]) == 0)
        return TRUE;
  g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
               "%s: tconv writes .png, .jpg, .tif, .webp and .exr files (the name's extension, "
               "or --format in a folder run, says which)", path);
  return FALSE;
}

gboolean
tconv_same_file (const char *a, const char *b)
{
  GStatBuf sa, sb;
  if (g_strcmp0 (a, b) == 0)
    return TRUE;
  /* another spelling of the same file: ./a.png, a link, a hard link */
  return g_stat (a, &sa) == 0 && g_stat (b, &sb) == 0 && sa.st_dev == sb.st_dev
         && sa.st_ino == sb.st_ino;
}

void
tconv_batch_options_init (TconvBatchOptions *o)
{
  memset (o, 0, sizeof *o);
  o->quality = o->jobs = INT_MIN; /* not given: told apart from a given 0 */
  o->max_pixels = G_MININT64;
}

gboolean
tconv_flag_in_range (const char *flag, gint64 value, gint64 min, gint64 max, GError **error)
{
  if (value >= min && value <= max)
    return TRUE;
  if (max == G_MAXINT64)
    g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                 "%s %" G_GINT64_FORMAT " is out of range: it must be at least %" G_GINT64_FORMAT,
                 flag, value, min);
  else
    g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                 "%s %" G_GINT64_FORMAT " is out of range: it must be from %" G_GINT64_FORMAT
                 " to %" G_GINT64_FORMAT, flag, value, min, max);
  return FALSE;
}

gboolean
tconv_batch_options_check (TconvBatchOptions *o, GError **error)
{
  /* flags that only a folder run reads are refused in IN OUT, where they would do nothing */
  const char *folder_only = o->format ? "--format" : o->suffix ? "--suffix" : o->glob ? "--glob"
                            : o->recursive ? "--recursive" : o->skip_existing ? "--skip-existing"
                            : o->jobs != INT_MIN ? "--jobs" : NULL;
  if (!o->outdir && folder_only)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "%s is for folder runs (-o OUTDIR IN...); with IN OUT it would do nothing%s",
                   folder_only, o->format ? " (the output's name gives the format)" : "");
      return FALSE;
    }
  if (o->format && format_extension (o->format) == NULL)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "--format %s is not one tconv writes: it must be png, jpeg, tiff, webp, exr "
                   "or same", o->format);
      return FALSE;
    }
  if (o->suffix && strchr (o->suffix, G_DIR_SEPARATOR))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "--suffix %s names a folder; it is added to each file's name", o->suffix);
      return FALSE;
    }
  if ((o->quality != INT_MIN && !tconv_flag_in_range ("--quality", o->quality, 1, 100, error))
      || (o->jobs != INT_MIN && !tconv_flag_in_range ("--jobs", o->jobs, 1, 1024, error))
      || (o->max_pixels != G_MININT64
          && !tconv_flag_in_range ("--max-pixels", o->max_pixels, 1, G_MAXINT64, error)))
    return FALSE;
  if (o->quality == INT_MIN)
    o->quality = 0; /* the savers' own default */
  if (o->jobs == INT_MIN)
    o->jobs = 0; /* one per core */
  if (o->max_pixels == G_MININT64)
    o->max_pixels = 0; /* TCONV_DEFAULT_MAX_PIXELS */
  return TRUE;
}

/* ---- the list of work ---------------------------------------------------------------- */

static gboolean
is_image_name (const char *name, const char *glob)
{
  return glob ? g_pattern_match_simple (glob, name) : tconv_is_image_name (name, FALSE);
}

/* OUTDIR/rel with the suffix before the extension of the chosen format. */
static char *
output_for (const TconvBatchOptions *o, const char *rel)
{
  const char      *dot = strrchr (rel, '.'), *slash = strrchr (rel, G_DIR_SEPARATOR);
  g_autofree char *stem = dot && (!slash || dot > slash) ? g_strndup (rel, dot - rel) : g_strdup (rel);
  const char      *ext = dot && (!slash || dot > slash) ? dot : ".png";
  if (o->format && *format_extension (o->format))
    ext = format_extension (o->format);
  g_autofree char *name = g_strconcat (stem, o->suffix ? o->suffix : "", ext, NULL);
  return g_build_filename (o->outdir, name, NULL);
}

static void
add_item (GArray *items, const TconvBatchOptions *o, const char *in, const char *rel)
{
  Item it = { g_strdup (in), output_for (o, rel), 0 };
  g_array_append_val (items, it);
}

static void
collect_folder (GArray *items, const TconvBatchOptions *o, const char *root, const char *sub)
{
  g_autofree char *dir = sub ? g_build_filename (root, sub, NULL) : g_strdup (root);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, tconv_compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *rel = sub ? g_build_filename (sub, names->pdata[i], NULL)
                                 : g_strdup (names->pdata[i]);
      g_autofree char *path = g_build_filename (root, rel, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          if (o->recursive && ((char *) names->pdata[i])[0] != '.')
            collect_folder (items, o, root, rel);
        }
      else if (is_image_name (names->pdata[i], o->glob))
        add_item (items, o, path, rel);
    }
}

static gboolean
collect (GArray *items, const TconvBatchOptions *o, char **inputs, int n, GError **error)
{
  for (int i = 0; i < n; i++)
    {
      if (g_file_test (inputs[i], G_FILE_TEST_IS_DIR))
        collect_folder (items, o, inputs[i], NULL);
      else
        {
          g_autofree char *base = g_path_get_basename (inputs[i]);
          add_item (items, o, inputs[i], base);
        }
    }
  g_autoptr (GHashTable) outputs = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < items->len; i++)
    {
      Item *it = &g_array_index (items, Item, i);
      if (tconv_same_file (it->in, it->out))
        {
          g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                       "%s would be overwritten by its own result; give --suffix or another -o",
                       it->in);
          return FALSE;
        }
      if (!g_hash_table_add (outputs, it->out))
        {
          g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                       "two inputs would both be written to %s (%s is one); give them from "
                       "one folder, or run them apart", it->out, it->in);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- running ------------------------------------------------------------------------- */

static void
progress (Run *r)
{
  if (r->o->quiet || !isatty (STDERR_FILENO))
    return;
  double seconds = (g_get_monotonic_time () - r->started) / 1e6;
  int    finished = r->done + r->skipped + r->failed;
  double rate = seconds > 0 ? r->pixels_done / 1e6 / seconds : 0;
  double eta = finished ? seconds / finished * (r->total - finished) : 0;
  fprintf (stderr, "\r%d/%d images, %.1f MP/s, ETA %.0f s   ", finished, r->total, rate, eta);
  if (finished == r->total)
    fputc ('\n', stderr);
  fflush (stderr);
}

static void
process (Run *r, Item *it, int threads)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (it->out);
  gboolean         skip = r->o->skip_existing && g_file_test (it->out, G_FILE_TEST_IS_REGULAR);
  gboolean         ok = skip;

  if (!skip)
    {
      if (g_mkdir_with_parents (dir, 0755) != 0)
        g_set_error (&error, TCONV_ERROR, TCONV_ERROR_IO, "%s: cannot make folder %s: %s",
                     it->out, dir, g_strerror (errno));
      else
        ok = r->upscale (r->data, it->in, it->out, threads, r->o->quality, &error);
    }
  g_mutex_lock (&r->lock);
  if (skip)
    r->skipped++;
  else if (ok)
    r->done++, r->pixels_done += it->pixels;
  else
    {
      /* every failure names its image: the engine's and the model's messages do not */
      const char *msg = error ? error->message : "failed";
      gboolean    named = strstr (msg, it->in) || strstr (msg, it->out);
      r->failed++;
      fprintf (stderr, "%stconv upscale: %s%s%s\n", isatty (STDERR_FILENO) ? "\r" : "",
               named ? "" : it->in, named ? "" : ": ", msg);
    }
  progress (r);
  g_mutex_unlock (&r->lock);
}

static void
pool_job (gpointer item, gpointer run)
{
  Run *r = run;
  process (r, item, r->threads);
}

/* Big images one at a time with every core on their tiles, then the rest side by side. */
static void
run_all (Run *r, GArray *items)
{
  const int cores = (int) g_get_num_processors ();
  const int jobs = CLAMP (r->o->jobs > 0 ? r->o->jobs : cores, 1, cores);
  GThreadPool *pool = NULL;

  for (guint i = 0; i < items->len; i++)
    {
      Item *it = &g_array_index (items, Item, i);
      int   w = 0, h = 0;
      if (tconv_image_probe (it->in, &w, &h, NULL))
        it->pixels = (gint64) w * h;
      if (it->pixels >= LARGE_PIXELS || jobs == 1)
        process (r, it, 0);
    }
  r->threads = MAX (1, cores / jobs);
  pool = g_thread_pool_new (pool_job, r, jobs, TRUE, NULL);
  for (guint i = 0; i < items->len; i++)
    {
      Item *it = &g_array_index (items, Item, i);
      if (it->pixels < LARGE_PIXELS && jobs > 1)
        g_thread_pool_push (pool, it, NULL);
    }
  g_thread_pool_free (pool, FALSE, TRUE);
}

gboolean
tconv_batch_run (const TconvBatchOptions *o, char **inputs, int n_inputs,
                 TconvUpscaleFile upscale, gpointer data, GError **error)
{
  g_autoptr (GArray) items = g_array_new (FALSE, TRUE, sizeof (Item));
  Run      r = { o, upscale, data, { 0 }, 0, 0, 0, 0, 1, 0, g_get_monotonic_time () };
  gboolean ok;

  if (n_inputs < 1)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "usage: tconv upscale -o OUTDIR IN... (files or folders)");
      return FALSE;
    }
  tconv_image_set_max_pixels (o->max_pixels > 0 ? o->max_pixels : TCONV_DEFAULT_MAX_PIXELS);
  ok = collect (items, o, inputs, n_inputs, error);
  r.total = items->len;
  g_mutex_init (&r.lock);
  if (ok)
    run_all (&r, items);
  g_mutex_clear (&r.lock);
  for (guint i = 0; i < items->len; i++)
    {
      g_free (g_array_index (items, Item, i).in);
      g_free (g_array_index (items, Item, i).out);
    }
  if (!ok)
    return FALSE;
  if (!o->quiet)
    fprintf (stderr, "%d upscaled, %d skipped (already there), %d failed, of %d images in %.1f s\n",
             r.done, r.skipped, r.failed, r.total, (g_get_monotonic_time () - r.started) / 1e6);
  if (r.total == 0)
    g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "no images found in the inputs given");
  else if (r.failed)
    g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "%d of %d images failed (named above)",
                 r.failed, r.total);
  if (r.total == 0 || r.failed)
    return FALSE;
  return TRUE;
}
