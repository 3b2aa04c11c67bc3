/* tconv — executing a plan (plan.h) on a tensor: its steps in order, each a packed fast
 * layer or one reference operator, with the plan's streamed prefix run row by row. */
#pragma once

#include "plan.h"

G_BEGIN_DECLS

/* Runs every step on input [N, channels, H, W] as if it were the whole image;
 * *output receives a newly allocated [N, channels, H', W']. */
gboolean tconv_plan_forward (const TconvPlan *plan, const TconvTensor *input,
                             TconvTensor *output, GError **error);

/* The same, where only the output pixels in `keep` matter: the others may come out
 * zero (a tile's halo).  keep NULL: all. */
gboolean tconv_plan_forward_keeping (const TconvPlan *plan, const TconvTensor *input,
                                     const TconvRegion *keep, TconvTensor *output,
                                     GError **error);

/* The same for a model: planned for this call, run, the plan dropped. */
gboolean tconv_model_forward (const TconvModel *model, const TconvTensor *input,
                              TconvTensor *output, GError **error);

G_END_DECLS
