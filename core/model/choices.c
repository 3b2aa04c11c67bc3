/* The choice lists (see choices.h). */
#include <glib/gi18n-lib.h>

#include "choices.h"
#include "tconv-error.h"

#ifndef N_
#define N_(s) (s)
#endif

#define LIST(name, label, items, def) { name, label, items, G_N_ELEMENTS (items), def }

static const TconvChoice MODES[] = {
  { TCONV_MODE_TRANSPOSED, "transposed", N_("Transposed convolution (learned)"),
    N_("A pretrained network whose last layer is a transposed convolution"), TCONV_IN_ALL },
  { TCONV_MODE_RESIZE_CONV, "resize-conv", N_("Resize + convolution (learned)"),
    N_("A pretrained network that resizes, then convolves: no checkerboard"), TCONV_IN_ALL },
  { TCONV_MODE_KERNEL, "kernel", N_("Fixed kernel (transposed)"),
    N_("One transposed convolution with an interpolation kernel: any stride, kernel, "
       "padding"), TCONV_IN_CLI | TCONV_IN_PDB },
  { TCONV_MODE_COMPARE, "compare", N_("Compare all (new image)"),
    N_("Every mode side by side, as layers of a new image"), TCONV_IN_IMAGE_PROC },
};
G_STATIC_ASSERT (G_N_ELEMENTS (MODES) == TCONV_N_MODES);
const TconvChoiceList tconv_mode_list = LIST ("mode", N_("Mode"), MODES, TCONV_MODE_TRANSPOSED);

/* Two spellings of TconvInterp: kernel mode's "bicubic" is Keys' cubic (a = -0.5), exact
 * on ramps; model files say "keys" for it and "bicubic" for PyTorch's (a = -0.75). */
static const TconvChoice SHAPES[] = {
  { TCONV_INTERP_NEAREST, "nearest", N_("Nearest (box)"), NULL, TCONV_IN_CLI | TCONV_IN_PDB },
  { TCONV_INTERP_BILINEAR, "bilinear", N_("Bilinear (tent)"), NULL, TCONV_IN_CLI | TCONV_IN_PDB },
  { TCONV_INTERP_KEYS, "bicubic", N_("Bicubic (Keys, a = -0.5)"), NULL, TCONV_IN_CLI | TCONV_IN_PDB },
  { TCONV_INTERP_LANCZOS3, "lanczos", N_("Lanczos-3"), NULL, TCONV_IN_CLI | TCONV_IN_PDB },
};
const TconvChoiceList tconv_kernel_shape_list = LIST ("interpolation", N_("Interpolation"), SHAPES,
                                                      TCONV_INTERP_KEYS);

static const TconvChoice INTERPS[] = {
  { TCONV_INTERP_NEAREST, "nearest", N_("Nearest"), NULL, TCONV_IN_MODEL_FILE },
  { TCONV_INTERP_BILINEAR, "bilinear", N_("Bilinear"), NULL, TCONV_IN_MODEL_FILE },
  { TCONV_INTERP_BICUBIC, "bicubic", N_("Bicubic (PyTorch, a = -0.75)"), NULL, TCONV_IN_MODEL_FILE },
  { TCONV_INTERP_KEYS, "keys", N_("Bicubic (Keys, a = -0.5)"), NULL, TCONV_IN_MODEL_FILE },
};
G_STATIC_ASSERT (G_N_ELEMENTS (INTERPS) == TCONV_N_INTERPS - 1); /* every one but Lanczos */
const TconvChoiceList tconv_interp_list = LIST ("mode", N_("Interpolation"), INTERPS,
                                                TCONV_INTERP_BICUBIC);

static const TconvChoice PADDINGS[] = {
  { TCONV_PAD_ZEROS, "zeros", N_("Zeros"), NULL, TCONV_IN_MODEL_FILE },
  { TCONV_PAD_REFLECT, "reflect", N_("Reflect"), NULL, TCONV_IN_MODEL_FILE },
  { TCONV_PAD_REPLICATE, "replicate", N_("Replicate"), NULL, TCONV_IN_MODEL_FILE },
  { TCONV_PAD_CIRCULAR, "circular", N_("Circular"), NULL, TCONV_IN_MODEL_FILE },
};
G_STATIC_ASSERT (G_N_ELEMENTS (PADDINGS) == TCONV_N_PADDING_MODES);
const TconvChoiceList tconv_padding_mode_list = LIST ("padding_mode", N_("Padding mode"), PADDINGS,
                                                      TCONV_PAD_ZEROS);

static const TconvChoice OUTPUTS[] = {
  { TCONV_OUTPUT_IN_PLACE, "in-place", N_("Scale this image"), NULL, TCONV_IN_IMAGE_PROC },
  { TCONV_OUTPUT_NEW_IMAGE, "new-image", N_("New image"), NULL, TCONV_IN_IMAGE_PROC },
};
G_STATIC_ASSERT (G_N_ELEMENTS (OUTPUTS) == TCONV_N_OUTPUTS);
const TconvChoiceList tconv_output_list = LIST ("output", N_("Output"), OUTPUTS,
                                                TCONV_OUTPUT_IN_PLACE);

const TconvChoice *
tconv_choice_of (const TconvChoiceList *list, int value)
{
  for (int i = 0; i < list->n_items; i++)
    if (list->items[i].value == value)
      return &list->items[i];
  return NULL;
}

const char *
tconv_choice_nick (const TconvChoiceList *list, int value)
{
  const TconvChoice *c = tconv_choice_of (list, value);
  g_return_val_if_fail (c != NULL, "?");
  return c->nick;
}

char *
tconv_choice_nicks (const TconvChoiceList *list, unsigned where)
{
  GPtrArray *nicks = g_ptr_array_new ();
  for (int i = 0; i < list->n_items; i++)
    if (list->items[i].where & where)
      g_ptr_array_add (nicks, (gpointer) list->items[i].nick);
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < nicks->len; i++)
    g_string_append_printf (s, "%s%s", i == 0 ? "" : i + 1 == nicks->len ? _(" or ") : ", ",
                            (const char *) nicks->pdata[i]);
  g_ptr_array_free (nicks, TRUE);
  return g_string_free (s, FALSE);
}

gboolean
tconv_choice_parse (const TconvChoiceList *list, unsigned where, const char *nick, int *value,
                    GError **error)
{
  for (int i = 0; i < list->n_items; i++)
    if ((list->items[i].where & where) && g_str_equal (nick, list->items[i].nick))
      {
        *value = list->items[i].value;
        return TRUE;
      }
  g_autofree char *allowed = tconv_choice_nicks (list, where);
  g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
               _("%s \"%s\" is not one of %s"), list->name, nick, allowed);
  return FALSE;
}
