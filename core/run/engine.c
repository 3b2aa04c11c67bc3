#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "color.h"
#include "engine.h"
#include "execute.h"
#include "model-geometry.h"
#include "tconv-error.h"

/* ---- geometry ---------------------------------------------------------------------- */

gboolean
tconv_engine_output_size (const TconvModel *model, int width, int height, int *out_width,
                          int *out_height, GError **error)
{
  int halo, align;

  tconv_model_tiling (model, &halo, &align);
  if (width % align != 0 || height % align != 0)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("model %s needs width and height divisible by %d; the image is %dx%d"),
                   model->name, align, width, height);
      return FALSE;
    }
  return tconv_model_output_len (model, 1, width, out_width, error)
         && tconv_model_output_len (model, 0, height, out_height, error);
}

static int
auto_tile (const TconvPlan *plan)
{
  /* per thread: a tile whose layers stay near the core beats a bigger one with less
   * halo; measured best on FSRCNN x2 (tools/dev/bench, BENCH_TILE) */
  const double budget = 6.0 * 1024 * 1024;
  /* A streamed chain keeps a few rows per layer whatever the tile: only the halo and
   * the balance between threads matter (measured best 172-232 on FSRCNN x2). */
  int side = plan->n_streamed > 0
               ? 208
               : (int) sqrt (budget / plan->bytes_per_input_pixel) - 2 * plan->halo;
  side = CLAMP (side, 64, 1024);
  return MAX (plan->align, side - side % plan->align);
}

int
tconv_engine_auto_tile (const TconvModel *model)
{
  g_autoptr (TconvPlan) plan = tconv_plan_new (model, NULL);
  return auto_tile (plan);
}
/* Near the preferred side, the tile that finishes first: the busiest thread's tiles
 * times a tile's work with its halo.  An uneven last round of tiles leaves threads
 * idle, and a tile much smaller than preferred pays its halo too often. */
static int
balanced_tile (int preferred, int halo, int align, int width, int height, int threads)
{
  int    best = preferred;
  double best_cost = G_MAXDOUBLE;

  for (int side = MAX (align, preferred * 3 / 4); side <= preferred * 4 / 3; side += align)
    {
      gint64 tiles = (gint64) ((width + side - 1) / side) * ((height + side - 1) / side);
      double rounds = (double) ((tiles + threads - 1) / threads);
      double cost = rounds * (double) (side + 2 * halo) * (side + 2 * halo);
      if (cost < best_cost)
        best = side, best_cost = cost;
    }
  return best;
}

/* ---- one tile ---------------------------------------------------------------------- */

typedef struct
{
  const TconvModel      *model;
  const TconvPlan       *plan; /* one for the run, shared by every thread */
  const TconvImageInfo  *info;
  const TconvRunOptions *options;
  TconvReadFunc          read;
  gpointer               read_data;
  TconvWriteFunc         write;
  gpointer               write_data;
  float                 *direct; /* or the whole output in memory, tiles merged into it */
  int                    scale, halo, tile, tiles_x, tiles_y, out_w, out_h;
  gint                   next_tile, tiles_done, failed;
  GMutex                 lock; /* callbacks, progress, first_error */
  double                 reported;
  GError                *first_error;
} TiledRun;

/* Output span owned by tile [t0, t1) of n tiles along an axis of `len` input pixels. */
static void
owned_span (const TiledRun *job, int t0, int t1, int len, int out_len, int *o0, int *o1)
{
  *o0 = t0 == 0 ? 0 : MIN (t0 * job->scale, out_len);
  *o1 = t1 >= len ? out_len : MIN (t1 * job->scale, out_len);
}

static gboolean
bicubic_planes (const TconvTensor *src, int scale, TconvTensor *dst, GError **error)
{
  return tconv_tensor_alloc (dst, "upscaled planes", error)
         && tconv_resize (src, TCONV_INTERP_BICUBIC, scale, scale, dst, error);
}

/* The graph on the network's planes, in the model's values: a network trained on 0-255
 * values gets 0-255 values, one trained on full-range Y gets full-range Y (studio Y is
 * 16/255 + 219/255 full Y, exactly), and the output comes back to the engine's. */
