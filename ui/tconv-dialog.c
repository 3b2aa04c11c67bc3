/* tconv dialog — built on GimpProcedureDialog from the procedure's arguments. */
#include <glib/gi18n-lib.h>
#include <libgimp/gimpui.h>

#include "tconv-dialog.h"

gboolean
tconv_dialog_run (GimpProcedure *procedure, GimpProcedureConfig *config, GimpImage *image,
                  GimpDrawable **drawables)
{
  GtkWidget *dialog;
  gboolean   ok;
  (void) image, (void) drawables;

  gimp_ui_init ("tconv");
  dialog = gimp_procedure_dialog_new (procedure, config, _("Upscale with Transposed Convolution"));
  gimp_procedure_dialog_fill (GIMP_PROCEDURE_DIALOG (dialog), "mode", "scale", "kernel-size",
                              "padding", "output-padding", "dilation", "interpolation", "model",
                              "output", NULL);
  ok = gimp_procedure_dialog_run (GIMP_PROCEDURE_DIALOG (dialog));
  gtk_widget_destroy (dialog);
  return ok;
}
