/* tconv — the GIMP procedures' arguments, generated from the core's tables (settings.h,
 * choices.h), and the one copy from a procedure config into TconvSettings, which the
 * plug-in and the dialog both use. */
#pragma once

#include <libgimp/gimp.h>

#include "choices.h"
#include "settings.h"

G_BEGIN_DECLS

/* The upscaling arguments, in the order scripts pass them; `with_compare` adds the
 * compare mode and the output choice (the image procedure's). */
void tconv_add_settings_arguments (GimpProcedure *procedure, gboolean with_compare);

/* The settings a config holds (a compare run reads as transposed; *mode_choice keeps
 * the mode chosen).  `model` points into *model_storage, which the caller frees.
 * `output` may be NULL (the files procedure has none). */
void tconv_settings_from_config (GimpProcedureConfig *config, TconvSettings *s,
                                 TconvMode *mode_choice, TconvOutput *output,
                                 char **model_storage);

/* The quality of the JPEG GIMP read `image` from, 0 when it did not come from one:
 * GIMP's JPEG loader estimates it from the file's quantization tables and keeps it in
 * the "jpeg-settings" parasite.  The automatic model choice reads it
 * (TconvSettings.source_jpeg_quality). */
int tconv_image_jpeg_quality (GimpImage *image);

G_END_DECLS
