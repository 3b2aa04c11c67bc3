/* tconv — ncnn .param/.bin reader.  Every count, id, length and shape is checked before
 * it sizes anything: allocations follow the lines actually present in the .param and
 * the bytes actually present in the .bin, never a number the file merely declares.
 * The operator table below is what this reader knows; anything else is refused with
 * the layer's name and type.  Param ids and weight layouts follow Tencent/ncnn
 * src/layer/<op>.cpp (load_param, load_model) and src/modelbin.cpp. */
#include <glib/gi18n-lib.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "ncnn.h"
#include "safetensors.h"
#include "tconv-error.h"

#define MAX_VALUE_CHARS 63       /* one number; ncnn itself reads at most 15 */
#define MAX_DIM         (1 << 20) /* any size, count or offset given as a parameter */
#define MAX_CHANNELS    65536
#define MAX_KERNEL      1024
#define TAG_F16         0x01306B47u
#define TAG_INT8        0x000D4B38u
#define TAG_F32         0x0002C056u

typedef struct
{
  const char     *what;
  const char     *pos, *end;  /* unread .param text */
  int             line;       /* number of the current line */
  const char     *lp, *le;    /* unread part of the current line */
  const guint8   *bin;
  gsize           bin_len, bin_pos;
  TconvNcnnNet   *net;
  GHashTable     *blobs;      /* name -> index + 1 */
  GPtrArray      *names;      /* blob names, owned */
  GArray         *producer, *consumers;
  TconvNcnnLayer *layer;      /* being read, for messages */
} Ctx;

#define FAIL(...)                                                                            \
  do                                                                                         \
    {                                                                                        \
      g_autofree char *msg_ = g_strdup_printf (__VA_ARGS__);                                 \
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL, "%s: line %d: %s", ctx->what,       \
                   ctx->line, msg_);                                                         \
      return FALSE;                                                                          \
    }                                                                                        \
  while (0)

#define LAYER_FAIL(...)                                                                      \
  do                                                                                         \
    {                                                                                        \
      g_autofree char *msg_ = g_strdup_printf (__VA_ARGS__);                                 \
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL, "%s: line %d: layer \"%s\" (%s): %s", \
                   ctx->what, ctx->layer->line, ctx->layer->name, ctx->layer->type, msg_);   \
      return FALSE;                                                                          \
    }                                                                                        \
  while (0)

/* ---- the .param text: lines, tokens, numbers ---- */

static gboolean
blank (char c)
{
  return c == ' ' || c == '\t' || c == '\r';
}

/* Moves to the next line holding a token; FALSE at the end of the text. */
static gboolean
next_line (Ctx *ctx, GError **error)
{
  while (ctx->pos < ctx->end)
    {
      const char *nl = memchr (ctx->pos, '\n', ctx->end - ctx->pos);
      const char *le = nl ? nl : ctx->end;
      ctx->line++;
      ctx->lp = ctx->pos;
      ctx->le = le;
      ctx->pos = nl ? nl + 1 : ctx->end;
      if (le - ctx->lp > TCONV_NCNN_MAX_LINE)
        FAIL ("line is longer than %d characters", TCONV_NCNN_MAX_LINE);
      while (ctx->lp < ctx->le && blank (*ctx->lp))
        ctx->lp++;
      if (ctx->lp < ctx->le)
        return TRUE;
    }
  ctx->lp = ctx->le = ctx->end;
  return FALSE;
}

/* The next whitespace-separated token of the current line; FALSE at its end. */
static gboolean
next_token (Ctx *ctx, const char **tok, int *len)
{
  while (ctx->lp < ctx->le && blank (*ctx->lp))
    ctx->lp++;
  if (ctx->lp == ctx->le)
    return FALSE;
  *tok = ctx->lp;
  while (ctx->lp < ctx->le && !blank (*ctx->lp))
    ctx->lp++;
  *len = ctx->lp - *tok;
  return TRUE;
}

/* A decimal integer spelled exactly (sign and digits, nothing else). */
static gboolean
parse_int (const char *s, int len, gint64 min, gint64 max, int *v)
{
  char    buf[MAX_VALUE_CHARS + 1];
  char   *end;
  gint64  x;
  int     i = (len > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;

  if (len < 1 || len > MAX_VALUE_CHARS || i == len)
    return FALSE;
  for (int j = i; j < len; j++)
    if (!g_ascii_isdigit (s[j]))
      return FALSE;
  memcpy (buf, s, len);
  buf[len] = '\0';
  x = g_ascii_strtoll (buf, &end, 10);
  if (*end || x < min || x > max)
    return FALSE;
  *v = (int) x;
  return TRUE;
}

/* ncnn's rule: a value with '.' or an exponent is a float. */
static gboolean
looks_float (const char *s, int len)
{
  for (int i = 0; i < len; i++)
    if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
      return TRUE;
  return FALSE;
}

/* A finite float in float range, in plain decimal notation (no hex, inf or nan). */
static gboolean
parse_float (const char *s, int len, float *v)
{
  char   buf[MAX_VALUE_CHARS + 1];
  char  *end;
  double x;

  if (len < 1 || len > MAX_VALUE_CHARS)
    return FALSE;
  for (int i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]) && !strchr ("+-.eE", s[i]))
      return FALSE;
  memcpy (buf, s, len);
  buf[len] = '\0';
  x = g_ascii_strtod (buf, &end);
  if (*end || end == buf || !isfinite (x) || fabs (x) > FLT_MAX)
    return FALSE;
  *v = (float) x;
  return TRUE;
}

/* ---- parameters: `id=value`, `id=v,v,...` and the old `-233id=count,v,...` ---- */

