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
#include <string.h>

#include "fast-conv.h"
#include "graph.h"
#include "stream.h"
#include "tconv-error.h"

typedef struct
{
  TconvPlan   *plan;
  TconvTensor  folded;    /* a resize + conv2d's folded weight, owned */
  int          in_c, out_c, out_h, out_w;
} Stage;

typedef struct
{
  float *data;            /* channels x cap rows x pw: padded row p at slot p % cap */
  int    cap, written;    /* padded rows written so far */
  int   *window_rows;     /* where the rows of the current window lie (cap of them) */
} Ring;

static gboolean
conv2d_covered (const TconvLayer *l)
{
  return l->kind == TCONV_LAYER_CONV2D && l->conv.stride[0] == 1 && l->conv.stride[1] == 1
         && l->conv.groups == 1 && l->conv.padding_mode == TCONV_PAD_ZEROS;
}

int
tconv_stream_prefix (const TconvModel *model)
{
  int i = 0, convs = 0;

  while (i < model->n_layers)
    {
      const TconvLayer *l = &model->layers[i];
      if (conv2d_covered (l))
        {
          i += i + 1 < model->n_layers && model->layers[i + 1].kind == TCONV_LAYER_PRELU ? 2 : 1;
          convs++;
          continue;
        }
      /* a resolution change ends the stream: the transposed head, or a folded resize */
      if (l->kind == TCONV_LAYER_CONV_TRANSPOSE2D && l->transposed.groups == 1)
        return convs >= 1 ? i + 1 : 0;
      if (tconv_graph_resize_folds (model, i) && conv2d_covered (&l[1]))
        return convs >= 1 ? i + 2 : 0;
      break;
    }
  return convs >= 2 ? i : 0;
}

/* Builds the stages of layers [0, n); FALSE when a plan cannot be made. */
static gboolean
make_stages (const TconvModel *model, int n, int h, int w, Stage *st, int *n_stages)
{
  int k = 0;

  for (int i = 0; i < n; k++)
    {
      const TconvLayer *l = &model->layers[i];
      Stage            *s = &st[k];
      memset (s, 0, sizeof *s);
      s->in_c = l->in_channels;
      if (l->kind == TCONV_LAYER_CONV2D)
        {
          const TconvLayer *prelu = i + 1 < n && l[1].kind == TCONV_LAYER_PRELU ? &l[1] : NULL;
          s->out_h = h + 2 * l->conv.padding[0] - l->conv.dilation[0] * (l->weight.h - 1);
          s->out_w = w + 2 * l->conv.padding[1] - l->conv.dilation[1] * (l->weight.w - 1);
          s->plan = tconv_plan_conv2d (&l->weight, l->bias, &l->conv,
                                       prelu ? prelu->weight.data : NULL,
                                       prelu ? prelu->weight.w : 0, 0, h, w);
          i += prelu ? 2 : 1;
        }
      else
        {
          const TconvTensor         *weight = &l->weight;
          const float               *bias = l->bias;
          TconvConvTranspose2dParams t = l->transposed;
          if (l->kind == TCONV_LAYER_RESIZE)
            {
              if (!tconv_fold_resize_conv2d (l->resize.factor, &l[1].weight, &l[1].conv,
                                             &s->folded, &t))
                return (*n_stages = k + 1), FALSE;
              weight = &s->folded;
              bias = l[1].bias;
              s->in_c = l[1].in_channels;
              i++;
            }
          int oh, ow;
          if (!tconv_conv_transpose2d_output_len (h, weight->h, t.stride[0], t.padding[0],
                                                  t.output_padding[0], t.dilation[0], &oh, NULL)
              || !tconv_conv_transpose2d_output_len (w, weight->w, t.stride[1], t.padding[1],
                                                     t.output_padding[1], t.dilation[1], &ow, NULL))
            return (*n_stages = k + 1), FALSE;
          s->out_h = oh, s->out_w = ow;
          s->plan = tconv_plan_conv_transpose2d (weight, bias, &t, 0, h, w, oh, ow);
          i++;
        }
      s->out_c = model->layers[i - 1].kind == TCONV_LAYER_PRELU ? model->layers[i - 2].out_channels
                                                               : model->layers[i - 1].out_channels;
      *n_stages = k + 1;
      if (s->plan == NULL || s->out_h < 1 || s->out_w < 1)
        return FALSE;
      h = s->out_h, w = s->out_w;
    }
  return TRUE;
}

