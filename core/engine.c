#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "engine.h"
#include "execute.h"
#include "model-geometry.h"
#include "tconv-error.h"

/* ---- colour ------------------------------------------------------------------------ */

static const double YCBCR[3][3] = { { 65.481, 128.553, 24.966 },
                                    { -37.797, -74.203, 112.0 },
                                    { 112.0, -93.786, -18.214 } };
static const double YCBCR_OFFSET[3] = { 16.0, 128.0, 128.0 };

void
tconv_rgb_to_ycbcr (const float rgb[3], float ycbcr[3])
{
  for (int i = 0; i < 3; i++)
    ycbcr[i] = (float) ((YCBCR_OFFSET[i] + YCBCR[i][0] * rgb[0] + YCBCR[i][1] * rgb[1]
                         + YCBCR[i][2] * rgb[2])
                        / 255.0);
}

void
tconv_ycbcr_to_rgb (const float ycbcr[3], float rgb[3])
{
  static double inv[3][3];
  static gsize  ready = 0;

  if (g_once_init_enter (&ready))
    {
      const double(*m)[3] = YCBCR;
      double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
                   - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                   + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
          {
            /* cofactor of m[j][i], transposed: inverse = adj / det */
            int    r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
            double cof = m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
            inv[i][j] = cof / det * 255.0;
          }
      g_once_init_leave (&ready, 1);
    }
  double d[3];
  for (int i = 0; i < 3; i++)
    d[i] = ycbcr[i] - YCBCR_OFFSET[i] / 255.0;
  for (int i = 0; i < 3; i++)
    rgb[i] = (float) (inv[i][0] * d[0] + inv[i][1] * d[1] + inv[i][2] * d[2]);
}

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
   * halo; measured best on FSRCNN x2 (tools/bench, BENCH_TILE) */
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

/* Interleaved pixels (ch channels) -> the network's input planes and the side planes
 * (chroma, alpha).  One loop per colour case, so each inner loop is branch-free. */
static void
split_pixels (const TconvModel *model, const float *pixels, int ch, TconvTensor *net,
              TconvTensor *side)
{
  const gsize plane = (gsize) net->w * net->h;
  const int   net_c = net->c, gray = ch <= 2, has_alpha = ch == 2 || ch == 4;
  float      *n0 = net->data;

  if (model->color == TCONV_COLOR_ALL || (!gray && model->color != TCONV_COLOR_Y))
    for (int c = 0; c < net_c; c++) /* the model's channels are the image's first ones */
      for (gsize i = 0; i < plane; i++)
        n0[c * plane + i] = pixels[i * ch + c];
  else if (gray) /* gray is its own Y; an rgb model sees it on all three channels */
    for (int c = 0; c < net_c; c++)
      for (gsize i = 0; i < plane; i++)
        n0[c * plane + i] = pixels[i * ch];
  else
    for (gsize i = 0; i < plane; i++)
      {
        float ycc[3];
        tconv_rgb_to_ycbcr (pixels + i * ch, ycc);
        n0[i] = ycc[0];
        side->data[i] = ycc[1];
        side->data[plane + i] = ycc[2];
      }
  if (has_alpha && side->c)
    for (gsize i = 0; i < plane; i++)
      side->data[(side->c - 1) * plane + i] = pixels[i * ch + ch - 1];
}

static inline float
clamp01 (float v)
{
  v = v > 0.0f ? v : 0.0f;
  return v < 1.0f ? v : 1.0f;
}

/* The owned ow x oh span at (rx0, ry0) of the output planes -> interleaved pixels,
 * clamped to [0, 1]; the inverse of split_pixels. */
