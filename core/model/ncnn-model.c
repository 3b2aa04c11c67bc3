/* tconv — an ncnn net (ncnn.h) as a tconv graph model: each ncnn operator onto a layer
 * kind, as docs/ncnn-models.md part 5 tabulates.  So far the operators of the SRVGG
 * family (Real-ESRGAN's realesr-animevideov3 x4, realesr-general-x4v3, ...): Input,
 * Split, Convolution (with its fused activation), PReLU, ReLU, PixelShuffle, and the
 * nearest Interp of the input added by a BinaryOp (SRVGG's residual); and
 * Deconvolution.  Anything else is refused with the layer's name and type.  A family whose
 * program pads the image before the net (waifu2x upconv_7) is recognised from its graph and
 * gets that padding as its first layer, so the model is exactly what the program runs. */
#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "ncnn-model.h"
#include "tconv-error.h"

#define NO_LAYER (-2) /* a blob no tconv layer produces (an Interp folded into its add) */

typedef struct
{
  const char         *what;
  const TconvNcnnNet *net;
  const TconvNcnnLayer *nl;  /* being mapped, for messages */
  GArray             *layers; /* TconvLayer */
  int                *source; /* (n_blobs) tconv layer index, TCONV_INPUT_MODEL or NO_LAYER */
  int                *upscale; /* (n_blobs) nearest factor of the model input, or 0 */
  GPtrArray          *scratch; /* weights rearranged here, until copied to storage */
  int                 prepad;  /* replicate border added to the input, as the family's program does */
} Map;

#define MAP_FAIL(...)                                                                        \
  do                                                                                         \
    {                                                                                        \
      g_autofree char *msg_ = g_strdup_printf (__VA_ARGS__);                                 \
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL, "%s: line %d: layer \"%s\" (%s): %s", \
                   m->what, m->nl->line, m->nl->name, m->nl->type, msg_);                    \
      return FALSE;                                                                          \
    }                                                                                        \
  while (0)

/* Appends a layer reading blob `in`; its output becomes blob `out`. */
static TconvLayer *
add_layer (Map *m, TconvLayerKind kind, int in, int out)
{
  TconvLayer l = { .kind = kind, .name = g_strdup (m->nl->name), .n_inputs = 1 };

  l.inputs[0] = m->source[in];
  g_array_append_val (m->layers, l);
  m->source[out] = m->layers->len - 1;
  return &g_array_index (m->layers, TconvLayer, m->layers->len - 1);
}

static int
param (const TconvNcnnLayer *l, int id, int def)
{
  return tconv_ncnn_param_int (l, id, def);
}

/* A Convolution's or Deconvolution's activation (param 9: 0 none, 1 ReLU, 2 leaky ReLU
 * with slope param 10), as its own layer in place on the output. */
static void
add_fused_activation (Map *m, const TconvNcnnLayer *nl, int act)
{
  if (act == 0)
    return;
  TconvLayer *l = add_layer (m, act == 1 ? TCONV_LAYER_RELU : TCONV_LAYER_LEAKY_RELU,
                             nl->outputs[0], nl->outputs[0]);
  l->negative_slope = act == 2 ? nl->params[10].fv[0] : 0.f;
}

