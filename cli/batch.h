/* tconv CLI — many images in one run: `tconv upscale -o OUTDIR IN...`, where each IN is
 * a file or a folder.  Names keep their path relative to the folder given; one unreadable
 * image is reported and skipped, and the exit status says whether any failed. */
#pragma once

#include <glib.h>

typedef struct
{
  char    *outdir, *glob, *suffix, *format;
  gboolean recursive, skip_existing, quiet;
  int      jobs, quality;
  gint64   max_pixels;
} TconvBatchOptions;

/* Upscales IN into OUT (written whole or not at all) with `threads` worker threads. */
typedef gboolean (*TconvUpscaleFile) (gpointer data, const char *in, const char *out,
                                      int threads, int quality, GError **error);

/* Options as not given; then their check, once parsed: one line naming the flag and what
 * it allows, and the flags not given set to their defaults. */
void     tconv_batch_options_init  (TconvBatchOptions *o);
gboolean tconv_batch_options_check (TconvBatchOptions *o, GError **error);

/* Whether a number flag is within min..max; else the one line every flag's refusal reads
 * ("--quality 500 is out of range: it must be from 1 to 100"). */
gboolean tconv_flag_in_range (const char *flag, gint64 value, gint64 min, gint64 max,
                              GError **error);

/* Whether tconv writes the format that `path`'s extension names (.png, .jpg, ...). */
gboolean tconv_output_name_check (const char *path, GError **error);

/* Whether two names are one file (the same name, or the same device and inode). */
gboolean tconv_same_file (const char *a, const char *b);

/* The batch options as command-line entries (NULL-terminated; free with g_free). */
GOptionEntry *tconv_batch_entries (TconvBatchOptions *o);

/* Upscales every image of `inputs` into o->outdir; FALSE (with the count in `error`) when
 * any failed.  Per-image failures are printed as they happen. */
gboolean tconv_batch_run (const TconvBatchOptions *o, char **inputs, int n_inputs,
                          TconvUpscaleFile upscale, gpointer data, GError **error);
