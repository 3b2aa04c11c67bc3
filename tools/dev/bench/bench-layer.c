/* One wide convolution layer, one thread: the fast conv2d's multiply-adds per second, to
 * hold against fma-peak's (tools/dev/bench/wide prints both in one run).
 *   bench-layer CIN COUT SIZE KERNEL REPEATS
 * Prints "layer_gmacs BEST" (giga multiply-adds per second, best of REPEATS) and the ISA.
 * BENCH_CHUNK=BYTES in the environment sets the input-channel chunk budget, for tuning it. */
#include <stdio.h>
#include <stdlib.h>

#include "fast-conv.h"

int
main (int argc, char **argv)
{
  if (argc < 6)
    return 2;
  const int cin = atoi (argv[1]), cout = atoi (argv[2]), size = atoi (argv[3]);
  const int k = atoi (argv[4]), repeats = atoi (argv[5]);
  TconvTensor in = { 1, cin, size, size, NULL }, w = { cout, cin, k, k, NULL };
  TconvTensor out = { 1, cout, size, size, NULL };
  float *bias = g_new0 (float, cout), *slopes = g_new0 (float, cout);
  TconvConv2dParams p = tconv_conv2d_params_default ();

  p.padding[0] = p.padding[1] = k / 2;
  if (!tconv_tensor_alloc (&in, "in", NULL) || !tconv_tensor_alloc (&w, "w", NULL)
      || !tconv_tensor_alloc (&out, "out", NULL))
    return 1;
  for (gsize i = 0; i < tconv_tensor_numel (&in); i++)
    in.data[i] = (float) ((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  for (gsize i = 0; i < tconv_tensor_numel (&w); i++)
    w.data[i] = (float) ((i * 40503u) % 1000) / 1000.0f - 0.5f;
  for (int c = 0; c < cout; c++)
    slopes[c] = 0.25f;

  if (g_getenv ("BENCH_CHUNK"))
    tconv_fast_set_chunk_budget (atoi (g_getenv ("BENCH_CHUNK")));
  double best = G_MAXDOUBLE;
  for (int r = 0; r < repeats; r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      if (!tconv_fast_conv2d (&in, &w, bias, &p, slopes, cout, &out))
        return 1;
      best = MIN (best, (g_get_monotonic_time () - t0) / 1e6);
    }
  double macs = (double) cin * cout * k * k * size * size;
  printf ("layer_gmacs %.1f\nisa %s\n", macs / best / 1e9, tconv_fast_isa ());
  return 0;
}
