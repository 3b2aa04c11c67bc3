/* tconv's side of tools/bench: times the engine on a model (or a fixed kernel) over a
 * random image, prints the median, per-layer times, and writes the output for the
 * cross-engine check.
 *   bench-tconv MODEL|kernel:bicubic:S WIDTH HEIGHT CHANNELS THREADS REPEATS OUT.raw [IN.raw] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "fast-conv.h"
#include "graph.h"
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
      TconvKernelSpec spec = { TCONV_KERNEL_BICUBIC, atoi (argv[1] + strlen ("kernel:bicubic:")), 0, -1, -1, 1 };
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
  TconvRunOptions o = { 0, threads, NULL, NULL, NULL };
  double         *t = g_new (double, repeats);

  for (int r = 0; r < repeats; r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      if (!tconv_engine_run_pixels (m, &info, in, out, &o, &error))
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      t[r] = (g_get_monotonic_time () - t0) / 1e3;
    }
  qsort (t, repeats, sizeof *t, cmp_double);
  printf ("median_ms %.2f\nisa %s\n", t[repeats / 2], tconv_fast_isa ());

  /* per layer, one thread, whole image as one tensor (Y models only) */
  if (m->channels == 1 && c == 1)
    {
      TconvTensor x = { 1, 1, h, w, in };
      TconvTensor cur = x;
      gboolean    owned = FALSE;
      for (int i = 0; i < m->n_layers; i++)
        {
          TconvModel  one = *m;
          TconvTensor next;
          one.n_layers = 1;
          one.layers = &m->layers[i];
          one.channels = cur.c;
          gint64 t0 = g_get_monotonic_time ();
          if (m->layers[i].kind == TCONV_LAYER_ADD_UPSCALED_INPUT)
            break; /* needs the model input; it is the cheap last step */
          if (!tconv_graph_forward (&one, &cur, &next, &error))
            break;
          printf ("layer %d %s %.2f ms\n", i, tconv_layer_kind_name (m->layers[i].kind),
                  (g_get_monotonic_time () - t0) / 1e3);
          if (owned)
            tconv_tensor_free (&cur);
          cur = next;
          owned = TRUE;
        }
      if (owned)
        tconv_tensor_free (&cur);
    }
  FILE *f = fopen (argv[7], "wb");
  fwrite (out, sizeof (float), (gsize) ow * oh * c, f);
  fclose (f);
  return 0;
}
