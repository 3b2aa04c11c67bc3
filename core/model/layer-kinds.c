/* The table of layer kinds (layer-kinds.h): one row per kind, each row's functions
 * beside it. */
#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "activation.h"
#include "choices.h"
#include "graph-ops.h"
#include "layer-kinds.h"
#include "tconv-error.h"

#define MAX_CHANNELS 4096
#define MAX_KERNEL   64
#define MAX_STRIDE   16
#define MAX_BORDER   1024

/* ---- reading parameters ------------------------------------------------------------ */

/* An integer field given as n or a list of `len` integers, each within [min, max]. */
static gboolean
get_ints (TconvLayerReader *r, JsonObject *o, const char *key, int len, int def, int min,
          int max, int *v, GError **error)
{
  JsonNode  *n;
  JsonArray *a;

  for (int i = 0; i < len; i++)
    v[i] = def;
  if (!json_object_has_member (o, key))
    return TRUE;
  n = json_object_get_member (o, key);
  a = JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
  if (json_node_get_value_type (n) == G_TYPE_INT64)
    for (int i = 0; i < len; i++)
      v[i] = (int) CLAMP (json_node_get_int (n), G_MININT, G_MAXINT);
  else if (a && json_array_get_length (a) == (guint) len)
    for (int i = 0; i < len; i++)
      {
        JsonNode *e = json_array_get_element (a, i);
        if (json_node_get_value_type (e) != G_TYPE_INT64)
          TCONV_LAYER_FAIL (r, "\"%s\" must be an integer or a list of %d integers", key, len);
        v[i] = (int) CLAMP (json_node_get_int (e), G_MININT, G_MAXINT);
      }
  else
    TCONV_LAYER_FAIL (r, "\"%s\" must be an integer or a list of %d integers", key, len);
  for (int i = 0; i < len; i++)
    if (v[i] < min || v[i] > max)
      TCONV_LAYER_FAIL (r, "\"%s\" is %d; it must be from %d to %d", key, v[i], min, max);
  return TRUE;
}

static gboolean
get_int (TconvLayerReader *r, JsonObject *o, const char *key, int def, int min, int max, int *v,
         GError **error)
{
  if (json_object_has_member (o, key)
      && json_node_get_value_type (json_object_get_member (o, key)) != G_TYPE_INT64)
    TCONV_LAYER_FAIL (r, "\"%s\" must be an integer", key);
  return get_ints (r, o, key, 1, def, min, max, v, error);
}

/* A finite number within +-1e6, `def` when absent. */
static gboolean
get_float (TconvLayerReader *r, JsonObject *o, const char *key, float def, float *v,
           GError **error)
{
  JsonNode *n = json_object_get_member (o, key);

  *v = def;
  if (n == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n)
      || (json_node_get_value_type (n) != G_TYPE_DOUBLE
          && json_node_get_value_type (n) != G_TYPE_INT64)
      || !isfinite (json_node_get_double (n)) || fabs (json_node_get_double (n)) > 1e6)
    TCONV_LAYER_FAIL (r, "\"%s\" must be a number from -1e6 to 1e6", key);
  *v = (float) json_node_get_double (n);
  return TRUE;
}

static const char *
get_string (JsonObject *o, const char *key)
{
  JsonNode *n = json_object_get_member (o, key);
  return n && json_node_get_value_type (n) == G_TYPE_STRING ? json_node_get_string (n) : NULL;
}

/* Binds the tensor named by o[key]; it must exist, be used once, and have `dims` dims. */
static gboolean
get_tensor (TconvLayerReader *r, JsonObject *o, const char *key, gboolean required, int dims,
            TconvStTensor **out, GError **error)
{
  const char *name = get_string (o, key);

  *out = NULL;
  if (name == NULL)
    {
      if (json_object_has_member (o, key) || required)
        TCONV_LAYER_FAIL (r, "\"%s\" must name a tensor", key);
      return TRUE;
    }
  *out = g_hash_table_lookup (r->st->tensors, name);
  if (*out == NULL)
    TCONV_LAYER_FAIL (r, "tensor \"%s\" is not in the file", name);
  if (!g_ptr_array_find_with_equal_func (r->used, name, g_str_equal, NULL))
    g_ptr_array_add (r->used, (gpointer) name);
  else
    TCONV_LAYER_FAIL (r, "tensor \"%s\" is used by two layers", name);
  if ((*out)->n_dims != dims)
    TCONV_LAYER_FAIL (r, "tensor \"%s\" has %d dimensions, expected %d", name, (*out)->n_dims, dims);
  return TRUE;
}

