/* tconv — the safetensors container, read as hostile input: every length, offset and
 * shape is checked before any tensor is touched.  Format: u64 little-endian header
 * length N, N bytes of JSON {name: {dtype, shape, data_offsets}, "__metadata__": {...}},
 * then the data area.  No code runs at load time. */
#pragma once

#include <json-glib/json-glib.h>

#include "tensor.h"

G_BEGIN_DECLS

#define TCONV_SAFETENSORS_MAX_FILE   ((gsize) 512 << 20) /* models are far smaller */
#define TCONV_SAFETENSORS_MAX_HEADER ((gsize) 8 << 20)
#define TCONV_SAFETENSORS_MAX_DEPTH  32 /* JSON nesting the parser is given */

typedef struct
{
  char  *name;
  int    n_dims;
  gint64 shape[4];
  gsize  numel;
  float *data; /* converted to float32 and checked finite */
} TconvStTensor;

typedef struct
{
  GHashTable *tensors;  /* name -> TconvStTensor* */
  GHashTable *metadata; /* string -> string */
} TconvSafetensors;

/* Parses and validates a whole file held in memory.  `what` names it in messages. */
TconvSafetensors *tconv_safetensors_parse (const guint8 *bytes, gsize len, const char *what,
                                           GError **error);
TconvSafetensors *tconv_safetensors_load  (const char *path, GError **error);
/* The file mapped read-only, refused when unreadable or larger than the limit. */
GMappedFile      *tconv_safetensors_map   (const char *path, GError **error);
void              tconv_safetensors_free  (TconvSafetensors *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TconvSafetensors, tconv_safetensors_free)

/* Writes float32 tensors (NCHW shape from each TconvTensor) atomically: a temporary
 * file renamed over `path` only when complete. */
gboolean tconv_safetensors_save (const char *path, const char *const *names,
                                 const TconvTensor *const *tensors, int n, GError **error);

/* An IEEE binary16 value (little-endian bits already swapped) as float. */
float tconv_half_to_float (guint16 h);

/* JSON nesting depth of text outside strings; G_MAXINT if the brackets don't balance. */
int tconv_json_depth (const char *text, gsize len);

G_END_DECLS
