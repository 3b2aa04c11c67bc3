/* tconv GIMP plug-in — shared declarations of the plug-in's files. */
#pragma once

#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>

#include "arguments.h"
#include "catalog.h"
#include "tconv-error.h"

#define PLUG_IN_PROC       "plug-in-tconv-upscale"
#define PLUG_IN_FILES_PROC "plug-in-tconv-upscale-files"
#define PLUG_IN_BINARY "tconv"

/* Upscales every layer of `image` (in place or in a copy) as Image > Scale Image does,
 * after computing everything: nothing changes on failure.  Returns the changed image. */
GimpImage *tconv_upscale_image (GimpImage *image, const TconvSettings *s, TconvOutput output,
                                GError **error);

/* A new image comparing transposed, resize+conv, NoHalo, cubic and a checkerboard map. */
GimpImage *tconv_compare (GimpImage *image, GimpDrawable *drawable, const TconvSettings *s,
                          GError **error);

/* plug-in-tconv-upscale-files: its own arguments (files, output folder, suffix); the
 * caller adds the upscaling ones (the image procedure's, but compare and output). */
GimpProcedure *tconv_files_procedure_new (GimpPlugIn *plug_in, const char *name);

/* Where shipped models are installed (set at build time). */
const char *tconv_installed_models (void);
