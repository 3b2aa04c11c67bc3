/* tconv GIMP plug-in — plug-in-tconv-upscale-files: a batch that survives bad files.  Every
 * file (and every image file of every folder) given is loaded, upscaled as Image > Upscale
 * with Transposed Convolution does, and saved into the output folder under its name plus a
 * suffix, in its own format; a file GIMP cannot open, upscale or save is reported by name
 * and the others go on.  The status is an execution error naming the failures if any. */
#include <glib/gstdio.h>

#include "tconv-gegl.h"
#include "tconv-plugin.h"

/* The files to do: each argument, or a folder's image files (sorted). */
static GPtrArray *
expand (const char *const *args)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; args && args[i]; i++)
    {
      if (!g_file_test (args[i], G_FILE_TEST_IS_DIR))
        {
          g_ptr_array_add (files, g_strdup (args[i]));
          continue;
        }
      g_autoptr (GDir) dir = g_dir_open (args[i], 0, NULL);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;
      while (dir && (name = g_dir_read_name (dir)))
        if (tconv_is_image_name (name, TRUE))
          g_ptr_array_add (names, g_build_filename (args[i], name, NULL));
      g_ptr_array_sort (names, tconv_compare_names);
      for (guint k = 0; k < names->len; k++)
        g_ptr_array_add (files, g_strdup (names->pdata[k]));
    }
  return files;
}

/* Saved under a temporary name with the same extension (GIMP picks the format from it),
 * renamed when complete: an interrupted batch leaves no half-written result. */
static gboolean
save_whole (GimpImage *image, const char *out, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (out), *base = g_path_get_basename (out);
  g_autofree char *tmp = g_strdup_printf ("%s/.tconv-partial-%s", dir, base);
  g_autoptr (GFile) file = g_file_new_for_path (tmp);
  if (!gimp_file_save (GIMP_RUN_NONINTERACTIVE, image, file, NULL) || g_rename (tmp, out) != 0)
    {
      g_unlink (tmp);
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, _("%s: could not be saved"), out);
      return FALSE;
    }
  return TRUE;
}

static gboolean
upscale_one (const char *in, const char *outdir, const char *suffix, const TconvSettings *s,
             GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (in);
  GimpImage *image = gimp_file_load (GIMP_RUN_NONINTERACTIVE, file);
  if (image == NULL)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, _("%s: GIMP could not open it"), in);
      return FALSE;
    }
  g_autofree char *base = g_path_get_basename (in);
  const char      *dot = strrchr (base, '.');
  g_autofree char *name = g_strdup_printf ("%.*s%s%s", (int) (dot ? dot - base : (long) strlen (base)),
                                           base, suffix, dot ? dot : ".png");
  g_autofree char *out = g_build_filename (outdir, name, NULL);
  TconvSettings    for_image = *s;
  for_image.source_jpeg_quality = tconv_image_jpeg_quality (image);
  gboolean ok = tconv_upscale_image (image, &for_image, TCONV_OUTPUT_IN_PLACE, error) != NULL
                && save_whole (image, out, error);
  if (!ok && error && *error && !g_str_has_prefix ((*error)->message, in))
    g_prefix_error (error, "%s: ", in);
  gimp_image_delete (image);
  return ok;
}

static GimpValueArray *
run_files (GimpProcedure *procedure, GimpProcedureConfig *config, gpointer data)
{
  g_auto (GStrv) args = NULL;
  g_autofree char *outdir = NULL, *suffix = NULL, *model = NULL;
  g_autoptr (GString) failures = g_string_new (NULL);
  TconvSettings s;
  TconvMode     mode;
  int           done = 0, failed = 0;
  (void) data;

  gegl_init (NULL, NULL);
  g_object_get (config, "files", &args, "output-folder", &outdir, "suffix", &suffix, NULL);
  tconv_settings_from_config (config, &s, &mode, NULL, &model);
  if (outdir == NULL || !*outdir || g_mkdir_with_parents (outdir, 0755) != 0)
    return gimp_procedure_new_return_values (
      procedure, GIMP_PDB_CALLING_ERROR,
      g_error_new (TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("output-folder \"%s\" cannot be made"), outdir ? outdir : ""));
  g_autoptr (GPtrArray) files = expand ((const char *const *) args);
  for (guint i = 0; i < files->len; i++)
    {
      g_autoptr (GError) error = NULL;
      gimp_progress_set_text_printf (_("Upscaling %s (%u of %u)"), (char *) files->pdata[i], i + 1,
                                     files->len);
      if (upscale_one (files->pdata[i], outdir, suffix ? suffix : "", &s, &error))
        done++;
      else
        {
          failed++;
          g_printerr ("plug-in-tconv-upscale-files: %s\n", error->message);
          g_string_append_printf (failures, "%s%s", failures->len ? "; " : "", error->message);
        }
    }
  if (failed)
    return gimp_procedure_new_return_values (
      procedure, GIMP_PDB_EXECUTION_ERROR,
      g_error_new (TCONV_ERROR, TCONV_ERROR_IO, _("%d of %u files failed: %s"), failed, files->len,
                   failures->str));
  GimpValueArray *values = gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS, NULL);
  GIMP_VALUES_SET_INT (values, 1, done);
  return values;
}

GimpProcedure *
tconv_files_procedure_new (GimpPlugIn *plug_in, const char *name)
{
  GimpProcedure *proc = gimp_procedure_new (plug_in, name, GIMP_PDB_PROC_TYPE_PLUGIN, run_files,
                                            NULL, NULL);
  gimp_procedure_set_documentation (
    proc, _("Upscale files and folders of images with a transposed-convolution network"),
    _("Loads every file given (and every image file of every folder given), upscales it as "
      "plug-in-tconv-upscale does and saves it into output-folder under its name plus suffix, "
      "in its own format. A file that cannot be opened, upscaled or saved is reported and "
      "skipped; the status is an execution error naming them if any failed."),
    name);
  gimp_procedure_set_attribution (proc, "tconv developers", "tconv developers", "2026");
  gimp_procedure_add_enum_argument (proc, "run-mode", _("Run mode"), _("The run mode"),
                                    GIMP_TYPE_RUN_MODE, GIMP_RUN_NONINTERACTIVE, G_PARAM_READWRITE);
  gimp_procedure_add_string_array_argument (proc, "files", _("Files"),
                                            _("Image files and folders of them"), G_PARAM_READWRITE);
  gimp_procedure_add_string_argument (proc, "output-folder", _("Output folder"),
                                      _("Where the results go (made if missing)"), "",
                                      G_PARAM_READWRITE);
  gimp_procedure_add_string_argument (proc, "suffix", _("Suffix"),
                                      _("Added to each result's name before its extension"),
                                      "_x2", G_PARAM_READWRITE);
  gimp_procedure_add_int_return_value (proc, "upscaled", _("Upscaled"),
                                       _("How many files were upscaled"), 0, G_MAXINT, 0,
                                       G_PARAM_READWRITE);
  return proc;
}
