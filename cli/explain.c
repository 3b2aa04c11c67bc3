/* tconv explain — what a ConvTranspose2d with these hyperparameters does, worked out with
 * the core's own rules: the output-size formula for both axes, the zeros the stride
 * inserts, the implicit zero padding, the taps each output phase receives, PyTorch's rule
 * for every value, the checkerboard index of a fixed kernel of this geometry, and (with
 * --adjoint) the gradient-of-convolution identity checked on random tensors.  --svg and
 * --png draw the dialog's figure (draw/taps-figure.c). */
#include <cairo-svg.h>
#include <math.h>
#include <stdio.h>

#include "artifacts.h"
#include "conv2d.h"
#include "engine.h"
#include "spectrum.h"
#include "explain.h"
#include "kernels.h"
#include "taps-figure.h"
#include "tconv-error.h"

typedef struct
{
  int   stride, kernel, padding, output_padding, dilation, width, height;
  char *interp, *svg, *png, *size;
  gboolean adjoint;
} Args;

/* One of PyTorch's rules on the values, printed as checked. */
static gboolean
rule (const char *text, gboolean ok, GString *why, const char *failure)
{
  printf ("   %-44s %s\n", text, ok ? "ok" : "FAILS");
  if (!ok && why->len == 0)
    g_string_assign (why, failure);
  return ok;
}

static gboolean
print_rules (const Args *a, GString *why)
{
  g_autofree char *r1 = g_strdup_printf ("stride >= 1: %d", a->stride);
  g_autofree char *r2 = g_strdup_printf ("kernel_size >= 1: %d", a->kernel);
  g_autofree char *r3 = g_strdup_printf ("dilation >= 1: %d", a->dilation);
  g_autofree char *r4 = g_strdup_printf ("padding >= 0: %d", a->padding);
  g_autofree char *r5 = g_strdup_printf ("output_padding >= 0: %d", a->output_padding);
  g_autofree char *r6 = g_strdup_printf ("output_padding < max(stride, dilation): %d < %d",
                                         a->output_padding, MAX (a->stride, a->dilation));
  printf ("7. PyTorch's rules on these values:\n");
  gboolean ok = rule (r1, a->stride >= 1, why, "stride must be at least 1");
  ok &= rule (r2, a->kernel >= 1, why, "kernel_size must be at least 1");
  ok &= rule (r3, a->dilation >= 1, why, "dilation must be at least 1");
  ok &= rule (r4, a->padding >= 0, why, "padding must not be negative");
  ok &= rule (r5, a->output_padding >= 0, why, "output_padding must not be negative");
  ok &= rule (r6, a->output_padding < MAX (a->stride, a->dilation), why,
              "output_padding must be smaller than either stride or dilation");
  return ok;
}

static void
print_size (const Args *a, const char *axis, int in, int out)
{
  printf ("   %s: (%d-1)*%d - 2*%d + %d*(%d-1) + %d + 1 = %d\n", axis, in, a->stride, a->padding,
          a->dilation, a->kernel, a->output_padding, out);
}

static void
print_geometry (const Args *a, int out_w, int out_h)
{
  int implicit = a->dilation * (a->kernel - 1) - a->padding;
  printf ("1. Zero insertion: stride %d puts %d zero%s between neighbouring input pixels:\n"
          "   %d x %d pixels become (%d-1)*%d+1 x (%d-1)*%d+1 = %d x %d.\n",
          a->stride, a->stride - 1, a->stride - 1 == 1 ? "" : "s", a->width, a->height, a->width,
          a->stride, a->height, a->stride, (a->width - 1) * a->stride + 1,
          (a->height - 1) * a->stride + 1);
  printf ("2. Implicit zero padding: dilation*(kernel-1) - padding = %d*(%d-1) - %d = %d on each "
          "side%s%s.\n",
          a->dilation, a->kernel, a->padding, implicit,
          implicit < 0 ? " (negative: the result is cropped instead)" : "",
          a->output_padding ? ", plus output_padding on the bottom and right" : "");
  printf ("3. A stride-1 convolution of that with the kernel flipped gives the output:\n"
          "   H_out = (H_in-1)*stride - 2*padding + dilation*(kernel-1) + output_padding + 1\n");
  print_size (a, "H", a->height, out_h);
  print_size (a, "W", a->width, out_w);
}

