/* tconv — the super-resolution evaluation protocol of SRCNN/FSRCNN:
 * BT.601 Y from gamma-encoded RGB, modcrop, 8-bit rounding, border shave, PSNR, SSIM. */
#pragma once

#include "tensor.h"

G_BEGIN_DECLS

/* Y = (16 + 65.481 R + 128.553 G + 24.966 B) / 255 with R, G, B in [0, 1]; result in [0, 1]. */
static inline float
tconv_rgb_to_y (float r, float g, float b)
{
  return (16.0f + 65.481f * r + 128.553f * g + 24.966f * b) / 255.0f;
}

/* PSNR (peak 255) of two single-plane [1,1,H,W] images in [0, 1], each rounded to 8 bits,
 * ignoring `shave` pixels at every border. */
gboolean tconv_psnr_y (const TconvTensor *sr, const TconvTensor *hr, int shave, double *psnr,
                       GError **error);

/* Mean SSIM (Wang et al. 2004: 11x11 Gaussian, sigma 1.5, K1 0.01, K2 0.03, L 255) over
 * the same 8-bit, shaved planes. */
gboolean tconv_ssim_y (const TconvTensor *sr, const TconvTensor *hr, int shave, double *ssim,
                       GError **error);

G_END_DECLS
