/* tconv — what runs: a model planned once per run.
 *
 * The plan decides once which layers fuse (a PReLU into the conv2d before it; a nearest
 * resize and the conv2d after it into one transposed convolution; in a graph only where
 * nothing else reads the first's output), which leading steps run row-streamed (a chain,
 * or a graph's leading chain), and packs the weights of every layer the fast kernels
 * cover.  It
 * knows the halo and alignment tiles need and the memory a tile costs.  It never changes
 * once made: every tile and every thread of a run executes the same plan (execute.h). */
#pragma once

#include "fast-conv.h"
#include "model.h"

G_BEGIN_DECLS

typedef enum
{
  TCONV_STEP_LAYER,  /* one layer, through its reference operator */
  TCONV_STEP_CONV2D, /* a packed conv2d, with the PReLU after it when n_layers is 2 */
  TCONV_STEP_CONV_TRANSPOSE2D /* a packed transposed conv, or a folded nearest resize +
                                 conv2d (n_layers 2) */
} TconvStepKind;

typedef struct
{
  TconvStepKind               kind;
  const TconvLayer           *layer;    /* the first model layer the step runs */
  int                         n_layers; /* how many it runs */
  /* packed steps: */
  int                         groups;
  TconvPackedLayer          **packed;   /* [groups] */
  const TconvTensor          *weight;   /* the layer's, or `folded` */
  const float                *bias;
  int                         out_channels;
  TconvConvTranspose2dParams  transposed; /* a transposed step's (a folded one's own) */
  TconvTensor                 folded;     /* owned */
} TconvStep;

typedef struct
{
  gboolean no_streaming; /* layer by layer (tests and benchmarks compare the two) */
} TconvPlanOptions;

/* The part of a run's output its caller keeps: a tile without its halo.  Rows and
 * columns only the halo needs are then left out of each streamed layer, which would
 * otherwise compute the whole tile and halo at every depth. */
typedef struct
{
  int x, y, w, h;
} TconvRegion;

typedef struct
{
  const TconvModel *model; /* borrowed: it must outlive the plan */
  TconvStep        *steps;
  int               n_steps;
  int               n_streamed;   /* leading steps that run row-streamed; 0: none */
  /* every step after the streamed ones computes each output pixel from that pixel alone
   * (the residual, activations): a streamed run may then compute just the part of the
   * output its caller keeps (TconvRegion) */
  gboolean          pixelwise_tail;
  int               halo, align;  /* as tconv_model_tiling */
  /* the output depends on every input pixel (a global pool): the engine runs the whole
   * image at once, layer by layer, so the result never depends on a tile size */
  gboolean          whole_image;
  int              *consumers;    /* per layer: how many layers read its output */
  double            bytes_per_input_pixel; /* a tile's working memory, run layer by layer */
} TconvPlan;

TconvPlan *tconv_plan_new (const TconvModel *model, const TconvPlanOptions *options);
void       tconv_plan_free (TconvPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TconvPlan, tconv_plan_free)

/* The output shape (data NULL) of a packed step for this input shape. */
gboolean tconv_step_output_shape (const TconvStep *step, const TconvTensor *input,
                                  TconvTensor *output, GError **error);

G_END_DECLS
