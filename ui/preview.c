#include <glib/gi18n-lib.h>
#include <string.h>

#include "artifacts.h"
#include "preview.h"
#include "tconv-gegl.h"

#define CROP 96 /* input pixels per side of the preview crop */

typedef struct
{
  GtkWidget       *area, *mode_combo, *index_label, *status_label;
  float           *input;     /* CROP area of the drawable, R'G'B'A float */
  int              in_w, in_h;
  cairo_surface_t *before, *after;
  double           split;     /* 0..1 of the width */
  guint            generation;
  int              rendered;
  TconvSettings    settings;
  char            *model;     /* owned copy of settings.model */
  const char      *installed;
  gboolean         dragging, syncing;
} Preview;

typedef struct
{
  TconvSettings settings;
  char         *model;
  const char   *installed;
  float        *input;
  int           in_w, in_h, out_w, out_h, scale;
  float        *output;
  double        index;
  guint         generation;
} Job;

static void
job_free (Job *j)
{
  g_free (j->model);
  g_free (j->input);
  g_free (j->output);
  g_free (j);
}

/* Worker thread: the model, the crop's result and the checkerboard index. */
static void
compute (GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  Job           *j = data;
  GError        *error = NULL;
  TconvModel    *m = tconv_settings_model (&j->settings, 4, j->installed, &error);
  TconvImageInfo info = { j->in_w, j->in_h, 4 };
  TconvRunOptions options = { 0, 1, NULL, NULL, NULL };
  double         flat, ramp;
  (void) source, (void) cancel;

  if (m && tconv_engine_output_size (m, j->in_w, j->in_h, &j->out_w, &j->out_h, &error))
    {
      j->scale = m->scale;
      j->output = g_new (float, (gsize) j->out_w * j->out_h * 4);
      if (tconv_engine_run_pixels_direct (m, &info, j->input, j->output, &options, &error)
          && tconv_checkerboard_index (m, &flat, &ramp, &error))
        j->index = MAX (flat, ramp);
    }
  tconv_model_free (m);
  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static cairo_surface_t *
surface_from (const float *rgba, int w, int h, int zoom_from_w, int zoom_from_h)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  guint8          *d = cairo_image_surface_get_data (s);
  int              stride = cairo_image_surface_get_stride (s);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        /* nearest sampling when the source is smaller (the "before" side) */
        int          sx = x * zoom_from_w / w, sy = y * zoom_from_h / h;
        const float *p = rgba + ((gsize) sy * zoom_from_w + sx) * 4;
        guint32      a = (guint32) (CLAMP (p[3], 0, 1) * 255 + 0.5);
        guint32      px = a << 24;
        for (int c = 0; c < 3; c++) /* cairo wants premultiplied */
          px |= (guint32) (CLAMP (p[c], 0, 1) * a + 0.5) << (16 - 8 * c);
        *(guint32 *) (void *) (d + (gsize) y * stride + 4 * x) = px;
      }
  cairo_surface_mark_dirty (s);
  return s;
}

static void
done (GObject *source, GAsyncResult *res, gpointer data)
{
  GtkWidget *box = GTK_WIDGET (source);
  Preview   *p = data;
  Job       *j = g_task_get_task_data (G_TASK (res));
  GError    *error = NULL;
  (void) box;

  if (!g_task_propagate_boolean (G_TASK (res), &error))
    {
      if (j->generation == p->generation)
        gtk_label_set_text (GTK_LABEL (p->status_label), error->message);
      g_error_free (error);
      return;
    }
  if (j->generation != p->generation)
    return; /* settings changed meanwhile: a newer job is coming */
  g_clear_pointer (&p->before, cairo_surface_destroy);
  g_clear_pointer (&p->after, cairo_surface_destroy);
  p->after = surface_from (j->output, j->out_w, j->out_h, j->out_w, j->out_h);
  p->before = surface_from (p->input, j->out_w, j->out_h, p->in_w, p->in_h);
  g_autofree char *idx = g_strdup_printf (_("Checkerboard index: %.3f (1/255)"), j->index);
  gtk_label_set_text (GTK_LABEL (p->index_label), idx);
  gtk_label_set_text (GTK_LABEL (p->status_label), _("Left: before (nearest) · right: after"));
  gtk_widget_set_size_request (p->area, MIN (j->out_w, 320), MIN (j->out_h, 320));
  p->rendered++;
  gtk_widget_queue_draw (p->area);
}

static void
start (Preview *p)
{
  GtkWidget *box = gtk_widget_get_parent (p->area);
  Job       *j = g_new0 (Job, 1);
  GTask     *task;

  j->settings = p->settings;
  j->settings.mode = gtk_combo_box_get_active (GTK_COMBO_BOX (p->mode_combo));
  j->model = g_strdup (p->model);
  j->settings.model = j->model;
  if (j->settings.mode != p->settings.mode)
    {
      /* another mode than the dialog's: its defaults, not the dialog's geometry */
      j->settings.model = NULL;
      j->settings.kernel = 0;
      j->settings.padding = j->settings.output_padding = -1;
    }
  j->installed = p->installed;
  j->input = g_memdup2 (p->input, (gsize) p->in_w * p->in_h * 4 * sizeof (float));
  j->in_w = p->in_w;
  j->in_h = p->in_h;
  j->generation = ++p->generation;
  gtk_label_set_text (GTK_LABEL (p->status_label), _("Computing preview..."));
  task = g_task_new (box, NULL, done, p);
  g_task_set_task_data (task, j, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, compute);
  g_object_unref (task);
}