static gboolean
store_values (Ctx *ctx, TconvNcnnParam *p, int id, const char *s, int len, gboolean array,
              GError **error)
{
  int n = 1, floats = 0;

  for (int i = 0; i < len; i++)
    n += s[i] == ',';
  p->n = n;
  p->iv = g_new0 (int, n);
  p->fv = g_new0 (float, n);
  for (int k = 0; k < n; k++)
    {
      const char *comma = memchr (s, ',', len);
      int         vlen = comma ? comma - s : len;
      gboolean    is_float = looks_float (s, vlen);
      floats += is_float;
      if (is_float ? !parse_float (s, vlen, &p->fv[k])
                   : !parse_int (s, vlen, G_MININT, G_MAXINT, &p->iv[k]))
        LAYER_FAIL ("parameter %d: \"%.*s\" is not a number", id, MIN (vlen, 40), s);
      if (!is_float)
        p->fv[k] = p->iv[k];
      s += vlen + 1;
      len -= vlen + 1;
    }
  if (floats != 0 && floats != n)
    LAYER_FAIL ("parameter %d mixes integers and floats", id);
  if (array)
    p->type = floats ? TCONV_NCNN_FLOAT_ARRAY : TCONV_NCNN_INT_ARRAY;
  else
    {
      p->type = floats ? TCONV_NCNN_FLOAT : TCONV_NCNN_INT;
      p->i = p->iv[0];
      p->f = p->fv[0];
      g_clear_pointer (&p->iv, g_free);
      g_clear_pointer (&p->fv, g_free);
      p->n = 0;
    }
  if (floats)
    g_clear_pointer (&p->iv, g_free);
  else
    g_clear_pointer (&p->fv, g_free);
  return TRUE;
}

static gboolean
parse_param (Ctx *ctx, const char *tok, int len, GError **error)
{
  const char *eq = memchr (tok, '=', len);
  int         id, vlen;
  gboolean    old_array;
  const char *v;

  if (eq == NULL || !parse_int (tok, eq - tok, -23300 - (TCONV_NCNN_MAX_PARAMS - 1),
                                TCONV_NCNN_MAX_PARAMS - 1, &id)
      || (id < 0 && id > -23300))
    LAYER_FAIL ("\"%.*s\" is not a parameter (id=value, id 0 to %d)", MIN (len, 40), tok,
                TCONV_NCNN_MAX_PARAMS - 1);
  old_array = id <= -23300;
  if (old_array)
    id = -id - 23300;
  if (ctx->layer->params[id].type != TCONV_NCNN_NONE)
    LAYER_FAIL ("parameter %d is given twice", id);
  v = eq + 1;
  vlen = tok + len - v;
  if (vlen < 1)
    LAYER_FAIL ("parameter %d has no value", id);
  if (g_ascii_isalpha (v[0]) || v[0] == '"')
    LAYER_FAIL ("parameter %d is a string (an expression); those are not supported", id);
  if (!old_array)
    return store_values (ctx, &ctx->layer->params[id], id, v, vlen, memchr (v, ',', vlen) != NULL,
                         error);
  /* old form: the count first, then exactly that many values */
  const char *comma = memchr (v, ',', vlen);
  int         count;
  if (comma == NULL || !parse_int (v, comma - v, 1, TCONV_NCNN_MAX_LINE, &count))
    LAYER_FAIL ("array parameter %d must start with its length", id);
  if (!store_values (ctx, &ctx->layer->params[id], id, comma + 1, v + vlen - comma - 1, TRUE,
                     error))
    return FALSE;
  if (ctx->layer->params[id].n != count)
    LAYER_FAIL ("array parameter %d declares %d values but has %d", id, count,
                ctx->layer->params[id].n);
  return TRUE;
}

/* ---- the operator table ---- */

typedef struct
{
  int                id;
  TconvNcnnParamType type;
  int                min, max; /* each int value, or each int array element */
} ParamSpec;

typedef gboolean (*LoadFunc) (Ctx *ctx, TconvNcnnLayer *l, GError **error);

typedef struct
{
  const char      *type;
  int              min_in, max_in, min_out, max_out;
  const ParamSpec *params; /* ends with id -1 */
  LoadFunc         load;   /* cross-parameter checks and weights; NULL: none */
} OpInfo;

#define INT_P(id, lo, hi) { id, TCONV_NCNN_INT, lo, hi }
#define FLOAT_P(id)       { id, TCONV_NCNN_FLOAT, 0, 0 }
#define END_P             { -1, TCONV_NCNN_NONE, 0, 0 }
#define PAD_P(id)         INT_P (id, -234, MAX_DIM) /* -233/-234: ncnn's SAME padding */

/* Convolution and ConvolutionDepthWise (src/layer/convolution.cpp, convolutiondepthwise.cpp) */
static const ParamSpec conv_params[] = {
  INT_P (0, 1, MAX_CHANNELS), INT_P (1, 1, MAX_KERNEL), INT_P (11, 1, MAX_KERNEL),
  INT_P (2, 1, MAX_KERNEL), INT_P (12, 1, MAX_KERNEL), INT_P (3, 1, MAX_KERNEL),
  INT_P (13, 1, MAX_KERNEL), PAD_P (4), PAD_P (15), PAD_P (14), PAD_P (16), FLOAT_P (18),
  INT_P (5, 0, 1), INT_P (6, 1, G_MAXINT), INT_P (7, 1, MAX_CHANNELS), INT_P (8, 0, G_MAXINT),
  INT_P (9, 0, 6), { 10, TCONV_NCNN_FLOAT_ARRAY, 0, 0 }, INT_P (19, 0, 1), END_P
};
/* Deconvolution: 18/19 are output padding, 20/21 the output size, 28 dynamic weights */
static const ParamSpec deconv_params[] = {
  INT_P (0, 1, MAX_CHANNELS), INT_P (1, 1, MAX_KERNEL), INT_P (11, 1, MAX_KERNEL),
  INT_P (2, 1, MAX_KERNEL), INT_P (12, 1, MAX_KERNEL), INT_P (3, 1, MAX_KERNEL),
  INT_P (13, 1, MAX_KERNEL), PAD_P (4), PAD_P (15), PAD_P (14), PAD_P (16),
  INT_P (18, 0, MAX_KERNEL), INT_P (19, 0, MAX_KERNEL), INT_P (20, 0, MAX_DIM),
  INT_P (21, 0, MAX_DIM), INT_P (5, 0, 1), INT_P (6, 1, G_MAXINT), INT_P (9, 0, 6),
  { 10, TCONV_NCNN_FLOAT_ARRAY, 0, 0 }, INT_P (28, 0, 1), END_P
};
static const ParamSpec innerproduct_params[] = {
  INT_P (0, 1, MAX_CHANNELS), INT_P (1, 0, 1), INT_P (2, 1, G_MAXINT), INT_P (8, 0, G_MAXINT),
  INT_P (9, 0, 6), { 10, TCONV_NCNN_FLOAT_ARRAY, 0, 0 }, END_P
};
static const ParamSpec input_params[] = {
  INT_P (0, 0, MAX_DIM), INT_P (1, 0, MAX_DIM), INT_P (11, 0, MAX_DIM), INT_P (2, 0, MAX_DIM),
  END_P
};
static const ParamSpec no_params[] = { END_P };
static const ParamSpec prelu_params[] = { INT_P (0, 1, MAX_CHANNELS), END_P };
static const ParamSpec relu_params[] = { FLOAT_P (0), END_P };
static const ParamSpec clip_params[] = { FLOAT_P (0), FLOAT_P (1), END_P };
static const ParamSpec dropout_params[] = { FLOAT_P (0), END_P };
static const ParamSpec batchnorm_params[] = { INT_P (0, 1, MAX_CHANNELS), FLOAT_P (1), END_P };
/* Scale: 0=-233 takes the scale from a second input (Real-CUGAN's and cunet's SE) */
static const ParamSpec scale_params[] = { INT_P (0, -233, MAX_CHANNELS), INT_P (1, 0, 1), END_P };
/* BinaryOp: 0 op (add sub mul div max min pow rsub rdiv rpow atan2 ratan2 ...), 1 with a
 * scalar, 2 the scalar */
