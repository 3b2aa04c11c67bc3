/* tconv GIMP plug-in — the work: read every layer, compute its upscaled pixels
 * (reporting progress), and only then change the image in one undo group.  GIMP
 * cancels a plug-in by killing it, so nothing may change before all is computed. */
#include "artifacts.h"
#include "spectrum.h"
#include "tconv-gegl.h"
#include "tconv-plugin.h"

typedef struct
{
  GimpLayer  *layer;
  GeglBuffer *result; /* scale * size, in the layer's own format */
} ComputedLayer;

typedef struct
{
  double done, total; /* pixels */
  double current;     /* pixels of the layer being computed */
} Progress;

static void
on_progress (gpointer data, double fraction)
{
  Progress *p = data;
  gimp_progress_update ((p->done + fraction * p->current) / p->total);
}

/* Leaf layers (inside groups too), top to bottom. */
static void
collect_layers (GimpItem **items, GPtrArray *out)
{
  for (int i = 0; items && items[i]; i++)
    {
      if (gimp_item_is_group (items[i]))
        {
          GimpItem **children = gimp_item_get_children (items[i]);
          collect_layers (children, out);
          g_free (children);
        }
      else
        g_ptr_array_add (out, items[i]);
    }
}

/* Whether a layer here, a group's included, has a mask: GIMP's scaling of it is kept. */
static gboolean
any_mask (GimpItem **items)
{
  for (int i = 0; items && items[i]; i++)
    {
      if (gimp_layer_get_mask (GIMP_LAYER (items[i])) != NULL)
        return TRUE;
      if (gimp_item_is_group (items[i]))
        {
          GimpItem **children = gimp_item_get_children (items[i]);
          gboolean   found = any_mask (children);
          g_free (children);
          if (found)
            return TRUE;
        }
    }
  return FALSE;
}

/* Scale Image resamples every layer, and then each layer receives the network's
 * pixels: its cubic resampling is thrown away, and on a 2048x2048 RGB image it took
 * 2.0-2.2 s against 0.3 s with no interpolation (gimp-console 3.0.4, 2 cores).  Only
 * masks, channels and the selection keep what Scale Image makes of them. */
static GimpInterpolationType
scale_image_interpolation (GimpImage *image)
{
  GimpLayer   **layers = gimp_image_get_layers (image);
  GimpChannel **channels = gimp_image_get_channels (image);
  gboolean      kept = (channels && channels[0]) || !gimp_selection_is_empty (image)
                  || any_mask ((GimpItem **) layers);
  g_free (layers);
  g_free (channels);
  return kept ? GIMP_INTERPOLATION_CUBIC : GIMP_INTERPOLATION_NONE;
}

/* The model for these settings and a drawable's channel count (kernels depend on it). */
static TconvModel *
model_for (const TconvSettings *s, GimpDrawable *drawable, GError **error)
{
  int channels = tconv_gegl_channels (gimp_drawable_get_format (drawable));
  return tconv_settings_model (s, channels, tconv_installed_models (), error);
}

/* Computes one drawable into a new buffer of the size the layer's formula gives (scale
 * times its size, or what a kernel-mode geometry makes of it: the CLI's size). */
static GeglBuffer *
compute (const TconvModel *model, GimpDrawable *drawable, const TconvSettings *s,
         Progress *progress, GError **error)
{
  g_autoptr (GeglBuffer) in = gimp_drawable_get_buffer (drawable);
  int             w = gimp_drawable_get_width (drawable), h = gimp_drawable_get_height (drawable);
  int             ow, oh;
  TconvRunOptions options = { s->tile_size, s->threads, on_progress, progress, NULL, FALSE };

  if (!tconv_engine_output_size (model, w, h, &ow, &oh, error))
    return NULL;
  GeglBuffer *out = gegl_buffer_new (GEGL_RECTANGLE (0, 0, ow, oh),
                                     gimp_drawable_get_format (drawable));
  progress->current = (double) w * h;
  if (!tconv_gegl_upscale (model, in, out, &options, error))
    {
      g_object_unref (out);
      return NULL;
    }
  progress->done += progress->current;
  return out;
}

/* The image's new size: the core's formula on the image's size, as for every layer. */
static gboolean
image_size (const TconvModel *model, GimpImage *image, int *w, int *h, GError **error)
{
  if (!tconv_engine_output_size (model, gimp_image_get_width (image),
                                 gimp_image_get_height (image), w, h, error))
    return FALSE;
  if (*w > GIMP_MAX_IMAGE_SIZE || *h > GIMP_MAX_IMAGE_SIZE)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_TOO_LARGE,
                   _("The result would be %d x %d px; GIMP's limit is 524288 per side."), *w,
                   *h);
      return FALSE;
    }
  return TRUE;
}

