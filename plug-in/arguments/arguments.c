/* The procedures' arguments from the core's tables (see arguments.h). */
#include <glib/gi18n-lib.h>

#include "arguments.h"

/* A choice argument: the list's nicks allowed in procedures, with their labels. */
static void
add_choice (GimpProcedure *proc, const TconvChoiceList *list, unsigned where, const char *blurb)
{
  GimpChoice      *choice = gimp_choice_new ();
  g_autofree char *nicks = tconv_choice_nicks (list, where);
  g_autofree char *help = blurb ? g_strdup_printf ("%s: %s", _(blurb), nicks) : g_strdup (nicks);

  for (int i = 0; i < list->n_items; i++)
    if (list->items[i].where & where)
      gimp_choice_add (choice, list->items[i].nick, list->items[i].value,
                       _(list->items[i].label),
                       list->items[i].description ? _(list->items[i].description) : NULL);
  gimp_procedure_add_choice_argument (proc, list->name, _(list->label), help, choice,
                                      tconv_choice_nick (list, list->def), G_PARAM_READWRITE);
}

static void
add_int_setting (GimpProcedure *proc, const char *name)
{
  for (int i = 0; i < tconv_n_int_settings; i++)
    {
      const TconvIntSetting *d = &tconv_int_settings[i];
      if (g_str_equal (d->name, name))
        {
          gimp_procedure_add_int_argument (proc, d->name, _(d->label), _(d->description), d->min,
                                           d->max, d->def, G_PARAM_READWRITE);
          return;
        }
    }
  g_error ("no integer setting is named \"%s\" (core/model/settings.h)", name);
}

void
tconv_add_settings_arguments (GimpProcedure *proc, gboolean with_compare)
{
  const unsigned where = with_compare ? TCONV_IN_IMAGE_PROC : TCONV_IN_FILES_PROC;

  add_choice (proc, &tconv_mode_list, where, NULL);
  add_int_setting (proc, "scale");
  add_int_setting (proc, "kernel-size");
  add_int_setting (proc, "padding");
  add_int_setting (proc, "output-padding");
  add_int_setting (proc, "dilation");
  add_choice (proc, &tconv_kernel_shape_list, where, N_("Kernel mode"));
  gimp_procedure_add_string_argument (proc, "model", _("Model"),
                                      _("Model name or .safetensors file; empty = the shipped "
                                        "model for mode, scale and kernel size"),
                                      "", G_PARAM_READWRITE);
  if (with_compare)
    add_choice (proc, &tconv_output_list, where, NULL);
  add_int_setting (proc, "tile-size");
  add_int_setting (proc, "threads");
}

void
tconv_settings_from_config (GimpProcedureConfig *config, TconvSettings *s,
                            TconvMode *mode_choice, TconvOutput *output, char **model_storage)
{
  tconv_settings_init (s);
  for (int i = 0; i < tconv_n_int_settings; i++)
    g_object_get (config, tconv_int_settings[i].name,
                  &G_STRUCT_MEMBER (int, s, tconv_int_settings[i].offset), NULL);
  *mode_choice = gimp_procedure_config_get_choice_id (config, tconv_mode_list.name);
  s->mode = *mode_choice == TCONV_MODE_COMPARE ? TCONV_MODE_TRANSPOSED : *mode_choice;
  s->interpolation = gimp_procedure_config_get_choice_id (config, tconv_kernel_shape_list.name);
  if (output)
    *output = gimp_procedure_config_get_choice_id (config, tconv_output_list.name);
  g_object_get (config, "model", model_storage, NULL);
  s->model = *model_storage;
}

int
tconv_image_jpeg_quality (GimpImage *image)
{
  GimpParasite *parasite = gimp_image_get_parasite (image, "jpeg-settings");
  guint32       size = 0;
  int           quality = 0;

  if (parasite == NULL)
    return 0;
  /* bytes: colour space, quality (1-100, 0 = unknown), components, tables, ... */
  const guint8 *data = gimp_parasite_get_data (parasite, &size);
  if (size >= 2 && data[1] <= 100)
    quality = data[1];
  gimp_parasite_free (parasite);
  return quality;
}