static const ParamSpec binaryop_params[] = { INT_P (0, 0, 19), INT_P (1, 0, 1), FLOAT_P (2),
                                             END_P };
/* Eltwise: 0 prod/sum/max, 1 per-input coefficients of the sum */
static const ParamSpec eltwise_params[] = { INT_P (0, 0, 2), { 1, TCONV_NCNN_FLOAT_ARRAY, 0, 0 },
                                            END_P };
static const ParamSpec concat_params[] = { INT_P (0, -4, 3), END_P };
/* Crop: offsets 0/1/13/2 (w h d c), sizes 3/4/14/5, end offsets 6/7/15/8, or numpy
 * slicing 9 starts, 10 ends, 11 axes */
static const ParamSpec crop_params[] = {
  INT_P (0, 0, MAX_DIM), INT_P (1, 0, MAX_DIM), INT_P (13, 0, MAX_DIM), INT_P (2, 0, MAX_DIM),
  INT_P (3, -233, MAX_DIM), INT_P (4, -233, MAX_DIM), INT_P (14, -233, MAX_DIM),
  INT_P (5, -233, MAX_DIM), INT_P (6, 0, MAX_DIM), INT_P (7, 0, MAX_DIM), INT_P (15, 0, MAX_DIM),
  INT_P (8, 0, MAX_DIM), { 9, TCONV_NCNN_INT_ARRAY, -MAX_DIM, MAX_DIM },
  { 10, TCONV_NCNN_INT_ARRAY, -MAX_DIM, MAX_DIM }, { 11, TCONV_NCNN_INT_ARRAY, -4, 3 }, END_P
};
/* Interp: 0 nearest(1)/bilinear(2)/bicubic(3), 1/2 height/width scale, 3/4 output size,
 * 5 size from a second input, 6 align corners */
static const ParamSpec interp_params[] = {
  INT_P (0, 1, 3), FLOAT_P (1), FLOAT_P (2), INT_P (3, 0, MAX_DIM), INT_P (4, 0, MAX_DIM),
  INT_P (5, 0, 1), INT_P (6, 0, 1), END_P
};
static const ParamSpec pixelshuffle_params[] = { INT_P (0, 1, 64), INT_P (1, 0, 1), END_P };
/* Pooling: 0 max/avg, 1/11 kernel, 2/12 stride, 3/14/13/15 pads, 4 global, 5 pad mode,
 * 6 count padding, 7 adaptive, 8/18 adaptive output size */
static const ParamSpec pooling_params[] = {
  INT_P (0, 0, 1), INT_P (1, 1, MAX_KERNEL), INT_P (11, 1, MAX_KERNEL), INT_P (2, 1, MAX_KERNEL),
  INT_P (12, 1, MAX_KERNEL), PAD_P (3), PAD_P (14), PAD_P (13), PAD_P (15), INT_P (4, 0, 1),
  INT_P (5, 0, 3), INT_P (6, 0, 1), INT_P (7, 0, 1), INT_P (8, 0, MAX_DIM),
  INT_P (18, 0, MAX_DIM), END_P
};
/* Padding: 0-3 top bottom left right, 4 constant/replicate/reflect, 5 value,
 * 6 per-channel values, 7/8 channels before/after */
static const ParamSpec padding_params[] = {
  INT_P (0, 0, MAX_DIM), INT_P (1, 0, MAX_DIM), INT_P (2, 0, MAX_DIM), INT_P (3, 0, MAX_DIM),
  INT_P (4, 0, 2), FLOAT_P (5), INT_P (6, 0, MAX_CHANNELS), INT_P (7, 0, MAX_DIM),
  INT_P (8, 0, MAX_DIM), END_P
};

static gboolean load_conv (Ctx *ctx, TconvNcnnLayer *l, GError **error);
static gboolean load_innerproduct (Ctx *ctx, TconvNcnnLayer *l, GError **error);
static gboolean load_prelu (Ctx *ctx, TconvNcnnLayer *l, GError **error);
static gboolean load_batchnorm (Ctx *ctx, TconvNcnnLayer *l, GError **error);
static gboolean load_scale (Ctx *ctx, TconvNcnnLayer *l, GError **error);
static gboolean load_padding (Ctx *ctx, TconvNcnnLayer *l, GError **error);
static gboolean check_binaryop (Ctx *ctx, TconvNcnnLayer *l, GError **error);
static gboolean check_eltwise (Ctx *ctx, TconvNcnnLayer *l, GError **error);
static gboolean check_crop (Ctx *ctx, TconvNcnnLayer *l, GError **error);
static gboolean check_interp (Ctx *ctx, TconvNcnnLayer *l, GError **error);
static gboolean check_pooling (Ctx *ctx, TconvNcnnLayer *l, GError **error);