/* A layer's choice field (list->name); `def` when absent, or -1 if required. */
static gboolean
get_choice (TconvLayerReader *r, JsonObject *o, const TconvChoiceList *list, int def, int *value,
            GError **error)
{
  const char *nick = get_string (o, list->name);

  if (!nick && def >= 0)
    {
      *value = def;
      return TRUE;
    }
  if (nick && tconv_choice_parse (list, TCONV_IN_MODEL_FILE, nick, value, NULL))
    return TRUE;
  g_autofree char *allowed = tconv_choice_nicks (list, TCONV_IN_MODEL_FILE);
  TCONV_LAYER_FAIL (r, "\"%s\" must be %s", list->name, allowed);
}

static TconvTensor
as_tensor (const TconvStTensor *t)
{
  return (TconvTensor) { (int) t->shape[0], (int) t->shape[1], (int) t->shape[2],
                         (int) t->shape[3], t->data };
}

static gboolean
bad (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
bad (GError **error, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, TCONV_ERROR, TCONV_ERROR_MODEL, msg);
  return FALSE;
}

static gboolean
no_params (TconvLayerReader *r, JsonObject *o, TconvLayer *l, GError **error)
{
  (void) r, (void) o, (void) l, (void) error;
  return TRUE;
}

static void
no_text (const TconvLayer *l, GString *text)
{
  (void) l, (void) text;
}

/* ---- conv2d, conv_transpose2d ------------------------------------------------------ */

static gboolean
parse_conv (TconvLayerReader *r, JsonObject *o, TconvLayer *l, GError **error)
{
  TconvStTensor *w, *b;
  int            groups;

  if (!get_tensor (r, o, "weight", TRUE, 4, &w, error)
      || !get_tensor (r, o, "bias", FALSE, 1, &b, error)
      || !get_int (r, o, "groups", 1, 1, MAX_CHANNELS, &groups, error))
    return FALSE;
  l->weight = as_tensor (w);
  if (l->weight.h > MAX_KERNEL || l->weight.w > MAX_KERNEL)
    TCONV_LAYER_FAIL (r, "kernel %dx%d is larger than %d", l->weight.h, l->weight.w, MAX_KERNEL);
  if (l->kind == TCONV_LAYER_CONV2D)
    {
      TconvConv2dParams *p = &l->conv;
      int                mode;
      *p = tconv_conv2d_params_default ();
      p->groups = groups;
      if (!get_ints (r, o, "stride", 2, 1, 1, MAX_STRIDE, p->stride, error)
          || !get_ints (r, o, "padding", 2, 0, 0, MAX_KERNEL, p->padding, error)
          || !get_ints (r, o, "dilation", 2, 1, 1, MAX_KERNEL, p->dilation, error)
          || !get_choice (r, o, &tconv_padding_mode_list, TCONV_PAD_ZEROS, &mode, error))
        return FALSE;
      p->padding_mode = mode;
      l->out_channels = l->weight.n;
    }
  else
    {
      TconvConvTranspose2dParams *p = &l->transposed;
      *p = tconv_conv_transpose2d_params_default ();
      p->groups = groups;
      if (!get_ints (r, o, "stride", 2, 1, 1, MAX_STRIDE, p->stride, error)
          || !get_ints (r, o, "padding", 2, 0, 0, MAX_KERNEL, p->padding, error)
          || !get_ints (r, o, "output_padding", 2, 0, 0, MAX_KERNEL, p->output_padding, error)
          || !get_ints (r, o, "dilation", 2, 1, 1, MAX_KERNEL, p->dilation, error))
        return FALSE;
      l->out_channels = l->weight.c * groups;
    }
  if (l->out_channels > MAX_CHANNELS)
    TCONV_LAYER_FAIL (r, "%d output channels are more than %d", l->out_channels, MAX_CHANNELS);
  if (b)
    {
      if (b->shape[0] != l->out_channels)
        TCONV_LAYER_FAIL (r, "bias has %d values for %d output channels", (int) b->shape[0],
                    l->out_channels);
      l->bias = b->data;
    }
  return TRUE;
}

