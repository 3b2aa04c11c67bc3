/* FMA peak of this machine: independent fused multiply-adds on N threads, written with
 * intrinsics so the compiler can neither split nor unfuse them.  Built twice, with
 * -DISA_NAME=avx512 and =avx2 and the matching -m flags. */
#include <glib.h>
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>

/* Enough independent chains to cover FMA latency x pipes, in registers:
 * 24 zmm of AVX-512's 32, 12 ymm of AVX2's 16. */
#ifdef __AVX512F__
#define ACC 24
#define VEC __m512
#define LANES 16
#define FMA _mm512_fmadd_ps
#define SET1 _mm512_set1_ps
#define FIRST(v) _mm512_cvtss_f32 (v)
#define CPU_FEATURE "avx512f"
#else
#define ACC 12
#define VEC __m256
#define LANES 8
#define FMA _mm256_fmadd_ps
#define SET1 _mm256_set1_ps
#define FIRST(v) _mm256_cvtss_f32 (v)
#define CPU_FEATURE "avx2"
#endif
#define STEPS 10000000L /* per round: about 40 ms at this machine's peak */
#define ROUNDS 10

static gpointer
spin (gpointer data)
{
  VEC acc[ACC], m = SET1 (0.999999f), a = SET1 (1e-7f);
  for (int i = 0; i < ACC; i++)
    acc[i] = SET1 ((float) i);
  for (long s = 0; s < STEPS; s++)
#pragma GCC unroll 32 /* unrolled, the accumulators live in registers */
    for (int i = 0; i < ACC; i++)
      acc[i] = FMA (acc[i], m, a);
  float sum = 0;
  for (int i = 0; i < ACC; i++)
    sum += FIRST (acc[i]);
  *(float *) data = sum; /* keep the work */
  return NULL;
}

int
main (int argc, char **argv)
{
  int       threads = argc > 1 ? atoi (argv[1]) : 2;
  GThread **t = g_new (GThread *, threads);
  float    *sink = g_new (float, threads);
  double    best = 0.0;

  /* a processor without this instruction set has no peak for it (0), not a crash */
  if (!__builtin_cpu_supports (CPU_FEATURE))
    {
      fprintf (stderr, "%s: not supported by this processor\n", G_STRINGIFY (ISA_NAME));
      printf ("%s 0.0\n", G_STRINGIFY (ISA_NAME));
      return 0;
    }

  /* The best of several short rounds: on a shared VM a round that another guest slows
   * down says nothing about the machine, and the best one is the peak to be held to. */
  for (int r = 0; r < ROUNDS; r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      for (int i = 0; i < threads; i++)
        t[i] = g_thread_new ("fma", spin, &sink[i]);
      for (int i = 0; i < threads; i++)
        g_thread_join (t[i]);
      double s = (g_get_monotonic_time () - t0) / 1e6;
      best = MAX (best, 2.0 * LANES * ACC * (double) STEPS * threads / s / 1e9);
    }
  printf ("%s %.1f\n", G_STRINGIFY (ISA_NAME), best);
  g_free (t);
  g_free (sink);
  return 0;
}
