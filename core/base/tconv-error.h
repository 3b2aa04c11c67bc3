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

/* Sets *error (TCONV_ERROR, `code`, a printf message) and returns `value` from the caller. */
#define TCONV_FAIL(error, code, value, ...)                                                 \
  do                                                                                        \
    {                                                                                       \
      g_set_error (error, TCONV_ERROR, code, __VA_ARGS__);                                  \
      return value;                                                                         \
    }                                                                                       \
  while (0)

G_END_DECLS