/* The figure of this geometry; `fixed`: with the weights of the fixed kernel `spec`. */
static TconvTapsFigure
figure_of (const Args *a, const TconvKernelSpec *spec)
{
  TconvTapsFigure f = { FALSE, a->stride, a->kernel, a->padding, a->dilation, spec != NULL, { 0 } };
  if (spec)
    tconv_kernel_taps (spec, f.weights);
  return f;
}

/* Why the phases get different numbers of taps: tap k lands on phase (k*dilation -
 * padding) mod stride, so a dilation sharing a factor g with the stride reaches only
 * every g-th phase; otherwise the taps cycle through the phases, evenly when the kernel
 * is a multiple of the stride. */
static void
print_cause (const Args *a)
{
  int g = a->stride, d = a->dilation;
  while (d)
    {
      int t = g % d;
      g = d, d = t;
    }
  if (g > 1 && a->dilation == a->stride)
    printf ("   (dilation %d = stride %d: every tap lands on the same phase)\n", a->dilation,
            a->stride);
  else if (g > 1)
    printf ("   (dilation %d and stride %d share the factor %d: the taps reach every %d%s phase "
            "only)\n", a->dilation, a->stride, g, g, g == 2 ? "nd" : g == 3 ? "rd" : "th");
  else if (a->kernel % a->stride != 0)
    printf ("   (kernel %d is not a multiple of stride %d)\n", a->kernel, a->stride);
}

/* 4. The structure: which taps reach each phase, whatever their weights. */
static void
print_taps (const Args *a)
{
  TconvTapsFigure f = figure_of (a, NULL);
  g_autofree int *k = g_new (int, a->kernel);
  int             lo = G_MAXINT, hi = 0;
  printf ("4. Structure: the kernel taps that reach each output phase (output index mod %d), "
          "away from the borders:\n", a->stride);
  for (int r = 0; r < a->stride; r++)
    {
      int n = tconv_taps_figure_phase (&f, r, k);
      printf ("   phase %d:", r);
      for (int i = 0; i < n; i++)
        printf (" k%d", k[i]);
      printf ("%s (%d tap%s)\n", n ? "" : " none", n, n == 1 ? "" : "s");
      lo = MIN (lo, n), hi = MAX (hi, n);
    }
  g_autofree char *structure = tconv_taps_figure_structure (&f);
  printf ("   %s (rows x columns)\n", structure);
  print_cause (a);
  printf (lo == hi ? "   Even overlap leaves the weights to decide: equal phase sums, no "
                     "checkerboard.\n"
                   : "   A learned kernel checkerboards here unless its weights make every phase's "
                     "sum equal.\n");
}

/* "k0 + k2 = 0.2857 + 0.8571 = 1.1429": the weights of phase r, added up. */
static void
print_phase_sum (const TconvTapsFigure *f, int r)
{
  int n, k[64]; /* a fixed kernel has at most 64 taps */
  n = tconv_taps_figure_phase (f, r, k);
  printf ("   phase %d: ", r);
  for (int i = 0; i < n; i++)
    printf ("%sk%d", i ? " + " : "", k[i]);
  if (n > 1)
    for (int i = 0; i < n; i++)
      printf ("%s%.4f", i ? " + " : " = ", f->weights[k[i]]);
  printf ("%s%.4f\n", n ? " = " : "none = ", tconv_taps_figure_phase_sum (f, r));
}

/* 5. This kernel: its weights, each phase's sum, the flat image's checkerboard worked
 * out from them, and the index `tconv artifacts` measures. */
