/* tconv — row-streaming execution of a plan's streamed prefix (see stream.c). */
#pragma once

#include "plan.h"

G_BEGIN_DECLS

/* Runs the plan's first n_streamed steps on input into a new *output: all of it, or
 * (keep not NULL) the pixels `keep` needs, the rest zero.  *covered is
 * FALSE, and nothing is allocated, when they cannot stream on this input (a batch, or a
 * tile too small for the layers); the caller then runs the steps one by one.  FALSE is
 * returned only for a real error (out of memory). */
gboolean tconv_stream_forward (const TconvPlan *plan, const TconvTensor *input,
                               const TconvRegion *keep, TconvTensor *output,
                               gboolean *covered, GError **error);

G_END_DECLS
