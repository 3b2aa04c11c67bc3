/* tconv — ncnn model files (.param text graph + .bin weights), read as hostile input
 * into a neutral description: layers with their ncnn type, name, input and output
 * blobs, `id=value` parameters and weights converted to float32.  Nothing here runs a
 * network; mapping the layers onto tconv's graph is the caller's job.
 *
 * .param: "7767517", then "LAYERS BLOBS", then one line per layer:
 *   TYPE NAME N_IN N_OUT IN... OUT... ID=VALUE...
 * where VALUE is an int, a float (has '.' or 'e'), a comma list (an array), or the old
 * array form -233ID=COUNT,V,... (id -23300 - ID).
 * .bin: each layer's weights in file order; the main weight of a convolution or inner
 * product starts with a 4-byte tag (float16, float32 or a 256-entry table), the others
 * (bias, PReLU slopes, BatchNorm, Scale) are untagged float32. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TCONV_NCNN_MAGIC         7767517
#define TCONV_NCNN_MAX_PARAM     ((gsize) 4 << 20)   /* .param text; real ones are < 200 KB */
#define TCONV_NCNN_MAX_BIN       ((gsize) 512 << 20) /* .bin; the largest upscaler is 67 MB */
#define TCONV_NCNN_MAX_LINE      65536               /* characters in one .param line */
#define TCONV_NCNN_MAX_LAYERS    16384               /* RRDB ESRGAN has about 1000 */
#define TCONV_NCNN_MAX_BLOBS     65536
#define TCONV_NCNN_MAX_NAME      255                 /* ncnn's own limit (%255s) */
#define TCONV_NCNN_MAX_LINKS     64                  /* inputs or outputs of one layer */
#define TCONV_NCNN_MAX_PARAMS    32                  /* parameter ids 0..31 */
#define TCONV_NCNN_MAX_WEIGHTS   4                   /* weight arrays of one layer */

typedef enum
{
  TCONV_NCNN_NONE = 0, /* the id is absent: the operator's default applies */
  TCONV_NCNN_INT,
  TCONV_NCNN_FLOAT,
  TCONV_NCNN_INT_ARRAY,
  TCONV_NCNN_FLOAT_ARRAY
} TconvNcnnParamType;

typedef struct
{
  TconvNcnnParamType type;
  int                i;    /* TCONV_NCNN_INT */
  float              f;    /* TCONV_NCNN_FLOAT */
  int                n;    /* array length */
  int               *iv;   /* (n) TCONV_NCNN_INT_ARRAY */
  float             *fv;   /* (n) TCONV_NCNN_FLOAT_ARRAY */
} TconvNcnnParam;

/* How a weight array was stored in the .bin (shown by `tconv info`). */
typedef enum
{
  TCONV_NCNN_F32,   /* untagged float32 (also a tag of 0) */
  TCONV_NCNN_F32_TAGGED, /* tag 0x0002C056 */
  TCONV_NCNN_F16,   /* tag 0x01306B47, padded to 4 bytes */
  TCONV_NCNN_TABLE, /* any other tag: 256 floats + one uint8 index per value */
  TCONV_NCNN_N_STORAGES
} TconvNcnnStorage;

typedef struct
{
  const char      *role;     /* "weight", "bias", "slope", "mean", "variance", "scale", ... */
  int              n_dims;
  int              shape[4]; /* row-major; convolution weights are (out, in/groups, kh, kw),
                              * Deconvolution's too (ncnn does not swap them like PyTorch) */
  gsize            numel;
  float           *data;     /* (numel) finite float32 */
  TconvNcnnStorage storage;
} TconvNcnnWeight;

typedef struct
{
  char           *type;     /* ncnn operator name, e.g. "Convolution" */
  char           *name;
  int             line;     /* in the .param, for messages */
  int             n_inputs, n_outputs;
  int            *inputs;   /* (n_inputs) blob indices, each produced by an earlier layer */
  int            *outputs;  /* (n_outputs) blob indices, each produced here only */
  TconvNcnnParam  params[TCONV_NCNN_MAX_PARAMS];
  int             n_weights;
  TconvNcnnWeight weights[TCONV_NCNN_MAX_WEIGHTS];
} TconvNcnnLayer;

typedef struct
{
  int             n_layers;
  TconvNcnnLayer *layers;      /* (n_layers) in file order, which is a topological order */
  int             n_blobs;
  char          **blob_names;  /* (n_blobs) */
  int            *producer;    /* (n_blobs) layer index */
  int            *consumers;   /* (n_blobs) how many inputs read the blob; 0 = a net output */
  gsize           bin_bytes;
} TconvNcnnNet;

/* Parses and validates a .param (text, any bytes) and its .bin held in memory;
 * `what` names the pair in messages.  NULL with *error set on any problem. */
TconvNcnnNet *tconv_ncnn_parse (const char *param, gsize param_len, const guint8 *bin,
                                gsize bin_len, const char *what, GError **error);
/* Reads PATH.param and the .bin beside it (same name, ".bin" instead of ".param"). */
TconvNcnnNet *tconv_ncnn_load  (const char *param_path, GError **error);
void          tconv_ncnn_free  (TconvNcnnNet *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TconvNcnnNet, tconv_ncnn_free)

/* A parameter as the operator reads it, `def` when absent (parsing checked its type). */
int           tconv_ncnn_param_int   (const TconvNcnnLayer *l, int id, int def);
float         tconv_ncnn_param_float (const TconvNcnnLayer *l, int id, float def);
/* The named weight array of a layer, or NULL. */
const TconvNcnnWeight *tconv_ncnn_weight (const TconvNcnnLayer *l, const char *role);
/* "float16", "float32", ... */
const char   *tconv_ncnn_storage_name (TconvNcnnStorage storage);
/* The blob index named `name`, or -1. */
int           tconv_ncnn_blob (const TconvNcnnNet *net, const char *name);

G_END_DECLS
