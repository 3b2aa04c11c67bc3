/* tconv CLI — the quality a JPEG file was saved at, read from its quantization tables:
 * an input to the automatic model choice (catalog.h). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The IJG quality (1-100) whose tables (libjpeg's jpeg_set_quality, which PIL, GIMP,
 * ImageMagick and most programs use) are nearest the file's; *exact (may be NULL) says
 * whether they are those tables exactly, else the file has its own tables (a camera's,
 * Photoshop's) and the number is the nearest IJG quality.  0 when the file is not a
 * JPEG; FALSE with an error naming the file when it is one whose header cannot be read. */
gboolean tconv_jpeg_file_quality (const char *path, int *quality, gboolean *exact,
                                  GError **error);

G_END_DECLS
