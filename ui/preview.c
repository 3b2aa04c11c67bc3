#include <glib/gi18n-lib.h>
#include <libgimp/gimpui.h>
#include <math.h>
#include <string.h>

#include "combo.h"
#include "preview-tiles.h"
#include "taps-figure.h"
#include "preview.h"

#define MARGIN   8   /* input pixels computed around the visible crop: no border effects */
#define MAX_CROP 384 /* input pixels per side, at most: a preview stays interactive */
#define MIN_CROP 144 /* and at least: the spectra need 256 output pixels at x2 */
#define NAV_SIZE 160

static const int zooms[] = { 1, 2, 4, 8 };

typedef struct
{
  cairo_surface_t *image, *map, *spectrum;
} Surfaces;

typedef enum
{
  DRAG_NONE,
  DRAG_SPLIT,
  DRAG_PAN
} Drag;

typedef struct
{
  GtkWidget    *area, *nav, *compare, *zoom_combo, *overlay_combo, *spinner, *status;
  GeglBuffer   *buffer;
  const Babl   *format;
  int           layer_w, layer_h;
  GdkPixbuf    *thumb;
  GPtrArray    *catalog;
  const char   *installed;
  TconvSettings settings;
  char         *model;
  gboolean      have_settings;
  int           zoom;
  double        cx, cy, split; /* view centre (layer pixels); split: 0..1 of the width */
  Drag          drag;
  double        press_x, press_y, press_cx, press_cy;
  TconvTileJob *shown;         /* the result on screen, and where its crop starts */
  int           shown_x, shown_y;
  Surfaces      surfaces[TCONV_N_TILE_KINDS];
  cairo_surface_t *before;
  gint         *cancel;        /* of the job in flight */
  guint         generation, restart_id;
  int           rendered;
} Preview;

/* ---- surfaces ------------------------------------------------------------------------- */

static cairo_surface_t *
surface_rgba (const float *rgba, int w, int h)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  guint8          *d = cairo_image_surface_get_data (s);
  int              stride = cairo_image_surface_get_stride (s);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        const float *p = rgba + ((gsize) y * w + x) * 4;
        guint32      a = (guint32) (CLAMP (p[3], 0, 1) * 255 + 0.5), px = a << 24;
        for (int c = 0; c < 3; c++) /* cairo wants premultiplied */
          px |= (guint32) (CLAMP (p[c], 0, 1) * a + 0.5) << (16 - 8 * c);
        *(guint32 *) (void *) (d + (gsize) y * stride + 4 * x) = px;
      }
  cairo_surface_mark_dirty (s);
  return s;
}

static cairo_surface_t *
surface_gray (const float *v, int w, int h)
{
  float *rgba = g_new (float, (gsize) w * h * 4);
  for (gsize i = 0; i < (gsize) w * h; i++)
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = v[i], rgba[4 * i + 3] = 1.0f;
  cairo_surface_t *s = surface_rgba (rgba, w, h);
  g_free (rgba);
  return s;
}

static void
clear_surfaces (Preview *p)
{
  for (int i = 0; i < TCONV_N_TILE_KINDS; i++)
    {
      g_clear_pointer (&p->surfaces[i].image, cairo_surface_destroy);
      g_clear_pointer (&p->surfaces[i].map, cairo_surface_destroy);
      g_clear_pointer (&p->surfaces[i].spectrum, cairo_surface_destroy);
    }
  g_clear_pointer (&p->before, cairo_surface_destroy);
}

static void
make_surfaces (Preview *p)
{
  const TconvTileJob *j = p->shown;
  clear_surfaces (p);
  for (int i = 0; i < j->n_tiles; i++)
    {
      const TconvTile *t = &j->tiles[i];
      if (t->rgba)
        p->surfaces[i].image = surface_rgba (t->rgba, t->w, t->h);
      if (t->map)
        p->surfaces[i].map = surface_gray (t->map, t->w, t->h);
      if (t->spectrum)
        p->surfaces[i].spectrum = surface_gray (t->spectrum, t->spectrum_n, t->spectrum_n);
    }
  p->before = surface_rgba (j->input, j->in_w, j->in_h);
}

/* ---- geometry ------------------------------------------------------------------------- */

