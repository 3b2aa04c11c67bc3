/* tconv dialog — GimpProcedureDialog for the arguments, plus what makes the layer's
 * hyperparameters tangible: the output-size formula, a drawing of the kernel taps,
 * and a live preview.  Setting TCONV_DIALOG_SELFTEST=FILE makes the dialog drive its
 * own spin buttons, record what it shows in FILE, save a screenshot next to it and
 * cancel: the GUI test under Xvfb uses it. */
#include <glib/gi18n-lib.h>
#include <libgimp/gimpui.h>

#include "geometry.h"
#include "preview.h"
#include "taps-view.h"
#include "tconv-dialog.h"

typedef struct
{
  GimpProcedureDialog *dialog;
  GimpProcedureConfig *config;
  GimpDrawable        *drawable;
  const char          *installed;
  GtkWidget *formula, *size, *reason, *offered, *taps, *preview;
  int        width, height, channels, bytes_per_pixel;
  guint      refresh_id;
} Dialog;

/* The settings in the config; `storage` owns the model string. */
static void
read_settings (Dialog *d, TconvSettings *s, char **storage)
{
  int mode;
  tconv_settings_init (s);
  for (int i = 0; i < tconv_n_int_settings; i++)
    g_object_get (d->config, tconv_int_settings[i].name,
                  &G_STRUCT_MEMBER (int, s, tconv_int_settings[i].offset), NULL);
  mode = gimp_procedure_config_get_choice_id (d->config, "mode");
  s->mode = mode >= 3 ? TCONV_MODE_TRANSPOSED : (TconvMode) mode; /* compare: as transposed */
  s->interpolation = gimp_procedure_config_get_choice_id (d->config, "interpolation");
  g_object_get (d->config, "model", storage, NULL);
  s->model = *storage;
}

static gboolean
refresh (gpointer data)
{
  Dialog          *d = data;
  g_autofree char *model = NULL;
  TconvSettings    s;
  TconvGeometry    g;

  d->refresh_id = 0;
  read_settings (d, &s, &model);
  tconv_geometry_compute (&s, d->width, d->height, d->channels, d->bytes_per_pixel,
                          d->installed, &g);
  g_autofree char *formula = g.formula[0] ? g_strdup_printf ("%s\n%s", g.formula[0], g.formula[1])
                                          : g_strdup ("");
  gtk_label_set_text (GTK_LABEL (d->formula), formula);
  gtk_label_set_text (GTK_LABEL (d->size), g.size ? g.size : "");
  gtk_label_set_text (GTK_LABEL (d->reason), g.reason ? g.reason : "");
  g_autofree char *offered = g.offered ? g_strdup_printf (_("Shipped models: %s"),
                                                          *g.offered ? g.offered : _("none"))
                                       : g_strdup (_("Kernel mode: any stride, kernel and padding"));
  gtk_label_set_text (GTK_LABEL (d->offered), offered);
  gtk_dialog_set_response_sensitive (GTK_DIALOG (d->dialog), GTK_RESPONSE_OK, g.runnable);
  tconv_taps_view_set (d->taps, &g);
  if (g.runnable)
    tconv_preview_update (d->preview, &s);
  /* the dilation and interpolation only mean something for fixed kernels */
  gboolean kernel = s.mode == TCONV_MODE_KERNEL;
  gimp_procedure_dialog_set_sensitive (d->dialog, "dilation", kernel, NULL, NULL, FALSE);
  gimp_procedure_dialog_set_sensitive (d->dialog, "interpolation", kernel, NULL, NULL, FALSE);
  gimp_procedure_dialog_set_sensitive (d->dialog, "model", !kernel, NULL, NULL, FALSE);
  tconv_geometry_clear (&g);
  return G_SOURCE_REMOVE;
}