static void
print_kernel (const Args *a)
{
  TconvKernelSpec spec = { TCONV_INTERP_KEYS, a->stride, a->kernel, a->padding,
                           a->output_padding, a->dilation };
  g_autoptr (GError) error = NULL;
  double flat, ramp, lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE;
  int    p, op;
  if (!tconv_kernel_shape_parse (a->interp, &spec.shape, &error)
      || !tconv_kernel_spec_resolve (&spec, &error))
    {
      printf ("5. A fixed %s kernel: %s\n", a->interp, error->message);
      return;
    }
  TconvTapsFigure f = figure_of (a, &spec);
  tconv_same_scale_padding (spec.kernel, spec.stride, spec.dilation, &p, &op);
  printf ("5. This kernel: %s, sampled for the automatic padding %d (the padding does not change "
          "its weights):\n  ", a->interp, p);
  for (int k = 0; k < a->kernel; k++)
    printf ("%s k%d %.4f", k && k % 6 == 0 ? "\n  " : "", k, f.weights[k]);
  printf ("\n");
  for (int r = 0; r < a->stride; r++)
    print_phase_sum (&f, r);
  for (int r = 0; r < a->stride; r++)
    for (int c = 0; c < a->stride; c++)
      {
        double v = tconv_taps_figure_phase_sum (&f, r) * tconv_taps_figure_phase_sum (&f, c);
        lo = MIN (lo, v), hi = MAX (hi, v);
      }
  double flo = CLAMP (0.5 * lo, 0.0, 1.0), fhi = CLAMP (0.5 * hi, 0.0, 1.0);
  printf ("   2-D phase sums (row sum x column sum): %.4f to %.4f\n"
          "   A flat 0.5 gray comes out as 0.5 x those%s: %.4f to %.4f, a spread of\n"
          "   %.4f x 255 = %.3f (1/255): the checkerboard index on a flat image.\n",
          lo, hi, flo != 0.5 * lo || fhi != 0.5 * hi ? ", clipped to 0..1 as pixels are" : "",
          flo, fhi, fhi - flo, (fhi - flo) * 255);
  g_autoptr (TconvModel) m = tconv_kernel_model_new (&spec, 1, &error);
  if (m && tconv_checkerboard_index (m, &flat, &ramp, &error))
    {
      printf ("   checkerboard index (tconv artifacts): %.3f (1/255; flat %.3f, ramp %.3f)\n",
              MAX (flat, ramp), flat, ramp);
      if (ramp >= 0.0005 && ramp > 2 * flat)
        printf ("   (on the ramp the phases also differ in where their weights are centred)\n");
    }
  else
    printf ("   checkerboard index: %s\n", error->message);
  g_autofree char *verdict = tconv_taps_figure_kernel (&f);
  g_autofree char *placement = tconv_kernel_placement_text (&spec);
  printf ("   %s\n6. %s.\n", verdict, placement);
}

/* A transposed convolution is the adjoint of the convolution with the same weight:
 * <conv_transpose2d(x), z> = <x, conv2d(z)> for every x and z (PyTorch computes conv2d's
 * input gradient with it). */
static gboolean
print_adjoint (const Args *a, GError **error)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (1);
  TconvConvTranspose2dParams t = tconv_conv_transpose2d_params_default ();
  TconvConv2dParams          c = tconv_conv2d_params_default ();
  TconvTensor x = { 1, 2, a->height, a->width, NULL }, w = { 2, 3, a->kernel, a->kernel, NULL };
  TconvTensor y = { 0 }, z = { 0 }, back = { 0 };
  gboolean    ok;

  t.stride[0] = t.stride[1] = c.stride[0] = c.stride[1] = a->stride;
  t.padding[0] = t.padding[1] = c.padding[0] = c.padding[1] = a->padding;
  t.dilation[0] = t.dilation[1] = c.dilation[0] = c.dilation[1] = a->dilation;
  t.output_padding[0] = t.output_padding[1] = a->output_padding;
  ok = tconv_tensor_alloc (&x, "x", error) && tconv_tensor_alloc (&w, "w", error)
       && tconv_conv_transpose2d_shape (&x, &w, -1, &t, &y, error)
       && tconv_tensor_alloc (&y, "y", error);
  if (ok)
    {
      tconv_tensor_fill_random (&x, r), tconv_tensor_fill_random (&w, r);
      z = (TconvTensor) { y.n, y.c, y.h, y.w, NULL };
      ok = tconv_tensor_alloc (&z, "z", error) && tconv_conv_transpose2d (&x, &w, NULL, -1, &t, &y, error);
    }
  /* conv2d reads the same weight as [C_out = 2, C_in = 3, k, k] */
  if (ok)
    {
      tconv_tensor_fill_random (&z, r);
      ok = tconv_conv2d_shape (&z, &w, -1, &c, &back, error) && tconv_tensor_alloc (&back, "back", error)
           && tconv_conv2d (&z, &w, NULL, -1, &c, &back, error);
    }
  if (ok && (back.h != x.h || back.w != x.w))
    printf ("8. Adjoint check: conv2d maps the output back to %dx%d, not %dx%d (output_padding "
            "rows it cannot see)\n", back.w, back.h, x.w, x.h);
  else if (ok)
    {
      double lhs = tconv_tensor_dot (&y, &z), rhs = tconv_tensor_dot (&x, &back);
      printf ("8. The gradient view, checked on random tensors (x: 1x2x%dx%d, weight 2x3x%dx%d):\n"
              "   <conv_transpose2d(x, w), z> = %.4f\n   <x, conv2d(z, w)>           = %.4f\n"
              "   equal to float rounding: %s\n", a->height, a->width, a->kernel, a->kernel, lhs,
              rhs, fabs (lhs - rhs) <= 1e-4 * MAX (1.0, fabs (lhs)) ? "yes" : "NO");
    }
  tconv_tensor_free (&x), tconv_tensor_free (&w), tconv_tensor_free (&y);
  tconv_tensor_free (&z), tconv_tensor_free (&back);
  return ok;
}