static gboolean
forward_in_range (const TconvPlan *plan, TconvTensor *in, const TconvRegion *keep,
                  TconvTensor *out, GError **error)
{
  const TconvModel *model = plan->model;
  float lo, hi;
  tconv_model_value_range (model, &lo, &hi);
  /* network value = gain * engine value + offset */
  double gain = hi - lo, offset = lo;
  if (model->y_full && model->color == TCONV_COLOR_Y)
    offset -= gain * 16.0 / 219.0, gain *= 255.0 / 219.0;
  const gboolean mapped = gain != 1.0 || offset != 0.0;
  const gsize    n = tconv_tensor_numel (in);
  for (gsize i = 0; mapped && i < n; i++)
    in->data[i] = (float) (gain * in->data[i] + offset);
  if (!tconv_plan_forward_keeping (plan, in, keep, out, error))
    return FALSE;
  for (gsize i = 0, m = tconv_tensor_numel (out); mapped && i < m; i++)
    out->data[i] = (float) ((out->data[i] - offset) / gain);
  return TRUE;
}

/* A tile: the crop it reads (the tile and its halo) and the output span it owns. */
typedef struct
{
  int cx0, cy0, cw, ch;
  int ox0, oy0, ow, oh;
} TileRect;

/* FALSE when the tile owns no output (an odd fixed-kernel geometry can leave it none). */
static gboolean
tile_rect (const TiledRun *job, int index, TileRect *r)
{
  const TconvImageInfo *info = job->info;
  const int x0 = (index % job->tiles_x) * job->tile, y0 = (index / job->tiles_x) * job->tile;
  const int x1 = MIN (x0 + job->tile, info->width), y1 = MIN (y0 + job->tile, info->height);
  int       ox1, oy1;

  r->cx0 = MAX (0, x0 - job->halo), r->cy0 = MAX (0, y0 - job->halo);
  r->cw = MIN (info->width, x1 + job->halo) - r->cx0;
  r->ch = MIN (info->height, y1 + job->halo) - r->cy0;
  owned_span (job, x0, x1, info->width, job->out_w, &r->ox0, &ox1);
  owned_span (job, y0, y1, info->height, job->out_h, &r->oy0, &oy1);
  r->ow = ox1 - r->ox0, r->oh = oy1 - r->oy0;
  return r->ow > 0 && r->oh > 0;
}

/* Planes besides the network's: chroma (a y model on colour), alpha. */
static int
side_channels (const TconvModel *model, int ch)
{
  const int gray = ch <= 2, has_alpha = ch == 2 || ch == 4;
  return model->color == TCONV_COLOR_ALL ? 0
         : model->color == TCONV_COLOR_Y ? (gray ? 0 : 2) + has_alpha
                                         : has_alpha;
}

static gboolean
no_memory (GError **error)
{
  g_set_error (error, TCONV_ERROR, TCONV_ERROR_NO_MEMORY, _("not enough memory for a tile"));
  return FALSE;
}

/* Reads the crop and splits it into the network's planes and the side planes. */
static gboolean
read_tile (TiledRun *job, const TileRect *r, TconvTensor *net_in, TconvTensor *side_in,
           GError **error)
{
  const int        ch = job->info->channels;
  g_autofree float *pixels = g_try_new (float, (gsize) r->cw * r->ch * ch);
  gboolean          ok;

  if (pixels == NULL)
    return no_memory (error);
  if (!tconv_tensor_alloc (net_in, "tile", error)
      || (side_in->c && !tconv_tensor_alloc (side_in, "tile planes", error)))
    return FALSE;
  g_mutex_lock (&job->lock);
  ok = job->read (job->read_data, r->cx0, r->cy0, r->cw, r->ch, pixels, error);
  g_mutex_unlock (&job->lock);
  if (ok && job->options->raw)
    tconv_planes_from_pixels (pixels, ch, net_in);
  else if (ok)
    tconv_split_pixels (job->model, pixels, ch, net_in, side_in);
  return ok;
}

/* The owned span of the output planes, as pixels, to the writer.  Crop output row r is
 * full output row r + cy0*scale (see model-geometry.h); the span must lie inside the
 * crop's output, or the halo was too small. */
static gboolean
write_tile (TiledRun *job, const TileRect *r, const TconvTensor *net_out, TconvTensor *side_in,
            GError **error)
{
  const int   ch = job->info->channels;
  const int   rx0 = r->ox0 - r->cx0 * job->scale, ry0 = r->oy0 - r->cy0 * job->scale;
  TconvTensor side_out = { 1, side_in->c, net_out->h, net_out->w, NULL };
  gboolean    ok;

  if (rx0 < 0 || ry0 < 0 || rx0 + r->ow > net_out->w || ry0 + r->oh > net_out->h)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("internal error: tile output %dx%d does not cover its span"), net_out->w,
                   net_out->h);
      return FALSE;
    }
  if (side_in->c && !bicubic_planes (side_in, job->scale, &side_out, error))
    return FALSE;
  /* into the output in memory where there is one (tiles own disjoint spans: no lock),
   * else into a buffer for the writer */
  g_autofree float *outpix = job->direct ? NULL : g_try_new (float, (gsize) r->ow * r->oh * ch);
  float *dst = job->direct ? job->direct + ((gsize) r->oy0 * job->out_w + r->ox0) * ch : outpix;
  gsize  dst_row = (gsize) (job->direct ? job->out_w : r->ow) * ch;
  if (dst == NULL)
    {
      tconv_tensor_free (&side_out);
      return no_memory (error);
    }
  if (job->options->raw)
    tconv_pixels_from_planes (net_out, rx0, ry0, r->ow, r->oh, dst, dst_row);
  else
    tconv_merge_planes (job->model, net_out, &side_out, rx0, ry0, r->ow, r->oh, ch, dst, dst_row);
  tconv_tensor_free (&side_out);
  if (job->direct)
    return TRUE;
  g_mutex_lock (&job->lock);
  ok = job->write (job->write_data, r->ox0, r->oy0, r->ow, r->oh, outpix, error);
  g_mutex_unlock (&job->lock);
  return ok;
}