#define MANY TCONV_NCNN_MAX_LINKS
static const OpInfo OPS[] = {
  { "Input", 0, 0, 1, 1, input_params, NULL },
  { "Split", 1, 1, 1, MANY, no_params, NULL },
  { "Convolution", 1, 1, 1, 1, conv_params, load_conv },
  { "ConvolutionDepthWise", 1, 1, 1, 1, conv_params, load_conv },
  { "Deconvolution", 1, 1, 1, 1, deconv_params, load_conv },
  { "InnerProduct", 1, 1, 1, 1, innerproduct_params, load_innerproduct },
  { "PReLU", 1, 1, 1, 1, prelu_params, load_prelu },
  { "ReLU", 1, 1, 1, 1, relu_params, NULL },
  { "Sigmoid", 1, 1, 1, 1, no_params, NULL },
  { "Clip", 1, 1, 1, 1, clip_params, NULL },
  { "Dropout", 1, 1, 1, 1, dropout_params, NULL },
  { "BatchNorm", 1, 1, 1, 1, batchnorm_params, load_batchnorm },
  { "Scale", 1, 2, 1, 1, scale_params, load_scale },
  { "BinaryOp", 1, 2, 1, 1, binaryop_params, check_binaryop },
  { "Eltwise", 2, MANY, 1, 1, eltwise_params, check_eltwise },
  { "Concat", 1, MANY, 1, 1, concat_params, NULL },
  { "Crop", 1, 2, 1, 1, crop_params, check_crop },
  { "Interp", 1, 2, 1, 1, interp_params, check_interp },
  { "PixelShuffle", 1, 1, 1, 1, pixelshuffle_params, NULL },
  { "Pooling", 1, 1, 1, 1, pooling_params, check_pooling },
  { "Padding", 1, 1, 1, 1, padding_params, load_padding },
};

static const OpInfo *
find_op (const char *type)
{
  for (guint i = 0; i < G_N_ELEMENTS (OPS); i++)
    if (g_str_equal (OPS[i].type, type))
      return &OPS[i];
  return NULL;
}

/* Every parameter given must be one the operator reads, of its type and range.  30
 * (shape hints) and 31 (feature mask) are ncnn's own, read for every layer; they change
 * no result and are accepted anywhere. */
static gboolean
check_params (Ctx *ctx, const OpInfo *op, TconvNcnnLayer *l, GError **error)
{
  for (int id = 0; id < TCONV_NCNN_MAX_PARAMS; id++)
    {
      TconvNcnnParam  *p = &l->params[id];
      const ParamSpec *s = op->params;
      if (p->type == TCONV_NCNN_NONE || id == 30 || (id == 31 && p->type == TCONV_NCNN_INT))
        continue;
      while (s->id >= 0 && s->id != id)
        s++;
      if (s->id < 0)
        LAYER_FAIL ("parameter %d is not one %s reads", id, l->type);
      /* an integer 0 has the bits of 0.0f, so ncnn reads it as the float 0 too */
      if (s->type == TCONV_NCNN_FLOAT && p->type == TCONV_NCNN_INT && p->i == 0)
        *p = (TconvNcnnParam) { .type = TCONV_NCNN_FLOAT, .f = 0.f };
      if (s->type == TCONV_NCNN_FLOAT_ARRAY && p->type == TCONV_NCNN_INT_ARRAY)
        {
          p->fv = g_new (float, p->n);
          for (int k = 0; k < p->n; k++)
            if ((p->fv[k] = p->iv[k]) != 0)
              LAYER_FAIL ("parameter %d must hold floats (with a '.')", id);
          g_clear_pointer (&p->iv, g_free);
          p->type = TCONV_NCNN_FLOAT_ARRAY;
        }
      if (p->type != s->type)
        LAYER_FAIL ("parameter %d must be %s", id,
                    s->type == TCONV_NCNN_INT ? "an integer"
                    : s->type == TCONV_NCNN_FLOAT ? "a float (with a '.')"
                    : s->type == TCONV_NCNN_INT_ARRAY ? "an array of integers"
                                                      : "an array of floats");
      if (p->type == TCONV_NCNN_INT && (p->i < s->min || p->i > s->max))
        LAYER_FAIL ("parameter %d is %d; it must be from %d to %d", id, p->i, s->min, s->max);
      for (int k = 0; p->type == TCONV_NCNN_INT_ARRAY && k < p->n; k++)
        if (p->iv[k] < s->min || p->iv[k] > s->max)
          LAYER_FAIL ("parameter %d[%d] is %d; it must be from %d to %d", id, k, p->iv[k],
                      s->min, s->max);
      if (p->n > TCONV_NCNN_MAX_LINKS && id != 30)
        LAYER_FAIL ("array parameter %d has %d values, more than %d", id, p->n,
                    TCONV_NCNN_MAX_LINKS);
    }
  return TRUE;
}

/* ---- the .bin: weight arrays in layer order ---- */

/* Reserves the next weight slot of `l` with its shape; numel checked against int range. */
static TconvNcnnWeight *
new_weight (Ctx *ctx, TconvNcnnLayer *l, const char *role, int n_dims, const int *shape,
            GError **error)
{
  TconvNcnnWeight *w = &l->weights[l->n_weights];
  gsize            numel = 1;

  g_assert (l->n_weights < TCONV_NCNN_MAX_WEIGHTS);
  for (int i = 0; i < n_dims; i++)
    if (shape[i] < 1 || !g_size_checked_mul (&numel, numel, shape[i]) || numel > G_MAXINT)
      {
        g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                     "%s: line %d: layer \"%s\" (%s): %s has an impossible size", ctx->what,
                     l->line, l->name, l->type, role);
        return NULL;
      }
  l->n_weights++;
  w->role = role;
  w->n_dims = n_dims;
  memcpy (w->shape, shape, n_dims * sizeof (int));
  w->numel = numel;
  return w;
}

