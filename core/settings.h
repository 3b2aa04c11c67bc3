/* tconv — the user-facing knobs, declared once.  The CLI flags, the plug-in's
 * procedure arguments and the dialog are all generated from these tables, and
 * tconv_settings_model() is the one place that turns settings into a model. */
#pragma once

#include "kernels.h"
#include "model.h"

G_BEGIN_DECLS

#ifndef N_
#define N_(s) (s)
#endif

typedef struct
{
  TconvMode        mode;
  int              scale;          /* the stride; 0 = the model's (CLI with --model) */
  int              kernel;         /* 0 = the model's, or the interpolation's natural size */
  int              padding;        /* -1 = output exactly scale * input */
  int              output_padding; /* -1 = likewise */
  int              dilation;       /* kernel mode */
  TconvKernelShape interpolation;  /* kernel mode */
  const char      *model;          /* NULL or "" = the shipped model for mode/scale/kernel */
  int              tile_size;      /* 0 = automatic */
  int              threads;        /* 0 = all cores */
} TconvSettings;

/* X (field, name, flag, label, description, min, max, default): `name` in the PDB and the
 * dialog, `flag` on the command line (--flag). */
#define TCONV_INT_SETTINGS(X)                                                                 \
  X (scale, "scale", "scale", N_("Scale (stride)"),                                           \
     N_("Upscale factor: the stride of the transposed convolution"), 1, 8, 2)                 \
  X (kernel, "kernel-size", "kernel", N_("Kernel size"),                                      \
     N_("Taps per axis of the upsampling kernel; 0 = the model's, or the interpolation's "    \
        "natural support in kernel mode"), 0, 64, 0)                                          \
  X (padding, "padding", "padding", N_("Padding"),                                                       \
     N_("Rows/columns cropped from each side of the output; -1 = exactly scale times the "    \
        "input"), -1, 64, -1)                                                                 \
  X (output_padding, "output-padding", "output-padding", N_("Output padding"),                                  \
     N_("Rows/columns added at the end of the output; -1 = exactly scale times the input"),   \
     -1, 7, -1)                                                                               \
  X (dilation, "dilation", "dilation", N_("Dilation"),                                        \
     N_("Spacing between kernel taps (kernel mode)"), 1, 8, 1)                                                                                 \
  X (tile_size, "tile-size", "tile", N_("Tile size"),                                                 \
     N_("Input pixels per tile side; 0 = automatic"), 0, 4096, 0)                             \
  X (threads, "threads", "threads", N_("Threads"), N_("Worker threads; 0 = all cores"), 0, 64, 0)

typedef struct
{
  const char *name, *flag, *label, *description;
  int         min, max, def;
  gsize       offset; /* of the int field in TconvSettings */
} TconvIntSetting;

extern const TconvIntSetting tconv_int_settings[];
extern const int             tconv_n_int_settings;

void     tconv_settings_init        (TconvSettings *s);
gboolean tconv_settings_parse_mode  (const char *name, TconvMode *mode, GError **error);

/* The model these settings describe, for an image with `channels` channels.
 * `installed_dir` is where shipped models live (may be NULL).  Reads the catalogue. */
TconvModel *tconv_settings_model (const TconvSettings *s, int channels,
                                  const char *installed_dir, GError **error);
/* The same from a catalogue already read (tconv_model_catalog): a learned model is a
 * reference to its entry's (no file is read unless s->model is a file outside it).
 * Free the result with tconv_model_free. */
TconvModel *tconv_settings_model_in (const TconvSettings *s, int channels, GPtrArray *catalog,
                                     const char *installed_dir, GError **error);

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
void       tconv_model_entry_free (TconvModelEntry *e);

G_END_DECLS
