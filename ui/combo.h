/* tconv dialog — combo boxes that ellipsize their rows. */
#pragma once

#include <gtk/gtk.h>

/* Ellipsizes the text rows of `combo`: at least min_chars wide, up to max_chars where
 * there is room (-1: no bound).  A combo that does not ellipsize is as wide as its longest
 * row at least, and the dialog's columns add up such widths: in Russian they kept the
 * dialog wider than a 1366-pixel screen. */
void tconv_combo_ellipsize (GtkWidget *combo, int min_chars, int max_chars);