static void
write_result (GimpDrawable *drawable, GeglBuffer *result)
{
  const GeglRectangle *r = gegl_buffer_get_extent (result);
  /* Scale Image gave the layer its size by the ratio; the network's size is the rule */
  if (gimp_drawable_get_width (drawable) != r->width
      || gimp_drawable_get_height (drawable) != r->height)
    gimp_layer_scale (GIMP_LAYER (drawable), r->width, r->height, FALSE);
  g_autoptr (GeglBuffer) shadow = gimp_drawable_get_shadow_buffer (drawable);
  gegl_buffer_copy (result, NULL, GEGL_ABYSS_NONE, shadow, NULL);
  gegl_buffer_flush (shadow);
  gimp_drawable_merge_shadow (drawable, TRUE);
  gimp_drawable_update (drawable, 0, 0, gimp_drawable_get_width (drawable),
                        gimp_drawable_get_height (drawable));
}

GimpImage *
tconv_upscale_image (GimpImage *image, const TconvSettings *s, TconvOutput output,
                     GError **error)
{
  g_autoptr (GPtrArray) layers = g_ptr_array_new ();
  GArray     *computed = g_array_new (FALSE, TRUE, sizeof (ComputedLayer));
  GimpLayer **top = gimp_image_get_layers (image);
  TconvModel *model = NULL;
  Progress    progress = { 0 };
  GimpImage  *target = NULL;
  int         out_w = 0, out_h = 0, model_channels = 0;

  collect_layers ((GimpItem **) top, layers);
  g_free (top);
  for (guint i = 0; i < layers->len; i++)
    progress.total += (double) gimp_drawable_get_width (layers->pdata[i])
                      * gimp_drawable_get_height (layers->pdata[i]);
  progress.total = MAX (progress.total, 1.0);
  gimp_progress_init (_("Upscaling with transposed convolution"));

  /* 1. compute, touching nothing */
  for (guint i = 0; i < layers->len; i++)
    {
      GimpDrawable *d = layers->pdata[i];
      int           channels = tconv_gegl_channels (gimp_drawable_get_format (d));
      if (model == NULL || (model->mode == TCONV_MODE_KERNEL && channels != model_channels))
        {
          tconv_model_free (model);
          if (!(model = model_for (s, d, error)))
            goto fail;
          model_channels = channels;
          if (!image_size (model, image, &out_w, &out_h, error))
            goto fail;
        }
      ComputedLayer one = { GIMP_LAYER (d), compute (model, d, s, &progress, error) };
      if (one.result == NULL)
        goto fail;
      g_array_append_val (computed, one);
    }
  if (model == NULL) /* no layers: still validate the settings */
    {
      TconvModel *m = tconv_settings_model (s, 3, tconv_installed_models (), error);
      gboolean    ok = m && image_size (m, image, &out_w, &out_h, error);
      tconv_model_free (m);
      if (!ok)
        goto fail;
    }

  /* 2. apply: GIMP scales everything (offsets, masks, channels, paths, selection), with
   *    cubic interpolation where its pixels are kept, then each layer receives the
   *    network's pixels. */
  target = output == TCONV_OUTPUT_NEW_IMAGE ? gimp_image_duplicate (image) : image;
  if (target != image)
    {
      /* the duplicate's layers are in the same order as the original's */
      g_autoptr (GPtrArray) copies = g_ptr_array_new ();
      GimpLayer **dup_top = gimp_image_get_layers (target);
      collect_layers ((GimpItem **) dup_top, copies);
      g_free (dup_top);
      for (guint i = 0; i < computed->len && i < copies->len; i++)
        g_array_index (computed, ComputedLayer, i).layer = copies->pdata[i];
    }
  gimp_image_undo_group_start (target);
  gimp_context_push ();
  gimp_context_set_interpolation (scale_image_interpolation (target));
  gimp_image_scale (target, out_w, out_h);
  for (guint i = 0; i < computed->len; i++)
    write_result (GIMP_DRAWABLE (g_array_index (computed, ComputedLayer, i).layer),
                  g_array_index (computed, ComputedLayer, i).result);
  gimp_context_pop ();
  gimp_image_undo_group_end (target);
  gimp_progress_update (1.0);

fail:
  for (guint i = 0; i < computed->len; i++)
    g_object_unref (g_array_index (computed, ComputedLayer, i).result);
  g_array_free (computed, TRUE);
  tconv_model_free (model);
  return target;
}

