/* tconv dialog — GimpProcedureDialog for the arguments, plus what makes the layer's
 * hyperparameters tangible: the values that will actually run (never a sentinel), the
 * output-size formula, a drawing of the kernel taps, a model list with each model's
 * facts, and a large preview with a compare view.  The models are read once per dialog.
 * A test-only build of it drives the dialog for the GUI test (tests/gimp/dialog-selftest.c). */
#include <glib/gi18n-lib.h>
#include <libgimp/gimpui.h>

#include "arguments.h"
#include "combo.h"
#include "dialog-private.h"
#include "geometry.h"
#include "model-file.h"
#include "preview.h"
#include "taps-view.h"
#include "tconv-dialog.h"

/* The knobs whose argument has an "automatic" value, shown as a check box beside the
 * value it resolves to. */
static const struct
{
  const char *property;
  int         automatic;
} auto_knobs[TCONV_N_AUTO_KNOBS] = { { "kernel-size", 0 }, { "padding", -1 },
                                     { "output-padding", -1 } };

static int
config_int (TconvDialog *d, const char *property)
{
  int v;
  g_object_get (d->config, property, &v, NULL);
  return v;
}

/* The settings in the config, automatic knobs as the core spells them. */
void
tconv_dialog_read_settings (TconvDialog *d, TconvSettings *s, char **storage)
{
  TconvMode mode;
  tconv_settings_from_config (d->config, s, &mode, NULL, storage);
  s->source_jpeg_quality = d->jpeg_quality;
  if (tconv_dialog_auto (d, 0))
    s->kernel = auto_knobs[0].automatic;
  if (tconv_dialog_auto (d, 1))
    s->padding = auto_knobs[1].automatic;
  if (tconv_dialog_auto (d, 2))
    s->output_padding = auto_knobs[2].automatic;
}

gboolean
tconv_dialog_auto (TconvDialog *d, int knob)
{
  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->auto_check[knob]));
}

/* Automatic knobs show what they resolve to; a trained head's padding is fixed. */
static void
show_resolved (TconvDialog *d, const TconvGeometry *g, gboolean learned)
{
  const int resolved[TCONV_N_AUTO_KNOBS] = { g->kernel, g->padding, g->output_padding };

  d->syncing = TRUE;
  for (int k = 0; k < TCONV_N_AUTO_KNOBS; k++)
    {
      gboolean fixed = learned && k > 0;
      if (fixed)
        gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->auto_check[k]), TRUE);
      gtk_widget_set_sensitive (d->auto_check[k], !fixed);
      gboolean automatic = tconv_dialog_auto (d, k);
      if (automatic && g->runnable && config_int (d, auto_knobs[k].property) != resolved[k])
        g_object_set (d->config, auto_knobs[k].property, resolved[k], NULL);
      gimp_procedure_dialog_set_sensitive (d->dialog, auto_knobs[k].property, !automatic, NULL,
                                           NULL, FALSE);
    }
  d->syncing = FALSE;
}

static void
show_geometry (TconvDialog *d, const TconvGeometry *g)
{
  g_autofree char *formula = g->formula[0] ? g_strdup_printf ("%s\n%s", g->formula[0], g->formula[1])
                                           : g_strdup ("");
  gtk_label_set_text (GTK_LABEL (d->formula), formula);
  g_autofree char *size = g_strdup_printf ("%s%s%s", g->size ? g->size : "",
                                           g->size && g->placement ? "\n" : "",
                                           g->placement ? g->placement : "");
  gtk_label_set_text (GTK_LABEL (d->size), size);
  gtk_label_set_text (GTK_LABEL (d->reason), g->reason ? g->reason : "");
  g_autofree char *offered = g->offered ? g_strdup_printf (_("Shipped models: %s"),
                                                           *g->offered ? g->offered : _("none"))
                                        : g_strdup (_("Kernel mode: any stride, kernel and padding"));
  g_autofree char *text = g->chosen ? g_strdup_printf ("%s\n%s", g->chosen, offered)
                                    : g_strdup (offered);
  gtk_label_set_text (GTK_LABEL (d->offered), text);
  gtk_dialog_set_response_sensitive (GTK_DIALOG (d->dialog), GTK_RESPONSE_OK, g->runnable);
  tconv_taps_view_set (d->taps, g);
}

