/* tconv — errors reported by the core, as GError domain/code. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TCONV_ERROR (tconv_error_quark ())

typedef enum
{
  TCONV_ERROR_INVALID_ARGUMENT, /* a hyperparameter or shape breaks a rule */
  TCONV_ERROR_TOO_LARGE,        /* a size overflows or exceeds a limit */
  TCONV_ERROR_NO_MEMORY,        /* an allocation failed */
  TCONV_ERROR_MODEL,            /* a model file is malformed or unsupported */
  TCONV_ERROR_IO,               /* reading or writing a file failed */
  TCONV_ERROR_CANCELLED         /* the caller asked to stop */
} TconvErrorCode;

GQuark tconv_error_quark (void);

G_END_DECLS
