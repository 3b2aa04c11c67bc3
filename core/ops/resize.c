#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "cubic.h"
#include "resize.h"
#include "tconv-error.h"

gboolean
tconv_resize_output_len (int in, double factor, int *out, GError **error)
{
  double len = floor ((double) in * factor);

  if (!(factor > 0.0) || len < 1.0 || len > G_MAXINT)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("resize: scale factor %g of an input of %d gives an output size of %.0f; "
                   "it must be at least 1"), factor, in, len);
      return FALSE;
    }
  *out = (int) len;
  return TRUE;
}

/* One output coordinate's taps along an axis: up to 4 input indices and weights. */
typedef struct
{
  int   idx[4];
  float w[4];
} Taps;

static Taps *
axis_taps (int in, int out, double scale_factor, TconvInterp interp)
{
  /* PyTorch computes the source coordinate in float with this ratio. */
  float ratio = scale_factor > 0.0 ? (float) (1.0 / scale_factor) : (float) in / (float) out;
  Taps *t = g_new0 (Taps, out);

  for (int o = 0; o < out; o++)
    {
      Taps *tp = &t[o];
      if (interp == TCONV_INTERP_NEAREST)
        {
          tp->idx[0] = MIN ((int) floorf ((float) o * ratio), in - 1);
          tp->w[0] = 1.0f;
          continue;
        }
      float src = ((float) o + 0.5f) * ratio - 0.5f;
      if (interp == TCONV_INTERP_BILINEAR)
        {
          src = MAX (src, 0.0f);
          int   i0 = MIN ((int) src, in - 1);
          float l = src - (float) i0;
          tp->idx[0] = i0;
          tp->idx[1] = MIN (i0 + 1, in - 1);
          tp->w[0] = 1.0f - l;
          tp->w[1] = l;
          continue;
        }
      int   i0 = (int) floorf (src);
      float f = src - (float) i0;
      for (int k = 0; k < 4; k++)
        {
          tp->idx[k] = CLAMP (i0 - 1 + k, 0, in - 1);
          tp->w[k] = (float) tconv_cubic (f + 1.0f - (float) k, interp == TCONV_INTERP_KEYS
                                                                   ? TCONV_CUBIC_A_KEYS
                                                                   : TCONV_CUBIC_A_PYTORCH);
        }
    }
  return t;
}

/* The x pass of an upscale by an integer s: away from the borders output pixel s*k + p
 * reads input pixels k + d[p] .. k + d[p] + ntaps - 1 with phase p's weights, so each
 * phase is a short convolution over contiguous input and the gather disappears.  The
 * phased span is found by comparing every column's taps with the middle column's, so a
 * pixel whose weights differ by an ulp (x3: the float ratio 1/3) is gathered as before. */
enum { PHASED_MAX_S = 4, PHASED_CHUNK = 64 };

typedef struct
{
  int   s, k_lo, k_hi; /* the phased part is output [s*k_lo, s*k_hi) */
  int   d[PHASED_MAX_S];
  float w[PHASED_MAX_S][4];
} PhasedTaps;

static gboolean
taps_match (const Taps *t, int ntaps, int k, int d, const float *w)
{
  for (int b = 0; b < ntaps; b++)
    if (t->idx[b] != k + d + b || t->w[b] != w[b])
      return FALSE;
  return TRUE;
}

static gboolean
column_matches (const Taps *rx, int ntaps, const PhasedTaps *ph, int k)
{
  for (int p = 0; p < ph->s; p++)
    if (!taps_match (&rx[ph->s * k + p], ntaps, k, ph->d[p], ph->w[p]))
      return FALSE;
  return TRUE;
}

/* FALSE when the pass has no phase structure to use (a fractional or large factor, or
 * an input too narrow for an interior). */
static gboolean
phased_taps (const Taps *rx, int ntaps, int in, int out, PhasedTaps *ph)
{
  if (ntaps < 2 || out % in != 0 || out / in < 2 || out / in > PHASED_MAX_S)
    return FALSE;
  ph->s = out / in;
  int mid = in / 2;
  for (int p = 0; p < ph->s; p++)
    {
      const Taps *t = &rx[ph->s * mid + p];
      ph->d[p] = t->idx[0] - mid;
      memcpy (ph->w[p], t->w, sizeof ph->w[p]);
    }
  if (!column_matches (rx, ntaps, ph, mid))
    return FALSE;
  ph->k_lo = mid;
  while (ph->k_lo > 0 && column_matches (rx, ntaps, ph, ph->k_lo - 1))
    ph->k_lo--;
  ph->k_hi = mid + 1;
  while (ph->k_hi < in && column_matches (rx, ntaps, ph, ph->k_hi))
    ph->k_hi++;
  return TRUE;
}