static gboolean
process_tile (TiledRun *job, int index, GError **error)
{
  const TconvModel *model = job->model;
  TileRect          r;

  if (!tile_rect (job, index, &r))
    return TRUE;
  const gboolean raw = job->options->raw;
  if ((model->color == TCONV_COLOR_ALL || raw) && model->channels != job->info->channels)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("model %s takes %d channels, the input has %d"), model->name,
                   model->channels, job->info->channels);
      return FALSE;
    }
  TconvTensor net_in = { 1, model->channels, r.ch, r.cw, NULL };
  TconvTensor side_in = { 1, raw ? 0 : side_channels (model, job->info->channels), r.ch, r.cw,
                          NULL };
  TconvTensor net_out = { 0 };
  /* the owned span, in the crop's output: the halo's output is never written */
  TconvRegion keep = { r.ox0 - r.cx0 * job->scale, r.oy0 - r.cy0 * job->scale, r.ow, r.oh };
  gboolean    ok = read_tile (job, &r, &net_in, &side_in, error)
                && (raw ? tconv_plan_forward_keeping (job->plan, &net_in, &keep, &net_out, error)
                        : forward_in_range (job->plan, &net_in, &keep, &net_out, error))
                && write_tile (job, &r, &net_out, &side_in, error);
  tconv_tensor_free (&net_in);
  tconv_tensor_free (&side_in);
  tconv_tensor_free (&net_out);
  return ok;
}

/* ---- scheduling -------------------------------------------------------------------- */

static gboolean
cancelled (const TiledRun *job)
{
  return job->options->cancel && g_atomic_int_get (job->options->cancel);
}

static gpointer
worker (gpointer data)
{
  TiledRun      *job = data;
  const int n_tiles = job->tiles_x * job->tiles_y;

  while (!g_atomic_int_get (&job->failed) && !cancelled (job))
    {
      GError *error = NULL;
      int     index = g_atomic_int_add (&job->next_tile, 1);

      if (index >= n_tiles)
        break;
      if (!process_tile (job, index, &error))
        {
          g_mutex_lock (&job->lock);
          if (job->first_error == NULL)
            job->first_error = error;
          else
            g_error_free (error);
          g_mutex_unlock (&job->lock);
          g_atomic_int_set (&job->failed, 1);
          break;
        }
      int done = g_atomic_int_add (&job->tiles_done, 1) + 1;
      if (job->options->progress)
        {
          g_mutex_lock (&job->lock);
          double f = (double) done / n_tiles;
          if (f > job->reported && f < 1.0) /* 1.0 is reported once, at the very end */
            {
              job->reported = f;
              job->options->progress (job->options->progress_data, f);
            }
          g_mutex_unlock (&job->lock);
        }
    }
  /* the calling thread keeps its tile buffers for its next run (a preview, a batch):
   * faulting them in again costs more than the FMAs of a small image; the threads
   * started for this job free theirs as they exit */
  return NULL;
}