static void
on_config_changed (GObject *config, GParamSpec *pspec, Dialog *d)
{
  (void) config, (void) pspec;
  if (d->refresh_id == 0)
    d->refresh_id = g_idle_add (refresh, d); /* once per burst of changes */
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

/* ---- self-test (GUI test under Xvfb) ------------------------------------------------ */

typedef struct
{
  Dialog  *d;
  GString *log;
  char    *path;
  int      step, waited;
} SelfTest;

static void
record (SelfTest *t, const char *what)
{
  gboolean ok = gtk_widget_get_sensitive (
    gtk_dialog_get_widget_for_response (GTK_DIALOG (t->d->dialog), GTK_RESPONSE_OK));
  g_string_append_printf (t->log, "[%s]\nformula: %s\nsize: %s\nreason: %s\nok-sensitive: %d\n",
                          what, gtk_label_get_text (GTK_LABEL (t->d->formula)),
                          gtk_label_get_text (GTK_LABEL (t->d->size)),
                          gtk_label_get_text (GTK_LABEL (t->d->reason)), ok);
}

static void
set_spin (SelfTest *t, const char *property, int value)
{
  GtkWidget *w = gimp_procedure_dialog_get_widget (t->d->dialog, property, G_TYPE_NONE);
  GList     *children = NULL;
  GtkWidget *spin = GTK_IS_SPIN_BUTTON (w) ? w : NULL;

  /* the generated widget may wrap its spin button in a box */
  if (spin == NULL && GTK_IS_CONTAINER (w))
    for (children = gtk_container_get_children (GTK_CONTAINER (w)); children && !spin;
         children = children->next)
      if (GTK_IS_SPIN_BUTTON (children->data))
        spin = children->data;
  if (spin)
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), value);
  else
    g_object_set (t->d->config, property, value, NULL);
  g_string_append_printf (t->log, "set %s = %d via %s\n", property, value,
                          spin ? "spin button" : "config");
}

static void
screenshot (SelfTest *t)
{
  GdkWindow *win = gtk_widget_get_window (GTK_WIDGET (t->d->dialog));
  GdkPixbuf *pix = gdk_pixbuf_get_from_window (win, 0, 0, gdk_window_get_width (win),
                                               gdk_window_get_height (win));
  g_autofree char *png = g_strconcat (t->path, ".png", NULL);
  if (pix && gdk_pixbuf_save (pix, png, "png", NULL, NULL))
    g_string_append_printf (t->log, "screenshot: %s\n", png);
  g_clear_object (&pix);
}

