#include <glib/gi18n-lib.h>
#include <gegl.h>

#include "artifacts.h"
#include "choices.h"
#include "engine.h"
#include "preview-tiles.h"
#include "spectrum.h"

#define SPECTRUM_MAX 256 /* side of the spectrum's square, output pixels */

/* BT.601 luma of R'G'B'A pixels: the plane the analyses look at. */
static float *
luma_of (const float *rgba, gsize n)
{
  float *y = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    y[i] = 0.299f * rgba[4 * i] + 0.587f * rgba[4 * i + 1] + 0.114f * rgba[4 * i + 2];
  return y;
}

/* ---- GIMP's cubic: gegl:scale-ratio with the cubic sampler, as Scale Image uses ---- */

static gboolean
gegl_cubic (const float *in, int w, int h, const Babl *fmt, int scale, float *out)
{
  GeglBuffer *src = gegl_buffer_linear_new_from_data ((gpointer) in, fmt, GEGL_RECTANGLE (0, 0, w, h),
                                                       GEGL_AUTO_ROWSTRIDE, NULL, NULL);
  GeglNode   *graph = gegl_node_new ();
  GeglNode   *source = gegl_node_new_child (graph, "operation", "gegl:buffer-source", "buffer",
                                            src, NULL);
  GeglNode   *clamp = gegl_node_new_child (graph, "operation", "gegl:crop", "x", 0.0, "y", 0.0,
                                           "width", (double) w, "height", (double) h, NULL);
  GeglNode   *scaled = gegl_node_new_child (graph, "operation", "gegl:scale-ratio", "x",
                                            (double) scale, "y", (double) scale, "sampler",
                                            GEGL_SAMPLER_CUBIC, "abyss-policy", GEGL_ABYSS_CLAMP,
                                            NULL);
  gegl_node_link_many (source, clamp, scaled, NULL);
  gegl_node_blit (scaled, 1.0, GEGL_RECTANGLE (0, 0, w * scale, h * scale), fmt, out,
                  GEGL_AUTO_ROWSTRIDE, GEGL_BLIT_DEFAULT);
  g_object_unref (graph);
  g_object_unref (src);
  return TRUE;
}

static gboolean
gegl_cubic_plane (gpointer data, const float *in, int n, float *out, int ow, int oh,
                  GError **error)
{
  int scale = GPOINTER_TO_INT (data);
  (void) ow, (void) oh, (void) error;
  return gegl_cubic (in, n, n, babl_format ("Y' float"), scale, out);
}

static void
tile_gimp_cubic (TconvTileJob *job, TconvTile *t, int scale)
{
  double flat, ramp;
  t->label = g_strdup (_("GIMP cubic"));
  t->scale = scale;
  t->w = job->in_w * scale;
  t->h = job->in_h * scale;
  t->rgba = g_new (float, (gsize) t->w * t->h * 4);
  gegl_cubic (job->input, job->in_w, job->in_h, babl_format ("R'G'B'A float"), scale, t->rgba);
  int n = TCONV_CHECKERBOARD_SIDE;
  t->index = tconv_checkerboard_index_of (gegl_cubic_plane, GINT_TO_POINTER (scale), scale,
                                          n * scale, n * scale, &flat, &ramp, NULL)
               ? MAX (flat, ramp) : -1.0;
}

/* ---- the networks and kernels --------------------------------------------------------- */

/* The settings each kind runs: the dialog's own when it is in that mode. */
static TconvSettings
settings_for (const TconvTileJob *job, TconvTileKind kind)
{
  TconvSettings s = job->settings;
  TconvMode     want = kind == TCONV_TILE_TRANSPOSED ? TCONV_MODE_TRANSPOSED
                       : kind == TCONV_TILE_RESIZE_CONV ? TCONV_MODE_RESIZE_CONV
                                                        : TCONV_MODE_KERNEL;
  if (kind == TCONV_TILE_SETTINGS || s.mode == want)
    return s;
  s.mode = want;
  s.model = NULL;
  s.kernel = 0;
  s.padding = s.output_padding = -1;
  s.dilation = 1;
  return s;
}

/* A tile's caption in the user's language, as the compare image's layers are named:
 * a network by its mode and name; a fixed kernel by its shape and geometry. */
static char *
tile_label (const TconvModel *m, const TconvSettings *s)
{
  if (m->mode == TCONV_MODE_KERNEL)
    {
      const TconvLayer  *l = &m->layers[0];
      const TconvChoice *shape = tconv_choice_of (&tconv_kernel_shape_list, s->interpolation);
      return g_strdup_printf (_("Kernel: %s, x%d (k%d p%d op%d d%d)"), shape ? _(shape->label) : "?",
                              m->scale, l->weight.h, l->transposed.padding[0],
                              l->transposed.output_padding[0], l->transposed.dilation[0]);
    }
  return g_strdup_printf (m->mode == TCONV_MODE_RESIZE_CONV ? _("Resize + convolution (%s)")
                                                             : _("Transposed convolution (%s)"),
                          m->name);
}