static float *
ring_row (const Ring *r, const TconvPlanInput *g, int c, int p)
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
  const TconvPlanInput *g = tconv_plan_input (st[j].plan);

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
  const TconvPlanInput *g = tconv_plan_input (st[j].plan);
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
  tconv_plan_run_row (prev->plan, window, rows, plane, ring_row (r, g, 0, p) + g->left, 0);
  r->written++;
}

gboolean
tconv_stream_forward (const TconvModel *model, int n, const TconvTensor *input,
                      TconvTensor *output, gboolean *covered, GError **error)
{
  Stage   *st = g_new0 (Stage, n);
  Ring    *rings = g_new0 (Ring, n);
  int      n_stages = 0;
  float   *first_in = NULL;
  gboolean ok = input->n == 1 && make_stages (model, n, input->h, input->w, st, &n_stages);

  *covered = ok;
  *output = (TconvTensor) { 0 };
  if (!ok)
    {
      ok = TRUE; /* not covered after all: the caller runs the layers one by one */
      goto out;
    }
  const Stage *last = &st[n_stages - 1];
  *output = (TconvTensor) { 1, last->out_c, last->out_h, last->out_w, NULL };
  const TconvPlanInput *g0 = tconv_plan_input (st[0].plan);
  first_in = tconv_block_alloc0 ((gsize) input->c * g0->ph * g0->pw + 256);
  /* every output pixel is written: each is a pixel of some output row of the last plan */
  ok = first_in != NULL && tconv_tensor_alloc_uninit (output, "stream output", error);
  for (int j = 1; ok && j < n_stages; j++)
    {
      const TconvPlanInput *g = tconv_plan_input (st[j].plan);
      rings[j].cap = g->row_hi - g->row_lo + 1;
      rings[j].data = tconv_block_alloc0 ((gsize) st[j].in_c * rings[j].cap * g->pw + 256);
      rings[j].window_rows = g_new (int, rings[j].cap);
      ok = rings[j].data != NULL;
      tconv_plan_set_plane_stride (st[j - 1].plan, (gsize) rings[j].cap * g->pw);
    }
  if (!ok)
    {
      if (error && *error == NULL)
        g_set_error (error, TCONV_ERROR, TCONV_ERROR_NO_MEMORY, "not enough memory for a tile");
      tconv_tensor_free (output);
      goto out;
    }
  for (int c = 0; c < input->c; c++)
    for (int y = 0; y < input->h; y++)
      memcpy (first_in + (gsize) c * g0->ph * g0->pw + (gsize) (y + g0->top) * g0->pw + g0->left,
              tconv_tensor_plane (input, 0, c) + (gsize) y * input->w, input->w * sizeof (float));

  /* the last stage pulls rows through the chain */
  const int             L = n_stages - 1;
  const int             rows = tconv_plan_rows (st[L].plan);
  for (int r = 0; r < rows; r++)
    {
      gsize        plane;
      const int   *rows;
      const float *window = input_window (st, rings, first_in, L, r, &plane, &rows);
      tconv_plan_run_row (st[L].plan, window, rows, plane, output->data, r);
    }

out:
  for (int j = 0; j < n; j++)
    {
      tconv_plan_free (st[j].plan);
      tconv_tensor_free (&st[j].folded);
      tconv_block_free (rings[j].data);
      g_free (rings[j].window_rows);
    }
  tconv_block_free (first_in);
  g_free (st);
  g_free (rings);
  return ok;
}
