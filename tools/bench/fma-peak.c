/* FMA peak of this machine: independent fused multiply-adds on 16-float vectors
 * (one zmm with AVX-512, two ymm with AVX2) on N threads.  Built twice, with
 * -DISA_NAME=avx512 and =avx2 and the matching -m flags. */
#include <glib.h>
#include <stdio.h>

#include <stdlib.h>

typedef float vf __attribute__ ((vector_size (64)));
/* independent accumulators: 12 zmm with AVX-512; 6 (= 12 ymm) with AVX2's 16 registers */
#ifdef __AVX512F__
#define ACC 12
#else
#define ACC 6
#endif
#define STEPS 20000000

static gpointer
spin (gpointer data)
{
  vf acc[ACC], m = (vf) {} + 0.999999f, a = (vf) {} + 1e-7f;
  for (int i = 0; i < ACC; i++)
    acc[i] = (vf) {} + (float) i;
  for (long s = 0; s < STEPS; s++)
    for (int i = 0; i < ACC; i++)
      acc[i] = acc[i] * m + a;
  float sum = 0;
  for (int i = 0; i < ACC; i++)
    sum += acc[i][0];
  *(float *) data = sum; /* keep the work */
  return NULL;
}

int
main (int argc, char **argv)
{
  int       threads = argc > 1 ? atoi (argv[1]) : 2;
  GThread **t = g_new (GThread *, threads);
  float    *sink = g_new (float, threads);
  gint64    t0 = g_get_monotonic_time ();

  for (int i = 0; i < threads; i++)
    t[i] = g_thread_new ("fma", spin, &sink[i]);
  for (int i = 0; i < threads; i++)
    g_thread_join (t[i]);
  double s = (g_get_monotonic_time () - t0) / 1e6;
  printf ("%s %.1f\n", G_STRINGIFY (ISA_NAME), 2.0 * 16 * ACC * (double) STEPS * threads / s / 1e9);
  return 0;
}