static void
tile_model (TconvTileJob *job, TconvTile *t, const TconvSettings *s)
{
  GError        *error = NULL;
  TconvModel    *m = tconv_settings_model_in (s, 4, job->catalog, job->installed, &error);
  TconvImageInfo info = { job->in_w, job->in_h, 4 };
  TconvRunOptions options = { .cancel = job->cancel };
  double         flat, ramp;

  if (m && tconv_engine_output_size (m, job->in_w, job->in_h, &t->w, &t->h, &error))
    {
      t->scale = m->scale;
      t->label = tile_label (m, s);
      t->rgba = g_new (float, (gsize) t->w * t->h * 4);
      if (tconv_engine_run_pixels_direct (m, &info, job->input, t->rgba, &options, &error))
        t->index = tconv_checkerboard_index (m, &flat, &ramp, NULL) ? MAX (flat, ramp) : -1.0;
    }
  if (error)
    {
      t->error = g_strdup (error->message);
      g_clear_pointer (&t->rgba, g_free);
      g_error_free (error);
    }
  if (t->label == NULL)
    t->label = g_strdup (_(tconv_choice_of (&tconv_mode_list, s->mode)->label));
  tconv_model_free (m);
}

/* ---- analyses ------------------------------------------------------------------------- */

/* Y of a smooth upscaling of the crop (Keys cubic as a transposed convolution with an
 * even overlap: no checkerboard of its own), the spectrum's reference. */
static float *
smooth_reference (TconvTileJob *job, int scale, int *w, int *h)
{
  TconvTile     ref = { 0 };
  TconvSettings s;
  float        *y = NULL;

  tconv_settings_init (&s);
  s.mode = TCONV_MODE_KERNEL;
  s.scale = scale;
  s.interpolation = TCONV_INTERP_KEYS;
  tile_model (job, &ref, &s);
  if (ref.rgba)
    {
      y = luma_of (ref.rgba, (gsize) ref.w * ref.h);
      *w = ref.w, *h = ref.h;
    }
  g_free (ref.rgba);
  g_free (ref.label);
  g_free (ref.error);
  return y;
}

static void
analyse (TconvTile *t, const float *reference, int ref_w, int ref_h)
{
  gsize  n = (gsize) t->w * t->h;
  float *y = luma_of (t->rgba, n), *own_ref = NULL;

  t->map = g_new (float, n);
  tconv_checkerboard_map (y, t->w, t->h, t->scale, 3, 16.0f, t->map);
  if (reference == NULL || ref_w != t->w || ref_h != t->h)
    {
      /* another size than the reference (an odd kernel-mode geometry): its mean */
      double sum = 0;
      for (gsize i = 0; i < n; i++)
        sum += y[i];
      own_ref = g_new (float, n);
      for (gsize i = 0; i < n; i++)
        own_ref[i] = (float) (sum / n);
      reference = own_ref;
    }
  t->spectrum_n = tconv_spectrum_side (t->w, t->h, SPECTRUM_MAX);
  t->spectrum = g_new (float, (gsize) t->spectrum_n * t->spectrum_n);
  tconv_spectrum (y, reference, t->w, t->h, t->spectrum_n, t->spectrum);
  g_free (own_ref);
  g_free (y);
}

void
tconv_tile_job_compute (TconvTileJob *job)
{
  static const TconvTileKind compare[] = { TCONV_TILE_GIMP_CUBIC, TCONV_TILE_TRANSPOSED,
                                           TCONV_TILE_RESIZE_CONV, TCONV_TILE_KERNEL };
  const int scale = job->settings.scale ? job->settings.scale : 2;
  int       ref_w = 0, ref_h = 0;

  job->n_tiles = job->compare ? (int) G_N_ELEMENTS (compare) : 1;
  for (int i = 0; i < job->n_tiles && !g_atomic_int_get (job->cancel); i++)
    {
      TconvTile *t = &job->tiles[i];
      t->kind = job->compare ? compare[i] : TCONV_TILE_SETTINGS;
      t->index = -1.0;
      if (t->kind == TCONV_TILE_GIMP_CUBIC)
        tile_gimp_cubic (job, t, scale);
      else
        {
          TconvSettings s = settings_for (job, t->kind);
          tile_model (job, t, &s);
        }
    }
  float *reference = smooth_reference (job, scale, &ref_w, &ref_h);
  for (int i = 0; i < job->n_tiles && !g_atomic_int_get (job->cancel); i++)
    if (job->tiles[i].rgba)
      analyse (&job->tiles[i], reference, ref_w, ref_h);
  g_free (reference);
}

void
tconv_tile_job_free (TconvTileJob *job)
{
  for (int i = 0; i < TCONV_N_TILE_KINDS; i++)
    {
      TconvTile *t = &job->tiles[i];
      g_free (t->label);
      g_free (t->error);
      g_free (t->rgba);
      g_free (t->map);
      g_free (t->spectrum);
    }
  if (job->catalog)
    g_ptr_array_unref (job->catalog);
  g_atomic_rc_box_release (job->cancel);
  g_free (job->model);
  g_free (job->input);
  g_free (job);
}
