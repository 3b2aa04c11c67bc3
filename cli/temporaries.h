/* tconv CLI — the temporary files being written (.NAME.tconv-XXXXXX.EXT, see
 * tconv_output_temporary), removed when SIGINT, SIGTERM or SIGHUP ends the process, so
 * an interrupted run leaves neither a half-written output nor a hidden leftover. */
#pragma once

#include <glib.h>

/* Installs the handlers; the signal then ends the process as it would have (the shell
 * sees 130 for Ctrl-C). */
void tconv_temporaries_catch_signals (void);

/* `path` is being written / is no longer a temporary (renamed or removed).  Thread-safe. */
void tconv_temporaries_add    (const char *path);
void tconv_temporaries_remove (const char *path);