/* What the geometry does to an image: a fixed kernel of it (a->interp) upscales a gentle
 * ramp; the figure shows the output minus the exact ramp as one period of per-phase
 * means (what the checkerboard index spreads) and as a spectrum.  The input is large
 * enough that the spectrum's square lies clear of the image's borders, and the square's
 * mean and slope are taken out (either would draw a cross through the centre).  FALSE when
 * the kernel cannot be built (the figure then has the taps only). */
typedef struct
{
  double means[64]; /* s x s, in 1/255 */
  float *spectrum;  /* n x n */
  int    n;
} GeometryPlanes;

/* Takes the mean and the slope of the centred n x n square out of the w x h plane of an
 * upscaling by s: a slope is a function of x plus one of y, whose spectrum is a cross
 * along both axes.  The slope is fitted with one intercept per phase (least squares), so
 * the per-phase pattern, the checkerboard, stays exactly as it is. */
static void
detrend (float *v, int w, int h, int n, int s)
{
  const int x0 = (w - n) / 2, y0 = (h - n) / 2;
  double    centre[8] = { 0 }, fx = 0.0, fy = 0.0, var = 0.0, mean = 0.0;
  int       count[8] = { 0 };

  for (int i = 0; i < n; i++) /* each phase's mean coordinate */
    centre[(x0 + i) % s] += i, count[(x0 + i) % s]++;
  for (int r = 0; r < s; r++)
    centre[r] /= MAX (count[r], 1);
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++)
      {
        double f = v[(gsize) (y0 + y) * w + x0 + x];
        double u = x - centre[(x0 + x) % s], t = y - centre[(y0 + y) % s];
        fx += f * u, fy += f * t, var += u * u;
      }
  fx /= var, fy /= var; /* the square's x and y deviations have the same sum of squares */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      v[(gsize) y * w + x] -= (float) (fx * (x - x0) + fy * (y - y0));
  double weight = 0.0; /* the mean the spectrum sees, through its Hann window */
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++)
      {
        double win = (0.5 - 0.5 * cos (2 * G_PI * (y + 0.5) / n))
                     * (0.5 - 0.5 * cos (2 * G_PI * (x + 0.5) / n));
        mean += win * v[(gsize) (y0 + y) * w + x0 + x], weight += win;
      }
  mean /= weight;
  for (gsize i = 0; i < (gsize) w * h; i++)
    v[i] -= (float) mean;
}