static int
scale_of (const Preview *p)
{
  return p->settings.scale ? p->settings.scale : 2;
}

static gboolean
comparing (const Preview *p)
{
  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (p->compare));
}

static TconvOverlay
overlay_of (const Preview *p)
{
  return (TconvOverlay) MAX (0, gtk_combo_box_get_active (GTK_COMBO_BOX (p->overlay_combo)));
}

/* Tile i of n in the area: the whole area, or a quarter of it in the compare view. */
static GdkRectangle
tile_rect (const Preview *p, int i, int n)
{
  int          w = gtk_widget_get_allocated_width (p->area);
  int          h = gtk_widget_get_allocated_height (p->area);
  GdkRectangle r = { 0, 0, w, h };
  if (n > 1)
    r = (GdkRectangle) { (i % 2) * (w / 2), (i / 2) * (h / 2), w / 2, h / 2 };
  return r;
}

/* The crop a view of tiles this size needs, centred on the view, inside the layer. */
static GeglRectangle
crop_for_view (const Preview *p)
{
  GdkRectangle  t = tile_rect (p, 0, comparing (p) ? 4 : 1);
  double        per_input = (double) p->zoom * scale_of (p);
  int           w = CLAMP ((int) ceil (t.width / per_input) + 2 * MARGIN, MIN_CROP, MAX_CROP);
  int           h = CLAMP ((int) ceil (t.height / per_input) + 2 * MARGIN, MIN_CROP, MAX_CROP);
  GeglRectangle r;

  w = MIN (w, p->layer_w), h = MIN (h, p->layer_h);
  r.width = w, r.height = h;
  r.x = CLAMP ((int) floor (p->cx - w / 2.0), 0, p->layer_w - w);
  r.y = CLAMP ((int) floor (p->cy - h / 2.0), 0, p->layer_h - h);
  return r;
}

/* ---- computing ------------------------------------------------------------------------ */

static void
job_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Preview      *p = data;
  TconvTileJob *j = g_task_get_task_data (G_TASK (res));
  guint         generation = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (res), "generation"));
  (void) source;

  if (generation != p->generation)
    {
      tconv_tile_job_free (j); /* settings changed meanwhile: a newer job is coming */
      return;
    }
  gtk_spinner_stop (GTK_SPINNER (p->spinner));
  if (p->shown)
    tconv_tile_job_free (p->shown);
  p->shown = j;
  p->shown_x = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (res), "x"));
  p->shown_y = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (res), "y"));
  make_surfaces (p);
  gtk_label_set_text (GTK_LABEL (p->status),
                      comparing (p) ? _("Same crop and zoom for every method · drag to pan, "
                                        "wheel to zoom")
                                    : _("Left: before (nearest) · right: after · drag the line "
                                        "to split, elsewhere to pan"));
  p->rendered++;
  gtk_widget_queue_draw (p->area);
  gtk_widget_queue_draw (p->nav);
}

static void
job_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  (void) source, (void) cancel;
  tconv_tile_job_compute (data);
  g_task_return_boolean (task, TRUE);
}

static void
cancel_running (Preview *p)
{
  if (p->cancel)
    {
      g_atomic_int_set (p->cancel, 1);
      g_atomic_rc_box_release (p->cancel);
      p->cancel = NULL;
    }
}

static void
start (Preview *p)
{
  GtkWidget     *box = gtk_widget_get_parent (p->area);
  GeglRectangle  r = crop_for_view (p);
  TconvTileJob  *j;

  if (!p->have_settings || r.width < 1 || r.height < 1)
    return;
  cancel_running (p);
  j = g_new0 (TconvTileJob, 1);
  p->cancel = g_atomic_rc_box_new0 (gint);
  j->cancel = g_atomic_rc_box_acquire (p->cancel);
  j->settings = p->settings;
  j->model = g_strdup (p->model);
  j->settings.model = j->model;
  j->catalog = g_ptr_array_ref (p->catalog);
  j->installed = p->installed;
  j->compare = comparing (p);
  j->in_w = r.width, j->in_h = r.height;
  j->input = g_new (float, (gsize) r.width * r.height * 4);
  gegl_buffer_get (p->buffer, &r, 1.0, p->format, j->input, GEGL_AUTO_ROWSTRIDE,
                   GEGL_ABYSS_CLAMP);

  GTask *task = g_task_new (box, NULL, job_done, p);
  g_task_set_task_data (task, j, NULL); /* job_done takes it over */
  g_object_set_data (G_OBJECT (task), "generation", GUINT_TO_POINTER (++p->generation));
  g_object_set_data (G_OBJECT (task), "x", GINT_TO_POINTER (r.x));
  g_object_set_data (G_OBJECT (task), "y", GINT_TO_POINTER (r.y));
  gtk_spinner_start (GTK_SPINNER (p->spinner));
  gtk_label_set_text (GTK_LABEL (p->status), _("Computing preview..."));
  g_task_run_in_thread (task, job_thread);
  g_object_unref (task);
}

