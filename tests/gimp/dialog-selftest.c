/* tconv dialog — the GUI test's driver, compiled only into the test build of the plug-in
 * (tests/meson.build): with TCONV_DIALOG_SELFTEST=FILE the dialog drives its
 * own widgets (spin buttons, check boxes, the preview's view), records what it shows in
 * FILE, saves screenshots next to it (FILE-normal.png, -compare.png, -spectrum.png), then
 * writes where its Upscale button is on the screen once the button can take a click, and
 * waits for a real pointer click there (tests/gimp/test-gimp-dialog.sh clicks with
 * xdotool); without one it cancels.  The dialog's response is logged, so the test tells a
 * click that missed from a run that went wrong. */
#include <string.h>
#include <glib/gi18n-lib.h>

#include "dialog-private.h"
#include "model-file.h"
#include "preview.h"

typedef struct
{
  TconvDialog *d;
  GString     *log;
  char        *path;
  int          step, waited, waited_compare, rendered_before, settling;
  gboolean     parked;
  guint        source;            /* the stepping timeout */
  int          ok_x, ok_y;        /* Upscale's centre at the last tick, root coordinates */
} SelfTest;

static void
record (SelfTest *t, const char *what)
{
  GtkWidget *ok = gtk_dialog_get_widget_for_response (GTK_DIALOG (t->d->dialog), GTK_RESPONSE_OK);
  g_string_append_printf (t->log, "[%s]\nformula: %s\nsize: %s\nreason: %s\nok-sensitive: %d\n",
                          what, gtk_label_get_text (GTK_LABEL (t->d->formula)),
                          gtk_label_get_text (GTK_LABEL (t->d->size)),
                          gtk_label_get_text (GTK_LABEL (t->d->reason)),
                          gtk_widget_get_sensitive (ok));
  static const char *const knobs[] = { "kernel-size", "padding", "output-padding" };
  for (int k = 0; k < TCONV_N_AUTO_KNOBS; k++)
    {
      int v;
      g_object_get (t->d->config, knobs[k], &v, NULL);
      g_string_append_printf (t->log, "shown %s: %d%s\n", knobs[k], v,
                              tconv_dialog_auto (t->d, k) ? " (automatic)" : "");
    }
  g_string_append_printf (t->log, "model row: %s\n",
                          gtk_combo_box_text_get_active_text (GTK_COMBO_BOX_TEXT (t->d->model_combo)));
}

static GtkSpinButton *
spin_of (SelfTest *t, const char *property)
{
  GtkWidget *w = gimp_procedure_dialog_get_widget (t->d->dialog, property, G_TYPE_NONE);
  if (GTK_IS_SPIN_BUTTON (w))
    return GTK_SPIN_BUTTON (w);
  g_autoptr (GList) children = GTK_IS_CONTAINER (w) ? gtk_container_get_children (GTK_CONTAINER (w))
                                                    : NULL;
  for (GList *c = children; c; c = c->next)
    if (GTK_IS_SPIN_BUTTON (c->data))
      return c->data;
  return NULL;
}

static void
set_spin (SelfTest *t, const char *property, int value)
{
  GtkSpinButton *spin = spin_of (t, property);
  if (spin)
    gtk_spin_button_set_value (spin, value);
  else
    g_object_set (t->d->config, property, value, NULL);
  g_string_append_printf (t->log, "set %s = %d via %s\n", property, value,
                          spin ? "spin button" : "config");
}

static void
set_auto (SelfTest *t, int knob, gboolean automatic)
{
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (t->d->auto_check[knob]), automatic);
}

static void
screenshot (SelfTest *t, const char *name)
{
  GdkWindow *win = gtk_widget_get_window (GTK_WIDGET (t->d->dialog));
  GdkPixbuf *pix = gdk_pixbuf_get_from_window (win, 0, 0, gdk_window_get_width (win),
                                               gdk_window_get_height (win));
  g_autofree char *png = g_strdup_printf ("%s-%s.png", t->path, name);
  if (pix && gdk_pixbuf_save (pix, png, "png", NULL, NULL))
    g_string_append_printf (t->log, "screenshot: %s\n", png);
  g_clear_object (&pix);
}

/* TRUE once the preview has shown a result newer than the last step's. */
static gboolean
preview_caught_up (SelfTest *t)
{
  int rendered = tconv_preview_rendered (t->d->preview);
  if (rendered > t->rendered_before || t->waited++ > 150)
    {
      g_string_append_printf (t->log, "preview-rendered: %d\n", rendered);
      t->rendered_before = rendered;
      t->waited = 0;
      return TRUE;
    }
  return FALSE;
}

/* Whether the preview shows the compare view's four tiles yet: under load a render of
 * the view before it can be what preview_caught_up sees first. */