gboolean
tconv_dialog_refresh (gpointer data)
{
  TconvDialog     *d = data;
  g_autofree char *model = NULL;
  TconvSettings    s;
  TconvGeometry    g;

  d->refresh_id = 0;
  tconv_dialog_read_settings (d, &s, &model);
  tconv_geometry_compute (&s, d->width, d->height, d->channels, d->bytes_per_pixel, d->catalog,
                          d->installed, &g);
  show_geometry (d, &g);
  show_resolved (d, &g, s.mode != TCONV_MODE_KERNEL);
  tconv_model_list_sync (d, s.mode);
  if (g.runnable && d->preview)
    tconv_preview_update (d->preview, &s);
  gboolean kernel = s.mode == TCONV_MODE_KERNEL;
  gimp_procedure_dialog_set_sensitive (d->dialog, "dilation", kernel, NULL, NULL, FALSE);
  gimp_procedure_dialog_set_sensitive (d->dialog, "interpolation", kernel, NULL, NULL, FALSE);
  gtk_widget_set_sensitive (d->model_combo, !kernel);
  tconv_geometry_clear (&g);
  d->refreshes++;
  return G_SOURCE_REMOVE;
}

static void
on_config_changed (GObject *config, GParamSpec *pspec, TconvDialog *d)
{
  (void) config, (void) pspec;
  if (!d->syncing && d->refresh_id == 0)
    d->refresh_id = g_idle_add (tconv_dialog_refresh, d); /* once per burst of changes */
}

static void
on_auto_toggled (GtkToggleButton *b, TconvDialog *d)
{
  (void) b;
  on_config_changed (NULL, NULL, d);
}

/* The combos GIMP makes for choice arguments, ellipsized (GIMP 3.2 shows a two-way
 * choice as radio buttons instead: nothing to do there). */
static void
ellipsize_choice (TconvDialog *d, const char *property)
{
  GtkWidget *w = gimp_procedure_dialog_get_widget (d->dialog, property, G_TYPE_NONE);
  if (GIMP_IS_LABEL_STRING_WIDGET (w))
    w = gimp_label_string_widget_get_widget (GIMP_LABEL_STRING_WIDGET (w));
  if (GTK_IS_COMBO_BOX (w))
    tconv_combo_ellipsize (w, -1, 40);
}

static GtkWidget *
small_label (gboolean mono)
{
  GtkWidget *l = gtk_label_new ("");
  gtk_label_set_xalign (GTK_LABEL (l), 0.0);
  gtk_label_set_line_wrap (GTK_LABEL (l), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (l), 48);
  gtk_label_set_selectable (GTK_LABEL (l), TRUE);
  if (mono)
    {
      PangoAttrList *a = pango_attr_list_new ();
      pango_attr_list_insert (a, pango_attr_family_new ("monospace"));
      gtk_label_set_attributes (GTK_LABEL (l), a);
      pango_attr_list_unref (a);
    }
  return l;
}

/* An "Automatic" check box after the knob's generated widget, on the same row. */
static void
add_auto_check (TconvDialog *d, int k)
{
  GtkWidget *w = gimp_procedure_dialog_get_widget (d->dialog, auto_knobs[k].property,
                                                   G_TYPE_NONE);
  GtkWidget *parent = gtk_widget_get_parent (w), *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  int        position = 0;

  gtk_container_child_get (GTK_CONTAINER (parent), w, "position", &position, NULL);
  g_object_ref (w);
  gtk_container_remove (GTK_CONTAINER (parent), w);
  gtk_box_pack_start (GTK_BOX (row), w, TRUE, TRUE, 0);
  g_object_unref (w);
  d->auto_check[k] = gtk_check_button_new_with_label (_("Automatic"));
  gtk_widget_set_tooltip_text (d->auto_check[k],
                               k == 0 ? _("The model's kernel, or the interpolation's natural "
                                          "support in kernel mode")
                                      : _("The value that makes the output exactly scale times "
                                          "the input"));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->auto_check[k]),
                                config_int (d, auto_knobs[k].property) == auto_knobs[k].automatic);
  g_signal_connect (d->auto_check[k], "toggled", G_CALLBACK (on_auto_toggled), d);
  gtk_box_pack_start (GTK_BOX (row), d->auto_check[k], FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (parent), row, FALSE, FALSE, 0);
  gtk_box_reorder_child (GTK_BOX (parent), row, position);
  gtk_widget_show_all (row);
}

static GtkWidget *
info_column (TconvDialog *d)
{
  GtkWidget *right = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  d->formula = small_label (TRUE);
  d->size = small_label (FALSE);
  d->reason = small_label (FALSE);
  d->offered = small_label (FALSE);
  PangoAttrList *a = pango_attr_list_new ();
  pango_attr_list_insert (a, pango_attr_foreground_new (0xc000, 0, 0));
  gtk_label_set_attributes (GTK_LABEL (d->reason), a);
  pango_attr_list_unref (a);
  d->taps = tconv_taps_view_new ();
  gtk_box_pack_start (GTK_BOX (right), d->formula, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (right), d->size, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (right), d->reason, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (right), d->offered, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (right), d->taps, FALSE, FALSE, 0);
  gtk_widget_show_all (right);
  return right;
}

