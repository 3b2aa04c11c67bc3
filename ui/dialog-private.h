/* tconv dialog — the state its parts share: the dialog (tconv-dialog.c), the model list
 * (model-list.c) and the GUI test's driver (tests/gimp/dialog-selftest.c). */
#pragma once

#include <libgimp/gimpui.h>

#include "catalog.h"

#define TCONV_N_AUTO_KNOBS 3 /* kernel-size, padding, output-padding */

typedef struct
{
  GimpProcedureDialog *dialog;
  GimpProcedureConfig *config;
  GimpDrawable        *drawable;
  const char          *installed;
  GPtrArray           *catalog;   /* every model, read once */
  GtkWidget *formula, *size, *reason, *offered, *taps, *preview;
  GtkWidget *auto_check[TCONV_N_AUTO_KNOBS];
  GtkWidget *model_combo;
  GPtrArray *model_ids;           /* the model argument of each row of the combo */
  int        model_list_mode;     /* the mode the rows were made for; -1 none yet */
  int        width, height, channels, bytes_per_pixel;
  int        jpeg_quality;        /* of the JPEG the image came from; 0 = none */
  guint      refresh_id, files_after_first;
  int        refreshes;
  gboolean   syncing;             /* the dialog writes the config itself: no refresh */
} TconvDialog;

void     tconv_dialog_read_settings (TconvDialog *d, TconvSettings *s, char **storage);
gboolean tconv_dialog_refresh       (gpointer dialog);
gboolean tconv_dialog_auto          (TconvDialog *d, int knob);

/* The "Model" row: a combo of the installed models of the mode with their facts, plus
 * "Other file..."; it sets the model (and scale) arguments. */
GtkWidget *tconv_model_list_new  (TconvDialog *d);
void       tconv_model_list_sync (TconvDialog *d, TconvMode mode);

/* The GUI test's driver, only in the test build of the plug-in (tests/gimp/). */
void tconv_dialog_self_test_start (TconvDialog *d);
