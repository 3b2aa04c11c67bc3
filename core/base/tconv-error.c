#include "tconv-error.h"

G_DEFINE_QUARK (tconv-error-quark, tconv_error)
