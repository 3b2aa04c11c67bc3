/* tconv dialog — fills the procedure config interactively; TRUE when the user said OK. */
#pragma once

#include <libgimp/gimp.h>

gboolean tconv_dialog_run (GimpProcedure *procedure, GimpProcedureConfig *config,
                           GimpImage *image, GimpDrawable **drawables,
                           const char *installed_models);
