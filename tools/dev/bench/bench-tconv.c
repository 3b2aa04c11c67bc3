/* tconv's side of tools/dev/bench: times the engine on a model (or a fixed kernel) over a
 * random image, prints the median, per-layer times, and writes the output for the
 * cross-engine check.
 *   bench-tconv MODEL|kernel:bicubic:S WIDTH HEIGHT CHANNELS THREADS REPEATS OUT.raw [IN.raw] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "fast-conv.h"
#include "execute.h"
#include "model-geometry.h"
#include "kernels.h"
#include "model-file.h"

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  GError     *error = NULL;
  TconvModel *m;

  if (argc < 8)
    return 2;
  int w = atoi (argv[2]), h = atoi (argv[3]), c = atoi (argv[4]), threads = atoi (argv[5]);
  int repeats = atoi (argv[6]);
  if (g_str_has_prefix (argv[1], "kernel:"))
    {
      TconvKernelSpec spec = { TCONV_INTERP_KEYS, atoi (argv[1] + strlen ("kernel:bicubic:")), 0, -1, -1, 1 };
      m = tconv_kernel_model_new (&spec, c, &error);
    }
  else
    m = tconv_model_load (argv[1], &error);
  if (m == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }

  gsize  n = (gsize) w * h * c;
  float *in = g_new (float, n);
  if (argc > 8)
    {
      FILE *f = fopen (argv[8], "rb");
      if (!f || fread (in, sizeof (float), n, f) != n)
        return 1;
      fclose (f);
    }
  else
    for (gsize i = 0; i < n; i++)
      in[i] = (float) ((i * 2654435761u) % 1000) / 1000.0f;
  int            ow, oh;
  TconvImageInfo info = { w, h, c };
  tconv_engine_output_size (m, w, h, &ow, &oh, NULL);
  float          *out = g_new (float, (gsize) ow * oh * c);
  /* BENCH_TILE overrides the automatic tile size, for tuning it */
  TconvRunOptions o = { g_getenv ("BENCH_TILE") ? atoi (g_getenv ("BENCH_TILE")) : 0, threads, NULL,
                        NULL, NULL, FALSE };
  double         *t = g_new (double, repeats);

  for (int r = 0; r < repeats; r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      /* as the CLI and plug-in run it: tiles go straight to the output buffer */
      if (!tconv_engine_run_pixels_direct (m, &info, in, out, &o, &error))
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      t[r] = (g_get_monotonic_time () - t0) / 1e3;
    }
  qsort (t, repeats, sizeof *t, cmp_double);
  /* the minimum too: on a shared VM whose speed drifts it is the steadier of the two */
  printf ("median_ms %.2f\nmin_ms %.2f\nisa %s\n", t[repeats / 2], t[0], tconv_fast_isa ());

  /* Per layer, one thread, on one tile as the engine cuts it (auto tile + halo), so
   * the numbers show where the engine's time goes.  A conv2d and the PReLU after it
   * are timed together: the engine fuses them. */
  if (m->channels == 1 && c == 1)
    {
      int halo, align, side = tconv_engine_auto_tile (m);
      tconv_model_tiling (m, &halo, &align);
      side = MIN (MIN (w, h), side + 2 * halo);
      TconvTensor cur = { 1, 1, side, side, NULL };
      if (!tconv_tensor_alloc (&cur, "tile", &error))
        return 1;
      for (int y = 0; y < side; y++)
        memcpy (cur.data + (gsize) y * side, in + (gsize) y * w, side * sizeof (float));
      printf ("tile %dx%d (halo %d)\n", side, side, halo);
      const TconvPlanOptions layer_by_layer = { .no_streaming = TRUE };
      g_autoptr (TconvPlan) plan = tconv_plan_new (m, &layer_by_layer);
      for (int s = 0; s < plan->n_steps; s++)
        {
          /* the plan's steps: conv2d + PReLU and nearest resize + conv2d run as one */
          const TconvLayer *l = plan->steps[s].layer;
          const int         n = plan->steps[s].n_layers;
          TconvModel        one = *m;
          TconvTensor       next = { 0 };
          if (l->kind == TCONV_LAYER_ADD_UPSCALED_INPUT)
            break; /* needs the model input; it is the cheap last step */
          one.n_layers = n;
          one.layers = (TconvLayer *) l;
          one.channels = cur.c;
          g_autoptr (TconvPlan) step = tconv_plan_new (&one, &layer_by_layer);
          double best = G_MAXDOUBLE;
          for (int r = 0; r < 5; r++)
            {
              tconv_tensor_free (&next);
              gint64 t0 = g_get_monotonic_time ();
              if (!tconv_plan_forward (step, &cur, &next, &error))
                return 1;
              best = MIN (best, (g_get_monotonic_time () - t0) / 1e3);
            }
          printf ("layer %d %s%s%s %dx%d->%d %.2f ms/tile\n", (int) (l - m->layers), tconv_layer_kind_name (l->kind),
                  n == 2 ? "+" : "", n == 2 ? tconv_layer_kind_name (l[1].kind) : "", cur.c,
                  l->kind == TCONV_LAYER_RESIZE ? l[1].weight.h : l->weight.h, next.c, best);
          tconv_tensor_free (&cur);
          cur = next;
        }
      tconv_tensor_free (&cur);
    }
  FILE *f = fopen (argv[7], "wb");
  fwrite (out, sizeof (float), (gsize) ow * oh * c, f);
  fclose (f);
  return 0;
}
