/* What every libjpeg user in cli/ shares: the file signature, and the error manager.
 * libjpeg's fatal errors must not return (error_exit): each caller jumps back to its own
 * setjmp with the message. */
#pragma once

#include <setjmp.h>
#include <stdio.h>

#include <glib.h>
#include <jpeglib.h>

/* Starts with a JPEG's SOI marker and the next marker's 0xff. */
static inline gboolean
tconv_is_jpeg_file (const char *path)
{
  guint8   sig[3];
  FILE    *f = fopen (path, "rb");
  gboolean ok = f && fread (sig, 1, 3, f) == 3 && sig[0] == 0xff && sig[1] == 0xd8
                && sig[2] == 0xff;
  if (f)
    fclose (f);
  return ok;
}

typedef struct
{
  struct jpeg_error_mgr pub;
  jmp_buf               escape;
  char                  message[JMSG_LENGTH_MAX];
} TconvJpegError;

static inline void
tconv_jpeg_error_escape (j_common_ptr cinfo)
{
  TconvJpegError *e = (TconvJpegError *) cinfo->err;
  e->pub.format_message (cinfo, e->message);
  longjmp (e->escape, 1);
}