/* `bytes` more of the .bin, or an error saying how short it is. */
static const guint8 *
take (Ctx *ctx, const char *role, guint64 bytes, GError **error)
{
  const guint8 *p = ctx->bin + ctx->bin_pos;

  if (bytes > ctx->bin_len - ctx->bin_pos)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   "%s: line %d: layer \"%s\" (%s): the .bin has %" G_GSIZE_FORMAT " bytes left "
                   "for its %s, which needs %" G_GUINT64_FORMAT
                   " (a truncated file, or another model's .bin)",
                   ctx->what, ctx->layer->line, ctx->layer->name, ctx->layer->type,
                   ctx->bin_len - ctx->bin_pos, role, bytes);
      return NULL;
    }
  ctx->bin_pos += bytes;
  return p;
}

static float
f32_at (const guint8 *p, gsize i)
{
  guint32 bits;
  float   v;
  memcpy (&bits, p + 4 * i, 4); /* the .bin need not be aligned */
  bits = GUINT32_FROM_LE (bits);
  memcpy (&v, &bits, sizeof v);
  return v;
}

static guint64
align4 (guint64 n)
{
  return (n + 3) & ~(guint64) 3;
}

/* int8 weights need ncnn's quantized kernels and scales; tconv computes in float. */
static gboolean
refuse_int8 (Ctx *ctx, GError **error)
{
  g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
               _("%s: line %d: layer \"%s\" (%s): int8-quantized weights are not supported"),
               ctx->what, ctx->layer->line, ctx->layer->name, ctx->layer->type);
  return FALSE;
}

/* Reads w->numel values; `tagged`: the 4-byte storage tag of modelbin.cpp comes first. */
static gboolean
read_values (Ctx *ctx, TconvNcnnWeight *w, gboolean tagged, GError **error)
{
  const guint8 *tag_p, *p, *table = NULL;
  guint32       tag = 0;
  gsize         n = w->numel;

  if (tagged)
    {
      if (!(tag_p = take (ctx, w->role, 4, error)))
        return FALSE;
      memcpy (&tag, tag_p, 4);
      tag = GUINT32_FROM_LE (tag);
    }
  if (tag == TAG_INT8)
    return refuse_int8 (ctx, error);
  w->storage = tag == 0 ? TCONV_NCNN_F32 : tag == TAG_F32 ? TCONV_NCNN_F32_TAGGED
               : tag == TAG_F16 ? TCONV_NCNN_F16 : TCONV_NCNN_TABLE;
  if (w->storage == TCONV_NCNN_TABLE && !(table = take (ctx, w->role, 256 * 4, error)))
    return FALSE;
  /* n < 2^31, so these byte counts cannot overflow 64 bits */
  p = take (ctx, w->role, w->storage == TCONV_NCNN_F16 ? align4 (2 * (guint64) n)
                          : w->storage == TCONV_NCNN_TABLE ? align4 (n) : 4 * (guint64) n, error);
  if (p == NULL)
    return FALSE;
  /* the bytes are there: the allocation is at most 4x the .bin's size */
  if (!(w->data = g_try_new (float, MAX (n, 1))))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_NO_MEMORY, _("%s: no memory for tensor \"%s\""),
                   ctx->what, w->role);
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    {
      guint16 h;
      if (w->storage == TCONV_NCNN_F16)
        {
          memcpy (&h, p + 2 * i, 2);
          w->data[i] = tconv_half_to_float (GUINT16_FROM_LE (h));
        }
      else
        w->data[i] = w->storage == TCONV_NCNN_TABLE ? f32_at (table, p[i]) : f32_at (p, i);
      if (!isfinite (w->data[i]))
        LAYER_FAIL ("%s holds a NaN or infinite value at index %" G_GSIZE_FORMAT, w->role, i);
    }
  return TRUE;
}

static gboolean
read_weight (Ctx *ctx, TconvNcnnLayer *l, const char *role, gboolean tagged, int n_dims,
             const int *shape, GError **error)
{
  TconvNcnnWeight *w = new_weight (ctx, l, role, n_dims, shape, error);
  return w && read_values (ctx, w, tagged, error);
}

/* Untagged float32 vector of n values (bias, slopes, BatchNorm, Scale). */
static gboolean
read_vector (Ctx *ctx, TconvNcnnLayer *l, const char *role, int n, GError **error)
{
  return read_weight (ctx, l, role, FALSE, 1, (int[]) { n }, error);
}

/* ---- each operator's cross-parameter rules and weights ---- */

static int
pint (const TconvNcnnLayer *l, int id, int def)
{
  return tconv_ncnn_param_int (l, id, def);
}

static gboolean
check_activation (Ctx *ctx, TconvNcnnLayer *l, GError **error)
{
  static const int n_args[] = { 0, 0, 1, 2, 0, 0, 2 }; /* none relu leaky clip sigmoid mish hswish */
  int              type = pint (l, 9, 0);
  int              given = l->params[10].type ? l->params[10].n : 0;

  if (given < n_args[type])
    LAYER_FAIL ("activation %d needs %d parameters (id 10) but has %d", type, n_args[type], given);
  return TRUE;
}

