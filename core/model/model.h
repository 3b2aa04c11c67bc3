/* tconv — a network: a graph of layers with their weights, plus facts about it.  The
 * layers are in topological order; each names the layers whose outputs it takes (the
 * model's input is TCONV_INPUT_MODEL) and the last layer's output is the model's.  A
 * chain (each layer takes the one before it) is the common case and runs row-streamed.
 * Loaded from a .safetensors file (model-file.c) or built in memory (fixed-kernel mode,
 * kernels.c).  What each kind of layer is — its parameters, shape, reach and operator —
 * is one row of layer-kinds.c; executing a model lives in run/. */
#pragma once

#include "conv-transpose2d.h"
#include "conv2d.h"
#include "resize.h"

G_BEGIN_DECLS

typedef enum
{
  TCONV_LAYER_CONV2D,
  TCONV_LAYER_CONV_TRANSPOSE2D,
  TCONV_LAYER_RELU,
  TCONV_LAYER_LEAKY_RELU,
  TCONV_LAYER_PRELU,
  TCONV_LAYER_RESIZE,
  TCONV_LAYER_PIXEL_SHUFFLE,
  TCONV_LAYER_PIXEL_UNSHUFFLE,
  TCONV_LAYER_ADD_UPSCALED_INPUT, /* residual: + the model's input upscaled (resize.interp) */
  TCONV_LAYER_ADD,             /* coef[0] * a + coef[1] * b, broadcast (see graph-ops.h) */
  TCONV_LAYER_SUB,             /* coef[0] * a - coef[1] * b */
  TCONV_LAYER_MUL,             /* a * b */
  TCONV_LAYER_CONCAT,          /* along channels, inputs in order */
  TCONV_LAYER_SLICE,           /* channels [range[0], range[1]) */
  TCONV_LAYER_CROP,            /* border pixels removed: top, bottom, left, right */
  TCONV_LAYER_PAD,             /* border pixels added (pad.mode) */
  TCONV_LAYER_SIGMOID,
  TCONV_LAYER_TANH,
  TCONV_LAYER_CLAMP,           /* to [coef[0], coef[1]] */
  TCONV_LAYER_AFFINE,          /* coef[0] * x + coef[1] (a constant scale or offset) */
  TCONV_LAYER_GLOBAL_AVG_POOL, /* each channel's mean, a 1x1 map: the whole image is read */
  TCONV_N_LAYER_KINDS
} TconvLayerKind;

/* A layer input that is the model's input rather than a layer's output. */
#define TCONV_INPUT_MODEL (-1)
/* Most inputs of one layer (a concat's) */
#define TCONV_MAX_INPUTS    16
/* Most layers reading one layer's output, and most layers (RRDBNet has about 1000):
 * a graph beyond them is refused before anything is computed */
#define TCONV_MAX_CONSUMERS 64
#define TCONV_MAX_LAYERS    4096

typedef struct
{
  TconvLayerKind kind;
  char          *name;   /* the file's name for it (owned), or NULL: "layer INDEX" */
  int            n_inputs;
  int            inputs[TCONV_MAX_INPUTS]; /* earlier layers or TCONV_INPUT_MODEL; a model
                                             built with none set is linked as a chain */
  int            in_channels, out_channels; /* in: the first input's */
  TconvTensor    weight; /* conv2d [C_out, C_in/g, kH, kW]; conv_transpose2d [C_in, C_out/g, kH, kW];
                            prelu [1, 1, 1, n]; others: data NULL */
  float         *bias;   /* [out_channels] or NULL */
  union
  {
    TconvConv2dParams          conv;
    TconvConvTranspose2dParams transposed;
    struct
    {
      TconvInterp interp;
      int         factor; /* integer upscale factor (resize layers) */
    } resize;
    int   factor;         /* pixel_(un)shuffle */
    float negative_slope; /* leaky_relu */
    float coef[2];        /* add, sub, clamp, affine */
    int   range[2];       /* slice */
    struct
    {
      int              border[4]; /* top, bottom, left, right */
      TconvPaddingMode mode;      /* pad */
    } pad;                        /* pad, crop */
  };
} TconvLayer;

typedef enum
{
  TCONV_COLOR_Y,  /* works on BT.601 Y; chroma is upscaled with bicubic */
  TCONV_COLOR_RGB, /* works on R'G'B'; alpha is upscaled with bicubic */
  TCONV_COLOR_ALL  /* every channel of the image, alpha included (fixed kernels) */
} TconvColor;