static void
merge_planes (const TconvModel *model, const TconvTensor *net, const TconvTensor *side, int rx0,
              int ry0, int ow, int oh, int ch, float *outpix)
{
  const gsize oplane = (gsize) net->w * net->h;
  const int   net_c = net->c, gray = ch <= 2, has_alpha = ch == 2 || ch == 4;

  for (int y = 0; y < oh; y++)
    {
      const gsize  row = (gsize) (ry0 + y) * net->w + rx0;
      const float *n0 = net->data + row;
      float       *q = outpix + (gsize) y * ow * ch;
      if (model->color == TCONV_COLOR_ALL || (!gray && model->color != TCONV_COLOR_Y))
        for (int c = 0; c < MIN (net_c, ch); c++)
          for (int x = 0; x < ow; x++)
            q[x * ch + c] = clamp01 (n0[c * oplane + x]);
      else if (gray && net_c == 1 && ch == 1) /* the common case, as one vector loop */
        for (int x = 0; x < ow; x++)
          q[x] = clamp01 (n0[x]);
      else if (gray)
        for (int x = 0; x < ow; x++)
          {
            float v = 0.0f;
            for (int c = 0; c < net_c; c++)
              v += n0[c * oplane + x];
            q[x * ch] = clamp01 (v / net_c);
          }
      else
        for (int x = 0; x < ow; x++)
          {
            const float ycc[3] = { n0[x], side->data[row + x], side->data[oplane + row + x] };
            tconv_ycbcr_to_rgb (ycc, q + x * ch);
            for (int c = 0; c < 3; c++)
              q[x * ch + c] = clamp01 (q[x * ch + c]);
          }
      if (has_alpha && side->c)
        for (int x = 0; x < ow; x++)
          q[x * ch + ch - 1] = clamp01 (side->data[(side->c - 1) * oplane + row + x]);
    }
}

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
  int                    scale, halo, tile, tiles_x, tiles_y, out_w, out_h;
  gint                   next_tile, tiles_done, failed;
  GMutex                 lock; /* callbacks, progress, first_error */
  double                 reported;
  GError                *first_error;
} Job;

/* Output span owned by tile [t0, t1) of n tiles along an axis of `len` input pixels. */
static void
owned_span (const Job *job, int t0, int t1, int len, int out_len, int *o0, int *o1)
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
forward_in_range (const TconvPlan *plan, TconvTensor *in, TconvTensor *out, GError **error)
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
  if (!tconv_plan_forward (plan, in, out, error))
    return FALSE;
  for (gsize i = 0, m = tconv_tensor_numel (out); mapped && i < m; i++)
    out->data[i] = (float) ((out->data[i] - offset) / gain);
  return TRUE;
}

static gboolean
process_tile (Job *job, int index, GError **error)
{
  const TconvImageInfo *info = job->info;
  const TconvModel     *model = job->model;
  const int             ch = info->channels, gray = ch <= 2, has_alpha = ch == 2 || ch == 4;
  const int             tx = index % job->tiles_x, ty = index / job->tiles_x;
  const int             x0 = tx * job->tile, y0 = ty * job->tile;
  const int             x1 = MIN (x0 + job->tile, info->width), y1 = MIN (y0 + job->tile, info->height);
  const int             cx0 = MAX (0, x0 - job->halo), cy0 = MAX (0, y0 - job->halo);
  const int             cx1 = MIN (info->width, x1 + job->halo), cy1 = MIN (info->height, y1 + job->halo);
  const int             cw = cx1 - cx0, chh = cy1 - cy0;
  int                   ox0, ox1, oy0, oy1;
  gboolean              ok = FALSE;

  owned_span (job, x0, x1, info->width, job->out_w, &ox0, &ox1);
  owned_span (job, y0, y1, info->height, job->out_h, &oy0, &oy1);
  if (ox1 <= ox0 || oy1 <= oy0)
    return TRUE; /* an odd fixed-kernel geometry can leave a tile nothing to write */

  /* Planes of the crop: the network's input, and what goes around it (chroma, alpha). */
  const int   net_c = model->channels;
  const int   side_c = model->color == TCONV_COLOR_ALL ? 0
                       : model->color == TCONV_COLOR_Y  ? (gray ? 0 : 2) + has_alpha
                                                        : has_alpha;
  TconvTensor net_in = { 1, net_c, chh, cw, NULL }, side_in = { 1, side_c, chh, cw, NULL };
  TconvTensor net_out = { 0 }, side_out = { 0 };
  float      *pixels = NULL, *outpix = NULL;

  if (model->color == TCONV_COLOR_ALL && net_c != ch)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("the fixed kernel was built for %d channels, the image has %d"), net_c, ch);
      return FALSE;
    }
  pixels = g_try_new (float, (gsize) cw * chh * ch);
  if (pixels == NULL || !tconv_tensor_alloc (&net_in, "tile", error)
      || (side_c && !tconv_tensor_alloc (&side_in, "tile planes", error)))
    {
      if (pixels == NULL)
        g_set_error (error, TCONV_ERROR, TCONV_ERROR_NO_MEMORY, _("not enough memory for a tile"));
      goto out;
    }
  g_mutex_lock (&job->lock);
  ok = job->read (job->read_data, cx0, cy0, cw, chh, pixels, error);
  g_mutex_unlock (&job->lock);
  if (!ok)
    goto out;
  ok = FALSE;

  split_pixels (model, pixels, ch, &net_in, &side_in);
  if (!forward_in_range (job->plan, &net_in, &net_out, error))
    goto out;
  /* Crop output row r is full output row r + cy0*scale (see model-geometry.h); the owned span
   * must lie inside it, or the halo was too small. */
  const int rx0 = ox0 - cx0 * job->scale, ry0 = oy0 - cy0 * job->scale;
  const int ow = ox1 - ox0, oh = oy1 - oy0;
  if (rx0 < 0 || ry0 < 0 || rx0 + ow > net_out.w || ry0 + oh > net_out.h)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("internal error: tile output %dx%d does not cover its span"), net_out.w,
                   net_out.h);
      goto out;
    }
  if (side_c)
    {
      side_out = (TconvTensor) { 1, side_c, net_out.h, net_out.w, NULL };
      if (!bicubic_planes (&side_in, job->scale, &side_out, error))
        goto out;
    }

  outpix = g_try_new (float, (gsize) ow * oh * ch);
  if (outpix == NULL)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_NO_MEMORY, _("not enough memory for a tile"));
      goto out;
    }
  merge_planes (model, &net_out, &side_out, rx0, ry0, ow, oh, ch, outpix);
  g_mutex_lock (&job->lock);
  ok = job->write (job->write_data, ox0, oy0, ow, oh, outpix, error);
  g_mutex_unlock (&job->lock);

