/* tconv dialog — what the preview shows, computed off the main loop: one crop of the
 * layer upscaled by each method, with the analyses the artifacts need (the checkerboard
 * map and the spectrum of the detail) and each method's checkerboard index.  GEGL and
 * the core only; no GTK, so it runs in a worker thread. */
#pragma once

#include "catalog.h"

G_BEGIN_DECLS

typedef enum
{
  TCONV_TILE_SETTINGS,    /* what the dialog's settings make */
  TCONV_TILE_GIMP_CUBIC,  /* GIMP's cubic scaling (gegl:scale-ratio, cubic sampler) */
  TCONV_TILE_TRANSPOSED,  /* the default transposed model of the scale */
  TCONV_TILE_RESIZE_CONV, /* its resize+conv twin */
  TCONV_TILE_KERNEL,      /* the kernel-mode geometry (the dialog's, or the defaults) */
  TCONV_N_TILE_KINDS
} TconvTileKind;

typedef struct
{
  TconvTileKind kind;
  char         *label;      /* "fsrcnn-x2 (transposed)" */
  char         *error;      /* why this method could not run, or NULL */
  int           w, h;       /* output size */
  int           scale;
  float        *rgba;       /* w * h * 4, R'G'B'A */
  float        *map;        /* w * h: the checkerboard map (0.5 = even) */
  float        *spectrum;   /* spectrum_n^2: tconv_spectrum of Y minus a smooth reference */
  int           spectrum_n;
  double        index;      /* checkerboard index, 1/255 (max of flat and ramp); < 0: none */
} TconvTile;

typedef struct
{
  TconvSettings settings;  /* settings.model points at `model` */
  char         *model;
  GPtrArray    *catalog;   /* a reference, read once by the dialog */
  const char   *installed;
  float        *input;     /* in_w * in_h R'G'B'A crop of the layer */
  int           in_w, in_h;
  gboolean      compare;   /* every method, or only the settings' */
  gint         *cancel;    /* a g_atomic_rc_box: non-zero stops the work */
  TconvTile     tiles[TCONV_N_TILE_KINDS];
  int           n_tiles;
} TconvTileJob;

void tconv_tile_job_compute (TconvTileJob *job);
void tconv_tile_job_free    (TconvTileJob *job);

G_END_DECLS