/* ---- compare ----------------------------------------------------------------------- */

static GimpImageType
layer_type (GimpDrawable *d)
{
  gboolean alpha = gimp_drawable_has_alpha (d);
  if (gimp_drawable_is_gray (d))
    return alpha ? GIMP_GRAYA_IMAGE : GIMP_GRAY_IMAGE;
  return alpha ? GIMP_RGBA_IMAGE : GIMP_RGB_IMAGE;
}

static GimpLayer *
add_layer (GimpImage *image, const char *name, GimpImageType type, GeglBuffer *pixels)
{
  const GeglRectangle *r = gegl_buffer_get_extent (pixels);
  GimpLayer *layer = gimp_layer_new (image, name, r->width, r->height, type, 100.0,
                                     GIMP_LAYER_MODE_NORMAL);
  gimp_image_insert_layer (image, layer, NULL, 0);
  g_autoptr (GeglBuffer) dst = gimp_drawable_get_buffer (GIMP_DRAWABLE (layer));
  gegl_buffer_copy (pixels, NULL, GEGL_ABYSS_NONE, dst, NULL);
  gegl_buffer_flush (dst);
  return layer;
}

/* GIMP's own scaling of the drawable, as a layer of `image`. */
static void
add_gimp_scaled (GimpImage *image, GimpDrawable *drawable, int scale,
                 GimpInterpolationType interp, const char *name)
{
  GimpLayer *layer = gimp_layer_new_from_drawable (drawable, image);
  gimp_image_insert_layer (image, layer, NULL, 0);
  gimp_layer_set_offsets (layer, 0, 0);
  gimp_context_push ();
  gimp_context_set_interpolation (interp);
  /* about the image origin, where the layer is: a local origin would scale it about its
   * centre and move it off the network layers it is compared with */
  gimp_layer_scale (layer, gimp_drawable_get_width (drawable) * scale,
                    gimp_drawable_get_height (drawable) * scale, FALSE);
  gimp_context_pop ();
  gimp_item_set_name (GIMP_ITEM (layer), name);
}

/* Checkerboard map of a result: its first channel through tconv_checkerboard_map. */
static GeglBuffer *
checkerboard_layer (GeglBuffer *result, int scale)
{
  const GeglRectangle *r = gegl_buffer_get_extent (result);
  gsize                n = (gsize) r->width * r->height;
  float               *plane = g_new (float, n), *map = g_new (float, n);
  GeglBuffer          *out = gegl_buffer_new (r, babl_format ("Y' float"));

  gegl_buffer_get (result, r, 1.0, babl_format ("Y' float"), plane, GEGL_AUTO_ROWSTRIDE,
                   GEGL_ABYSS_NONE);
  tconv_checkerboard_map (plane, r->width, r->height, scale, 3, 16.0f, map);
  gegl_buffer_set (out, r, 0, babl_format ("Y' float"), map, GEGL_AUTO_ROWSTRIDE);
  g_free (plane);
  g_free (map);
  return out;
}

/* The spectrum of a result's detail (its Y minus a smooth Y of the same size), over the
 * centre's largest power-of-two square up to 512 (the checkerboard's peaks at k/s), at
 * the result's size like every other compare layer, so they align in the Layers panel:
 * stretched by nearest neighbour here, so each frequency is one flat block (a layer
 * scaled by GIMP without interpolation was not always: once 129 column changes for 128
 * columns).  The peaks stay at k/s of the way from the centre to each edge. */
