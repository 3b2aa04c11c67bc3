/* tconv — a network: an ordered list of layers with their weights (the "graph"),
 * plus facts about it.  Loaded from a .safetensors file (model-file.c) or built in
 * memory (fixed-kernel mode, kernels.c).  Describing the computation lives here;
 * executing it lives in graph.c and engine.c. */
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
  TCONV_LAYER_ADD_UPSCALED_INPUT /* residual: + the model's input upscaled (resize.interp) */
} TconvLayerKind;

typedef struct
{
  TconvLayerKind kind;
  int            in_channels, out_channels;
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
} TconvModel;

/* Another holder of a model that never changes after loading (a catalogue's entry and a
 * preview's worker, say); each holder calls tconv_model_free once.  Thread-safe. */
TconvModel *tconv_model_ref (TconvModel *model);
void tconv_model_free (TconvModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TconvModel, tconv_model_free)

/* The model's value range: its black and white, [0, 1] unless the file says otherwise. */
void tconv_model_value_range (const TconvModel *model, float *lo, float *hi);

/* Number of learned parameters. */
gsize tconv_model_param_count (const TconvModel *model);

/* The transposed layer that does the upscaling (the last conv_transpose2d), or NULL. */
const TconvLayer *tconv_model_upsampling_layer (const TconvModel *model);

/* Output length of the whole graph for an input of `in` along axis 0 (y) or 1 (x). */
gboolean tconv_model_output_len (const TconvModel *model, int axis, int in, int *out,
                                 GError **error);

/* Checks channel flow, hyperparameters and shapes of every layer; sets model->scale when 0.
 * Every loader and builder calls it before handing a model out. */
gboolean tconv_model_validate (TconvModel *model, GError **error);

const char *tconv_mode_name (TconvMode mode);
const char *tconv_layer_kind_name (TconvLayerKind kind);
const char *tconv_interp_name (TconvInterp interp);

G_END_DECLS