out:
  g_free (pixels);
  g_free (outpix);
  tconv_tensor_free (&net_in);
  tconv_tensor_free (&side_in);
  tconv_tensor_free (&net_out);
  tconv_tensor_free (&side_out);
  return ok;
}

/* ---- scheduling -------------------------------------------------------------------- */

static gboolean
cancelled (const Job *job)
{
  return job->options->cancel && g_atomic_int_get (job->options->cancel);
}

static gpointer
worker (gpointer data)
{
  Job      *job = data;
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

gboolean
tconv_engine_run (const TconvModel *model, const TconvImageInfo *info, TconvReadFunc read,
                  gpointer read_data, TconvWriteFunc write, gpointer write_data,
                  const TconvRunOptions *options, GError **error)
{
  static const TconvRunOptions defaults = { 0 };
  Job                          job = { 0 };
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
  job.scale = model->scale;
  job.halo = (job.halo + align - 1) / align * align;
  int n_threads = options->threads ? options->threads : (int) g_get_num_processors ();
  n_threads = CLAMP (n_threads, 1, 64);
  job.tile = options->tile_size ? options->tile_size
                                : balanced_tile (auto_tile (plan), job.halo, align,
                                                 info->width, info->height, n_threads);
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

/* ---- whole images in memory -------------------------------------------------------- */

typedef struct
{
  const float *pixels;
  float       *out;
  int          width, out_width, channels;
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
write_pixels (gpointer data, int x, int y, int w, int h, const float *src, GError **error)
{
  Pixels *p = data;
  (void) error;
  for (int j = 0; j < h; j++)
    memcpy (p->out + ((gsize) (y + j) * p->out_width + x) * p->channels,
            src + (gsize) j * w * p->channels, (gsize) w * p->channels * sizeof (float));
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
  Pixels p = { input, staged ? tconv_block_alloc (n) : output, info->width, ow, info->channels };
  if (p.out == NULL)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_NO_MEMORY,
                   _("not enough memory for a %dx%d output"), ow, oh);
      return FALSE;
    }
  gboolean ok = tconv_engine_run (model, info, read_pixels, &p, write_pixels, &p, options, error);
  if (ok && staged)
    memcpy (output, p.out, n * sizeof (float));
  if (staged)
    tconv_block_free (p.out); /* kept for the next call: faulting 4 bytes a pixel in is slow */
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