static GeglBuffer *
spectrum_layer (GeglBuffer *result, GeglBuffer *smooth, int *side)
{
  const GeglRectangle *r = gegl_buffer_get_extent (result);
  gsize                n = (gsize) r->width * r->height;
  float               *plane = g_new (float, n), *ref = g_new (float, n);
  const Babl          *y = babl_format ("Y' float");

  gegl_buffer_get (result, r, 1.0, y, plane, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  gegl_buffer_get (smooth, r, 1.0, y, ref, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_CLAMP);
  const int  s = *side = tconv_spectrum_side (r->width, r->height, 512);
  float     *spec = g_new (float, (gsize) s * s);
  GeglBuffer *out = gegl_buffer_new (GEGL_RECTANGLE (0, 0, r->width, r->height), y);
  tconv_spectrum (plane, ref, r->width, r->height, s, spec);
  for (int j = 0; j < r->height; j++) /* into `plane`, which is r's size */
    for (int i = 0; i < r->width; i++) /* the square's pixel under this one's centre */
      plane[(gsize) j * r->width + i] = spec[(gsize) ((2 * j + 1) * s / (2 * r->height)) * s
                                             + (2 * i + 1) * s / (2 * r->width)];
  gegl_buffer_set (out, NULL, 0, y, plane, GEGL_AUTO_ROWSTRIDE);
  g_free (plane);
  g_free (ref);
  g_free (spec);
  return out;
}

/* The comparison image, from the computed results. */
static GimpImage *
compare_image (GimpImage *image, GimpDrawable *drawable, const TconvModel *mt,
               const TconvModel *mr, GeglBuffer *rt, GeglBuffer *rr, GeglBuffer *smooth)
{
  const int scale = mt->scale;
  int       side;
  g_autoptr (GeglBuffer) map = checkerboard_layer (rt, scale);
  g_autoptr (GeglBuffer) spectrum = spectrum_layer (rt, smooth, &side);
  g_autofree char *name_s = g_strdup_printf (_("Spectrum of %s (centre %dx%d; checkerboard peaks at k/%d)"),
                                             mt->name, side, side, scale);
  g_autofree char *name_t = g_strdup_printf (_("Transposed convolution (%s)"), mt->name);
  g_autofree char *name_r = g_strdup_printf (_("Resize + convolution (%s)"), mr->name);
  g_autofree char *name_m = g_strdup_printf (_("Checkerboard map of %s (x16)"), mt->name);
  GimpImage *out = gimp_image_new_with_precision (gimp_drawable_get_width (drawable) * scale,
                                                  gimp_drawable_get_height (drawable) * scale,
                                                  gimp_drawable_is_gray (drawable) ? GIMP_GRAY
                                                                                   : GIMP_RGB,
                                                  gimp_image_get_precision (image));

  gimp_image_undo_disable (out);
  add_gimp_scaled (out, drawable, scale, GIMP_INTERPOLATION_CUBIC, _("GIMP cubic"));
  add_gimp_scaled (out, drawable, scale, GIMP_INTERPOLATION_NOHALO, _("GIMP NoHalo"));
  add_layer (out, name_r, layer_type (drawable), rr);
  add_layer (out, name_t, layer_type (drawable), rt);
  add_layer (out, name_m, gimp_drawable_is_gray (drawable) ? GIMP_GRAY_IMAGE : GIMP_RGB_IMAGE,
             map);
  add_layer (out, name_s, gimp_drawable_is_gray (drawable) ? GIMP_GRAY_IMAGE : GIMP_RGB_IMAGE,
             spectrum);
  gimp_image_undo_enable (out);
  return out;
}

GimpImage *
tconv_compare (GimpImage *image, GimpDrawable *drawable, const TconvSettings *s, GError **error)
{
  TconvSettings transposed = *s, resize_conv = *s, smooth;
  TconvModel   *mt = NULL, *mr = NULL, *ms = NULL;
  GeglBuffer   *rt = NULL, *rr = NULL, *rs = NULL;
  GimpImage    *out = NULL;
  Progress      progress = { 0 };

  transposed.mode = TCONV_MODE_TRANSPOSED;
  resize_conv.mode = TCONV_MODE_RESIZE_CONV;
  resize_conv.kernel = 0; /* the resize+conv twin of that scale, whatever its kernel */
  resize_conv.model = NULL;
  /* the spectrum's smooth reference: Keys cubic as an evenly overlapping kernel */
  tconv_settings_init (&smooth);
  smooth.mode = TCONV_MODE_KERNEL;
  progress.total = 3.0 * gimp_drawable_get_width (drawable) * gimp_drawable_get_height (drawable);
  gimp_progress_init (_("Comparing upscaling methods"));

  if (!(mt = model_for (&transposed, drawable, error))
      || !(mr = model_for (&resize_conv, drawable, error)))
    goto done;
  smooth.scale = mt->scale;
  if (!(ms = model_for (&smooth, drawable, error)))
    goto done;
  if (mt->scale != mr->scale)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("The models upscale by %d and %d; compare needs one scale."), mt->scale,
                   mr->scale);
      goto done;
    }
  if ((rt = compute (mt, drawable, s, &progress, error))
      && (rr = compute (mr, drawable, s, &progress, error))
      && (rs = compute (ms, drawable, s, &progress, error)))
    out = compare_image (image, drawable, mt, mr, rt, rr, rs);
  gimp_progress_update (1.0);

done:
  g_clear_object (&rt);
  g_clear_object (&rr);
  g_clear_object (&rs);
  tconv_model_free (mt);
  tconv_model_free (mr);
  tconv_model_free (ms);
  return out;
}