/* Convolution, ConvolutionDepthWise, Deconvolution: weight (out, in/groups, kh, kw). */
static gboolean
load_conv (Ctx *ctx, TconvNcnnLayer *l, GError **error)
{
  gboolean deconv = g_str_equal (l->type, "Deconvolution");
  int      out = pint (l, 0, 0), kw = pint (l, 1, 0), kh = pint (l, 11, kw);
  int      groups = pint (l, 7, 1), size = pint (l, 6, 0);

  if (out < 1 || kw < 1 || size < 1)
    LAYER_FAIL ("needs its output channels (0), kernel size (1) and weight size (6)");
  if (!deconv && pint (l, 8, 0) != 0)
    return refuse_int8 (ctx, error);
  if (pint (l, deconv ? 28 : 19, 0) != 0)
    LAYER_FAIL ("weights given at run time (dynamic_weight) are not supported");
  if (out % groups != 0)
    LAYER_FAIL ("%d output channels do not split into %d groups", out, groups);
  /* size = out * (in / groups) * kh * kw, whatever the group count */
  gint64 per_in = (gint64) out * kh * kw;
  if (size % per_in != 0)
    LAYER_FAIL ("weight size %d is not a multiple of %d output channels x %dx%d kernel", size,
                out, kh, kw);
  return check_activation (ctx, l, error)
         && read_weight (ctx, l, "weight", TRUE, 4, (int[]) { out, (int) (size / per_in), kh, kw },
                         error)
         && (!pint (l, 5, 0) || read_vector (ctx, l, "bias", out, error));
}

static gboolean
load_innerproduct (Ctx *ctx, TconvNcnnLayer *l, GError **error)
{
  int out = pint (l, 0, 0), size = pint (l, 2, 0);

  if (out < 1 || size < 1)
    LAYER_FAIL ("needs its output count (0) and weight size (2)");
  if (pint (l, 8, 0) != 0)
    return refuse_int8 (ctx, error);
  if (size % out != 0)
    LAYER_FAIL ("weight size %d is not a multiple of %d outputs", size, out);
  return check_activation (ctx, l, error)
         && read_weight (ctx, l, "weight", TRUE, 2, (int[]) { out, size / out }, error)
         && (!pint (l, 1, 0) || read_vector (ctx, l, "bias", out, error));
}

static gboolean
load_prelu (Ctx *ctx, TconvNcnnLayer *l, GError **error)
{
  if (pint (l, 0, 0) < 1)
    LAYER_FAIL ("needs its slope count (0)");
  return read_vector (ctx, l, "slope", pint (l, 0, 0), error);
}

static gboolean
load_batchnorm (Ctx *ctx, TconvNcnnLayer *l, GError **error)
{
  int c = pint (l, 0, 0);

  if (c < 1)
    LAYER_FAIL ("needs its channel count (0)");
  return read_vector (ctx, l, "slope", c, error) && read_vector (ctx, l, "mean", c, error)
         && read_vector (ctx, l, "variance", c, error) && read_vector (ctx, l, "bias", c, error);
}

static gboolean
load_scale (Ctx *ctx, TconvNcnnLayer *l, GError **error)
{
  int n = pint (l, 0, 0);

  if ((n == -233) != (l->n_inputs == 2))
    LAYER_FAIL ("takes its scale from a second input exactly when 0=-233");
  if (n == -233)
    return TRUE;
  if (n < 1)
    LAYER_FAIL ("needs its scale count (0)");
  return read_vector (ctx, l, "scale", n, error)
         && (!pint (l, 1, 0) || read_vector (ctx, l, "bias", n, error));
}

static gboolean
load_padding (Ctx *ctx, TconvNcnnLayer *l, GError **error)
{
  int n = pint (l, 6, 0);
  return n == 0 || read_vector (ctx, l, "pad_values", n, error);
}

static gboolean
check_binaryop (Ctx *ctx, TconvNcnnLayer *l, GError **error)
{
  if (l->n_inputs != (pint (l, 1, 0) ? 1 : 2))
    LAYER_FAIL ("has %d inputs; it takes one with a scalar (1=1), otherwise two", l->n_inputs);
  return TRUE;
}

static gboolean
check_eltwise (Ctx *ctx, TconvNcnnLayer *l, GError **error)
{
  /* ncnn reads one coefficient per input without checking the count */
  if (l->params[1].type && l->params[1].n != l->n_inputs)
    LAYER_FAIL ("has %d coefficients (1) for %d inputs", l->params[1].n, l->n_inputs);
  return TRUE;
}

static gboolean
check_crop (Ctx *ctx, TconvNcnnLayer *l, GError **error)
{
  const TconvNcnnParam *starts = &l->params[9], *ends = &l->params[10], *axes = &l->params[11];
  gboolean              sized = FALSE;

  if (starts->type || ends->type || axes->type)
    {
      if (!starts->type || !ends->type || starts->n != ends->n || starts->n > 4
          || (axes->type && axes->n != starts->n))
        LAYER_FAIL ("slicing needs as many starts (9), ends (10) and axes (11), at most 4");
      sized = TRUE;
    }
  for (int i = 0; i < 8; i++)
    sized |= pint (l, (int[]) { 3, 4, 14, 5, 6, 7, 15, 8 }[i], 0) != 0;
  if (l->n_inputs != (sized ? 1 : 2))
    LAYER_FAIL ("has %d inputs; it takes a reference blob exactly when no size is given",
                l->n_inputs);
  return TRUE;
}

static gboolean
check_interp (Ctx *ctx, TconvNcnnLayer *l, GError **error)
{
  float hs = tconv_ncnn_param_float (l, 1, 1.f), ws = tconv_ncnn_param_float (l, 2, 1.f);

  if (l->n_inputs != (pint (l, 5, 0) ? 2 : 1))
    LAYER_FAIL ("has %d inputs; it takes a size reference exactly when 5=1", l->n_inputs);
  if ((pint (l, 3, 0) == 0 || pint (l, 4, 0) == 0) && !(hs > 0 && hs <= 64 && ws > 0 && ws <= 64))
    LAYER_FAIL ("scales %g x %g must be above 0 and at most 64", hs, ws);
  return TRUE;
}

static gboolean
check_pooling (Ctx *ctx, TconvNcnnLayer *l, GError **error)
{
  if (!pint (l, 4, 0) && !pint (l, 7, 0) && pint (l, 1, 0) < 1)
    LAYER_FAIL ("needs a kernel size (1) unless it is global (4=1) or adaptive (7=1)");
  return TRUE;
}

/* ---- layers and the blob graph ---- */