/* Convolution: square kernel, equal strides, dilations and zero pads on every side. */
static gboolean
map_conv (Map *m, const TconvNcnnLayer *nl, GError **error)
{
  const TconvNcnnWeight *w = tconv_ncnn_weight (nl, "weight"), *b = tconv_ncnn_weight (nl, "bias");
  int k = param (nl, 1, 0), stride = param (nl, 3, 1), dilation = param (nl, 2, 1);
  int pad = param (nl, 4, 0), act = param (nl, 9, 0);

  if (param (nl, 11, k) != k || param (nl, 13, stride) != stride
      || param (nl, 12, dilation) != dilation || param (nl, 14, pad) != pad
      || param (nl, 15, pad) != pad || param (nl, 16, pad) != pad || pad < 0
      || tconv_ncnn_param_float (nl, 18, 0.f) != 0.f)
    MAP_FAIL ("only square kernels, strides, dilations and equal zero pads are mapped");
  if (act != 0 && act != 1 && act != 2)
    MAP_FAIL ("activation %d is not mapped (none, ReLU and leaky ReLU are)", act);
  TconvLayer *l = add_layer (m, TCONV_LAYER_CONV2D, nl->inputs[0], nl->outputs[0]);
  l->conv = tconv_conv2d_params_default ();
  l->conv.stride[0] = l->conv.stride[1] = stride;
  l->conv.dilation[0] = l->conv.dilation[1] = dilation;
  l->conv.padding[0] = l->conv.padding[1] = pad;
  /* (out, in, kh, kw), as PyTorch's Conv2d; storage is filled by the caller */
  l->weight = (TconvTensor) { w->shape[0], w->shape[1], w->shape[2], w->shape[3], w->data };
  l->bias = b ? b->data : NULL;
  l->out_channels = w->shape[0];
  add_fused_activation (m, nl, act);
  return TRUE;
}

/* Deconvolution: ncnn keeps its weight (out, in, kh, kw) where PyTorch's ConvTranspose2d
 * has (in, out, kh, kw); the kernel is not flipped (ncnn scatters, as PyTorch does). */
static gboolean
map_deconv (Map *m, const TconvNcnnLayer *nl, GError **error)
{
  const TconvNcnnWeight *w = tconv_ncnn_weight (nl, "weight"), *b = tconv_ncnn_weight (nl, "bias");
  int k = param (nl, 1, 0), stride = param (nl, 3, 1), pad = param (nl, 4, 0);
  int op = param (nl, 18, 0), act = param (nl, 9, 0);
  int cout = w->shape[0], cin = w->shape[1], kk = w->shape[2] * w->shape[3];

  if (param (nl, 11, k) != k || param (nl, 13, stride) != stride || param (nl, 2, 1) != 1
      || param (nl, 12, 1) != 1 || param (nl, 14, pad) != pad || param (nl, 15, pad) != pad
      || param (nl, 16, pad) != pad || pad < 0 || param (nl, 19, op) != op || op >= stride
      || param (nl, 20, 0) || param (nl, 21, 0))
    MAP_FAIL ("only square kernels, strides, pads and output pads, without a set output "
              "size, are mapped");
  if (act != 0 && act != 1 && act != 2)
    MAP_FAIL ("activation %d is not mapped (none, ReLU and leaky ReLU are)", act);
  float *t = g_new (float, w->numel);
  for (int o = 0; o < cout; o++)
    for (int i = 0; i < cin; i++)
      memcpy (t + ((gsize) i * cout + o) * kk, w->data + ((gsize) o * cin + i) * kk,
              kk * sizeof (float));
  g_ptr_array_add (m->scratch, t);
  TconvLayer *l = add_layer (m, TCONV_LAYER_CONV_TRANSPOSE2D, nl->inputs[0], nl->outputs[0]);
  l->transposed = tconv_conv_transpose2d_params_default ();
  l->transposed.stride[0] = l->transposed.stride[1] = stride;
  l->transposed.padding[0] = l->transposed.padding[1] = pad;
  l->transposed.output_padding[0] = l->transposed.output_padding[1] = op;
  l->weight = (TconvTensor) { cin, cout, w->shape[2], w->shape[3], t };
  l->bias = b ? b->data : NULL;
  l->out_channels = cout;
  add_fused_activation (m, nl, act);
  return TRUE;
}

/* Interp nearest by an integer factor of the model's input: folded into the add that
 * reads it (SRVGG's `out += F.interpolate (x, scale_factor=4)`). */
static gboolean
map_interp (Map *m, const TconvNcnnLayer *nl, GError **error)
{
  float hs = tconv_ncnn_param_float (nl, 1, 1.f), ws = tconv_ncnn_param_float (nl, 2, 1.f);

  if (param (nl, 0, 0) != 1 || hs != ws || hs != floorf (hs) || hs < 1 || hs > 16
      || param (nl, 3, 0) || param (nl, 4, 0) || m->source[nl->inputs[0]] != TCONV_INPUT_MODEL)
    MAP_FAIL ("only a nearest resize of the model's input by an integer factor is mapped "
              "(bicubic 0.5 / 0.75, as realesr-animevideov3 x2/x3 end with, is not yet)");
  m->source[nl->outputs[0]] = NO_LAYER;
  m->upscale[nl->outputs[0]] = (int) hs;
  return TRUE;
}

