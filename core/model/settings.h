/* tconv — the user-facing knobs, declared once.  The CLI flags, the plug-in's
 * procedure arguments and the dialog are all generated from these tables (the choices
 * are in choices.h); catalog.h turns settings into a model. */
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
  TconvInterp      interpolation;  /* kernel mode */
  const char      *model;          /* NULL, "" or "auto" = chosen for the image (catalog.h) */
  int              tile_size;      /* 0 = automatic */
  int              threads;        /* 0 = all cores */
  /* Not a knob but a fact of the input: the quality (1-100) of the JPEG the image was
   * read from, as estimated from its quantization tables; 0 = not from a JPEG.  The
   * automatic model choice reads it (catalog.h). */
  int              source_jpeg_quality;
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

/* The ranges of the integer knobs; the message names the knob. */
gboolean tconv_settings_check (const TconvSettings *s, GError **error);

G_END_DECLS