static gboolean
shape_conv2d (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out,
              GError **error)
{
  if (!tconv_conv2d_shape (in[0], &l->weight, l->bias ? l->out_channels : -1, &l->conv, out,
                           error))
    return FALSE;
  return l->weight.n == l->out_channels
         || bad (error, "weight's first dimension is not out_channels");
}

static gboolean
shape_conv_transpose2d (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out,
                        GError **error)
{
  if (!tconv_conv_transpose2d_shape (in[0], &l->weight, l->bias ? l->out_channels : -1,
                                     &l->transposed, out, error))
    return FALSE;
  return out->c == l->out_channels
         || bad (error, "weight's second dimension * groups is not out_channels");
}

static void
geometry_conv2d (const TconvLayer *l, int *reach, int *num, int *den)
{
  /* output x reads input [x*s - p, x*s - p + d*(k-1)] */
  const int k = MAX (l->weight.h, l->weight.w);
  const int d = MAX (l->conv.dilation[0], l->conv.dilation[1]);
  const int p = MAX (l->conv.padding[0], l->conv.padding[1]);
  *reach = MAX (p, d * (k - 1) - MIN (l->conv.padding[0], l->conv.padding[1]));
  *num = 1;
  *den = MAX (l->conv.stride[0], l->conv.stride[1]);
}

static void
geometry_conv_transpose2d (const TconvLayer *l, int *reach, int *num, int *den)
{
  /* output o reads inputs q with q*s in [o + p - d*(k-1), o + p]; the outputs of inputs
   * [a, b) are [s*a, s*b), which read from a - floor((d*(k-1) - p)/s) up to
   * b - 1 + floor((p + s - 1)/s) */
  *reach = 0;
  for (int axis = 0; axis < 2; axis++)
    {
      const int k = axis ? l->weight.w : l->weight.h, d = l->transposed.dilation[axis];
      const int s = l->transposed.stride[axis], p = l->transposed.padding[axis];
      *reach = MAX (*reach, MAX ((d * (k - 1) - p) / s, (p + s - 1) / s));
    }
  *num = MAX (l->transposed.stride[0], l->transposed.stride[1]);
  *den = 1;
}

static gboolean
run_conv2d (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out, GError **error)
{
  return tconv_conv2d (in[0], &l->weight, l->bias, l->out_channels, &l->conv, out, error);
}

static gboolean
run_conv_transpose2d (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out,
                      GError **error)
{
  return tconv_conv_transpose2d (in[0], &l->weight, l->bias, l->out_channels, &l->transposed,
                                 out, error);
}

static void
describe_conv2d (const TconvLayer *l, GString *text)
{
  g_string_append_printf (text, "k%dx%d s%d p%d d%d g%d", l->weight.h, l->weight.w,
                          l->conv.stride[0], l->conv.padding[0], l->conv.dilation[0],
                          l->conv.groups);
  if (l->conv.padding_mode != TCONV_PAD_ZEROS)
    g_string_append_printf (text, " %s",
                            tconv_choice_nick (&tconv_padding_mode_list, l->conv.padding_mode));
}

static void
describe_conv_transpose2d (const TconvLayer *l, GString *text)
{
  g_string_append_printf (text, "k%dx%d s%d p%d op%d d%d g%d", l->weight.h, l->weight.w,
                          l->transposed.stride[0], l->transposed.padding[0],
                          l->transposed.output_padding[0], l->transposed.dilation[0],
                          l->transposed.groups);
}

