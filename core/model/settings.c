#include <glib/gi18n-lib.h>
#include <string.h>

#include "choices.h"
#include "model-file.h"
#include "settings.h"
#include "tconv-error.h"

#define INT_SETTING(field, name, flag, label, desc, min, max, def) \
  { name, flag, label, desc, min, max, def, G_STRUCT_OFFSET (TconvSettings, field) },
const TconvIntSetting tconv_int_settings[] = { TCONV_INT_SETTINGS (INT_SETTING) };
const int tconv_n_int_settings = G_N_ELEMENTS (tconv_int_settings);



void
tconv_settings_init (TconvSettings *s)
{
  memset (s, 0, sizeof *s);
  for (int i = 0; i < tconv_n_int_settings; i++)
    G_STRUCT_MEMBER (int, s, tconv_int_settings[i].offset) = tconv_int_settings[i].def;
  s->mode = tconv_mode_list.def;
  s->interpolation = tconv_kernel_shape_list.def;
}

gboolean
tconv_settings_parse_mode (const char *name, TconvMode *mode, GError **error)
{
  int v;
  if (!tconv_choice_parse (&tconv_mode_list, TCONV_IN_CLI, name, &v, error))
    return FALSE;
  *mode = v;
  return TRUE;
}

gboolean
tconv_settings_check (const TconvSettings *s, GError **error)
{
  for (int i = 0; i < tconv_n_int_settings; i++)
    {
      const TconvIntSetting *d = &tconv_int_settings[i];
      int                    v = G_STRUCT_MEMBER (int, s, d->offset);
      if ((v < d->min || v > d->max) && !(d->offset == G_STRUCT_OFFSET (TconvSettings, scale) && v == 0))
        {
          g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                       _("%s is %d; it must be from %d to %d"), d->name, v, d->min, d->max);
          return FALSE;
        }
    }
  return TRUE;
}