static char *
token_name (Ctx *ctx, const char *what, GError **error)
{
  const char *tok;
  int         len;

  if (!next_token (ctx, &tok, &len))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL, "%s: line %d: the layer has no %s",
                   ctx->what, ctx->line, what);
      return NULL;
    }
  if (len > TCONV_NCNN_MAX_NAME)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   "%s: line %d: a %s is longer than %d characters", ctx->what, ctx->line, what,
                   TCONV_NCNN_MAX_NAME);
      return NULL;
    }
  return g_strndup (tok, len);
}

static gboolean
token_count (Ctx *ctx, const char *what, int *v, GError **error)
{
  const char *tok;
  int         len;

  if (!next_token (ctx, &tok, &len) || !parse_int (tok, len, 0, TCONV_NCNN_MAX_LINKS, v))
    LAYER_FAIL ("the %s count must be a number from 0 to %d", what, TCONV_NCNN_MAX_LINKS);
  return TRUE;
}

/* Inputs must name blobs of earlier layers (so the graph has no cycle); outputs new ones. */
static gboolean
link_blobs (Ctx *ctx, TconvNcnnLayer *l, int index, int declared_blobs, GError **error)
{
  for (int i = 0; i < l->n_inputs + l->n_outputs; i++)
    {
      g_autofree char *name = token_name (ctx, "blob name", error);
      gboolean         input = i < l->n_inputs;
      int              blob;
      if (name == NULL)
        return FALSE;
      blob = GPOINTER_TO_INT (g_hash_table_lookup (ctx->blobs, name)) - 1;
      if (input && blob < 0)
        LAYER_FAIL ("input blob \"%s\" is not produced by an earlier layer", name);
      if (!input && blob >= 0)
        LAYER_FAIL ("blob \"%s\" is already produced by layer \"%s\"", name,
                    ctx->net->layers[g_array_index (ctx->producer, int, blob)].name);
      if (input)
        {
          l->inputs[i] = blob;
          g_array_index (ctx->consumers, int, blob)++;
          continue;
        }
      if ((int) ctx->names->len >= declared_blobs)
        LAYER_FAIL ("more blobs than the %d the header declares", declared_blobs);
      blob = ctx->names->len;
      l->outputs[i - l->n_inputs] = blob;
      g_array_append_val (ctx->producer, index);
      g_array_append_val (ctx->consumers, (int) { 0 });
      g_hash_table_insert (ctx->blobs, name, GINT_TO_POINTER (blob + 1));
      g_ptr_array_add (ctx->names, g_steal_pointer (&name));
    }
  return TRUE;
}

static gboolean
parse_layer (Ctx *ctx, int index, int declared_blobs, GError **error)
{
  TconvNcnnLayer *l = &ctx->net->layers[index];
  const OpInfo   *op;
  const char     *tok;
  int             len;

  ctx->layer = l;
  l->line = ctx->line;
  if (!(l->type = token_name (ctx, "type", error)) || !(l->name = token_name (ctx, "name", error)))
    return FALSE;
  if (!token_count (ctx, "input", &l->n_inputs, error)
      || !token_count (ctx, "output", &l->n_outputs, error))
    return FALSE;
  if (!(op = find_op (l->type)))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   _("%s: line %d: layer \"%s\" has the operator %s, which tconv does not know"),
                   ctx->what, l->line, l->name, l->type);
      return FALSE;
    }
  if (l->n_inputs < op->min_in || l->n_inputs > op->max_in || l->n_outputs < op->min_out
      || l->n_outputs > op->max_out)
    LAYER_FAIL ("has %d inputs and %d outputs; %s takes %d to %d and gives %d to %d",
                l->n_inputs, l->n_outputs, l->type, op->min_in, op->max_in, op->min_out,
                op->max_out);
  l->inputs = g_new0 (int, MAX (l->n_inputs, 1));
  l->outputs = g_new0 (int, l->n_outputs);
  if (!link_blobs (ctx, l, index, declared_blobs, error))
    return FALSE;
  while (next_token (ctx, &tok, &len))
    if (!parse_param (ctx, tok, len, error))
      return FALSE;
  return check_params (ctx, op, l, error) && (!op->load || op->load (ctx, l, error));
}

/* "7767517" then "LAYERS BLOBS"; the layer count must match the lines that follow. */
static gboolean
parse_header (Ctx *ctx, int *layers, int *blobs, GError **error)
{
  const char *tok;
  int         len, magic, lines = 0;

  if (!next_line (ctx, error))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL, "%s: the .param is empty", ctx->what);
      return FALSE;
    }
  if (!next_token (ctx, &tok, &len) || !parse_int (tok, len, G_MININT, G_MAXINT, &magic)
      || magic != TCONV_NCNN_MAGIC || next_token (ctx, &tok, &len))
    FAIL ("not an ncnn .param: the first line must be %d", TCONV_NCNN_MAGIC);
  if (!next_line (ctx, error) || !next_token (ctx, &tok, &len)
      || !parse_int (tok, len, 1, TCONV_NCNN_MAX_LAYERS, layers) || !next_token (ctx, &tok, &len)
      || !parse_int (tok, len, 1, TCONV_NCNN_MAX_BLOBS, blobs) || next_token (ctx, &tok, &len))
    FAIL ("the second line must hold the layer count (1 to %d) and the blob count (1 to %d)",
          TCONV_NCNN_MAX_LAYERS, TCONV_NCNN_MAX_BLOBS);
  for (const char *p = ctx->pos; p < ctx->end;)
    {
      const char *nl = memchr (p, '\n', ctx->end - p), *e = nl ? nl : ctx->end;
      while (p < e && blank (*p))
        p++;
      lines += p < e;
      p = e + 1;
    }
  if (lines != *layers)
    FAIL ("the header declares %d layers but %d layer lines follow", *layers, lines);
  return TRUE;
}

