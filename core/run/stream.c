/* Row-streaming forward pass for a chain of convolutions.
 *
 * Layer by layer, a tile's 56-channel activations do not fit in the core's caches, so
 * tiles must stay small and their halo (the receptive field, recomputed by every
 * neighbour) costs nearly as much as the tile.  Here each layer keeps only the few
 * padded input rows its next output row reads, in a ring, and rows flow through the
 * whole chain one at a time: the working set is a few hundred KB whatever the tile
 * size, so tiles can be large and the halo cheap.
 *
 * A ring holds the cap rows a window spans, row p at slot p % cap; the kernels take
 * each window row's place, so rows are never moved. */
#include <glib/gi18n-lib.h>
#include <string.h>

#include "stream.h"
#include "tconv-error.h"

typedef struct
{
  TconvRowPass *pass; /* the step's packed layer bound to this tile's size */
  int           in_c, out_c, out_h, out_w;
  int           r0, r1, c0, c1; /* the pass rows and columns computed (of the phases, for
                                   a transposed head): those the later stages read */
} Stage;

typedef struct
{
  float *data;            /* channels x cap rows x pw: padded row p at slot p % cap */
  int    cap, written;    /* padded rows written so far */
  int   *window_rows;     /* where the rows of the current window lie (cap of them) */
} Ring;

/* Binds the streamed steps to an input of h x w; FALSE when a layer's output would be
 * empty (a tile smaller than the layers need). */
static gboolean
bind_stages (const TconvPlan *plan, int h, int w, Stage *st)
{
  for (int j = 0; j < plan->n_streamed; j++)
    {
      const TconvStep *step = &plan->steps[j];
      TconvTensor      in = { 1, step->layer->in_channels, h, w, NULL }, out;
      if (!tconv_step_output_shape (step, &in, &out, NULL) || out.h < 1 || out.w < 1)
        return FALSE;
      st[j] = (Stage) { .pass = tconv_row_pass_new (step->packed[0], h, w, out.h, out.w),
                        .in_c = in.c, .out_c = out.c, .out_h = out.h, .out_w = out.w };
      h = out.h, w = out.w;
    }
  return TRUE;
}

static int
ceil_div (int a, int b)
{
  return (a + b - 1) / b;
}

/* Which rows and columns each stage computes: all of the last stage's, or those that
 * make `keep` (output pixels); then, stage by stage back, those the next one reads.
 * Returns the output pixels the last stage computes. */
static TconvRegion
plan_extents (const TconvPlan *plan, Stage *st, const TconvRegion *keep)
{
  const int        n = plan->n_streamed;
  const TconvStep *head = &plan->steps[n - 1];
  Stage           *last = &st[n - 1];
  const gboolean   t = head->kind == TCONV_STEP_CONV_TRANSPOSE2D;
  const int        sy = t ? head->transposed.stride[0] : 1, sx = t ? head->transposed.stride[1] : 1;
  const int        rows = tconv_row_pass_rows (last->pass), cols = ceil_div (last->out_w, sx);

  last->r0 = 0, last->r1 = rows, last->c0 = 0, last->c1 = cols;
  if (keep)
    {
      last->r0 = CLAMP (keep->y / sy, 0, rows), last->r1 = CLAMP (ceil_div (keep->y + keep->h, sy), 0, rows);
      last->c0 = CLAMP (keep->x / sx, 0, cols), last->c1 = CLAMP (ceil_div (keep->x + keep->w, sx), 0, cols);
    }
  for (int j = n - 1; j > 0; j--)
    {
      const TconvPassInput *g = tconv_row_pass_input (st[j].pass);
      Stage                *prev = &st[j - 1];
      prev->r0 = CLAMP (st[j].r0 + g->row_lo - g->top, 0, prev->out_h);
      prev->r1 = CLAMP (st[j].r1 + g->row_hi - g->top, 0, prev->out_h);
      prev->c0 = CLAMP (st[j].c0 + g->col_lo - g->left, 0, prev->out_w);
      prev->c1 = CLAMP (st[j].c1 + g->col_hi - g->left, 0, prev->out_w);
      if (st[j].r1 <= st[j].r0 || st[j].c1 <= st[j].c0)
        prev->r1 = prev->r0, prev->c1 = prev->c0; /* nothing reads it */
    }
  const int y0 = MIN (last->r0 * sy, last->out_h), x0 = MIN (last->c0 * sx, last->out_w);
  return (TconvRegion) { x0, y0, MIN (last->c1 * sx, last->out_w) - x0,
                         MIN (last->r1 * sy, last->out_h) - y0 };
}

/* Zeros the output outside rows [y0, y1) x columns [x0, x1), where nothing was
 * computed: what later steps read there is then defined. */
static void
clear_outside (TconvTensor *out, int y0, int y1, int x0, int x1)
{
  for (int c = 0; c < out->c; c++)
    for (int y = 0; y < out->h; y++)
      {
        float *row = tconv_tensor_plane (out, 0, c) + (gsize) y * out->w;
        if (y < y0 || y >= y1 || x1 <= x0)
          memset (row, 0, out->w * sizeof (float));
        else
          {
            memset (row, 0, x0 * sizeof (float));
            memset (row + x1, 0, (out->w - x1) * sizeof (float));
          }
      }
}

static float *
ring_row (const Ring *r, const TconvPassInput *g, int c, int p)
{
  return r->data + (gsize) c * r->cap * g->pw + (gsize) (p % r->cap) * g->pw;
}

