/* The forward pass reads like the model's diagram: each layer is one operator call. */
#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "activation.h"
#include "fast-conv.h"
#include "graph.h"
#include "stream.h"
#include "tconv-error.h"

/* The tensor being transformed; owns its data unless it is the caller's input. */
typedef struct
{
  TconvTensor t;
  gboolean    owned;
} Activation;

static void
replace (Activation *x, TconvTensor next)
{
  if (x->owned)
    tconv_tensor_free (&x->t);
  x->t = next;
  x->owned = TRUE;
}

/* In-place layers need a tensor of their own. */
static gboolean
make_owned (Activation *x, GError **error)
{
  TconvTensor copy = x->t;

  if (x->owned)
    return TRUE;
  if (!tconv_tensor_alloc (&copy, "activation", error))
    return FALSE;
  memcpy (copy.data, x->t.data, tconv_tensor_numel (&x->t) * sizeof (float));
  replace (x, copy);
  return TRUE;
}

static gboolean
add_upscaled_input (Activation *x, const TconvTensor *input, TconvInterp interp,
                    GError **error)
{
  if (x->t.h % input->h != 0 || x->t.w % input->w != 0)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   _("add_upscaled_input: %dx%d is not an integer multiple of the input %dx%d"),
                   x->t.w, x->t.h, input->w, input->h);
      return FALSE;
    }
  if (x->t.c != input->c)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   _("add_upscaled_input: %d channels cannot take the input's %d"), x->t.c,
                   input->c);
      return FALSE;
    }
  return make_owned (x, error)
         && tconv_resize_add (input, interp, x->t.h / input->h, x->t.w / input->w,
                              &x->t, error);
}

/* `fuse`: the PReLU that follows this conv2d, applied as its output is stored; set to
 * NULL when the fast path could not take it (the caller then runs it as a layer). */
static gboolean
run_layer (const TconvLayer *l, const TconvLayer **fuse, const TconvTensor *input,
           Activation *x, GError **error)
{
  TconvTensor next = { 0 };
  gboolean    ok;

  switch (l->kind)
    {
    case TCONV_LAYER_RELU:
      if (!make_owned (x, error))
        return FALSE;
      tconv_relu (&x->t);
      return TRUE;
    case TCONV_LAYER_LEAKY_RELU:
      if (!make_owned (x, error))
        return FALSE;
      tconv_leaky_relu (&x->t, l->negative_slope);
      return TRUE;
    case TCONV_LAYER_PRELU:
      return make_owned (x, error) && tconv_prelu (&x->t, l->weight.data, l->weight.w, error);
    case TCONV_LAYER_ADD_UPSCALED_INPUT:
      return add_upscaled_input (x, input, l->resize.interp, error);
    case TCONV_LAYER_CONV2D:
      ok = tconv_conv2d_shape (&x->t, &l->weight, l->bias ? l->out_channels : -1, &l->conv,
                               &next, error)
           && tconv_tensor_alloc (&next, "conv2d output", error)
           && (tconv_fast_conv2d (&x->t, &l->weight, l->bias, &l->conv,
                                  *fuse ? (*fuse)->weight.data : NULL,
                                  *fuse ? (*fuse)->weight.w : 0, &next)
               || ((*fuse = NULL),
                   tconv_conv2d (&x->t, &l->weight, l->bias, l->out_channels, &l->conv, &next,
                                 error)));
      break;
    case TCONV_LAYER_CONV_TRANSPOSE2D:
      ok = tconv_conv_transpose2d_shape (&x->t, &l->weight, l->bias ? l->out_channels : -1,
                                         &l->transposed, &next, error)
           && tconv_tensor_alloc (&next, "conv_transpose2d output", error)
           && (tconv_fast_conv_transpose2d (&x->t, &l->weight, l->bias, &l->transposed, &next)
               || tconv_conv_transpose2d (&x->t, &l->weight, l->bias, l->out_channels,
                                          &l->transposed, &next, error));
      break;
    case TCONV_LAYER_RESIZE:
      next = (TconvTensor) { x->t.n, x->t.c, x->t.h * l->resize.factor,
                             x->t.w * l->resize.factor, NULL };
      ok = tconv_tensor_alloc (&next, "resize output", error)
           && tconv_resize (&x->t, l->resize.interp, l->resize.factor, l->resize.factor, &next,
                            error);
      break;
    case TCONV_LAYER_PIXEL_SHUFFLE:
      next = (TconvTensor) { x->t.n, l->out_channels, x->t.h * l->factor, x->t.w * l->factor,
                             NULL };
      ok = tconv_tensor_alloc (&next, "pixel_shuffle output", error)
           && tconv_pixel_shuffle (&x->t, l->factor, &next, error);
      break;
    case TCONV_LAYER_PIXEL_UNSHUFFLE:
    default:
      next = (TconvTensor) { x->t.n, l->out_channels, x->t.h / l->factor, x->t.w / l->factor,
                             NULL };
      ok = tconv_tensor_alloc (&next, "pixel_unshuffle output", error)
           && tconv_pixel_unshuffle (&x->t, l->factor, &next, error);
      break;
    }
  if (!ok)
    {
      tconv_tensor_free (&next);
      return FALSE;
    }
  replace (x, next);
  return TRUE;
}