static gboolean
restart_now (gpointer data)
{
  Preview *p = data;
  p->restart_id = 0;
  start (p);
  return G_SOURCE_REMOVE;
}

/* Recompute once the view has been still for a moment (a drag, a resize). */
static void
restart_soon (Preview *p, guint ms)
{
  if (p->restart_id)
    g_source_remove (p->restart_id);
  p->restart_id = g_timeout_add (ms, restart_now, p);
}

/* ---- drawing -------------------------------------------------------------------------- */

/* Puts `surface` (`per_pixel` screen pixels per surface pixel, nearest; one surface
 * pixel is `layer_per_pixel` layer pixels, the first at the shown crop's corner) so that
 * the view centre (cx, cy) lands on the centre of tile r; only `clip` is painted. */
static void
paint_zoomed (cairo_t *cr, const Preview *p, GdkRectangle r, GdkRectangle clip,
              cairo_surface_t *surface, double per_pixel, double layer_per_pixel)
{
  double ox = r.x + r.width / 2.0 - (p->cx - p->shown_x) / layer_per_pixel * per_pixel;
  double oy = r.y + r.height / 2.0 - (p->cy - p->shown_y) / layer_per_pixel * per_pixel;
  cairo_save (cr);
  cairo_rectangle (cr, clip.x, clip.y, clip.width, clip.height);
  cairo_clip (cr);
  cairo_translate (cr, floor (ox), floor (oy));
  cairo_scale (cr, per_pixel, per_pixel);
  cairo_set_source_surface (cr, surface, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_paint (cr);
  cairo_restore (cr);
}

/* The spectrum fitted into the tile, with the stride's frequencies k/s marked. */
static void
paint_spectrum (cairo_t *cr, GdkRectangle r, cairo_surface_t *surface, int n, int s)
{
  double side = MIN (r.width, r.height) - 8, x0 = r.x + (r.width - side) / 2;
  double y0 = r.y + (r.height - side) / 2, k = side / n;
  cairo_save (cr);
  cairo_translate (cr, x0, y0);
  cairo_scale (cr, k, k);
  cairo_set_source_surface (cr, surface, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_paint (cr);
  cairo_restore (cr);
  tconv_draw_stride_marks (cr, x0, y0, side, n, s);
}

/* Appends `text` to `lines` as lines no wider than `width`, broken between words, after
 * the line's last comma-ended word where it has one ("Kernel: Bilinear (tent)," / "x2 (k3
 * p1 op1 d1)"; a decimal comma, "0,031", is not one); a word wider than that gets a line
 * of its own. */
static void
wrap_text (cairo_t *cr, const char *text, double width, GPtrArray *lines)
{
  g_auto (GStrv) words = g_strsplit (text, " ", -1);
  GString *line = g_string_new (NULL);

  for (int i = 0; words[i]; i++)
    {
      gsize                kept = line->len;
      cairo_text_extents_t e;
      if (line->len)
        g_string_append_c (line, ' ');
      g_string_append (line, words[i]);
      cairo_text_extents (cr, line->str, &e);
      if (e.width > width && kept > 0)
        {
          /* the words kept and the space after them: ", " ends a comma-ended word */
          const char *comma = g_strrstr_len (line->str, kept + 1, ", ");
          gsize       cut = comma ? (gsize) (comma - line->str) + 1 : kept;
          g_ptr_array_add (lines, g_strndup (line->str, cut));
          g_string_erase (line, 0, cut + 1);
        }
    }
  g_ptr_array_add (lines, g_string_free (line, FALSE));
}

/* A caption (the method, then its detail) on a dark box at the tile's top left, wrapped
 * to the tile: side by side, a fixed kernel's caption is wider than its tile. */
static void
paint_label (cairo_t *cr, GdkRectangle r, const char *caption, const char *detail)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  double width = 0;

  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, 12);
  wrap_text (cr, caption, r.width - 20, lines);
  if (detail)
    wrap_text (cr, detail, r.width - 20, lines);
  for (guint i = 0; i < lines->len; i++)
    {
      cairo_text_extents_t e;
      cairo_text_extents (cr, g_ptr_array_index (lines, i), &e);
      width = MAX (width, e.width);
    }
  cairo_set_source_rgba (cr, 0, 0, 0, 0.65);
  cairo_rectangle (cr, r.x + 4, r.y + 4, width + 12, 4 + 16 * lines->len);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  for (guint i = 0; i < lines->len; i++)
    {
      cairo_move_to (cr, r.x + 10, r.y + 18 + 16 * i);
      cairo_show_text (cr, g_ptr_array_index (lines, i));
    }
}

