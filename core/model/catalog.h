/* tconv — the model catalogue and the choice of a model for a set of settings. */
#pragma once

#include "settings.h"

G_BEGIN_DECLS

/* The model these settings describe, for an image with `channels` channels: the one
 * place that decides it, for the CLI, the plug-in, compare mode, the preview and the
 * dialog.  `installed_dir` is where shipped models live (may be NULL).  Uses the
 * process's catalogue (read once). */
TconvModel *tconv_settings_model (const TconvSettings *s, int channels,
                                  const char *installed_dir, GError **error);
/* The same from a catalogue already read (tconv_model_catalog): a learned model is a
 * reference to its entry's (no file is read unless s->model is a file outside it).
 * Free the result with tconv_model_free. */
TconvModel *tconv_settings_model_in (const TconvSettings *s, int channels, GPtrArray *catalog,
                                     const char *installed_dir, GError **error);

/* The automatic choice (the default; "--model auto"; the dialog's "Automatic"): of the
 * installed models of the mode, scale and kernel, the clean one, except for an image
 * read from a JPEG saved below this quality, which gets the photo model (trained on
 * JPEG-degraded inputs).  Where the photo models start winning: docs/model-choice.md. */
#define TCONV_PHOTO_BELOW_JPEG_QUALITY 95

/* Whether the settings leave the model to the automatic choice (a learned mode, no
 * model named). */
gboolean tconv_settings_model_is_auto (const TconvSettings *s);
/* Why the automatic choice gave `model` (translated), e.g. "auto: sesr-photo-x2 (JPEG
 * quality ~75 < 95)"; NULL when the settings named the model or ask for kernel mode. */
char    *tconv_settings_model_why     (const TconvSettings *s, const TconvModel *model);

/* ---- the catalogue of model files -------------------------------------------------- */

typedef struct
{
  char     *path;
  char     *name;
  TconvMode mode;
  int       scale, kernel;
  gsize     params;
  char     *facts_json;
  char     *degradation; /* what its inputs were trained on: "jpeg" (photos); NULL = clean */
  double    set5_psnr;   /* the file's Set5 Y-PSNR (dB), 0 when it has none */
  TconvModel *model;     /* as loaded (the catalogue holds a reference) */
} TconvModelEntry;

/* Kernel size of the model's upsampling head: the last conv_transpose2d, the conv2d
 * after the last resize, or s * k for a k x k conv2d before a pixel shuffle by s (the
 * transposed convolution it equals). */
int tconv_model_head_kernel (const TconvModel *model);

/* Every loadable model in the search path (first of a name wins), sorted by
 * mode, scale, kernel, clean before photo models.  Files that fail to load are
 * reported in *skipped. */
GPtrArray *tconv_model_catalog (const char *installed_dir, GString *skipped);
/* The process's catalogue of installed_dir, read on first use and kept: a reference,
 * g_ptr_array_unref it.  Thread-safe. */
GPtrArray *tconv_model_catalog_shared (const char *installed_dir);
void       tconv_model_entry_free (TconvModelEntry *e);

G_END_DECLS
