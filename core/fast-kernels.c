/* Register-blocked convolution micro-kernels, compiled once per instruction set
 * (meson builds this file with -DTCONV_ISA=portable|avx2|avx512 and the matching -m
 * flags; fast-conv.c picks one at run time).  GCC vector extensions keep one source:
 * a 16-float vector is one zmm register with AVX-512, two ymm with AVX2, four xmm
 * otherwise.
 *
 * Both kernels compute, for `rows` rows and `width` columns of one output block,
 *   out[j][r][x] = bias[j] + sum_ci sum_t w[ci][t][j] * in[ci*plane + r*pw + x + off[t]]
 * i.e. a convolution over a padded input where tap t sits at linear offset off[t].
 * conv2d (stride 1) and every phase of a transposed convolution have this form. */
#include <string.h>

#include "fast-kernels.h"

#define VL 16
typedef float vf __attribute__ ((vector_size (VL * sizeof (float))));

#define CAT2(a, b) a##_##b
#define CAT(a, b)  CAT2 (a, b)
#define NAME(n)    CAT (n, TCONV_ISA)

static inline vf
load (const float *p)
{
  vf v;
  memcpy (&v, p, sizeof v);
  return v;
}

typedef int vi __attribute__ ((vector_size (VL * sizeof (int))));

/* PReLU on a vector: v where v >= 0, slope * v elsewhere. */
static inline vf
prelu (vf v, float slope)
{
  vi neg = v < (vf) {};
  return (vf) (((vi) v & ~neg) | ((vi) (v * slope) & neg));
}

static inline void
store (float *dst, vf v, int n, int step)
{
  float tmp[VL];
  if (step == 1 && n == VL)
    {
      memcpy (dst, &v, sizeof v);
      return;
    }
  memcpy (tmp, &v, sizeof v);
  for (int i = 0; i < n; i++)
    dst[(gsize) i * step] = tmp[i];
}

/* Four output channels x two vectors: 8 accumulators, enough to hide FMA latency. */
void
NAME (tconv_kernel_cob4) (const TconvKernelArgs *a)
{
  for (int r = 0; r < a->rows; r++)
    for (int x = 0; x < a->width; x += 2 * VL)
      {
        vf           acc[4][2];
        const float *base = a->in + (gsize) r * a->pw + x;
        for (int j = 0; j < 4; j++)
          acc[j][0] = acc[j][1] = (vf) {} + a->bias[j];
        for (int ci = 0; ci < a->cin; ci++)
          {
            const float *src = base + (gsize) ci * a->plane;
            const float *wp = a->w + (gsize) ci * a->ntaps * 4;
            for (int t = 0; t < a->ntaps; t++)
              {
                vf v0 = load (src + a->off[t]), v1 = load (src + a->off[t] + VL);
                for (int j = 0; j < 4; j++)
                  {
                    float wj = wp[t * 4 + j];
                    acc[j][0] += wj * v0;
                    acc[j][1] += wj * v1;
                  }
              }
          }
        int n = a->width - x;
        if (a->slope)
          for (int j = 0; j < 4; j++)
            {
              acc[j][0] = prelu (acc[j][0], a->slope[j]);
              acc[j][1] = prelu (acc[j][1], a->slope[j]);
            }
        for (int j = 0; j < a->cob; j++)
          {
            float *dst = a->out + (gsize) j * a->out_plane + (gsize) r * a->out_row + (gsize) x * a->out_step;
            store (dst, acc[j][0], MIN (n, VL), a->out_step);
            if (n > VL)
              store (dst + (gsize) VL * a->out_step, acc[j][1], MIN (n - VL, VL), a->out_step);
          }
      }
}

/* One output channel (a network's last layer) x four vectors, input channels split
 * over two accumulator sets so eight FMAs are in flight. */
void
NAME (tconv_kernel_cob1) (const TconvKernelArgs *a)
{
  for (int r = 0; r < a->rows; r++)
    for (int x = 0; x < a->width; x += 4 * VL)
      {
        vf           acc[2][4];
        for (int v = 0; v < 4; v++)
          acc[0][v] = acc[1][v] = (vf) {};
        const float *base = a->in + (gsize) r * a->pw + x;
        for (int ci = 0; ci < a->cin; ci++)
          {
            const float *src = base + (gsize) ci * a->plane;
            const float *wp = a->w + (gsize) ci * a->ntaps;
            vf          *s = acc[ci & 1];
            for (int t = 0; t < a->ntaps; t++)
              {
                const float *p = src + a->off[t];
                float        w = wp[t];
                s[0] += w * load (p);
                s[1] += w * load (p + VL);
                s[2] += w * load (p + 2 * VL);
                s[3] += w * load (p + 3 * VL);
              }
          }
        float *dst = a->out + (gsize) r * a->out_row + (gsize) x * a->out_step;
        int    n = a->width - x;
        for (int v = 0; v < 4 && n > v * VL; v++)
          {
            vf r = acc[0][v] + acc[1][v] + a->bias[0];
            if (a->slope)
              r = prelu (r, a->slope[0]);
            store (dst + (gsize) v * VL * a->out_step, r, MIN (n - v * VL, VL), a->out_step);
          }
      }
}
