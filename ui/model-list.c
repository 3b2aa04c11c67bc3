#include <glib/gi18n-lib.h>

#include "combo.h"
#include "dialog-private.h"
#include "model-file.h"

#define OTHER_FILE "\x01other"

static char *
row_label (const TconvModelEntry *e)
{
  g_autofree char *psnr = e->set5_psnr > 0 ? g_strdup_printf (_(" · Set5 %.2f dB"), e->set5_psnr)
                                           : g_strdup ("");
  return g_strdup_printf (_("%s — x%d, kernel %d, %d parameters%s%s"), e->name, e->scale,
                          e->kernel, (int) e->params, psnr,
                          e->degradation ? _(" · for JPEG photos") : "");
}

static void
add_row (TconvDialog *d, const char *id, const char *label)
{
  g_ptr_array_add (d->model_ids, g_strdup (id));
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->model_combo), label);
}

/* The row of the config's model, or -1. */
static int
row_of_config (TconvDialog *d)
{
  g_autofree char *model = NULL;
  g_object_get (d->config, "model", &model, NULL);
  for (guint i = 0; i < d->model_ids->len; i++)
    if (g_strcmp0 (d->model_ids->pdata[i], model ? model : "") == 0)
      return (int) i;
  return -1;
}

/* Rows for the mode's models, from the catalogue (no file is read). */
static void
fill (TconvDialog *d, TconvMode mode)
{
  g_autofree char *model = NULL;
  gtk_combo_box_text_remove_all (GTK_COMBO_BOX_TEXT (d->model_combo));
  g_ptr_array_set_size (d->model_ids, 0);
  add_row (d, "", _("Automatic: the photo model for a JPEG of low quality, else the clean one"));
  for (guint i = 0; i < d->catalog->len; i++)
    {
      const TconvModelEntry *e = d->catalog->pdata[i];
      if (e->mode != mode)
        continue;
      g_autofree char *label = row_label (e);
      add_row (d, e->name, label);
    }
  g_object_get (d->config, "model", &model, NULL);
  if (model && *model && row_of_config (d) < 0)
    add_row (d, model, model); /* a file of the user's, chosen before */
  add_row (d, OTHER_FILE, _("Other file..."));
  d->model_list_mode = mode;
}

/* A model of the catalogue is of one mode: another mode starts from its automatic one. */
static void
clear_other_mode (TconvDialog *d, TconvMode mode)
{
  g_autofree char *model = NULL;
  g_object_get (d->config, "model", &model, NULL);
  for (guint i = 0; model && i < d->catalog->len; i++)
    {
      const TconvModelEntry *e = d->catalog->pdata[i];
      if (g_str_equal (e->name, model) && e->mode != mode)
        g_object_set (d->config, "model", "", NULL);
    }
}

void
tconv_model_list_sync (TconvDialog *d, TconvMode mode)
{
  d->syncing = TRUE;
  if (mode != TCONV_MODE_KERNEL && d->model_list_mode != (int) mode)
    {
      if (d->model_list_mode >= 0)
        clear_other_mode (d, mode);
      fill (d, mode);
    }
  gtk_combo_box_set_active (GTK_COMBO_BOX (d->model_combo), MAX (row_of_config (d), 0));
  d->syncing = FALSE;
}

static char *
choose_file (TconvDialog *d)
{
  GtkWidget *chooser = gtk_file_chooser_dialog_new (_("Choose a model file"),
                                                    GTK_WINDOW (d->dialog),
                                                    GTK_FILE_CHOOSER_ACTION_OPEN, _("_Cancel"),
                                                    GTK_RESPONSE_CANCEL, _("_Open"),
                                                    GTK_RESPONSE_ACCEPT, NULL);
  GtkFileFilter *filter = gtk_file_filter_new ();
  char          *path = NULL;
  gtk_file_filter_set_name (filter, _("tconv models (*.safetensors)"));
  gtk_file_filter_add_pattern (filter, "*" TCONV_MODEL_SUFFIX);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  if (gtk_dialog_run (GTK_DIALOG (chooser)) == GTK_RESPONSE_ACCEPT)
    path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));
  gtk_widget_destroy (chooser);
  return path;
}

static void
on_changed (GtkComboBox *combo, TconvDialog *d)
{
  int row = gtk_combo_box_get_active (combo);
  if (d->syncing || row < 0)
    return;
  const char *id = d->model_ids->pdata[row];
  if (g_str_equal (id, OTHER_FILE))
    {
      g_autofree char *path = choose_file (d);
      if (path)
        g_object_set (d->config, "model", path, NULL);
      d->model_list_mode = -1; /* rebuilt with the file's row */
      tconv_model_list_sync (d, gimp_procedure_config_get_choice_id (d->config, "mode"));
      return;
    }
  for (guint i = 0; i < d->catalog->len; i++)
    {
      const TconvModelEntry *e = d->catalog->pdata[i];
      if (g_str_equal (e->name, id))
        g_object_set (d->config, "scale", e->scale, NULL); /* a model fixes the stride */
    }
  g_object_set (d->config, "model", id, NULL);
}

GtkWidget *
tconv_model_list_new (TconvDialog *d)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new_with_mnemonic (_("_Model"));

  d->model_ids = g_ptr_array_new_with_free_func (g_free);
  d->model_list_mode = -1;
  d->model_combo = gtk_combo_box_text_new ();
  gtk_widget_set_hexpand (d->model_combo, TRUE);
  /* rows carry a model's facts: ellipsize them rather than widen the settings column */
  tconv_combo_ellipsize (d->model_combo, -1, 34);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), d->model_combo);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_widget_set_size_request (label, 100, -1);
  gtk_box_pack_start (GTK_BOX (row), label, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (row), d->model_combo, TRUE, TRUE, 0);
  g_signal_connect (d->model_combo, "changed", G_CALLBACK (on_changed), d);
  gtk_widget_show_all (row);
  return row;
}