static gboolean
compare_shown (SelfTest *t)
{
  g_autofree char *text = tconv_preview_describe (t->d->preview);
  return strstr (text, "tile 3: ") != NULL || t->waited_compare++ > 600; /* 2 min */
}

/* Whether the window has been repainted since the state a screenshot is to show: the
 * preview's state changes before its pixels do (a screenshot taken at once showed the
 * view before), so ask for a redraw and wait two ticks. */
static gboolean
painted (SelfTest *t)
{
  if (t->settling == 0)
    gtk_widget_queue_draw (GTK_WIDGET (t->d->dialog));
  if (t->settling++ < 2)
    return FALSE;
  t->settling = 0;
  return TRUE;
}

static void
describe_preview (SelfTest *t)
{
  g_autofree char *text = tconv_preview_describe (t->d->preview);
  g_string_append (t->log, text);
}

/* Whether Upscale can take a click where t->ok_x, t->ok_y say (its centre in root
 * coordinates): mapped, sensitive, and in the same place as at the last tick (a relayout
 * still pending after the last step would move it, and a click at a stale place misses). */
static gboolean
ok_button_ready (SelfTest *t)
{
  GtkWidget    *ok = gtk_dialog_get_widget_for_response (GTK_DIALOG (t->d->dialog), GTK_RESPONSE_OK);
  GtkWidget    *top = gtk_widget_get_toplevel (ok);
  GtkAllocation a;
  int           wx, wy, rx, ry;

  if (!gtk_widget_get_mapped (ok) || !gtk_widget_is_sensitive (ok))
    return FALSE;
  gtk_widget_get_allocation (ok, &a);
  gtk_widget_translate_coordinates (ok, top, a.width / 2, a.height / 2, &wx, &wy);
  gdk_window_get_origin (gtk_widget_get_window (top), &rx, &ry);
  gboolean still = rx + wx == t->ok_x && ry + wy == t->ok_y;
  t->ok_x = rx + wx;
  t->ok_y = ry + wy;
  return still;
}

/* Where a real click presses Upscale, for the test's xdotool; the log so far with it. */
static void
publish_ok_button (SelfTest *t)
{
  g_string_append_printf (t->log, "model-files-read-after-first-refresh: %u\n",
                          tconv_model_files_read () - t->d->files_after_first);
  g_string_append_printf (t->log, "refreshes: %d\n", t->d->refreshes);
  if (t->ok_x >= 0)
    g_string_append_printf (t->log, "ok-button: %d %d\n", t->ok_x, t->ok_y);
  else
    g_string_append (t->log, "ok-button-never-ready: unmapped, insensitive or moving\n");
  g_file_set_contents (t->path, t->log->str, -1, NULL);
}

/* The dialog's answer (the click's, or the give-up's cancel), logged for the test; the
 * test ends with it: the stepping stops before the dialog (whose state it reads) goes. */
static void
on_response (GtkDialog *dialog, int response, SelfTest *t)
{
  g_signal_handlers_disconnect_by_data (dialog, t);
  g_string_append_printf (t->log, "response: %s\n",
                          response == GTK_RESPONSE_OK ? "upscale" : "cancel");
  g_file_set_contents (t->path, t->log->str, -1, NULL);
  g_source_remove (t->source); /* frees t */
}

/* Learned mode at a scale without a model, then kernel mode with explicit values. */
static void
drive_settings (SelfTest *t, int step)
{
  switch (step)
    {
    case 0:
      g_string_append_printf (t->log, "label-mode: %s\nlabel-scale: %s\ntitle: %s\n",
                              g_param_spec_get_nick (g_object_class_find_property (
                                G_OBJECT_GET_CLASS (t->d->config), "mode")),
                              g_param_spec_get_nick (g_object_class_find_property (
                                G_OBJECT_GET_CLASS (t->d->config), "scale")),
                              gtk_window_get_title (GTK_WINDOW (t->d->dialog)));
      record (t, "initial");
      set_spin (t, "scale", 5); /* no shipped model for x5: Upscale must go off */
      break;
    case 1:
      record (t, "learned scale 5");
      g_object_set (t->d->config, "mode", "kernel", NULL);
      set_auto (t, 0, FALSE);
      set_auto (t, 1, FALSE);
      set_spin (t, "scale", 3);
      set_spin (t, "kernel-size", 5);
      set_spin (t, "padding", 1);
      break;
    case 2:
      record (t, "kernel s3 k5 p1");
      set_auto (t, 2, FALSE);
      set_spin (t, "scale", 2);
      set_spin (t, "output-padding", 3); /* PyTorch's rule: < max(stride, dilation) */
      break;
    case 3:
      record (t, "kernel s2 op3");
      g_object_set (t->d->config, "mode", "transposed", NULL);
      for (int k = 0; k < TCONV_N_AUTO_KNOBS; k++)
        set_auto (t, k, TRUE);
      break;
    default:
      record (t, "back to transposed x2");
      break;
    }
}