static void
gather_pixels (float *restrict h, const float *restrict row, const Taps *rx, int ntaps,
               int ox0, int ox1)
{
  for (int ox = ox0; ox < ox1; ox++)
    {
      float acc = 0.0f;
      for (int b = 0; b < ntaps; b++)
        acc += rx[ox].w[b] * row[rx[ox].idx[b]];
      h[ox] = acc;
    }
}

/* Sums in the order gather_pixels uses, so the two agree to the bit. */
static inline __attribute__ ((always_inline)) void
phased_pixels_n (float *restrict h, const float *restrict row, const PhasedTaps *ph, int S,
                 int ntaps)
{
  float lane[PHASED_MAX_S][PHASED_CHUNK];

  for (int k0 = ph->k_lo; k0 < ph->k_hi; k0 += PHASED_CHUNK)
    {
      int n = MIN (PHASED_CHUNK, ph->k_hi - k0);
      for (int p = 0; p < S; p++)
        {
          const float *src = row + k0 + ph->d[p];
          for (int j = 0; j < n; j++)
            {
              float acc = 0.0f;
              for (int b = 0; b < ntaps; b++)
                acc += ph->w[p][b] * src[j + b];
              lane[p][j] = acc;
            }
        }
      float *dst = h + (gsize) S * k0;
      for (int j = 0; j < n; j++)
        for (int p = 0; p < S; p++)
          dst[S * j + p] = lane[p][j];
    }
}

__attribute__ ((target_clones ("avx512f", "avx2", "default"))) static void
phased_pixels (float *restrict h, const float *restrict row, const PhasedTaps *ph, int ntaps)
{
  if (ph->s == 2 && ntaps == 4)
    phased_pixels_n (h, row, ph, 2, 4);
  else if (ph->s == 4 && ntaps == 4)
    phased_pixels_n (h, row, ph, 4, 4);
  else if (ph->s == 2)
    phased_pixels_n (h, row, ph, 2, 2);
  else if (ph->s == 4)
    phased_pixels_n (h, row, ph, 4, 2);
  else
    phased_pixels_n (h, row, ph, 3, ntaps);
}

/* One input row resized along x. */
static void
x_pass (float *restrict h, const float *restrict row, const Taps *rx, int ntaps, int out_w,
        const PhasedTaps *ph)
{
  if (ph == NULL)
    {
      gather_pixels (h, row, rx, ntaps, 0, out_w);
      return;
    }
  gather_pixels (h, row, rx, ntaps, 0, ph->s * ph->k_lo);
  phased_pixels (h, row, ph, ntaps);
  gather_pixels (h, row, rx, ntaps, ph->s * ph->k_hi, out_w);
}

/* Output row = sum_a w[a] * h[a] (the x-resized input rows), summed in the formula's
 * order from 0; when adding, that sum is then added to the row (output + resize(input)),
 * so the result is the same to the bit as summing in passes.  One pass over the row,
 * cloned per instruction set: at x4 this is the bicubic residual's whole cost (16
 * output pixels per input pixel). */
static inline __attribute__ ((always_inline)) void
combine_n (float *restrict row, const float *const *h, const float *w, int width, gboolean add,
           int ntaps)
{
  for (int ox = 0; ox < width; ox++)
    {
      float acc = 0.0f;
      for (int a = 0; a < ntaps; a++)
        acc += w[a] * h[a][ox];
      row[ox] = add ? row[ox] + acc : acc;
    }
}

__attribute__ ((target_clones ("avx512f", "avx2", "default"))) static void
combine_rows (float *restrict row, const float *const *h, const float *w, int ntaps, int width,
              gboolean add)
{
  if (ntaps == 4)
    combine_n (row, h, w, width, add, 4);
  else if (ntaps == 2)
    combine_n (row, h, w, width, add, 2);
  else
    combine_n (row, h, w, width, add, 1);
}