static void
layer_facts (TconvDialog *d, GimpImage *image, GimpDrawable **drawables)
{
  d->drawable = drawables && drawables[0] ? drawables[0] : NULL;
  if (d->drawable == NULL)
    {
      GimpLayer **layers = gimp_image_get_layers (image);
      d->drawable = layers && layers[0] ? GIMP_DRAWABLE (layers[0]) : NULL;
      g_free (layers);
    }
  d->width = d->drawable ? gimp_drawable_get_width (d->drawable) : gimp_image_get_width (image);
  d->height = d->drawable ? gimp_drawable_get_height (d->drawable) : gimp_image_get_height (image);
  d->channels = d->drawable ? (gimp_drawable_is_gray (d->drawable) ? 1 : 3)
                                + gimp_drawable_has_alpha (d->drawable)
                            : 3;
  d->bytes_per_pixel = d->drawable ? gimp_drawable_get_bpp (d->drawable) : 3;
}

static void
build (TconvDialog *d, GimpProcedure *procedure)
{
  GtkWidget *settings, *main_box;

  d->dialog = GIMP_PROCEDURE_DIALOG (
    gimp_procedure_dialog_new (procedure, d->config, _("Upscale with Transposed Convolution")));
  gimp_procedure_dialog_set_ok_label (d->dialog, _("_Upscale"));
  gtk_window_set_default_size (GTK_WINDOW (d->dialog), 1360, 780);
  settings = gimp_procedure_dialog_fill_box (d->dialog, "settings-box", "mode", "scale",
                                             "kernel-size", "padding", "output-padding",
                                             "dilation", "interpolation", "output", NULL);
  for (int k = 0; k < TCONV_N_AUTO_KNOBS; k++)
    add_auto_check (d, k);
  ellipsize_choice (d, "mode");
  ellipsize_choice (d, "interpolation");
  ellipsize_choice (d, "output");
  gtk_box_pack_start (GTK_BOX (settings), tconv_model_list_new (d), FALSE, FALSE, 0);
  gtk_box_reorder_child (GTK_BOX (settings), gtk_widget_get_parent (d->model_combo), 7);
  main_box = gimp_procedure_dialog_fill_box (d->dialog, "main-box", "settings-box", NULL);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (main_box), GTK_ORIENTATION_HORIZONTAL);
  gtk_box_set_spacing (GTK_BOX (main_box), 12);
  gtk_box_pack_start (GTK_BOX (main_box), info_column (d), FALSE, FALSE, 0);
  if (d->drawable)
    {
      d->preview = tconv_preview_new (d->drawable, d->catalog, d->installed);
      gtk_box_pack_start (GTK_BOX (main_box), d->preview, TRUE, TRUE, 0);
    }
  gimp_procedure_dialog_fill (d->dialog, "main-box", NULL);
  GtkWidget *parent = gtk_widget_get_parent (main_box);
  if (GTK_IS_BOX (parent)) /* the preview takes the height the window is given */
    gtk_container_child_set (GTK_CONTAINER (parent), main_box, "expand", TRUE, "fill", TRUE, NULL);
}

/* Automatic knobs go back to their automatic value: the run resolves them itself, and
 * GIMP remembers "automatic", not this image's numbers. */
static void
store_automatic (TconvDialog *d)
{
  for (int k = 0; k < TCONV_N_AUTO_KNOBS; k++)
    if (tconv_dialog_auto (d, k))
      g_object_set (d->config, auto_knobs[k].property, auto_knobs[k].automatic, NULL);
}

gboolean
tconv_dialog_run (GimpProcedure *procedure, GimpProcedureConfig *config, GimpImage *image,
                  GimpDrawable **drawables, const char *installed_models)
{
  TconvDialog d = { 0 };
  gboolean    ok;

  gimp_ui_init ("tconv");
  d.config = config;
  d.installed = installed_models;
  d.catalog = tconv_model_catalog (installed_models, NULL);
  d.jpeg_quality = tconv_image_jpeg_quality (image);
  layer_facts (&d, image, drawables);
  build (&d, procedure);
  g_signal_connect (config, "notify", G_CALLBACK (on_config_changed), &d);
  tconv_dialog_refresh (&d);
  d.files_after_first = tconv_model_files_read ();
#ifdef TCONV_DIALOG_SELFTEST
  tconv_dialog_self_test_start (&d); /* the test build's (tests/gimp/dialog-selftest.c) */
#endif

  ok = gimp_procedure_dialog_run (d.dialog);
  g_signal_handlers_disconnect_by_data (config, &d);
  if (d.refresh_id)
    g_source_remove (d.refresh_id);
  if (ok)
    store_automatic (&d);
  gtk_widget_destroy (GTK_WIDGET (d.dialog));
  g_ptr_array_unref (d.catalog);
  g_ptr_array_unref (d.model_ids);
  return ok;
}
