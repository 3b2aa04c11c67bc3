/* tconv — every choice a user makes by name, declared once, as GEGL declares an
 * operation's enum properties: value, nick (the name scripts, the CLI and model files
 * use), label and description (translatable, for the dialog and the help).  The
 * plug-in's arguments, the dialog's combos, the CLI's help and every parser are built
 * from these lists; each list has a compile-time check against its enum. */
#pragma once

#include "conv2d.h"
#include "kernels.h"
#include "model.h"

G_BEGIN_DECLS

/* Where a choice may be named. */
typedef enum
{
  TCONV_IN_CLI = 1 << 0,        /* tconv flags */
  TCONV_IN_IMAGE_PROC = 1 << 1, /* plug-in-tconv-upscale's arguments and the dialog */
  TCONV_IN_FILES_PROC = 1 << 2, /* plug-in-tconv-upscale-files' arguments */
  TCONV_IN_MODEL_FILE = 1 << 3, /* model files */
  TCONV_IN_PDB = TCONV_IN_IMAGE_PROC | TCONV_IN_FILES_PROC,
  TCONV_IN_ALL = 0xf
} TconvChoiceWhere;

typedef struct
{
  int         value;
  const char *nick;
  const char *label;       /* N_() */
  const char *description; /* N_(), or NULL */
  unsigned    where;       /* TconvChoiceWhere */
} TconvChoice;

typedef struct
{
  const char        *name;  /* of the setting or file field: "mode" */
  const char        *label; /* N_() */
  const TconvChoice *items; /* in enum order (a list may name only some of its enum) */
  int                n_items;
  int                def;      /* a value */
} TconvChoiceList;

/* What a run's result is in GIMP. */
typedef enum
{
  TCONV_OUTPUT_IN_PLACE,
  TCONV_OUTPUT_NEW_IMAGE,
  TCONV_N_OUTPUTS
} TconvOutput;

extern const TconvChoiceList tconv_mode_list;         /* TconvMode */
extern const TconvChoiceList tconv_kernel_shape_list; /* TconvInterp, as kernel mode names it */
extern const TconvChoiceList tconv_interp_list;       /* TconvInterp, as model files name it */
extern const TconvChoiceList tconv_padding_mode_list; /* TconvPaddingMode: model files */
extern const TconvChoiceList tconv_output_list;       /* TconvOutput: the GIMP procedure */

/* The entry of `value`, or NULL when the list does not name it. */
const TconvChoice *tconv_choice_of (const TconvChoiceList *list, int value);
const char *tconv_choice_nick (const TconvChoiceList *list, int value);
/* The value of `nick` among the choices allowed `where`; the error lists them. */
gboolean    tconv_choice_parse (const TconvChoiceList *list, unsigned where, const char *nick,
                                int *value, GError **error);
/* "a, b or c": the nicks allowed `where`, for help texts and errors. */
char       *tconv_choice_nicks (const TconvChoiceList *list, unsigned where);

G_END_DECLS