static char *
tile_detail (const TconvTile *t)
{
  if (t->error)
    return g_strdup (t->error);
  if (t->index < 0)
    return NULL;
  return g_strdup_printf (_("checkerboard index %.3f (1/255)"), t->index);
}

static void
paint_tile (cairo_t *cr, const Preview *p, int i, GdkRectangle r)
{
  const TconvTile *t = &p->shown->tiles[i];
  const Surfaces  *sf = &p->surfaces[i];
  TconvOverlay     overlay = overlay_of (p);
  const double     per_out = p->zoom, out_per_layer = t->scale;

  if (overlay == TCONV_OVERLAY_SPECTRUM && sf->spectrum)
    paint_spectrum (cr, r, sf->spectrum, t->spectrum_n, t->scale);
  else if (overlay == TCONV_OVERLAY_MAP && sf->map)
    paint_zoomed (cr, p, r, r, sf->map, per_out, 1.0 / out_per_layer);
  else if (sf->image)
    {
      paint_zoomed (cr, p, r, r, sf->image, per_out, 1.0 / out_per_layer);
      if (p->shown->n_tiles == 1)
        {
          /* before/after: the input, nearest-magnified, left of the split */
          GdkRectangle left = r;
          left.width = (int) (r.width * p->split);
          paint_zoomed (cr, p, r, left, p->before, per_out * t->scale, 1.0);
          cairo_set_source_rgb (cr, 1, 1, 1);
          cairo_set_line_width (cr, 2);
          cairo_move_to (cr, r.x + left.width, r.y);
          cairo_line_to (cr, r.x + left.width, r.y + r.height);
          cairo_stroke (cr);
        }
    }
  g_autofree char *detail = tile_detail (t);
  paint_label (cr, r, t->label, detail);
}

static gboolean
draw_area (GtkWidget *w, cairo_t *cr, Preview *p)
{
  (void) w;
  cairo_set_source_rgb (cr, 0.5, 0.5, 0.5);
  cairo_paint (cr);
  if (p->shown == NULL)
    return FALSE;
  for (int i = 0; i < p->shown->n_tiles; i++)
    paint_tile (cr, p, i, tile_rect (p, i, p->shown->n_tiles));
  if (p->shown->n_tiles > 1)
    {
      int w2 = gtk_widget_get_allocated_width (p->area) / 2;
      int h2 = gtk_widget_get_allocated_height (p->area) / 2;
      cairo_set_source_rgb (cr, 0.15, 0.15, 0.15);
      cairo_set_line_width (cr, 2);
      cairo_move_to (cr, w2, 0), cairo_line_to (cr, w2, 2 * h2);
      cairo_move_to (cr, 0, h2), cairo_line_to (cr, 2 * w2, h2);
      cairo_stroke (cr);
    }
  return FALSE;
}

