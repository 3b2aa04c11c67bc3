/* tconv GIMP plug-in — registration and the run function.  The interactive and batch
 * paths are the same function; the dialog (ui/) only fills the config first. */
#include "tconv-plugin.h"
#ifdef TCONV_HAVE_UI
#include "tconv-dialog.h"
#endif

#ifndef TCONV_MODELS_DIR
#define TCONV_MODELS_DIR NULL
#endif

typedef struct _TconvPlugIn      TconvPlugIn;
typedef struct _TconvPlugInClass TconvPlugInClass;

struct _TconvPlugIn
{
  GimpPlugIn parent_instance;
};

struct _TconvPlugInClass
{
  GimpPlugInClass parent_class;
};

#define TCONV_TYPE_PLUG_IN (tconv_plug_in_get_type ())
GType tconv_plug_in_get_type (void) G_GNUC_CONST;
G_DEFINE_TYPE (TconvPlugIn, tconv_plug_in, GIMP_TYPE_PLUG_IN)

const char *
tconv_installed_models (void)
{
  return TCONV_MODELS_DIR;
}

static GList *
query_procedures (GimpPlugIn *plug_in)
{
  (void) plug_in;
  return g_list_append (g_list_append (NULL, g_strdup (PLUG_IN_PROC)),
                        g_strdup (PLUG_IN_FILES_PROC));
}

static gboolean
set_i18n (GimpPlugIn *plug_in, const gchar *procedure_name, gchar **gettext_domain,
          gchar **catalog_dir)
{
  (void) plug_in, (void) procedure_name;
  *gettext_domain = g_strdup (GETTEXT_PACKAGE);
  *catalog_dir = g_strdup ("locale"); /* GIMP wants it relative to the plug-in folder */
  return TRUE;
}

static GimpValueArray *run (GimpProcedure *procedure, GimpRunMode run_mode, GimpImage *image,
                            GimpDrawable **drawables, GimpProcedureConfig *config,
                            gpointer run_data);

static GimpProcedure *
create_image_procedure (GimpPlugIn *plug_in, const gchar *name)
{
  GimpProcedure *proc = gimp_image_procedure_new (plug_in, name, GIMP_PDB_PROC_TYPE_PLUGIN, run,
                                                  NULL, NULL);
  gimp_procedure_set_image_types (proc, "RGB*, GRAY*");
  gimp_procedure_set_sensitivity_mask (proc, GIMP_PROCEDURE_SENSITIVE_DRAWABLE
                                               | GIMP_PROCEDURE_SENSITIVE_DRAWABLES
                                               | GIMP_PROCEDURE_SENSITIVE_NO_DRAWABLES);
  gimp_procedure_set_menu_label (proc, _("_Upscale with Transposed Convolution..."));
  gimp_procedure_add_menu_path (proc, "<Image>/Image/[Scale]");
  gimp_procedure_set_documentation (
    proc, _("Upscale the image with a transposed-convolution network"),
    _("Scales every layer like Image > Scale Image, computing the layers' pixels with a "
      "pretrained transposed-convolution network (FSRCNN class), its checkerboard-free "
      "resize+convolution twin, or a fixed interpolation kernel applied as a transposed "
      "convolution with any stride, kernel size and padding. Masks and channels are scaled "
      "with cubic interpolation. Mode 'compare' makes a new image with every method side by "
      "side and a map of the checkerboard artifacts."),
    name);
  gimp_procedure_set_attribution (proc, "tconv developers", "tconv developers", "2026");
  tconv_add_settings_arguments (proc, TRUE);
  gimp_procedure_add_image_return_value (proc, "result", _("Result"),
                                         _("The upscaled image (a new one for new-image and "
                                           "compare)"),
                                         TRUE, G_PARAM_READWRITE);
  return proc;
}

static GimpProcedure *
create_procedure (GimpPlugIn *plug_in, const gchar *name)
{
  if (g_str_equal (name, PLUG_IN_PROC))
    return create_image_procedure (plug_in, name);
  if (g_str_equal (name, PLUG_IN_FILES_PROC))
    {
      GimpProcedure *proc = tconv_files_procedure_new (plug_in, name);
      tconv_add_settings_arguments (proc, FALSE);
      return proc;
    }
  return NULL;
}

static GimpValueArray *
run (GimpProcedure *procedure, GimpRunMode run_mode, GimpImage *image, GimpDrawable **drawables,
     GimpProcedureConfig *config, gpointer run_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *model = NULL;
  TconvSettings    s;
  TconvOutput      output;
  GimpImage       *result;
  TconvMode        mode;
  (void) run_data;

  gegl_init (NULL, NULL);
  if (gimp_image_get_base_type (image) == GIMP_INDEXED)
    {
      g_set_error_literal (&error, GIMP_PLUG_IN_ERROR, 0,
                           _("Indexed images cannot be upscaled by a network. Convert the image "
                             "with Image > Mode > RGB first."));
      return gimp_procedure_new_return_values (procedure, GIMP_PDB_EXECUTION_ERROR,
                                               g_steal_pointer (&error));
    }
  if (run_mode == GIMP_RUN_INTERACTIVE)
    {
#ifdef TCONV_HAVE_UI
      if (!tconv_dialog_run (procedure, config, image, drawables, tconv_installed_models ()))
        return gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL, NULL);
#endif
    }

  tconv_settings_from_config (config, &s, &mode, &output, &model);
  s.source_jpeg_quality = tconv_image_jpeg_quality (image);
  if (mode == TCONV_MODE_COMPARE)
    {
      GimpDrawable *drawable = drawables && drawables[0] ? drawables[0] : NULL;
      if (drawable == NULL || gimp_item_is_group (GIMP_ITEM (drawable)))
        {
          g_set_error_literal (&error, GIMP_PLUG_IN_ERROR, 0,
                               _("Compare mode works on one layer: select a single layer that "
                                 "is not a group."));
          return gimp_procedure_new_return_values (procedure, GIMP_PDB_CALLING_ERROR,
                                                   g_steal_pointer (&error));
        }
      result = tconv_compare (image, drawable, &s, &error);
    }
  else
    result = tconv_upscale_image (image, &s, output, &error);

  if (result == NULL)
    {
      /* Wrong settings are the caller's mistake; anything else failed while running. */
      GimpPDBStatusType status = error->domain == TCONV_ERROR
                                     && error->code == TCONV_ERROR_INVALID_ARGUMENT
                                   ? GIMP_PDB_CALLING_ERROR
                                   : GIMP_PDB_EXECUTION_ERROR;
      return gimp_procedure_new_return_values (procedure, status, g_steal_pointer (&error));
    }
  if (result != image && run_mode == GIMP_RUN_INTERACTIVE)
    gimp_display_new (result);
  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();

  GimpValueArray *values = gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS, NULL);
  GIMP_VALUES_SET_IMAGE (values, 1, result);
  return values;
}

static void
tconv_plug_in_class_init (TconvPlugInClass *klass)
{
  GimpPlugInClass *plug_in_class = GIMP_PLUG_IN_CLASS (klass);
  plug_in_class->query_procedures = query_procedures;
  plug_in_class->create_procedure = create_procedure;
  plug_in_class->set_i18n = set_i18n;
}

static void
tconv_plug_in_init (TconvPlugIn *plug_in)
{
  (void) plug_in;
}

GIMP_MAIN (TCONV_TYPE_PLUG_IN)