typedef enum
{
  TCONV_MODE_TRANSPOSED,
  TCONV_MODE_RESIZE_CONV,
  TCONV_MODE_KERNEL, /* fixed analytic kernel, no learned weights */
  TCONV_MODE_COMPARE, /* not a model: the plug-in's every mode side by side */
  TCONV_N_MODES
} TconvMode;

typedef struct
{
  char       *name;
  int         scale;    /* output = scale * input, per axis */
  TconvMode   mode;
  TconvColor  color;
  int         channels; /* 1 (y), 3 (rgb) or 1..4 (all), in and out */
  int         n_layers;
  TconvLayer *layers;
  char       *facts_json; /* the file's metadata as written (training data, PSNR table...) */
  float      *storage;    /* every weight and bias, owned */
  float       value_lo, value_hi; /* what the network takes for black and white (the file's
                                     value_range); both 0 means [0, 1] */
  gboolean    y_full;   /* y models: full-range Y (0.299 R + 0.587 G + 0.114 B, as OpenCV's
                           and JPEG's), not BT.601 studio range (the default, y_range) */
  gint        extra_refs; /* holders besides the first (tconv_model_ref); 0 when new */
  gboolean    is_graph; /* not a plain chain (set by tconv_model_validate) */
} TconvModel;

/* Another holder of a model that never changes after loading (a catalogue's entry and a
 * preview's worker, say); each holder calls tconv_model_free once.  Thread-safe. */
TconvModel *tconv_model_ref (TconvModel *model);
void tconv_model_free (TconvModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TconvModel, tconv_model_free)

/* The model's value range: its black and white, [0, 1] unless the file says otherwise. */
void tconv_model_value_range (const TconvModel *model, float *lo, float *hi);

/* Copies every layer's weight and bias into one block the model owns (model->storage), so
 * the model outlives what it was read from (a parsed file, a loader's scratch). */
void tconv_model_take_storage (TconvModel *model);

/* Number of learned parameters. */
gsize tconv_model_param_count (const TconvModel *model);

/* The transposed layer that does the upscaling (the last conv_transpose2d), or NULL. */
const TconvLayer *tconv_model_upsampling_layer (const TconvModel *model);

/* Layer i's input k and how many it has: as written, or in a chain (is_graph FALSE)
 * the layer before (the model's input for the first and the residual's second), so that
 * a run of a chain's layers is itself a model. */
static inline int
tconv_layer_input (const TconvModel *model, int i, int k)
{
  if (model->is_graph)
    return model->layers[i].inputs[k];
  return k == 0 ? i - 1 : TCONV_INPUT_MODEL;
}

static inline int
tconv_layer_n_inputs (const TconvModel *model, int i)
{
  if (model->is_graph)
    return model->layers[i].n_inputs;
  return model->layers[i].kind == TCONV_LAYER_ADD_UPSCALED_INPUT ? 2 : 1;
}

/* The layers from the model's input to its output through each layer's first input, in
 * order (every layer, in a chain): the main path, where the head is.  `path` has room for
 * n_layers; returns how many it holds. */
int tconv_model_main_path (const TconvModel *model, int *path);

/* Every layer's output shape (data NULL) for an h x w input, or an error naming the layer. */
gboolean tconv_model_shapes (const TconvModel *model, int h, int w, TconvTensor *shapes,
                             GError **error);

/* Output length of the whole graph for an input of `in` along axis 0 (y) or 1 (x). */
gboolean tconv_model_output_len (const TconvModel *model, int axis, int in, int *out,
                                 GError **error);

/* Checks inputs, channel flow, hyperparameters and shapes of every layer; sets
 * model->scale when 0 and is_graph; links layers built without inputs as a chain.
 * Every loader and builder calls it before handing a model out. */
gboolean tconv_model_validate (TconvModel *model, GError **error);

const char *tconv_mode_name (TconvMode mode);
const char *tconv_layer_kind_name (TconvLayerKind kind);
/* "layer 3 \"body.conv\" (conv2d)", or without a name "layer 3 (conv2d)": for messages. */
char *tconv_layer_describe (const TconvModel *model, int index);
/* The layer's name: its own, else "layer INDEX" (in `buf`, 32 bytes); "input" for
 * TCONV_INPUT_MODEL. */
const char *tconv_layer_label (const TconvModel *model, int index, char *buf);
const char *tconv_interp_name (TconvInterp interp);

G_END_DECLS