static gboolean
draw (GtkWidget *w, cairo_t *cr, Preview *p)
{
  int width = gtk_widget_get_allocated_width (w), height = gtk_widget_get_allocated_height (w);
  int sw, sh, ox, oy;

  cairo_set_source_rgb (cr, 0.5, 0.5, 0.5);
  cairo_paint (cr);
  if (p->after == NULL)
    return FALSE;
  sw = cairo_image_surface_get_width (p->after);
  sh = cairo_image_surface_get_height (p->after);
  ox = (width - sw) / 2; /* 1:1, centred: the middle of the result */
  oy = (height - sh) / 2;
  double split_x = width * p->split;

  cairo_save (cr);
  cairo_rectangle (cr, 0, 0, split_x, height);
  cairo_clip (cr);
  cairo_set_source_surface (cr, p->before, ox, oy);
  cairo_paint (cr);
  cairo_restore (cr);
  cairo_save (cr);
  cairo_rectangle (cr, split_x, 0, width - split_x, height);
  cairo_clip (cr);
  cairo_set_source_surface (cr, p->after, ox, oy);
  cairo_paint (cr);
  cairo_restore (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_set_line_width (cr, 2);
  cairo_move_to (cr, split_x, 0);
  cairo_line_to (cr, split_x, height);
  cairo_stroke (cr);
  return FALSE;
}

static gboolean
on_press (GtkWidget *w, GdkEventButton *e, Preview *p)
{
  p->dragging = TRUE;
  p->split = CLAMP (e->x / gtk_widget_get_allocated_width (w), 0.0, 1.0);
  gtk_widget_queue_draw (w);
  return TRUE;
}

static gboolean
on_motion (GtkWidget *w, GdkEventMotion *e, Preview *p)
{
  if (p->dragging)
    {
      p->split = CLAMP (e->x / gtk_widget_get_allocated_width (w), 0.0, 1.0);
      gtk_widget_queue_draw (w);
    }
  return TRUE;
}

static gboolean
on_release (GtkWidget *w, GdkEventButton *e, Preview *p)
{
  (void) w, (void) e;
  p->dragging = FALSE;
  return TRUE;
}

static void
on_mode (GtkComboBox *combo, Preview *p)
{
  (void) combo;
  if (!p->syncing)
    start (p);
}

static void
preview_free (Preview *p)
{
  g_clear_pointer (&p->before, cairo_surface_destroy);
  g_clear_pointer (&p->after, cairo_surface_destroy);
  g_free (p->input);
  g_free (p->model);
  g_free (p);
}

GtkWidget *
tconv_preview_new (GimpDrawable *drawable, const char *installed)
{
  Preview   *p = g_new0 (Preview, 1);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  int        w = gimp_drawable_get_width (drawable), h = gimp_drawable_get_height (drawable);

  p->installed = installed;
  p->split = 0.5;
  p->in_w = MIN (CROP, w);
  p->in_h = MIN (CROP, h);
  p->input = g_new (float, (gsize) p->in_w * p->in_h * 4);
  {
    g_autoptr (GeglBuffer) buf = gimp_drawable_get_buffer (drawable);
    GeglRectangle r = { (w - p->in_w) / 2, (h - p->in_h) / 2, p->in_w, p->in_h };
    gegl_buffer_get (buf, &r, 1.0,
                     babl_format_with_space ("R'G'B'A float", gimp_drawable_get_format (drawable)),
                     p->input, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_CLAMP);
  }

  p->mode_combo = gtk_combo_box_text_new ();
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (p->mode_combo), _("Transposed"));
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (p->mode_combo), _("Resize + conv"));
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (p->mode_combo), _("Kernel"));
  gtk_combo_box_set_active (GTK_COMBO_BOX (p->mode_combo), 0);
  g_signal_connect (p->mode_combo, "changed", G_CALLBACK (on_mode), p);

  p->area = gtk_drawing_area_new ();
  gtk_widget_set_size_request (p->area, 192, 192);
  gtk_widget_add_events (p->area, GDK_BUTTON_PRESS_MASK | GDK_BUTTON_RELEASE_MASK
                                    | GDK_POINTER_MOTION_MASK);
  g_signal_connect (p->area, "draw", G_CALLBACK (draw), p);
  g_signal_connect (p->area, "button-press-event", G_CALLBACK (on_press), p);
  g_signal_connect (p->area, "motion-notify-event", G_CALLBACK (on_motion), p);
  g_signal_connect (p->area, "button-release-event", G_CALLBACK (on_release), p);
  p->status_label = gtk_label_new ("");
  p->index_label = gtk_label_new ("");
  gtk_widget_set_halign (p->index_label, GTK_ALIGN_START);

  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_pack_start (GTK_BOX (row), gtk_label_new (_("Preview:")), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (row), p->mode_combo, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), row, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), p->area, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (box), p->status_label, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), p->index_label, FALSE, FALSE, 0);
  g_object_set_data_full (G_OBJECT (box), "preview", p, (GDestroyNotify) preview_free);
  gtk_widget_show_all (box);
  return box;
}

void
tconv_preview_update (GtkWidget *box, const TconvSettings *s)
{
  Preview *p = g_object_get_data (G_OBJECT (box), "preview");

  g_free (p->model);
  p->settings = *s;
  p->model = g_strdup (s->model);
  p->settings.model = p->model;
  p->syncing = TRUE;
  gtk_combo_box_set_active (GTK_COMBO_BOX (p->mode_combo), s->mode);
  p->syncing = FALSE;
  start (p);
}

int
tconv_preview_rendered (GtkWidget *box)
{
  Preview *p = g_object_get_data (G_OBJECT (box), "preview");
  return p->rendered;
}