/* The tiled run; its output goes to `write`, or into `direct` when that is set. */
static gboolean
run_tiled (const TconvModel *model, const TconvImageInfo *info, TconvReadFunc read,
           gpointer read_data, TconvWriteFunc write, gpointer write_data, float *direct,
           const TconvRunOptions *options, GError **error)
{
  static const TconvRunOptions defaults = { 0 };
  TiledRun                          job = { 0 };
  int                          align;

  if (options == NULL)
    options = &defaults;
  if (info->width < 1 || info->height < 1 || info->channels < 1 || info->channels > 4)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("image of %dx%d pixels with %d channels cannot be upscaled"), info->width,
                   info->height, info->channels);
      return FALSE;
    }
  if (options->tile_size < 0 || options->threads < 0)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("tile size and threads must be >= 0 (0 = automatic)"));
      return FALSE;
    }
  if (!tconv_engine_output_size (model, info->width, info->height, &job.out_w, &job.out_h,
                                 error))
    return FALSE;
  g_autoptr (TconvPlan) plan = tconv_plan_new (model, NULL);
  job.halo = plan->halo;
  align = plan->align;
  job.model = model;
  job.plan = plan;
  job.info = info;
  job.options = options;
  job.read = read;
  job.read_data = read_data;
  job.write = write;
  job.write_data = write_data;
  job.direct = direct;
  job.scale = model->scale;
  job.halo = (job.halo + align - 1) / align * align;
  int n_threads = options->threads ? options->threads : (int) g_get_num_processors ();
  n_threads = CLAMP (n_threads, 1, 64);
  job.tile = options->tile_size ? options->tile_size
                                : balanced_tile (auto_tile (plan), job.halo, align,
                                                 info->width, info->height, n_threads);
  if (plan->whole_image)
    /* no halo is exact: one tile, the whole image, whatever tile size was asked for */
    job.tile = MAX (info->width, info->height), job.halo = 0;
  job.tile = MAX (align, (job.tile + align - 1) / align * align);
  job.tiles_x = (info->width + job.tile - 1) / job.tile;
  job.tiles_y = (info->height + job.tile - 1) / job.tile;
  g_mutex_init (&job.lock);
  n_threads = MIN (n_threads, job.tiles_x * job.tiles_y);
  GThread **threads = g_new0 (GThread *, n_threads);
  for (int i = 1; i < n_threads; i++)
    threads[i] = g_thread_try_new ("tconv-tile", worker, &job, NULL);
  worker (&job); /* the calling thread works too */
  for (int i = 1; i < n_threads; i++)
    if (threads[i])
      g_thread_join (threads[i]);
  g_free (threads);
  g_mutex_clear (&job.lock);

  if (job.first_error)
    {
      g_propagate_error (error, job.first_error);
      return FALSE;
    }
  if (cancelled (&job))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_CANCELLED, "cancelled");
      return FALSE;
    }
  if (options->progress)
    options->progress (options->progress_data, 1.0);
  return TRUE;
}

gboolean
tconv_engine_run (const TconvModel *model, const TconvImageInfo *info, TconvReadFunc read,
                  gpointer read_data, TconvWriteFunc write, gpointer write_data,
                  const TconvRunOptions *options, GError **error)
{
  return run_tiled (model, info, read, read_data, write, write_data, NULL, options, error);
}

/* ---- whole images in memory -------------------------------------------------------- */

typedef struct
{
  const float *pixels;
  int          width, channels;
} Pixels;

static gboolean
read_pixels (gpointer data, int x, int y, int w, int h, float *dst, GError **error)
{
  Pixels *p = data;
  (void) error;
  for (int j = 0; j < h; j++)
    memcpy (dst + (gsize) j * w * p->channels,
            p->pixels + ((gsize) (y + j) * p->width + x) * p->channels,
            (gsize) w * p->channels * sizeof (float));
  return TRUE;
}

static gboolean
run_pixels (const TconvModel *model, const TconvImageInfo *info, const float *input,
            float *output, gboolean staged, const TconvRunOptions *options, GError **error)
{
  int   ow, oh;
  gsize n;

  if (!tconv_engine_output_size (model, info->width, info->height, &ow, &oh, error)
      || !tconv_checked_numel (1, info->channels, oh, ow, "output image", &n, error))
    return FALSE;

  /* Staged, so that a failure or cancel never leaves a half-written output. */
  Pixels p = { input, info->width, info->channels };
  float *out = staged ? tconv_block_alloc (n) : output;
  if (out == NULL)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_NO_MEMORY,
                   _("not enough memory for a %dx%d output"), ow, oh);
      return FALSE;
    }
  gboolean ok = run_tiled (model, info, read_pixels, &p, NULL, NULL, out, options, error);
  if (ok && staged)
    memcpy (output, out, n * sizeof (float));
  if (staged)
    tconv_block_free (out); /* kept for the next call: faulting 4 bytes a pixel in is slow */
  return ok;
}

gboolean
tconv_engine_run_pixels (const TconvModel *model, const TconvImageInfo *info,
                         const float *input, float *output, const TconvRunOptions *options,
                         GError **error)
{
  return run_pixels (model, info, input, output, TRUE, options, error);
}

gboolean
tconv_engine_run_pixels_direct (const TconvModel *model, const TconvImageInfo *info,
                                const float *input, float *output,
                                const TconvRunOptions *options, GError **error)
{
  return run_pixels (model, info, input, output, FALSE, options, error);
}