/* The navigation thumbnail: the whole layer, the visible part framed. */
static gboolean
draw_nav (GtkWidget *w, cairo_t *cr, Preview *p)
{
  int    tw = gdk_pixbuf_get_width (p->thumb), th = gdk_pixbuf_get_height (p->thumb);
  double k = (double) tw / p->layer_w;
  (void) w;
  gdk_cairo_set_source_pixbuf (cr, p->thumb, 0, 0);
  cairo_paint (cr);
  GdkRectangle r = tile_rect (p, 0, comparing (p) ? 4 : 1);
  double       vw = r.width / ((double) p->zoom * scale_of (p));
  double       vh = r.height / ((double) p->zoom * scale_of (p));
  cairo_set_source_rgb (cr, 1.0, 0.3, 0.2);
  cairo_set_line_width (cr, 2);
  cairo_rectangle (cr, CLAMP ((p->cx - vw / 2) * k, 0, tw), CLAMP ((p->cy - vh / 2) * k, 0, th),
                   MIN (vw * k, tw), MIN (vh * k, th));
  cairo_stroke (cr);
  return FALSE;
}

/* ---- interaction ---------------------------------------------------------------------- */

static void
set_centre (Preview *p, double cx, double cy)
{
  p->cx = CLAMP (cx, 0, p->layer_w);
  p->cy = CLAMP (cy, 0, p->layer_h);
  gtk_widget_queue_draw (p->area);
  gtk_widget_queue_draw (p->nav);
}

static gboolean
on_press (GtkWidget *w, GdkEventButton *e, Preview *p)
{
  double split_x = gtk_widget_get_allocated_width (w) * p->split;
  gboolean split = !comparing (p) && overlay_of (p) == TCONV_OVERLAY_IMAGE
                   && fabs (e->x - split_x) < 8;
  p->drag = split ? DRAG_SPLIT : DRAG_PAN;
  p->press_x = e->x, p->press_y = e->y, p->press_cx = p->cx, p->press_cy = p->cy;
  return TRUE;
}

static gboolean
on_motion (GtkWidget *w, GdkEventMotion *e, Preview *p)
{
  double per_input = (double) p->zoom * scale_of (p);
  if (p->drag == DRAG_SPLIT)
    {
      p->split = CLAMP (e->x / gtk_widget_get_allocated_width (w), 0.0, 1.0);
      gtk_widget_queue_draw (w);
    }
  else if (p->drag == DRAG_PAN)
    {
      set_centre (p, p->press_cx - (e->x - p->press_x) / per_input,
                  p->press_cy - (e->y - p->press_y) / per_input);
      restart_soon (p, 250);
    }
  return TRUE;
}

static gboolean
on_release (GtkWidget *w, GdkEventButton *e, Preview *p)
{
  (void) w, (void) e;
  if (p->drag == DRAG_PAN)
    restart_soon (p, 10);
  p->drag = DRAG_NONE;
  return TRUE;
}

static gboolean
on_scroll (GtkWidget *w, GdkEventScroll *e, Preview *p)
{
  int i = gtk_combo_box_get_active (GTK_COMBO_BOX (p->zoom_combo));
  (void) w;
  if (e->direction == GDK_SCROLL_UP)
    i = MIN (i + 1, (int) G_N_ELEMENTS (zooms) - 1);
  else if (e->direction == GDK_SCROLL_DOWN)
    i = MAX (i - 1, 0);
  gtk_combo_box_set_active (GTK_COMBO_BOX (p->zoom_combo), i);
  return TRUE;
}

static gboolean
on_nav (GtkWidget *w, GdkEvent *e, Preview *p)
{
  double x, y;
  (void) w;
  if (e->type == GDK_MOTION_NOTIFY && !(e->motion.state & GDK_BUTTON1_MASK))
    return FALSE;
  gdk_event_get_coords (e, &x, &y);
  double k = (double) gdk_pixbuf_get_width (p->thumb) / p->layer_w;
  set_centre (p, x / k, y / k);
  restart_soon (p, 150);
  return TRUE;
}

static void
on_zoom (GtkComboBox *combo, Preview *p)
{
  p->zoom = zooms[MAX (0, gtk_combo_box_get_active (combo))];
  gtk_widget_queue_draw (p->area);
  gtk_widget_queue_draw (p->nav);
  restart_soon (p, 10); /* another zoom needs another crop */
}

static void
on_view_changed (GtkWidget *w, Preview *p)
{
  (void) w;
  restart_soon (p, 10);
}

