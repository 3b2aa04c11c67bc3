/* Tiling facts of a model: how far each layer reads, and the alignment strided layers
 * need, so that a tile with a halo reproduces the whole image's output. */
#include <math.h>

#include "model-geometry.h"

/* Input pixels of a cubic (2), linear (1) or nearest (0) resize by an integer factor
 * beyond the range that maps to its output: output s*a reads from a - 2 (cubic), and
 * output s*b - 1 up to b + 1. */
static int
interp_reach (TconvInterp interp)
{
  return interp == TCONV_INTERP_BICUBIC || interp == TCONV_INTERP_KEYS ? 2
         : interp == TCONV_INTERP_BILINEAR                           ? 1
                                                                     : 0;
}

/* A layer's reach, in its own input pixels, and its resolution change num/den.  Exact
 * for the tiles the engine makes: a tile starts on a multiple of every stride. */
static void
layer_geometry (const TconvLayer *l, int *reach, int *num, int *den)
{
  int k, d, s, p;

  *reach = 0;
  *num = *den = 1;
  switch (l->kind)
    {
    case TCONV_LAYER_CONV2D:
      /* output x reads input [x*s - p, x*s - p + d*(k-1)] */
      k = MAX (l->weight.h, l->weight.w);
      d = MAX (l->conv.dilation[0], l->conv.dilation[1]);
      p = MAX (l->conv.padding[0], l->conv.padding[1]);
      *reach = MAX (p, d * (k - 1) - MIN (l->conv.padding[0], l->conv.padding[1]));
      *den = MAX (l->conv.stride[0], l->conv.stride[1]);
      break;
    case TCONV_LAYER_CONV_TRANSPOSE2D:
      /* output o reads inputs q with q*s in [o + p - d*(k-1), o + p]; the outputs of
       * inputs [a, b) are [s*a, s*b), which read from a - floor((d*(k-1) - p)/s) up to
       * b - 1 + floor((p + s - 1)/s) */
      for (int axis = 0; axis < 2; axis++)
        {
          k = axis ? l->weight.w : l->weight.h;
          d = l->transposed.dilation[axis];
          s = l->transposed.stride[axis];
          p = l->transposed.padding[axis];
          *reach = MAX (*reach, MAX ((d * (k - 1) - p) / s, (p + s - 1) / s));
        }
      *num = MAX (l->transposed.stride[0], l->transposed.stride[1]);
      break;
    case TCONV_LAYER_RESIZE:
      *reach = interp_reach (l->resize.interp);
      *num = l->resize.factor;
      break;
    case TCONV_LAYER_PIXEL_SHUFFLE:
      *num = l->factor;
      break;
    case TCONV_LAYER_PIXEL_UNSHUFFLE:
      *den = l->factor;
      break;
    case TCONV_LAYER_ADD_UPSCALED_INPUT:
    default:
      break;
    }
}

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

void
tconv_model_tiling (const TconvModel *model, int *halo, int *align)
{
  /* Resolution relative to the model input, num/den, before each layer. */
  gint64 num = 1, den = 1, need = 1;
  double halo_px = 0.0;

  for (int i = 0; i < model->n_layers; i++)
    {
      int reach, ln, ld;
      layer_geometry (&model->layers[i], &reach, &ln, &ld);
      if (model->layers[i].kind == TCONV_LAYER_ADD_UPSCALED_INPUT)
        /* a parallel branch: the model input resized */
        halo_px = MAX (halo_px, interp_reach (model->layers[i].resize.interp));
      halo_px += (double) reach * den / num; /* reach in this layer's pixels -> input pixels */
      if (ld > 1)
        {
          /* this layer's input, in * num/den, must be a multiple of ld (and a crop must
           * start on one): in must be a multiple of ld*den / gcd (num, ld*den) */
          gint64 m = (gint64) ld * den / gcd64 (num, (gint64) ld * den);
          need = need / gcd64 (need, m) * m;
        }
      num *= ln;
      den *= ld;
      gint64 g = gcd64 (num, den);
      num /= g;
      den /= g;
    }
  *halo = (int) ceil (halo_px);
  *align = (int) MIN (need, 1 << 16);
}
