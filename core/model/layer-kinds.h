/* tconv — what each kind of layer is, one row per kind (layer-kinds.c): its name in the
 * file, how its parameters are read and bounded, how many inputs it takes, its output
 * shape, how far it reads (for tiling), its reference operator, whether a fast operator
 * covers it, and how `tconv info` describes it.  Adding a kind is one row and its
 * operator; the loader, the validation, the tiling, the planner, the executor and the
 * CLI all read the row. */
#pragma once

#include <json-glib/json-glib.h>

#include "model.h"
#include "safetensors.h"
#include "tconv-error.h"

G_BEGIN_DECLS

/* What the planner may hand to the fast kernels (simd/fast-conv.h). */
typedef enum
{
  TCONV_FAST_NONE,
  TCONV_FAST_CONV2D,
  TCONV_FAST_CONV_TRANSPOSE2D
} TconvFastOp;

/* A layer being read from a file: the file's tensors and the names bound so far. */
typedef struct
{
  const char       *what; /* file name, for messages */
  TconvSafetensors *st;
  GPtrArray        *used; /* tensor names already bound to a layer */
  int               index;
  const char       *op;
} TconvLayerReader;

/* A reader's refusal, naming the file, the layer's index and its kind; returns FALSE from
 * the function, whose GError ** must be called `error`. */
#define TCONV_LAYER_FAIL(r, ...)                                                             \
  do                                                                                         \
    {                                                                                        \
      g_autofree char *msg_ = g_strdup_printf (__VA_ARGS__);                                 \
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_MODEL, "%s: layer %d (%s): %s",            \
                   (r)->what, (r)->index, (r)->op, msg_);                                    \
      return FALSE;                                                                          \
    }                                                                                        \
  while (0)

typedef struct
{
  const char *name;
  int         min_inputs, max_inputs;
  /* each output pixel from the same pixel of its inputs (broadcast aside) and the output
   * may take the first input's buffer: the executor runs it in place where it can */
  gboolean    in_place;
  TconvFastOp fast;
  /* reads the parameters (inputs are read by the loader) */
  gboolean (*parse) (TconvLayerReader *r, JsonObject *o, TconvLayer *l, GError **error);
  /* the output shape (data NULL) for these inputs, or an error saying what is wrong */
  gboolean (*shape) (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out,
                     GError **error);
  /* the input pixels read beyond the output's (in its own input's pixels), and the
   * resolution change num/den; *reach < 0: every pixel of the input (no tiling) */
  void (*geometry) (const TconvLayer *l, int *reach, int *num, int *den);
  /* the reference operator: `out` has the shape's size and is allocated, or is in[0]'s
   * buffer for in_place kinds (a copy of it when in[0] must live on) */
  gboolean (*run) (const TconvLayer *l, const TconvTensor *const *in, TconvTensor *out,
                   GError **error);
  /* the parameters, for tconv info */
  void (*describe) (const TconvLayer *l, GString *text);
} TconvLayerKindInfo;

const TconvLayerKindInfo *tconv_layer_kind_info (TconvLayerKind kind);
/* The row named `name` in files, or NULL. */
const TconvLayerKindInfo *tconv_layer_kind_find (const char *name, TconvLayerKind *kind);
/* "conv2d, conv_transpose2d, ...": for messages. */
char *tconv_layer_kind_names (void);

G_END_DECLS