/* ---- pointwise: activations, affine, the upscaled-input residual ------------------- */

static gboolean
shape_same (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out, GError **error)
{
  (void) l, (void) error;
  *out = *in[0];
  out->data = NULL;
  return TRUE;
}

static void
geometry_pointwise (const TconvLayer *l, int *reach, int *num, int *den)
{
  (void) l;
  *reach = 0, *num = *den = 1;
}

static gboolean
parse_leaky_relu (TconvLayerReader *r, JsonObject *o, TconvLayer *l, GError **error)
{
  return get_float (r, o, "negative_slope", 0.01f, &l->negative_slope, error);
}

static gboolean
parse_prelu (TconvLayerReader *r, JsonObject *o, TconvLayer *l, GError **error)
{
  TconvStTensor *w;
  if (!get_tensor (r, o, "weight", TRUE, 1, &w, error))
    return FALSE;
  l->weight = (TconvTensor) { 1, 1, 1, (int) w->shape[0], w->data };
  return TRUE;
}

static gboolean
shape_prelu (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out,
             GError **error)
{
  if (l->weight.w != 1 && l->weight.w != in[0]->c)
    return bad (error, "needs 1 slope or one per channel");
  return shape_same (l, in, out, error);
}

static gboolean
parse_clamp (TconvLayerReader *r, JsonObject *o, TconvLayer *l, GError **error)
{
  if (!get_float (r, o, "min", -1e6f, &l->coef[0], error)
      || !get_float (r, o, "max", 1e6f, &l->coef[1], error))
    return FALSE;
  if (l->coef[0] > l->coef[1])
    TCONV_LAYER_FAIL (r, "\"min\" %g is above \"max\" %g", l->coef[0], l->coef[1]);
  return TRUE;
}

static gboolean
parse_affine (TconvLayerReader *r, JsonObject *o, TconvLayer *l, GError **error)
{
  return get_float (r, o, "scale", 1.0f, &l->coef[0], error)
         && get_float (r, o, "offset", 0.0f, &l->coef[1], error);
}

static gboolean
run_pointwise (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out,
               GError **error)
{
  (void) in;
  switch (l->kind)
    {
    case TCONV_LAYER_RELU:
      tconv_relu (out);
      return TRUE;
    case TCONV_LAYER_LEAKY_RELU:
      tconv_leaky_relu (out, l->negative_slope);
      return TRUE;
    case TCONV_LAYER_PRELU:
      return tconv_prelu (out, l->weight.data, l->weight.w, error);
    case TCONV_LAYER_SIGMOID:
      tconv_sigmoid (out);
      return TRUE;
    case TCONV_LAYER_TANH:
      tconv_tanh (out);
      return TRUE;
    case TCONV_LAYER_CLAMP:
      tconv_clamp (out, l->coef[0], l->coef[1]);
      return TRUE;
    case TCONV_LAYER_AFFINE:
    default:
      tconv_affine (out, l->coef[0], l->coef[1]);
      return TRUE;
    }
}

static void
describe_leaky_relu (const TconvLayer *l, GString *text)
{
  g_string_append_printf (text, "slope %g", l->negative_slope);
}

static void
describe_clamp (const TconvLayer *l, GString *text)
{
  g_string_append_printf (text, "to [%g, %g]", l->coef[0], l->coef[1]);
}

static void
describe_affine (const TconvLayer *l, GString *text)
{
  g_string_append_printf (text, "x * %g + %g", l->coef[0], l->coef[1]);
}

/* files written before "mode" existed mean PyTorch's bicubic */
static gboolean
parse_add_upscaled_input (TconvLayerReader *r, JsonObject *o, TconvLayer *l, GError **error)
{
  int v;
  if (!get_choice (r, o, &tconv_interp_list, TCONV_INTERP_BICUBIC, &v, error))
    return FALSE;
  l->resize.interp = v;
  return TRUE;
}