static void advance (Stage *st, Ring *rings, const float *first_in, int j);

/* The input rows stage j's output row r reads, their channel stride and where each
 * row lies (NULL: pw apart): in the padded model input for the first stage, else in
 * its ring, filled first as far as needed. */
static const float *
input_window (Stage *st, Ring *rings, const float *first_in, int j, int r, gsize *plane,
              const int **rows)
{
  const TconvPassInput *g = tconv_row_pass_input (st[j].pass);

  if (j == 0)
    {
      *plane = (gsize) g->ph * g->pw;
      *rows = NULL;
      return first_in + (gsize) (r + g->row_lo) * g->pw;
    }
  Ring     *ring = &rings[j];
  const int p0 = r + g->row_lo;
  while (ring->written <= r + g->row_hi)
    advance (st, rings, first_in, j);
  for (int k = 0; k < ring->cap; k++)
    ring->window_rows[k] = ((p0 + k) % ring->cap - p0 % ring->cap) * g->pw;
  *plane = (gsize) ring->cap * g->pw;
  *rows = ring->window_rows;
  return ring_row (ring, g, 0, p0);
}

/* Writes padded row `written` of ring j (stage j's input): zeros outside the image,
 * else stage j-1's next output row, computed now (and its inputs first). */
static void
advance (Stage *st, Ring *rings, const float *first_in, int j)
{
  Ring                 *r = &rings[j];
  const TconvPassInput *g = tconv_row_pass_input (st[j].pass);
  const int             p = r->written, q = p - g->top;
  Stage                *prev = &st[j - 1];

  if (q < 0 || q >= prev->out_h)
    {
      for (int c = 0; c < st[j].in_c; c++)
        memset (ring_row (r, g, c, p), 0, g->pw * sizeof (float));
      r->written++;
      return;
    }
  gsize        plane;
  const int   *rows;
  const float *window = input_window (st, rings, first_in, j - 1, q, &plane, &rows);
  /* row 0 of a plan whose channel planes are ring planes, at this row's slot */
  tconv_row_pass_run (prev->pass, window, rows, plane, ring_row (r, g, 0, p) + g->left, 0,
                      prev->c0, prev->c1);
  r->written++;
}

gboolean
tconv_stream_forward (const TconvPlan *plan, const TconvTensor *input, const TconvRegion *keep,
                      TconvTensor *output, gboolean *covered, GError **error)
{
  const int n = plan->n_streamed;
  Stage    *st = g_new0 (Stage, n);
  Ring     *rings = g_new0 (Ring, n);
  float    *first_in = NULL;
  gboolean  ok = input->n == 1 && bind_stages (plan, input->h, input->w, st);

  *covered = ok;
  *output = (TconvTensor) { 0 };
  if (!ok)
    {
      ok = TRUE; /* not covered after all: the caller runs the steps one by one */
      goto out;
    }
  const Stage *last = &st[n - 1];
  const TconvRegion computed = plan_extents (plan, st, keep);
  *output = (TconvTensor) { 1, last->out_c, last->out_h, last->out_w, NULL };
  const TconvPassInput *g0 = tconv_row_pass_input (st[0].pass);
  first_in = tconv_block_alloc0 ((gsize) input->c * g0->ph * g0->pw + 256);
  /* every output pixel is written: each is a pixel of some output row of the last pass */
  ok = first_in != NULL && tconv_tensor_alloc_uninit (output, "stream output", error);
  for (int j = 1; ok && j < n; j++)
    {
      const TconvPassInput *g = tconv_row_pass_input (st[j].pass);
      rings[j].cap = g->row_hi - g->row_lo + 1;
      rings[j].data = tconv_block_alloc0 ((gsize) st[j].in_c * rings[j].cap * g->pw + 256);
      rings[j].window_rows = g_new (int, rings[j].cap);
      rings[j].written = st[j].r0 + g->row_lo; /* the first row its first output row reads */
      ok = rings[j].data != NULL;
      tconv_row_pass_set_plane_stride (st[j - 1].pass, (gsize) rings[j].cap * g->pw);
    }
  if (!ok)
    {
      if (error && *error == NULL)
        g_set_error (error, TCONV_ERROR, TCONV_ERROR_NO_MEMORY, _("not enough memory for a tile"));
      tconv_tensor_free (output);
      goto out;
    }
  for (int c = 0; c < input->c; c++)
    for (int y = 0; y < input->h; y++)
      memcpy (first_in + (gsize) c * g0->ph * g0->pw + (gsize) (y + g0->top) * g0->pw + g0->left,
              tconv_tensor_plane (input, 0, c) + (gsize) y * input->w, input->w * sizeof (float));

  /* the last stage pulls rows through the chain */
  for (int r = last->r0; r < last->r1; r++)
    {
      gsize        plane;
      const int   *window_rows;
      const float *window = input_window (st, rings, first_in, n - 1, r, &plane, &window_rows);
      tconv_row_pass_run (last->pass, window, window_rows, plane, output->data, r, last->c0,
                          last->c1);
    }
  if (keep)
    clear_outside (output, computed.y, computed.y + computed.h, computed.x,
                   computed.x + computed.w);

out:
  for (int j = 0; j < n; j++)
    {
      tconv_row_pass_free (st[j].pass);
      tconv_block_free (rings[j].data);
      g_free (rings[j].window_rows);
    }
  tconv_block_free (first_in);
  g_free (st);
  g_free (rings);
  return ok;
}
