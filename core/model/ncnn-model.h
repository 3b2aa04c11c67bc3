/* tconv — an ncnn net as a tconv graph model (docs/ncnn-models.md, part 5). */
#pragma once

#include "model.h"
#include "ncnn.h"

G_BEGIN_DECLS

/* The model of a parsed net, validated, or NULL with an error naming the ncnn layer
 * that has no mapping yet.  `what` names the file in messages. */
TconvModel *tconv_ncnn_model (const TconvNcnnNet *net, const char *what, GError **error);

G_END_DECLS