static gboolean
map_binaryop (Map *m, const TconvNcnnLayer *nl, GError **error)
{
  int a = nl->inputs[0], b = nl->n_inputs > 1 ? nl->inputs[1] : -1;

  if (param (nl, 0, 0) != 0 || b < 0 || (m->upscale[a] != 0) == (m->upscale[b] != 0))
    MAP_FAIL ("only the sum of a layer and the resized model input is mapped");
  if (m->upscale[a])
    a = b;
  TconvLayer *l = add_layer (m, TCONV_LAYER_ADD_UPSCALED_INPUT, a, nl->outputs[0]);
  l->n_inputs = 2;
  l->inputs[1] = TCONV_INPUT_MODEL;
  l->resize.interp = TCONV_INTERP_NEAREST;
  return TRUE;
}

static gboolean
map_layer (Map *m, const TconvNcnnLayer *nl, GError **error)
{
  TconvLayer *l;

  m->nl = nl;
  for (int i = 0; i < nl->n_inputs; i++)
    if (m->source[nl->inputs[i]] == NO_LAYER && !g_str_equal (nl->type, "BinaryOp"))
      MAP_FAIL ("reads a resized input, which only an add may");
  if (g_str_equal (nl->type, "Input"))
    {
      if (nl != &m->net->layers[0])
        MAP_FAIL ("a second input is not mapped");
      m->source[nl->outputs[0]] = TCONV_INPUT_MODEL;
      if (m->prepad)
        {
          l = add_layer (m, TCONV_LAYER_PAD, nl->outputs[0], nl->outputs[0]);
          for (int s = 0; s < 4; s++)
            l->pad.border[s] = m->prepad;
          l->pad.mode = TCONV_PAD_REPLICATE;
        }
    }
  else if (g_str_equal (nl->type, "Split"))
    for (int i = 0; i < nl->n_outputs; i++)
      m->source[nl->outputs[i]] = m->source[nl->inputs[0]];
  else if (g_str_equal (nl->type, "Convolution"))
    return map_conv (m, nl, error);
  else if (g_str_equal (nl->type, "Deconvolution"))
    return map_deconv (m, nl, error);
  else if (g_str_equal (nl->type, "PReLU"))
    {
      const TconvNcnnWeight *w = tconv_ncnn_weight (nl, "slope");
      l = add_layer (m, TCONV_LAYER_PRELU, nl->inputs[0], nl->outputs[0]);
      l->weight = (TconvTensor) { 1, 1, 1, w->shape[0], w->data };
    }
  else if (g_str_equal (nl->type, "ReLU"))
    {
      float slope = tconv_ncnn_param_float (nl, 0, 0.f);
      l = add_layer (m, slope ? TCONV_LAYER_LEAKY_RELU : TCONV_LAYER_RELU, nl->inputs[0],
                     nl->outputs[0]);
      l->negative_slope = slope;
    }
  else if (g_str_equal (nl->type, "PixelShuffle"))
    {
      if (param (nl, 1, 0) != 0)
        MAP_FAIL ("mode 1 (channel-last order) is not mapped");
      l = add_layer (m, TCONV_LAYER_PIXEL_SHUFFLE, nl->inputs[0], nl->outputs[0]);
      l->factor = param (nl, 0, 1);
    }
  else if (g_str_equal (nl->type, "Interp"))
    return map_interp (m, nl, error);
  else if (g_str_equal (nl->type, "BinaryOp"))
    return map_binaryop (m, nl, error);
  else
    MAP_FAIL ("the operator is not mapped onto tconv's layers yet");
  return TRUE;
}