static gboolean
geometry_planes (const Args *a, GeometryPlanes *p)
{
  TconvKernelSpec spec = { TCONV_INTERP_KEYS, a->stride, a->kernel, a->padding,
                           a->output_padding, a->dilation };
  const int       s = a->stride, n = 128 / s + 32, margin = 12 * s; /* input pixels; output */
  int             w, h, before = 0, after, count[64] = { 0 };
  g_autoptr (TconvModel) m = tconv_kernel_shape_parse (a->interp, &spec.shape, NULL)
                               ? tconv_kernel_model_new (&spec, 1, NULL) : NULL;
  if (m == NULL || s > 8 || !tconv_engine_output_size (m, n, n, &w, &h, NULL))
    return FALSE;
  tconv_kernel_spec_resolve (&spec, NULL);
  tconv_kernel_placement (&spec, &before, &after);
  float         *in = g_new (float, (gsize) n * n), *out = g_new (float, (gsize) w * h);
  TconvImageInfo info = { n, n, 1 };
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++)
      in[y * n + x] = 0.5f + 0.15f / n * ((x - n / 2.0f) + (y - n / 2.0f));
  gboolean ok = tconv_engine_run_pixels (m, &info, in, out, NULL, NULL);
  /* output pixel X is the centred result's X - before, at input (X - before + 0.5)/s - 0.5 */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        int   cy = y - before, cx = x - before;
        float ideal = 0.5f + 0.15f / n * (((cx + 0.5f) / s - 0.5f - n / 2.0f)
                                          + ((cy + 0.5f) / s - 0.5f - n / 2.0f));
        float *v = &out[(gsize) y * w + x];
        *v -= ideal;
        if (cy >= margin && cx >= margin && cy < n * s - margin && cx < n * s - margin)
          {
            p->means[(cy % s) * s + cx % s] += *v * 255.0;
            count[(cy % s) * s + cx % s]++;
          }
      }
  for (int i = 0; i < s * s; i++)
    p->means[i] /= MAX (count[i], 1);
  p->n = tconv_spectrum_side (w, h, 32); /* bins large enough to see in the figure */
  p->spectrum = g_new (float, (gsize) p->n * p->n);
  detrend (out, w, h, p->n, s);
  if (ok)
    tconv_spectrum (out, NULL, w, h, p->n, p->spectrum);
  g_free (in), g_free (out);
  return ok;
}

static double
draw_figure (cairo_t *cr, const Args *a, const GeometryPlanes *p, gboolean planes, double width)
{
  TconvKernelSpec spec = { TCONV_INTERP_KEYS, a->stride, a->kernel, a->padding,
                           a->output_padding, a->dilation };
  gboolean        fixed = tconv_kernel_shape_parse (a->interp, &spec.shape, NULL)
                   && tconv_kernel_spec_resolve (&spec, NULL);
  TconvTapsFigure f = figure_of (a, fixed ? &spec : NULL);
  double          y = tconv_taps_figure_draw (cr, width, &f);
  if (!planes)
    return y;
  const double side = (width - 30) / 2;
  g_autofree char *caption = g_strdup_printf ("%s: phase means", a->interp);
  tconv_draw_phase_means (cr, 10, y + 16, side, p->means, a->stride, caption);
  tconv_draw_plane (cr, 20 + side, y + 16, side, p->spectrum, p->n, p->n, "spectrum, peaks at k/s");
  tconv_draw_stride_marks (cr, 20 + side, y + 16, side, p->n, a->stride);
  cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
  cairo_move_to (cr, 10, y + 30 + side);
  cairo_show_text (cr, "(output - exact ramp, in 1/255; red above, blue below)");
  return y + 38 + side;
}

/* The dialog's figure, and what it does to a ramp, into an SVG or PNG file. */
static gboolean
write_figure (const Args *a, const char *path, gboolean svg, GError **error)
{
  const double    width = 320;
  GeometryPlanes  p = { 0 };
  gboolean        planes = geometry_planes (a, &p);
  cairo_surface_t *probe = cairo_recording_surface_create (CAIRO_CONTENT_COLOR_ALPHA, NULL);
  cairo_t         *cr = cairo_create (probe);
  double           height = draw_figure (cr, a, &p, planes, width);
  cairo_destroy (cr);
  cairo_surface_destroy (probe);

  cairo_surface_t *s = svg ? cairo_svg_surface_create (path, width, height)
                           : cairo_image_surface_create (CAIRO_FORMAT_RGB24, (int) (2 * width),
                                                         (int) ceil (2 * height));
  cr = cairo_create (s);
  if (!svg)
    cairo_scale (cr, 2, 2);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  draw_figure (cr, a, &p, planes, width);
  cairo_destroy (cr);
  g_free (p.spectrum);
  cairo_status_t st = svg ? (cairo_surface_finish (s), cairo_surface_status (s))
                          : cairo_surface_write_to_png (s, path);
  cairo_surface_destroy (s);
  if (st != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "cannot write %s: %s", path,
                   cairo_status_to_string (st));
      return FALSE;
    }
  printf ("figure: %s\n", path);
  return TRUE;
}