static gboolean
shape_add_upscaled_input (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out,
                          GError **error)
{
  if (in[0]->h % in[1]->h != 0 || in[0]->w % in[1]->w != 0)
    return bad (error, "%dx%d is not an integer multiple of the input %dx%d", in[0]->w,
                in[0]->h, in[1]->w, in[1]->h);
  if (in[0]->c != in[1]->c)
    return bad (error, "%d channels cannot take the input's %d", in[0]->c, in[1]->c);
  return shape_same (l, in, out, error);
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

/* Reads its second input (the model's) through a resize: the tiling sees that reach
 * there (model-geometry.c: a second input's reach is the resize's). */
static void
geometry_add_upscaled_input (const TconvLayer *l, int *reach, int *num, int *den)
{
  *reach = interp_reach (l->resize.interp);
  *num = *den = 1;
}

static gboolean
run_add_upscaled_input (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out,
                        GError **error)
{
  return tconv_resize_add (in[1], l->resize.interp, out->h / in[1]->h, out->w / in[1]->w, out,
                           error);
}

static void
describe_interp (const TconvLayer *l, GString *text)
{
  g_string_append (text, tconv_interp_name (l->resize.interp));
}

/* ---- resize, pixel (un)shuffle ----------------------------------------------------- */

static gboolean
parse_resize (TconvLayerReader *r, JsonObject *o, TconvLayer *l, GError **error)
{
  int v;
  if (!get_int (r, o, "scale", 0, 1, MAX_STRIDE, &l->resize.factor, error)
      || !get_choice (r, o, &tconv_interp_list, -1, &v, error))
    return FALSE;
  l->resize.interp = v;
  return TRUE;
}

static gboolean
shape_resize (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out,
              GError **error)
{
  if (l->resize.factor < 1 || l->resize.factor > MAX_STRIDE)
    return bad (error, "scale must be an integer from 1 to %d", MAX_STRIDE);
  shape_same (l, in, out, error);
  return tconv_resize_output_len (in[0]->h, l->resize.factor, &out->h, error)
         && tconv_resize_output_len (in[0]->w, l->resize.factor, &out->w, error);
}

static void
geometry_resize (const TconvLayer *l, int *reach, int *num, int *den)
{
  *reach = interp_reach (l->resize.interp);
  *num = l->resize.factor;
  *den = 1;
}

static gboolean
run_resize (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out, GError **error)
{
  return tconv_resize (in[0], l->resize.interp, l->resize.factor, l->resize.factor, out, error);
}

static void
describe_resize (const TconvLayer *l, GString *text)
{
  g_string_append_printf (text, "%s x%d", tconv_interp_name (l->resize.interp),
                          l->resize.factor);
}

static gboolean
parse_factor (TconvLayerReader *r, JsonObject *o, TconvLayer *l, GError **error)
{
  return get_int (r, o, "factor", 0, 1, MAX_STRIDE, &l->factor, error);
}

static gboolean
shape_shuffle (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out,
               GError **error)
{
  const int r = l->factor, r2 = r * r;
  if (r < 1 || r > MAX_STRIDE)
    return bad (error, "factor must be from 1 to %d", MAX_STRIDE);
  shape_same (l, in, out, error);
  if (l->kind == TCONV_LAYER_PIXEL_SHUFFLE)
    {
      if (in[0]->h > (1 << 24) / r || in[0]->w > (1 << 24) / r)
        return bad (error, "its output would be too large");
      if (in[0]->c % r2 != 0)
        return bad (error, "%d channels are not divisible by factor^2 = %d", in[0]->c, r2);
      out->c /= r2, out->h *= r, out->w *= r;
      return TRUE;
    }
  if (in[0]->h % r != 0 || in[0]->w % r != 0)
    return bad (error, "size %dx%d is not divisible by the factor %d", in[0]->w, in[0]->h, r);
  if (in[0]->c > MAX_CHANNELS / r2)
    return bad (error, "too many channels");
  out->c *= r2, out->h /= r, out->w /= r;
  return TRUE;
}

static void
geometry_shuffle (const TconvLayer *l, int *reach, int *num, int *den)
{
  *reach = 0;
  *num = l->kind == TCONV_LAYER_PIXEL_SHUFFLE ? l->factor : 1;
  *den = l->kind == TCONV_LAYER_PIXEL_SHUFFLE ? 1 : l->factor;
}

static gboolean
run_shuffle (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out, GError **error)
{
  return l->kind == TCONV_LAYER_PIXEL_SHUFFLE ? tconv_pixel_shuffle (in[0], l->factor, out, error)
                                              : tconv_pixel_unshuffle (in[0], l->factor, out,
                                                                       error);
}

static void
describe_factor (const TconvLayer *l, GString *text)
{
  g_string_append_printf (text, "x%d", l->factor);
}

/* ---- add, sub, mul ----------------------------------------------------------------- */

static gboolean
parse_scales (TconvLayerReader *r, JsonObject *o, TconvLayer *l, GError **error)
{
  /* PyTorch's add (a, b, alpha=) is scale_b; RRDB's x * 0.2 + skip is scale_a */
  return get_float (r, o, "scale_a", 1.0f, &l->coef[0], error)
         && get_float (r, o, "scale_b", 1.0f, &l->coef[1], error);
}

static gboolean
shape_binary (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out,
              GError **error)
{
  (void) l;
  return tconv_binary_shape (in[0], in[1], out, error);
}

static gboolean
run_binary (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out, GError **error)
{
  static const float one[2] = { 1.0f, 1.0f };
  const TconvBinaryOp op = l->kind == TCONV_LAYER_ADD   ? TCONV_BINARY_ADD
                           : l->kind == TCONV_LAYER_SUB ? TCONV_BINARY_SUB
                                                        : TCONV_BINARY_MUL;
  return tconv_binary (op, op == TCONV_BINARY_MUL ? one : l->coef, in[0], in[1], out, error);
}

static void
describe_scales (const TconvLayer *l, GString *text)
{
  if (l->coef[0] != 1.0f || l->coef[1] != 1.0f)
    g_string_append_printf (text, "a * %g %s b * %g", l->coef[0],
                            l->kind == TCONV_LAYER_SUB ? "-" : "+", l->coef[1]);
}

/* ---- concat, slice ----------------------------------------------------------------- */

static gboolean
shape_concat (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out,
              GError **error)
{
  if (!tconv_concat_shape (in, l->n_inputs, out, error))
    return FALSE;
  return out->c <= MAX_CHANNELS || bad (error, "%d channels are more than %d", out->c, MAX_CHANNELS);
}

static gboolean
run_concat (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out, GError **error)
{
  (void) error;
  tconv_concat (in, l->n_inputs, out);
  return TRUE;
}

static gboolean
parse_slice (TconvLayerReader *r, JsonObject *o, TconvLayer *l, GError **error)
{
  if (!get_int (r, o, "start", 0, 0, MAX_CHANNELS, &l->range[0], error)
      || !get_int (r, o, "end", -1, 1, MAX_CHANNELS, &l->range[1], error))
    return FALSE;
  if (l->range[1] <= l->range[0])
    TCONV_LAYER_FAIL (r, "\"end\" must be given and above \"start\"");
  return TRUE;
}

static gboolean
shape_slice (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out,
             GError **error)
{
  if (l->range[0] < 0 || l->range[1] > in[0]->c || l->range[0] >= l->range[1])
    return bad (error, "channels %d to %d of %d", l->range[0], l->range[1], in[0]->c);
  shape_same (l, in, out, error);
  out->c = l->range[1] - l->range[0];
  return TRUE;
}

static gboolean
run_slice (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out, GError **error)
{
  return tconv_slice_channels (in[0], l->range[0], l->range[1], out, error);
}

static void
describe_slice (const TconvLayer *l, GString *text)
{
  g_string_append_printf (text, "channels %d..%d", l->range[0], l->range[1] - 1);
}

/* ---- crop, pad --------------------------------------------------------------------- */

static gboolean
parse_border (TconvLayerReader *r, JsonObject *o, TconvLayer *l, GError **error)
{
  int mode = TCONV_PAD_ZEROS;
  if (!get_ints (r, o, "border", 4, 0, 0, MAX_BORDER, l->pad.border, error)
      || (l->kind == TCONV_LAYER_PAD
          && !get_choice (r, o, &tconv_padding_mode_list, TCONV_PAD_ZEROS, &mode, error)))
    return FALSE;
  l->pad.mode = mode;
  return TRUE;
}

static gboolean
shape_border (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out,
              GError **error)
{
  const int *b = l->pad.border;
  if (!tconv_border_shape (in[0], b, l->kind == TCONV_LAYER_PAD ? 1 : -1, out, error))
    return FALSE;
  if (l->kind == TCONV_LAYER_PAD && l->pad.mode == TCONV_PAD_REFLECT
      && (MAX (b[0], b[1]) >= in[0]->h || MAX (b[2], b[3]) >= in[0]->w))
    return bad (error, "reflecting %d pixels needs more than %dx%d", MAX (MAX (b[0], b[1]), MAX (b[2], b[3])),
                in[0]->w, in[0]->h);
  return TRUE;
}

static void
geometry_border (const TconvLayer *l, int *reach, int *num, int *den)
{
  /* output x reads input x - top (pad) or x + top (crop): a shift, in either direction */
  const int *b = l->pad.border;
  *reach = MAX (MAX (b[0], b[1]), MAX (b[2], b[3]));
  *num = *den = 1;
}

static gboolean
run_border (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out, GError **error)
{
  if (l->kind == TCONV_LAYER_PAD)
    return tconv_pad (in[0], l->pad.border, l->pad.mode, out, error);
  tconv_crop (in[0], l->pad.border, out);
  return TRUE;
}

static void
describe_border (const TconvLayer *l, GString *text)
{
  const int *b = l->pad.border;
  g_string_append_printf (text, "top %d bottom %d left %d right %d", b[0], b[1], b[2], b[3]);
  if (l->kind == TCONV_LAYER_PAD)
    g_string_append_printf (text, " %s", tconv_choice_nick (&tconv_padding_mode_list, l->pad.mode));
}

/* ---- global average pool ----------------------------------------------------------- */

static gboolean
shape_pool (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out,
            GError **error)
{
  shape_same (l, in, out, error);
  out->h = out->w = 1;
  return TRUE;
}

static void
geometry_pool (const TconvLayer *l, int *reach, int *num, int *den)
{
  (void) l;
  *reach = -1; /* every pixel */
  *num = *den = 1;
}

static gboolean
run_pool (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out, GError **error)
{
  (void) l, (void) error;
  tconv_global_avg_pool (in[0], out);
  return TRUE;
}

/* ---- the table --------------------------------------------------------------------- */

#define POINTWISE(name, parse, shape, describe)                                              \
  { name, 1, 1, TRUE, TCONV_FAST_NONE, parse, shape, geometry_pointwise, run_pointwise,       \
    describe }

static const TconvLayerKindInfo kinds[] = {
  [TCONV_LAYER_CONV2D] = { "conv2d", 1, 1, FALSE, TCONV_FAST_CONV2D, parse_conv, shape_conv2d,
                           geometry_conv2d, run_conv2d, describe_conv2d },
  [TCONV_LAYER_CONV_TRANSPOSE2D] = { "conv_transpose2d", 1, 1, FALSE,
                                     TCONV_FAST_CONV_TRANSPOSE2D, parse_conv,
                                     shape_conv_transpose2d, geometry_conv_transpose2d,
                                     run_conv_transpose2d, describe_conv_transpose2d },
  [TCONV_LAYER_RELU] = POINTWISE ("relu", no_params, shape_same, no_text),
  [TCONV_LAYER_LEAKY_RELU] = POINTWISE ("leaky_relu", parse_leaky_relu, shape_same,
                                        describe_leaky_relu),
  [TCONV_LAYER_PRELU] = POINTWISE ("prelu", parse_prelu, shape_prelu, no_text),
  [TCONV_LAYER_RESIZE] = { "resize", 1, 1, FALSE, TCONV_FAST_NONE, parse_resize, shape_resize,
                           geometry_resize, run_resize, describe_resize },
  [TCONV_LAYER_PIXEL_SHUFFLE] = { "pixel_shuffle", 1, 1, FALSE, TCONV_FAST_NONE, parse_factor,
                                  shape_shuffle, geometry_shuffle, run_shuffle, describe_factor },
  [TCONV_LAYER_PIXEL_UNSHUFFLE] = { "pixel_unshuffle", 1, 1, FALSE, TCONV_FAST_NONE,
                                    parse_factor, shape_shuffle, geometry_shuffle, run_shuffle,
                                    describe_factor },
  [TCONV_LAYER_ADD_UPSCALED_INPUT] = { "add_upscaled_input", 2, 2, TRUE, TCONV_FAST_NONE,
                                       parse_add_upscaled_input, shape_add_upscaled_input,
                                       geometry_add_upscaled_input, run_add_upscaled_input,
                                       describe_interp },
  [TCONV_LAYER_ADD] = { "add", 2, 2, TRUE, TCONV_FAST_NONE, parse_scales, shape_binary,
                        geometry_pointwise, run_binary, describe_scales },
  [TCONV_LAYER_SUB] = { "sub", 2, 2, TRUE, TCONV_FAST_NONE, parse_scales, shape_binary,
                        geometry_pointwise, run_binary, describe_scales },
  [TCONV_LAYER_MUL] = { "mul", 2, 2, TRUE, TCONV_FAST_NONE, no_params, shape_binary,
                        geometry_pointwise, run_binary, no_text },
  [TCONV_LAYER_CONCAT] = { "concat", 1, TCONV_MAX_INPUTS, FALSE, TCONV_FAST_NONE, no_params,
                           shape_concat, geometry_pointwise, run_concat, no_text },
  [TCONV_LAYER_SLICE] = { "slice", 1, 1, FALSE, TCONV_FAST_NONE, parse_slice, shape_slice,
                          geometry_pointwise, run_slice, describe_slice },
  [TCONV_LAYER_CROP] = { "crop", 1, 1, FALSE, TCONV_FAST_NONE, parse_border, shape_border,
                         geometry_border, run_border, describe_border },
  [TCONV_LAYER_PAD] = { "pad", 1, 1, FALSE, TCONV_FAST_NONE, parse_border, shape_border,
                        geometry_border, run_border, describe_border },
  [TCONV_LAYER_SIGMOID] = POINTWISE ("sigmoid", no_params, shape_same, no_text),
  [TCONV_LAYER_TANH] = POINTWISE ("tanh", no_params, shape_same, no_text),
  [TCONV_LAYER_CLAMP] = POINTWISE ("clamp", parse_clamp, shape_same, describe_clamp),
  [TCONV_LAYER_AFFINE] = POINTWISE ("affine", parse_affine, shape_same, describe_affine),
  [TCONV_LAYER_GLOBAL_AVG_POOL] = { "global_avg_pool", 1, 1, FALSE, TCONV_FAST_NONE, no_params,
                                    shape_pool, geometry_pool, run_pool, no_text },
};
G_STATIC_ASSERT (G_N_ELEMENTS (kinds) == TCONV_N_LAYER_KINDS);

const TconvLayerKindInfo *
tconv_layer_kind_info (TconvLayerKind kind)
{
  return &kinds[kind];
}

const TconvLayerKindInfo *
tconv_layer_kind_find (const char *name, TconvLayerKind *kind)
{
  for (int i = 0; i < TCONV_N_LAYER_KINDS; i++)
    if (g_str_equal (kinds[i].name, name))
      {
        *kind = i;
        return &kinds[i];
      }
  return NULL;
}

char *
tconv_layer_kind_names (void)
{
  GString *s = g_string_new (NULL);
  for (int i = 0; i < TCONV_N_LAYER_KINDS; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", kinds[i].name);
  return g_string_free (s, FALSE);
}