static gboolean
resize (const TconvTensor *input, TconvInterp interp, double scale_y, double scale_x,
        TconvTensor *output, gboolean add, GError **error)
{
  if (output->n != input->n || output->c != input->c || output->h < 1 || output->w < 1)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("resize: output must have the input's batch and channels and a size >= 1"));
      return FALSE;
    }
  if (interp == TCONV_INTERP_LANCZOS3)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("resize: Lanczos is a fixed kernel, not a resize layer's interpolation"));
      return FALSE;
    }

  const int ntaps = interp == TCONV_INTERP_NEAREST ? 1 : interp == TCONV_INTERP_BILINEAR ? 2 : 4;
  Taps     *ry = axis_taps (input->h, output->h, scale_y, interp);
  Taps     *rx = axis_taps (input->w, output->w, scale_x, interp);
  PhasedTaps ph;
  gboolean   phased = phased_taps (rx, ntaps, input->w, output->w, &ph);

  /* Separable: every input row resized along x once, then rows combined along y.  The
   * sums run in the same order as the 2-D formula sum_a wy_a * (sum_b wx_b * x), so
   * the result is the same to the bit; the y pass runs along contiguous rows. */
  float *tmp = tconv_block_alloc ((gsize) input->h * output->w);
  if (tmp == NULL)
    {
      g_free (ry);
      g_free (rx);
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_NO_MEMORY, _("not enough memory to resize"));
      return FALSE;
    }
  for (int n = 0; n < input->n; n++)
    for (int c = 0; c < input->c; c++)
      {
        const float *src = tconv_tensor_plane (input, n, c);
        float       *dst = tconv_tensor_plane (output, n, c);

        for (int y = 0; y < input->h; y++)
          x_pass (tmp + (gsize) y * output->w, src + (gsize) y * input->w, rx, ntaps, output->w,
                  phased ? &ph : NULL);
        for (int oy = 0; oy < output->h; oy++)
          {
            const float *h[4];
            for (int a = 0; a < ntaps; a++)
              h[a] = tmp + (gsize) ry[oy].idx[a] * output->w;
            combine_rows (dst + (gsize) oy * output->w, h, ry[oy].w, ntaps, output->w, add);
          }
      }
  tconv_block_free (tmp);
  g_free (ry);
  g_free (rx);
  return TRUE;
}

static gboolean
check_shuffle (const char *op, const TconvTensor *in, const TconvTensor *out, int r,
               gboolean up, GError **error)
{
  if (r < 1)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("%s: factor must be >= 1, got %d"), op, r);
      return FALSE;
    }
  const TconvTensor *big = up ? in : out;   /* the one with C*r*r channels */
  const TconvTensor *small = up ? out : in; /* the one with C channels */
  if (big->c % (r * r) != 0 && big == in)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("%s: input channels (%d) must be divisible by factor squared (%d)"), op,
                   big->c, r * r);
      return FALSE;
    }
  if (!up && (in->h % r != 0 || in->w % r != 0))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("%s: input height and width (%d, %d) must be divisible by the factor %d"), op,
                   in->h, in->w, r);
      return FALSE;
    }
  if (out->n != in->n || small->c * r * r != big->c || small->h != big->h * r
      || small->w != big->w * r)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   _("%s: output shape [%d, %d, %d, %d] does not match the input"), op, out->n,
                   out->c, out->h, out->w);
      return FALSE;
    }
  return TRUE;
}

/* out[n, c, h*r + i, w*r + j] = in[n, c*r*r + i*r + j, h, w] */
gboolean
tconv_pixel_shuffle (const TconvTensor *input, int r, TconvTensor *output, GError **error)
{
  if (!check_shuffle ("pixel_shuffle", input, output, r, TRUE, error))
    return FALSE;
  for (int n = 0; n < output->n; n++)
    for (int c = 0; c < output->c; c++)
      for (int i = 0; i < r; i++)
        for (int j = 0; j < r; j++)
          {
            const float *src = tconv_tensor_plane (input, n, c * r * r + i * r + j);
            float       *dst = tconv_tensor_plane (output, n, c);
            for (int h = 0; h < input->h; h++)
              for (int w = 0; w < input->w; w++)
                dst[(gsize) (h * r + i) * output->w + w * r + j] = src[(gsize) h * input->w + w];
          }
  return TRUE;
}

gboolean
tconv_pixel_unshuffle (const TconvTensor *input, int r, TconvTensor *output, GError **error)
{
  if (!check_shuffle ("pixel_unshuffle", input, output, r, FALSE, error))
    return FALSE;
  for (int n = 0; n < input->n; n++)
    for (int c = 0; c < input->c; c++)
      for (int i = 0; i < r; i++)
        for (int j = 0; j < r; j++)
          {
            const float *src = tconv_tensor_plane (input, n, c);
            float       *dst = tconv_tensor_plane (output, n, c * r * r + i * r + j);
            for (int h = 0; h < output->h; h++)
              for (int w = 0; w < output->w; w++)
                dst[(gsize) h * output->w + w] = src[(gsize) (h * r + i) * input->w + w * r + j];
          }
  return TRUE;
}

gboolean
tconv_resize (const TconvTensor *input, TconvInterp interp, double scale_y, double scale_x,
              TconvTensor *output, GError **error)
{
  return resize (input, interp, scale_y, scale_x, output, FALSE, error);
}

gboolean
tconv_resize_add (const TconvTensor *input, TconvInterp interp, double scale_y, double scale_x,
                  TconvTensor *output, GError **error)
{
  return resize (input, interp, scale_y, scale_x, output, TRUE, error);
}