/* The pointer to the screen's far corner, off the dialog: Xvfb starts it at the centre,
 * which in the Russian layout is over the navigation thumbnail, whose tooltip (another
 * window, unpainted under Xvfb) covered part of every screenshot. */
static void
park_pointer (SelfTest *t)
{
  GdkDisplay  *display = gtk_widget_get_display (GTK_WIDGET (t->d->dialog));
  GdkDevice   *pointer = gdk_seat_get_pointer (gdk_display_get_default_seat (display));
  GdkRectangle screen;
  gdk_monitor_get_geometry (gdk_display_get_monitor (display, 0), &screen);
  gdk_device_warp (pointer, gtk_widget_get_screen (GTK_WIDGET (t->d->dialog)),
                   screen.x + screen.width - 1, screen.y + screen.height - 1);
  t->parked = TRUE;
}

static gboolean
self_test_step (gpointer data)
{
  SelfTest *t = data;

  if (!t->parked)
    park_pointer (t);

  if (t->d->refresh_id)
    return G_SOURCE_CONTINUE; /* let the dialog catch up */
  if (t->step <= 4)
    {
      drive_settings (t, t->step++);
      return G_SOURCE_CONTINUE;
    }
  switch (t->step)
    {
    case 5: /* the before/after view; then a kernel geometry that shows a checkerboard */
      if (t->settling == 0 && !preview_caught_up (t))
        return G_SOURCE_CONTINUE;
      if (!painted (t))
        return G_SOURCE_CONTINUE;
      screenshot (t, "normal");
      g_object_set (t->d->config, "mode", "kernel", "interpolation", "bilinear", NULL);
      set_auto (t, 0, FALSE);
      set_spin (t, "kernel-size", 3); /* 3 % 2 != 0: uneven overlap */
      tconv_preview_set_view (t->d->preview, TRUE, 4, TCONV_OVERLAY_IMAGE);
      break;
    case 6: /* the compare view */
      if (t->settling == 0 && (!compare_shown (t) || !preview_caught_up (t)))
        return G_SOURCE_CONTINUE;
      if (!painted (t))
        return G_SOURCE_CONTINUE;
      describe_preview (t);
      screenshot (t, "compare");
      tconv_preview_set_view (t->d->preview, TRUE, 4, TCONV_OVERLAY_SPECTRUM);
      break;
    case 7: /* the spectra (drawn from the same results) */
      if (!painted (t))
        return G_SOURCE_CONTINUE;
      screenshot (t, "spectrum");
      tconv_preview_set_view (t->d->preview, FALSE, 2, TCONV_OVERLAY_IMAGE);
      g_object_set (t->d->config, "mode", "transposed", NULL);
      set_auto (t, 0, TRUE);
      break;
    case 8: /* back to the default model: what the click will run */
      record (t, "before the click");
      break;
    case 9: /* publish where Upscale is once a click there can press it (~30 s at most) */
      if (!ok_button_ready (t) && t->waited++ < 150)
        return G_SOURCE_CONTINUE;
      if (t->waited > 150)
        t->ok_x = t->ok_y = -1;
      publish_ok_button (t);
      t->waited = 0;
      if (t->ok_x < 0)
        {
          gtk_dialog_response (GTK_DIALOG (t->d->dialog), GTK_RESPONSE_CANCEL);
          return G_SOURCE_REMOVE;
        }
      break;
    default: /* wait for the click (~60 s), then give up */
      if (t->waited++ < 300)
        return G_SOURCE_CONTINUE;
      gtk_dialog_response (GTK_DIALOG (t->d->dialog), GTK_RESPONSE_CANCEL);
      return G_SOURCE_REMOVE;
    }
  t->step++;
  return G_SOURCE_CONTINUE;
}

static void
self_test_free (SelfTest *t)
{
  g_string_free (t->log, TRUE);
  g_free (t->path);
  g_free (t);
}

void
tconv_dialog_self_test_start (TconvDialog *d)
{
  const char *path = g_getenv ("TCONV_DIALOG_SELFTEST");
  if (path == NULL || d->preview == NULL)
    return;
  SelfTest *t = g_new0 (SelfTest, 1);
  t->d = d;
  t->log = g_string_new (NULL);
  t->path = g_strdup (path);
  t->ok_x = t->ok_y = -1;
  t->source = g_timeout_add_full (G_PRIORITY_DEFAULT, 200, self_test_step, t,
                                  (GDestroyNotify) self_test_free);
  g_signal_connect (d->dialog, "response", G_CALLBACK (on_response), t);
}
