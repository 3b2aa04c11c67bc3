/* tconv — model files: a .safetensors whose __metadata__["tconv"] holds the network
 * as JSON.  See weights/README.md for the schema and weights/tconv_export.py for the
 * writer. */
#pragma once

#include "model.h"

G_BEGIN_DECLS

#define TCONV_MODEL_SUFFIX ".safetensors"

TconvModel *tconv_model_load       (const char *path, GError **error);
/* How many model files this process has read (the dialog's tests count them). */
guint       tconv_model_files_read (void);
TconvModel *tconv_model_load_bytes (const guint8 *bytes, gsize len, const char *what,
                                    GError **error);

/* Directories searched for models by name, in order: $TCONV_MODEL_PATH (colon-separated),
 * the user's models folder (XDG data dir/tconv/models), then `installed_dir`. */
GStrv tconv_model_search_path (const char *installed_dir);

/* Resolves NAME (searched in the path) or a file path to a file. */
char *tconv_model_find (const char *name_or_path, const char *installed_dir, GError **error);

G_END_DECLS