static void
on_overlay (GtkComboBox *combo, Preview *p)
{
  (void) combo;
  gtk_widget_queue_draw (p->area); /* every overlay is computed with the tiles */
}

static void
on_size (GtkWidget *w, GdkRectangle *a, Preview *p)
{
  (void) w, (void) a;
  restart_soon (p, 200);
}

/* ---- the widget ----------------------------------------------------------------------- */

static void
preview_free (Preview *p)
{
  cancel_running (p);
  if (p->restart_id)
    g_source_remove (p->restart_id);
  clear_surfaces (p);
  if (p->shown)
    tconv_tile_job_free (p->shown);
  g_clear_object (&p->buffer);
  g_clear_object (&p->thumb);
  g_ptr_array_unref (p->catalog);
  g_free (p->model);
  g_free (p);
}

static void
on_destroy (GtkWidget *w, Preview *p)
{
  (void) w;
  cancel_running (p); /* the dialog closed: the worker need not finish */
}

static GtkWidget *
combo_of (const char *const *labels, int active)
{
  GtkWidget *c = gtk_combo_box_text_new ();
  for (int i = 0; labels[i]; i++)
    gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (c), _(labels[i]));
  /* the toolbar sets the preview column's least width: at least the first choice */
  tconv_combo_ellipsize (c, (int) g_utf8_strlen (_(labels[0]), -1), -1);
  gtk_combo_box_set_active (GTK_COMBO_BOX (c), active);
  return c;
}

static GtkWidget *
toolbar (Preview *p)
{
  static const char *const zoom_labels[] = { "1:1", "2:1", "4:1", "8:1", NULL };
  static const char *const overlay_labels[] = { N_("Image"), N_("Checkerboard map"),
                                                N_("Spectrum"), NULL };
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  p->compare = gtk_toggle_button_new_with_label (_("Compare methods"));
  p->zoom_combo = combo_of (zoom_labels, 1);
  p->overlay_combo = combo_of (overlay_labels, 0);
  p->spinner = gtk_spinner_new ();
  gtk_box_pack_start (GTK_BOX (row), p->compare, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (row), gtk_label_new (_("Zoom")), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (row), p->zoom_combo, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (row), gtk_label_new (_("Show")), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (row), p->overlay_combo, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (row), p->spinner, FALSE, FALSE, 0);
  g_signal_connect (p->compare, "toggled", G_CALLBACK (on_view_changed), p);
  g_signal_connect (p->zoom_combo, "changed", G_CALLBACK (on_zoom), p);
  g_signal_connect (p->overlay_combo, "changed", G_CALLBACK (on_overlay), p);
  return row;
}

static GtkWidget *
drawing_area (Preview *p)
{
  p->area = gtk_drawing_area_new ();
  gtk_widget_set_size_request (p->area, 480, 360);
  gtk_widget_set_hexpand (p->area, TRUE);
  gtk_widget_set_vexpand (p->area, TRUE);
  gtk_widget_add_events (p->area, GDK_BUTTON_PRESS_MASK | GDK_BUTTON_RELEASE_MASK
                                    | GDK_POINTER_MOTION_MASK | GDK_SCROLL_MASK);
  g_signal_connect (p->area, "draw", G_CALLBACK (draw_area), p);
  g_signal_connect (p->area, "button-press-event", G_CALLBACK (on_press), p);
  g_signal_connect (p->area, "motion-notify-event", G_CALLBACK (on_motion), p);
  g_signal_connect (p->area, "button-release-event", G_CALLBACK (on_release), p);
  g_signal_connect (p->area, "scroll-event", G_CALLBACK (on_scroll), p);
  g_signal_connect (p->area, "size-allocate", G_CALLBACK (on_size), p);
  return p->area;
}

