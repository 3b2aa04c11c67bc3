/* libjpeg's fatal errors must not return (error_exit): every libjpeg user in cli/ jumps
 * back to its own setjmp with the message, through this one error manager. */
#pragma once

#include <setjmp.h>
#include <stdio.h>

#include <jpeglib.h>

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