static gboolean
self_test_step (gpointer data)
{
  SelfTest *t = data;

  if (t->d->refresh_id)
    return G_SOURCE_CONTINUE; /* let the dialog catch up */
  switch (t->step++)
    {
    case 0:
      g_string_append_printf (t->log, "label-mode: %s\nlabel-scale: %s\n",
                              g_param_spec_get_nick (g_object_class_find_property (
                                G_OBJECT_GET_CLASS (t->d->config), "mode")),
                              g_param_spec_get_nick (g_object_class_find_property (
                                G_OBJECT_GET_CLASS (t->d->config), "scale")));
      g_string_append_printf (t->log, "title: %s\n", gtk_window_get_title (GTK_WINDOW (t->d->dialog)));
      record (t, "initial");
      set_spin (t, "scale", 5); /* no shipped model for x5: OK must go off */
      break;
    case 1:
      record (t, "learned scale 5");
      g_object_set (t->d->config, "mode", "kernel", NULL);
      set_spin (t, "scale", 3);
      set_spin (t, "kernel-size", 5);
      set_spin (t, "padding", 1);
      break;
    case 2:
      record (t, "kernel s3 k5 p1");
      set_spin (t, "scale", 2);
      set_spin (t, "output-padding", 3); /* PyTorch's rule: < max(stride, dilation) */
      break;
    case 3:
      record (t, "kernel s2 op3");
      g_object_set (t->d->config, "mode", "transposed", NULL);
      set_spin (t, "kernel-size", 0);
      set_spin (t, "padding", -1);
      set_spin (t, "output-padding", -1);
      break;
    case 4:
      record (t, "back to transposed x2");
      break;
    default:
      /* wait for a rendered preview (up to ~20 s), then screenshot and leave */
      if (tconv_preview_rendered (t->d->preview) == 0 && t->waited++ < 100)
        return G_SOURCE_CONTINUE;
      g_string_append_printf (t->log, "preview-rendered: %d\n",
                              tconv_preview_rendered (t->d->preview));
      screenshot (t);
      g_file_set_contents (t->path, t->log->str, -1, NULL);
      gtk_dialog_response (GTK_DIALOG (t->d->dialog), GTK_RESPONSE_CANCEL);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
self_test_free (SelfTest *t)
{
  g_string_free (t->log, TRUE);
  g_free (t->path);
  g_free (t);
}

/* ---- the dialog -------------------------------------------------------------------- */

gboolean
tconv_dialog_run (GimpProcedure *procedure, GimpProcedureConfig *config, GimpImage *image,
                  GimpDrawable **drawables, const char *installed_models)
{
  Dialog     d = { 0 };
  GtkWidget *right, *main_box;
  gboolean   ok;

  gimp_ui_init ("tconv");
  d.config = config;
  d.installed = installed_models;
  d.drawable = drawables && drawables[0] ? drawables[0] : NULL;
  if (d.drawable == NULL)
    {
      GimpLayer **layers = gimp_image_get_layers (image);
      d.drawable = layers && layers[0] ? GIMP_DRAWABLE (layers[0]) : NULL;
      g_free (layers);
    }
  d.width = d.drawable ? gimp_drawable_get_width (d.drawable) : gimp_image_get_width (image);
  d.height = d.drawable ? gimp_drawable_get_height (d.drawable) : gimp_image_get_height (image);
  d.channels = d.drawable ? (gimp_drawable_is_gray (d.drawable) ? 1 : 3)
                              + gimp_drawable_has_alpha (d.drawable)
                          : 3;
  d.bytes_per_pixel = d.drawable ? gimp_drawable_get_bpp (d.drawable) : 3;

  d.dialog = GIMP_PROCEDURE_DIALOG (
    gimp_procedure_dialog_new (procedure, config, _("Upscale with Transposed Convolution")));
  gimp_procedure_dialog_set_ok_label (d.dialog, _("_Upscale"));
  gimp_procedure_dialog_fill_box (d.dialog, "settings-box", "mode", "scale", "kernel-size",
                                  "padding", "output-padding", "dilation", "interpolation",
                                  "model", "output", NULL);
  main_box = gimp_procedure_dialog_fill_box (d.dialog, "main-box", "settings-box", NULL);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (main_box), GTK_ORIENTATION_HORIZONTAL);
  gtk_box_set_spacing (GTK_BOX (main_box), 12);

  right = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  d.formula = small_label (TRUE);
  d.size = small_label (FALSE);
  d.reason = small_label (FALSE);
  d.offered = small_label (FALSE);
  {
    PangoAttrList *a = pango_attr_list_new ();
    pango_attr_list_insert (a, pango_attr_foreground_new (0xc000, 0, 0));
    gtk_label_set_attributes (GTK_LABEL (d.reason), a);
    pango_attr_list_unref (a);
  }
  d.taps = tconv_taps_view_new ();
  gtk_box_pack_start (GTK_BOX (right), d.formula, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (right), d.size, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (right), d.reason, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (right), d.offered, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (right), d.taps, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (main_box), right, FALSE, FALSE, 0);
  if (d.drawable)
    {
      d.preview = tconv_preview_new (d.drawable, installed_models);
      gtk_box_pack_start (GTK_BOX (main_box), d.preview, TRUE, TRUE, 0);
    }
  gtk_widget_show_all (right);
  gimp_procedure_dialog_fill (d.dialog, "main-box", NULL);

  g_signal_connect (config, "notify", G_CALLBACK (on_config_changed), &d);
  refresh (&d);

  const char *selftest = g_getenv ("TCONV_DIALOG_SELFTEST");
  if (selftest && d.preview)
    {
      SelfTest *t = g_new0 (SelfTest, 1);
      t->d = &d;
      t->log = g_string_new (NULL);
      t->path = g_strdup (selftest);
      g_timeout_add_full (G_PRIORITY_DEFAULT, 200, self_test_step, t,
                          (GDestroyNotify) self_test_free);
    }

  ok = gimp_procedure_dialog_run (d.dialog);
  g_signal_handlers_disconnect_by_data (config, &d);
  if (d.refresh_id)
    g_source_remove (d.refresh_id);
  gtk_widget_destroy (GTK_WIDGET (d.dialog));
  return ok;
}