static GtkWidget *
navigation (Preview *p, GimpDrawable *drawable)
{
  double k = MIN ((double) NAV_SIZE / p->layer_w, (double) NAV_SIZE / p->layer_h);
  p->thumb = gimp_drawable_get_thumbnail (drawable, MAX (1, (int) (p->layer_w * k)),
                                          MAX (1, (int) (p->layer_h * k)),
                                          GIMP_PIXBUF_SMALL_CHECKS);
  p->nav = gtk_drawing_area_new ();
  gtk_widget_set_size_request (p->nav, gdk_pixbuf_get_width (p->thumb),
                               gdk_pixbuf_get_height (p->thumb));
  gtk_widget_set_tooltip_text (p->nav, _("Click or drag to choose the part shown"));
  gtk_widget_add_events (p->nav, GDK_BUTTON_PRESS_MASK | GDK_POINTER_MOTION_MASK);
  g_signal_connect (p->nav, "draw", G_CALLBACK (draw_nav), p);
  g_signal_connect (p->nav, "button-press-event", G_CALLBACK (on_nav), p);
  g_signal_connect (p->nav, "motion-notify-event", G_CALLBACK (on_nav), p);
  return p->nav;
}

GtkWidget *
tconv_preview_new (GimpDrawable *drawable, GPtrArray *catalog, const char *installed)
{
  Preview   *p = g_new0 (Preview, 1);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *bottom = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);

  p->installed = installed;
  p->catalog = g_ptr_array_ref (catalog);
  p->split = 0.5;
  p->zoom = zooms[1];
  p->layer_w = gimp_drawable_get_width (drawable);
  p->layer_h = gimp_drawable_get_height (drawable);
  p->cx = p->layer_w / 2.0, p->cy = p->layer_h / 2.0;
  p->buffer = gimp_drawable_get_buffer (drawable);
  p->format = babl_format_with_space ("R'G'B'A float", gimp_drawable_get_format (drawable));

  gtk_box_pack_start (GTK_BOX (box), toolbar (p), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), drawing_area (p), TRUE, TRUE, 0);
  p->status = gtk_label_new ("");
  gtk_label_set_xalign (GTK_LABEL (p->status), 0.0);
  gtk_label_set_line_wrap (GTK_LABEL (p->status), TRUE);
  /* wrapped to the space it gets, never widening the preview: its text changes with
   * every render ("Computing preview...") and the columns would move with it */
  gtk_label_set_max_width_chars (GTK_LABEL (p->status), 30);
  gtk_box_pack_start (GTK_BOX (bottom), navigation (p, drawable), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (bottom), p->status, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (box), bottom, FALSE, FALSE, 0);
  g_object_set_data_full (G_OBJECT (box), "preview", p, (GDestroyNotify) preview_free);
  g_signal_connect (box, "destroy", G_CALLBACK (on_destroy), p);
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
  p->have_settings = TRUE;
  restart_soon (p, 10);
}

void
tconv_preview_set_view (GtkWidget *box, gboolean compare, int zoom, TconvOverlay overlay)
{
  Preview *p = g_object_get_data (G_OBJECT (box), "preview");
  for (int i = 0; i < (int) G_N_ELEMENTS (zooms); i++)
    if (zooms[i] == zoom)
      gtk_combo_box_set_active (GTK_COMBO_BOX (p->zoom_combo), i);
  gtk_combo_box_set_active (GTK_COMBO_BOX (p->overlay_combo), overlay);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (p->compare), compare);
}

int
tconv_preview_rendered (GtkWidget *box)
{
  Preview *p = g_object_get_data (G_OBJECT (box), "preview");
  return p->rendered;
}

char *
tconv_preview_describe (GtkWidget *box)
{
  Preview *p = g_object_get_data (G_OBJECT (box), "preview");
  GString *s = g_string_new (NULL);
  for (int i = 0; p->shown && i < p->shown->n_tiles; i++)
    {
      const TconvTile *t = &p->shown->tiles[i];
      char index[G_ASCII_DTOSTR_BUF_SIZE]; /* a log for tests: the same in every locale */
      g_ascii_formatd (index, sizeof index, "%.3f", t->index);
      g_string_append_printf (s, "tile %d: %s; %dx%d; index %s; spectrum %d; %s\n", i, t->label,
                              t->w, t->h, index, t->spectrum_n, t->error ? t->error : "ok");
    }
  g_string_append_printf (s, "zoom: %d\ncrop: %dx%d at (%d, %d)\n", p->zoom,
                          p->shown ? p->shown->in_w : 0, p->shown ? p->shown->in_h : 0,
                          p->shown_x, p->shown_y);
  return g_string_free (s, FALSE);
}