/* waifu2x upconv_7 (photo and anime_style_art_rgb, every noise level): Input1 -> six
 * unpadded 3x3 convolutions -> Deconvolution k4 s2 p3 -> Eltwise4.  Its program
 * (waifu2x-ncnn-vulkan src/main.cpp:677-706, src/waifu2x.cpp:656) pads the image by 7
 * replicated pixels first, which the net consumes: the padded net is exactly x2.  The
 * program's extra bottom/right row for odd sizes (waifu2x.cpp:571-590) only reaches the
 * output rows it drops, so it is not repeated here. */
static gboolean
is_upconv_7 (const TconvNcnnNet *net)
{
  if (net->n_layers != 8)
    return FALSE;
  const TconvNcnnLayer *first = &net->layers[0], *last = &net->layers[7];

  if (!g_str_equal (first->type, "Input") || first->n_outputs != 1
      || !g_str_equal (net->blob_names[first->outputs[0]], "Input1")
      || !g_str_equal (last->type, "Deconvolution") || last->n_outputs != 1
      || !g_str_equal (net->blob_names[last->outputs[0]], "Eltwise4")
      || param (last, 1, 0) != 4 || param (last, 3, 1) != 2 || param (last, 4, 0) != 3)
    return FALSE;
  for (int i = 1; i < 7; i++)
    if (!g_str_equal (net->layers[i].type, "Convolution") || param (&net->layers[i], 1, 0) != 3
        || param (&net->layers[i], 4, 0) != 0)
      return FALSE;
  return TRUE;
}

TconvModel *
tconv_ncnn_model (const TconvNcnnNet *net, const char *what, GError **error)
{
  Map m = { .what = what, .net = net, .layers = g_array_new (FALSE, TRUE, sizeof (TconvLayer)),
            .scratch = g_ptr_array_new_with_free_func (g_free) };
  g_autoptr (TconvModel) model = g_new0 (TconvModel, 1);
  gboolean ok = TRUE;
  int      outputs = 0, last = -1;

  /* the family, from its graph: the pre-processing its program applies */
  const char *family = NULL;
  if (is_upconv_7 (net))
    family = "waifu2x upconv_7", m.prepad = 7;
  m.source = g_new (int, MAX (net->n_blobs, 1));
  m.upscale = g_new0 (int, MAX (net->n_blobs, 1));
  for (int b = 0; b < net->n_blobs; b++)
    m.source[b] = NO_LAYER;
  for (int i = 0; ok && i < net->n_layers; i++)
    ok = map_layer (&m, &net->layers[i], error);
  for (int b = 0; ok && b < net->n_blobs; b++)
    if (!net->consumers[b])
      outputs++, last = b;
  if (ok && (outputs != 1 || m.source[last] != (int) m.layers->len - 1))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   "%s: the net must have one output, made by its last layer", what);
      ok = FALSE;
    }
  model->n_layers = m.layers->len;
  model->layers = (TconvLayer *) g_array_free (m.layers, FALSE);
  g_free (m.source);
  g_free (m.upscale);
  if (!ok)
    {
      g_ptr_array_unref (m.scratch);
      return NULL;
    }
  model->name = g_strdup (what);
  if (family)
    model->facts_json = g_strdup_printf (
      "{\"ncnn_family\": \"%s (blobs Input1 -> Eltwise4)\", \"pre_padding\": "
      "\"replicate %d px on every side (its program's), in the graph as layer 0\", "
      "\"values\": \"RGB in [0, 1]; 8-bit out clamped, v * 255 + 0.5 truncated\", "
      "\"alpha\": \"colour premultiplied by alpha into the net and divided after, alpha "
      "upscaled bicubic beside it, as for every tconv model (its program feeds straight "
      "colour: the same on opaque pixels)\"}", family, m.prepad);
  tconv_model_take_storage (model);
  g_ptr_array_unref (m.scratch);
  model->mode = TCONV_MODE_TRANSPOSED; /* SRVGG's conv + pixel shuffle head is one */
  model->color = TCONV_COLOR_RGB;
  model->channels = 3;
  if (!tconv_model_validate (model, error))
    {
      g_prefix_error (error, "%s: ", what);
      return NULL;
    }
  return g_steal_pointer (&model);
}
