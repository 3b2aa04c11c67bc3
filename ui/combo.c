/* Combo boxes that ellipsize their rows (see combo.h). */
#include "combo.h"

void
tconv_combo_ellipsize (GtkWidget *combo, int min_chars, int max_chars)
{
  GList *cells = gtk_cell_layout_get_cells (GTK_CELL_LAYOUT (combo));
  for (GList *c = cells; c; c = c->next)
    if (GTK_IS_CELL_RENDERER_TEXT (c->data))
      g_object_set (c->data, "ellipsize", PANGO_ELLIPSIZE_END, "width-chars", min_chars,
                    "max-width-chars", max_chars, NULL);
  g_list_free (cells);
}
