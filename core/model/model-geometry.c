/* Tiling facts of a model: how far each layer reads, and the alignment strided layers
 * need, so that a tile with a halo reproduces the whole image's output. */
#include <math.h>

#include "layer-kinds.h"
#include "model-geometry.h"

static gint64
gcd64 (gint64 a, gint64 b)
{
  while (b)
    {
      gint64 t = a % b;
      a = b;
      b = t;
    }
  return a;
}

/* Where a layer's output stands: its resolution num/den relative to the model input, and
 * how far from it (in model input pixels) the pixels it depends on reach; < 0: all. */
typedef struct
{
  gint64 num, den;
  double halo;
} Node;

gboolean
tconv_model_tiling (const TconvModel *model, int *halo, int *align)
{
  const Node      input = { 1, 1, 0.0 };
  g_autofree Node *nodes = g_new (Node, model->n_layers);
  gint64           need = 1;

  for (int i = 0; i < model->n_layers; i++)
    {
      const TconvLayer *l = &model->layers[i];
      const int         n_in = tconv_layer_n_inputs (model, i);
      int               reach, ln, ld;
      tconv_layer_kind_info (l->kind)->geometry (l, &reach, &ln, &ld);
      const int   first = tconv_layer_input (model, i, 0);
      const Node *in0 = first == TCONV_INPUT_MODEL ? &input : &nodes[first];
      Node       *node = &nodes[i];
      node->halo = 0.0;
      for (int k = 0; k < n_in; k++)
        {
          const int   at = tconv_layer_input (model, i, k);
          const Node *in = at == TCONV_INPUT_MODEL ? &input : &nodes[at];
          /* the residual reads its second input through its resize: only there */
          const int   r = l->kind == TCONV_LAYER_ADD_UPSCALED_INPUT && k == 0 ? 0 : reach;
          if (in->halo < 0.0 || r < 0)
            node->halo = -1.0;
          else if (node->halo >= 0.0)
            /* reach in this layer's input pixels -> model input pixels */
            node->halo = MAX (node->halo, in->halo + (double) r * in->den / in->num);
        }
      if (ld > 1)
        {
          /* this layer's input, in * num/den, must be a multiple of ld (and a crop must
           * start on one): in must be a multiple of ld*den / gcd (num, ld*den) */
          gint64 m = (gint64) ld * in0->den / gcd64 (in0->num, (gint64) ld * in0->den);
          need = MIN (need / gcd64 (need, m) * m, 1 << 16);
        }
      node->num = in0->num * ln, node->den = in0->den * ld;
      gint64 g = gcd64 (node->num, node->den);
      node->num /= g, node->den /= g;
      if (node->num > (1 << 20) || node->den > (1 << 20))
        node->num = node->den = 1; /* only a hostile graph gets here; it fails validation */
    }
  const double h = nodes[model->n_layers - 1].halo;
  *halo = h < 0.0 ? 0 : (int) ceil (h);
  *align = (int) MIN (need, 1 << 16);
  return h >= 0.0;
}