static gboolean
parse_args (int argc, char **argv, Args *a, GError **error)
{
  GOptionEntry entries[] = {
    { "stride", 0, 0, G_OPTION_ARG_INT, &a->stride, "Stride (default 2)", "S" },
    { "kernel", 0, 0, G_OPTION_ARG_INT, &a->kernel, "Kernel size (default 4)", "K" },
    { "padding", 0, 0, G_OPTION_ARG_INT, &a->padding, "Padding (default 1)", "P" },
    { "output-padding", 0, 0, G_OPTION_ARG_INT, &a->output_padding, "Output padding (default 0)", "P" },
    { "dilation", 0, 0, G_OPTION_ARG_INT, &a->dilation, "Dilation (default 1)", "D" },
    { "size", 0, 0, G_OPTION_ARG_STRING, &a->size, "Input size (default 4x4)", "WxH" },
    { "interp", 0, 0, G_OPTION_ARG_STRING, &a->interp,
      "Kernel whose checkerboard index is shown (default bilinear)", "NAME" },
    { "adjoint", 0, 0, G_OPTION_ARG_NONE, &a->adjoint, "Check the gradient identity numerically", NULL },
    { "svg", 0, 0, G_OPTION_ARG_FILENAME, &a->svg, "Draw the figure into an SVG file", "FILE" },
    { "png", 0, 0, G_OPTION_ARG_FILENAME, &a->png, "Draw the figure into a PNG file", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- what a ConvTranspose2d does");
  *a = (Args) { 2, 4, 1, 0, 1, 4, 4, NULL, NULL, NULL, NULL, FALSE };
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, error))
    return FALSE;
  if (a->size && sscanf (a->size, "%dx%d", &a->width, &a->height) != 2)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "--size takes WIDTHxHEIGHT, got \"%s\"", a->size);
      return FALSE;
    }
  if (a->width < 1 || a->height < 1 || a->width > 65536 || a->height > 65536)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "the input size must be from 1x1 to 65536x65536, got %dx%d", a->width, a->height);
      return FALSE;
    }
  if (!a->interp)
    a->interp = g_strdup (tconv_kernel_shape_name (TCONV_INTERP_BILINEAR)); /* bilinear */
  return TRUE;
}

static void
args_clear (Args *a)
{
  g_free (a->interp), g_free (a->svg), g_free (a->png), g_free (a->size);
}

gboolean
tconv_cmd_explain (int argc, char **argv, GError **error)
{
  Args     a;
  gboolean ok;
  int      out_w = 0, out_h = 0;

  if (!parse_args (argc, argv, &a, error))
    return FALSE;
  printf ("ConvTranspose2d(kernel_size=%d, stride=%d, padding=%d, output_padding=%d, "
          "dilation=%d) on a %dx%d input\n\n", a.kernel, a.stride, a.padding, a.output_padding,
          a.dilation, a.width, a.height);
  g_autoptr (GString) why = g_string_new (NULL);
  GError *size_error = NULL;
  gboolean rules = a.stride >= 1 && a.kernel >= 1 && a.dilation >= 1;
  ok = rules && tconv_conv_transpose2d_output_len (a.width, a.kernel, a.stride, a.padding,
                                                   a.output_padding, a.dilation, &out_w, &size_error)
       && tconv_conv_transpose2d_output_len (a.height, a.kernel, a.stride, a.padding,
                                             a.output_padding, a.dilation, &out_h, &size_error);
  if (ok)
    {
      print_geometry (&a, out_w, out_h);
      print_taps (&a);
      print_kernel (&a);
    }
  ok = print_rules (&a, why) && ok;
  if (ok && a.adjoint)
    ok = print_adjoint (&a, error);
  else if (!ok)
    {
      if (size_error && why->len == 0)
        g_string_assign (why, size_error->message);
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "PyTorch refuses this layer: %s", why->str);
    }
  g_clear_error (&size_error);
  ok = ok && (!a.svg || write_figure (&a, a.svg, TRUE, error))
       && (!a.png || write_figure (&a, a.png, FALSE, error));
  args_clear (&a);
  return ok;
}
