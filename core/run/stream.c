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
      st[j] = (Stage) { tconv_row_pass_new (step->packed[0], h, w, out.h, out.w), in.c, out.c,
                        out.h, out.w };
      h = out.h, w = out.w;
    }
  return TRUE;
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
  tconv_row_pass_run (prev->pass, window, rows, plane, ring_row (r, g, 0, p) + g->left, 0);
  r->written++;
}

gboolean
tconv_stream_forward (const TconvPlan *plan, const TconvTensor *input, TconvTensor *output,
                      gboolean *covered, GError **error)
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
  for (int r = 0, rows = tconv_row_pass_rows (last->pass); r < rows; r++)
    {
      gsize        plane;
      const int   *window_rows;
      const float *window = input_window (st, rings, first_in, n - 1, r, &plane, &window_rows);
      tconv_row_pass_run (last->pass, window, window_rows, plane, output->data, r);
    }

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