/* A nearest resize and the conv2d after it, in one pass (see tconv_fast_resize_conv2d);
 * *done is FALSE when the fast path does not cover them and they run one by one. */
static gboolean
resize_conv (const TconvLayer *resize, const TconvLayer *conv, Activation *x, gboolean *done,
             GError **error)
{
  const int   s = resize->resize.factor;
  TconvTensor up = { x->t.n, x->t.c, x->t.h * s, x->t.w * s, NULL }, next = { 0 };

  *done = FALSE;
  if (!tconv_conv2d_shape (&up, &conv->weight, conv->bias ? conv->out_channels : -1, &conv->conv,
                           &next, error)
      || !tconv_tensor_alloc (&next, "conv2d output", error))
    return FALSE;
  if (!tconv_fast_resize_conv2d (&x->t, s, &conv->weight, conv->bias, &conv->conv, &next))
    {
      tconv_tensor_free (&next);
      return TRUE;
    }
  replace (x, next);
  *done = TRUE;
  return TRUE;
}

gboolean
tconv_graph_resize_folds (const TconvModel *model, int i)
{
  const TconvLayer *l = &model->layers[i];
  return l->kind == TCONV_LAYER_RESIZE && l->resize.interp == TCONV_INTERP_NEAREST
         && i + 1 < model->n_layers && l[1].kind == TCONV_LAYER_CONV2D;
}

static gint streaming = 1;

void
tconv_graph_set_streaming (gboolean on)
{
  g_atomic_int_set (&streaming, on);
}

gboolean
tconv_graph_forward (const TconvModel *model, const TconvTensor *input, TconvTensor *output,
                     GError **error)
{
  Activation x = { *input, FALSE };

  if (input->c != model->channels)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("model %s takes %d channels, the input has %d"), model->name, model->channels,
                   input->c);
      return FALSE;
    }
  int first = 0;
  if (g_atomic_int_get (&streaming) && (first = tconv_stream_prefix (model)) > 0)
    {
      TconvTensor streamed;
      gboolean    covered;
      if (!tconv_stream_forward (model, first, input, &streamed, &covered, error))
        return FALSE;
      if (covered)
        x = (Activation) { streamed, TRUE };
      else
        first = 0;
    }
  for (int i = first; i < model->n_layers; i++)
    {
      const TconvLayer *l = &model->layers[i];
      if (tconv_graph_resize_folds (model, i))
        {
          gboolean done;
          if (!resize_conv (l, &model->layers[i + 1], &x, &done, error))
            {
              if (x.owned)
                tconv_tensor_free (&x.t);
              return FALSE;
            }
          if (done)
            {
              i++;
              continue;
            }
        }
      const TconvLayer *fuse = l->kind == TCONV_LAYER_CONV2D && i + 1 < model->n_layers
                                   && model->layers[i + 1].kind == TCONV_LAYER_PRELU
                                 ? &model->layers[i + 1]
                                 : NULL;
      if (!run_layer (l, &fuse, input, &x, error))
        {
          if (x.owned)
            tconv_tensor_free (&x.t);
          return FALSE;
        }
      if (fuse)
        i++; /* the PReLU is done */
    }
  if (!make_owned (&x, error))
    return FALSE;
  *output = x.t;
  return TRUE;
}

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
tconv_graph_tiling (const TconvModel *model, int *halo, int *align)
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
