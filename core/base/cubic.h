/* tconv — the cubic convolution kernel, once, for every bicubic in the code.  Two values
 * of its parameter a are in use, and they are not interchangeable:
 *   TCONV_CUBIC_A_PYTORCH: PyTorch's and OpenCV's "bicubic" (model files' "bicubic",
 *     the residual most networks were trained with);
 *   TCONV_CUBIC_A_KEYS: Keys (1981), MATLAB's imresize, kernel mode's "bicubic" and model
 *     files' "keys": it reproduces linear ramps exactly, so it adds no per-phase error. */
#pragma once

#include <math.h>

#define TCONV_CUBIC_A_PYTORCH (-0.75)
#define TCONV_CUBIC_A_KEYS    (-0.5)

static inline double
tconv_cubic (double x, double a)
{
  x = fabs (x);
  if (x <= 1.0)
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0)
    return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
  return 0.0;
}
