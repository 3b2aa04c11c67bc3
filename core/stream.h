/* tconv — row-streaming forward pass for chains of convolutions (see stream.c). */
#pragma once

#include "model.h"

G_BEGIN_DECLS

/* How many leading layers of the model one stream can run (conv2d [+ PReLU] layers,
 * ending at most with one transposed convolution or a nearest resize + conv2d), or 0
 * when streaming would not pay. */
int tconv_stream_prefix (const TconvModel *model);

/* Runs layers [0, n) on input (batch 1) into a new *output.  *covered is FALSE, and
 * nothing is allocated, when the fast paths cannot run them (the caller then runs the
 * layers one by one); FALSE is returned only for a real error (out of memory). */
gboolean tconv_stream_forward (const TconvModel *model, int n, const TconvTensor *input,
                               TconvTensor *output, gboolean *covered, GError **error);

G_END_DECLS