static gboolean
parse_net (Ctx *ctx, GError **error)
{
  int layers, blobs;

  if (!parse_header (ctx, &layers, &blobs, error))
    return FALSE;
  ctx->net->layers = g_new0 (TconvNcnnLayer, layers);
  ctx->net->n_layers = layers;
  for (int i = 0; i < layers; i++)
    if (!next_line (ctx, error) || !parse_layer (ctx, i, blobs, error))
      return FALSE;
  if (ctx->bin_pos != ctx->bin_len)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   "%s: the .bin has %" G_GSIZE_FORMAT " bytes after the last layer's weights "
                   "(it belongs to another .param)", ctx->what, ctx->bin_len - ctx->bin_pos);
      return FALSE;
    }
  return TRUE;
}

/* ---- public ---- */

TconvNcnnNet *
tconv_ncnn_parse (const char *param, gsize param_len, const guint8 *bin, gsize bin_len,
                  const char *what, GError **error)
{
  Ctx           c = { .what = what, .pos = param, .end = param + param_len,
                      .bin = bin ? bin : (const guint8 *) "", .bin_len = bin_len }, *ctx = &c;
  TconvNcnnNet *net = g_new0 (TconvNcnnNet, 1);
  gboolean      ok;

  if (param_len > TCONV_NCNN_MAX_PARAM || bin_len > TCONV_NCNN_MAX_BIN)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   _("%s: the .param is over %d MB or the .bin over %d MB"), what,
                   (int) (TCONV_NCNN_MAX_PARAM >> 20), (int) (TCONV_NCNN_MAX_BIN >> 20));
      tconv_ncnn_free (net);
      return NULL;
    }
  /* names go into messages and `tconv info`: text only, no control characters */
  ok = g_utf8_validate (param, param_len, NULL);
  for (gsize i = 0; ok && i < param_len; i++)
    ok = (guchar) param[i] >= 0x20 || param[i] == '\n' || param[i] == '\r' || param[i] == '\t';
  if (!ok)
    g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                 "%s: the .param is not text (invalid UTF-8 or control characters)", what);
  c.net = net;
  c.blobs = g_hash_table_new (g_str_hash, g_str_equal);
  c.names = g_ptr_array_new ();
  c.producer = g_array_new (FALSE, FALSE, sizeof (int));
  c.consumers = g_array_new (FALSE, FALSE, sizeof (int));
  ok = ok && parse_net (ctx, error);
  net->bin_bytes = bin_len;
  net->n_blobs = c.names->len;
  net->blob_names = (char **) g_ptr_array_free (c.names, FALSE);
  net->producer = (int *) g_array_free (c.producer, FALSE);
  net->consumers = (int *) g_array_free (c.consumers, FALSE);
  g_hash_table_unref (c.blobs);
  if (!ok)
    g_clear_pointer (&net, tconv_ncnn_free);
  return net;
}

static GMappedFile *
map_file (const char *path, GError **error)
{
  GError      *io_error = NULL;
  GMappedFile *file = g_mapped_file_new (path, FALSE, &io_error);

  if (file == NULL)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, _("cannot read %s: %s"), path,
                   io_error->message);
      g_error_free (io_error);
    }
  return file;
}

TconvNcnnNet *
tconv_ncnn_load (const char *param_path, GError **error)
{
  g_autofree char *base = g_path_get_basename (param_path);
  g_autofree char *stem = NULL, *bin_path = NULL;
  g_autoptr (GMappedFile) param = NULL;
  g_autoptr (GMappedFile) bin = NULL;

  if (!g_str_has_suffix (param_path, ".param"))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL,
                   _("%s: an ncnn model is named by its .param file"), base);
      return NULL;
    }
  stem = g_strndup (param_path, strlen (param_path) - strlen (".param"));
  bin_path = g_strconcat (stem, ".bin", NULL);
  if (!(param = map_file (param_path, error)) || !(bin = map_file (bin_path, error)))
    return NULL;
  return tconv_ncnn_parse (g_mapped_file_get_contents (param) ? g_mapped_file_get_contents (param)
                                                              : "",
                           g_mapped_file_get_length (param),
                           (const guint8 *) g_mapped_file_get_contents (bin),
                           g_mapped_file_get_length (bin), base, error);
}

void
tconv_ncnn_free (TconvNcnnNet *net)
{
  if (net == NULL)
    return;
  for (int i = 0; i < net->n_layers; i++)
    {
      TconvNcnnLayer *l = &net->layers[i];
      g_free (l->type);
      g_free (l->name);
      g_free (l->inputs);
      g_free (l->outputs);
      for (int p = 0; p < TCONV_NCNN_MAX_PARAMS; p++)
        {
          g_free (l->params[p].iv);
          g_free (l->params[p].fv);
        }
      for (int w = 0; w < l->n_weights; w++)
        g_free (l->weights[w].data);
    }
  g_free (net->layers);
  for (int b = 0; b < net->n_blobs; b++)
    g_free (net->blob_names[b]);
  g_free (net->blob_names);
  g_free (net->producer);
  g_free (net->consumers);
  g_free (net);
}

int
tconv_ncnn_param_int (const TconvNcnnLayer *l, int id, int def)
{
  return l->params[id].type == TCONV_NCNN_INT ? l->params[id].i : def;
}

float
tconv_ncnn_param_float (const TconvNcnnLayer *l, int id, float def)
{
  return l->params[id].type == TCONV_NCNN_FLOAT ? l->params[id].f : def;
}

const TconvNcnnWeight *
tconv_ncnn_weight (const TconvNcnnLayer *l, const char *role)
{
  for (int i = 0; i < l->n_weights; i++)
    if (g_str_equal (l->weights[i].role, role))
      return &l->weights[i];
  return NULL;
}

const char *
tconv_ncnn_storage_name (TconvNcnnStorage storage)
{
  static const char *const names[] = { "float32", "float32 (tagged)", "float16", "8-bit table" };
  G_STATIC_ASSERT (G_N_ELEMENTS (names) == TCONV_NCNN_N_STORAGES);
  return names[storage];
}

int
tconv_ncnn_blob (const TconvNcnnNet *net, const char *name)
{
  for (int i = 0; i < net->n_blobs; i++)
    if (g_str_equal (net->blob_names[i], name))
      return i;
  return -1;
}
