#include <glib/gi18n-lib.h>
#include <math.h>

#include "conv-transpose2d.h"
#include "taps-figure.h"

#define PERIODS 3  /* output periods shown per axis */
#define FAR_IN  64 /* a long input, so the cells shown are away from its borders */

int
tconv_taps_figure_taps (const TconvTapsFigure *f, int o)
{
  if (f->resize_conv)
    return f->kernel;
  return tconv_conv_transpose2d_taps (o, FAR_IN, f->kernel, f->stride, f->padding, f->dilation);
}

int
tconv_taps_figure_phase (const TconvTapsFigure *f, int r, int *k)
{
  int n = 0;

  /* output o (o mod stride = r) gets tap j from input (o + padding - j*dilation) / stride
   * when that divides */
  for (int j = 0; j < f->kernel; j++)
    if (f->resize_conv
        || ((r + f->padding - j * f->dilation) % f->stride + f->stride) % f->stride == 0)
      {
        if (k)
          k[n] = j;
        n++;
      }
  return n;
}

double
tconv_taps_figure_phase_sum (const TconvTapsFigure *f, int r)
{
  int    k[64], n = f->kernel <= 64 ? tconv_taps_figure_phase (f, r, k) : 0; /* fixed: <= 64 */
  double sum = 0.0;

  for (int i = 0; i < n; i++)
    sum += f->weights[k[i]];
  return sum;
}

char *
tconv_taps_figure_structure (const TconvTapsFigure *f)
{
  int lo = G_MAXINT, hi = 0;

  for (int r = 0; r < f->stride; r++)
    {
      int n = tconv_taps_figure_phase (f, r, NULL);
      lo = MIN (lo, n), hi = MAX (hi, n);
    }
  return lo == hi ? g_strdup_printf (_("structure: %d taps per pixel: even overlap"), lo * lo)
                  : g_strdup_printf (_("structure: %d..%d taps per pixel: uneven overlap"), lo * lo,
                                     hi * hi);
}

char *
tconv_taps_figure_kernel (const TconvTapsFigure *f)
{
  double lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE;

  if (!f->fixed)
    return NULL;
  for (int r = 0; r < f->stride; r++)
    {
      double sum = tconv_taps_figure_phase_sum (f, r);
      lo = MIN (lo, sum), hi = MAX (hi, sum);
    }
  /* equal when a flat image's phases would differ by less than 0.0005/255 */
  return (hi - lo) * (hi + lo) * 127.5 < 5e-4
           ? g_strdup_printf (_("this kernel: phase sums all %.3f: flat areas even"), hi)
           : g_strdup_printf (_("this kernel: phase sums %.3f..%.3f: checkerboard"), lo, hi);
}

/* 1. the upsampled input: real pixels every `stride` cells, inserted zeros between;
 * 2. the kernel under it: taps every `dilation` cells, a fixed kernel's as bars as high
 * as their weights (red where negative), with a legend. */
static double
draw_strip (cairo_t *cr, const TconvTapsFigure *f, int n, double cell, double x0)
{
  const double strip_y = 18;
  cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, 10);
  cairo_move_to (cr, x0, 11);
  cairo_show_text (cr, f->resize_conv ? _("input repeated by the resize")
                                      : _("input with inserted zeros (hollow)"));
  cairo_set_line_width (cr, 1.0);
  for (int j = 0; j < n; j++)
    {
      cairo_new_sub_path (cr);
      cairo_arc (cr, x0 + (j + 0.5) * cell, strip_y + cell / 2, cell * 0.3, 0, 2 * G_PI);
      if (f->resize_conv || j % f->stride == 0)
        cairo_fill (cr);
      else
        cairo_stroke (cr);
    }
  const double ky = strip_y + cell + 6, kh = f->fixed ? 18 : 6;
  const int    step = f->resize_conv ? 1 : f->dilation;
  const int    span = f->resize_conv ? f->kernel : f->dilation * (f->kernel - 1) + 1;
  double       peak = 0.0;
  gboolean     negative = FALSE;
  for (int k = 0; f->fixed && k < f->kernel; k++)
    peak = MAX (peak, fabs (f->weights[k])), negative |= f->weights[k] < 0;
  cairo_set_source_rgb (cr, 0.1, 0.4, 0.8);
  cairo_rectangle (cr, x0 + 0.5, ky, MIN (span, n) * cell - 1, kh);
  cairo_stroke (cr);
  for (int k = 0; k < f->kernel && k * step < n; k++)
    {
      double h = f->fixed ? (kh - 2) * (peak > 0 ? fabs (f->weights[k]) / peak : 0) : kh;
      if (f->fixed && f->weights[k] < 0)
        cairo_set_source_rgb (cr, 0.85, 0.2, 0.15);
      else
        cairo_set_source_rgb (cr, 0.1, 0.4, 0.8);
      cairo_rectangle (cr, x0 + (k * step + 0.3) * cell, ky + kh - h, cell * 0.4, h);
      cairo_fill (cr);
    }
  g_autofree char *legend
    = !f->fixed ? g_strdup_printf (_("blue: the kernel's %d taps, %d apart"), f->kernel, step)
      : negative ? g_strdup_printf (_("kernel: %d taps, %d apart (height: weight, red < 0)"),
                                    f->kernel, step)
                 : g_strdup_printf (_("kernel: %d taps, %d apart (bar height: weight)"), f->kernel,
                                    step);
  cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
  cairo_move_to (cr, x0, ky + kh + 12);
  cairo_show_text (cr, legend);
  return ky + kh + 20;
}

static void
taps_range (const TconvTapsFigure *f, int n, int o0, double *lo, double *hi, double *mean)
{
  *lo = G_MAXDOUBLE, *hi = 0, *mean = 0;
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++)
      {
        double c = (double) tconv_taps_figure_taps (f, o0 + y) * tconv_taps_figure_taps (f, o0 + x);
        *lo = MIN (*lo, c), *hi = MAX (*hi, c), *mean += c / (n * n);
      }
}

/* 3. taps per output pixel, 2-D: rows x columns of phases, red above the mean, blue below. */
static void
draw_grid (cairo_t *cr, const TconvTapsFigure *f, int n, int o0, double cell, double x0, double gy,
           double lo, double hi, double mean)
{
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++)
      {
        int    c = tconv_taps_figure_taps (f, o0 + y) * tconv_taps_figure_taps (f, o0 + x);
        double d = hi > lo ? (c - mean) / (hi - lo) : 0.0; /* -1..1: even overlap is white */
        cairo_set_source_rgb (cr, d > 0 ? 1.0 : 1.0 + d, 1.0 - fabs (d), d < 0 ? 1.0 : 1.0 - d);
        cairo_rectangle (cr, x0 + x * cell, gy + y * cell, cell, cell);
        cairo_fill_preserve (cr);
        cairo_set_source_rgb (cr, 0.75, 0.75, 0.75);
        cairo_set_line_width (cr, 0.5);
        cairo_stroke (cr);
        if (cell >= 14)
          {
            char txt[16];
            g_snprintf (txt, sizeof txt, "%d", c);
            cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
            cairo_move_to (cr, x0 + x * cell + 3, gy + y * cell + cell - 4);
            cairo_show_text (cr, txt);
          }
      }
}

double
tconv_taps_figure_draw (cairo_t *cr, double width, const TconvTapsFigure *f)
{
  const int    s = MAX (1, f->stride), n = PERIODS * s, o0 = 8 * s; /* first output shown */
  const double cell = MIN (22.0, (width - 20.0) / n), x0 = 10;
  double       lo, hi, mean;

  cairo_save (cr);
  double gy = draw_strip (cr, f, n, cell, x0);
  taps_range (f, n, o0, &lo, &hi, &mean);
  draw_grid (cr, f, n, o0, cell, x0, gy, lo, hi, mean);
  g_autofree char *structure = tconv_taps_figure_structure (f);
  g_autofree char *kernel = tconv_taps_figure_kernel (f);
  cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
  cairo_move_to (cr, x0, gy + n * cell + 13);
  cairo_show_text (cr, structure);
  if (kernel)
    {
      cairo_move_to (cr, x0, gy + n * cell + 26);
      cairo_show_text (cr, kernel);
    }
  cairo_restore (cr);
  return gy + n * cell + (kernel ? 32 : 19);
}

void
tconv_draw_plane (cairo_t *cr, double x, double y, double side, const float *values, int w,
                  int h, const char *caption)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  guint8          *d = cairo_image_surface_get_data (s);
  const int        stride = cairo_image_surface_get_stride (s);

  for (int j = 0; j < h; j++)
    for (int i = 0; i < w; i++)
      {
        guint32 g = (guint32) (CLAMP (values[(gsize) j * w + i], 0.0f, 1.0f) * 255 + 0.5);
        *(guint32 *) (void *) (d + (gsize) j * stride + 4 * i) = g << 16 | g << 8 | g;
      }
  cairo_surface_mark_dirty (s);
  cairo_save (cr);
  cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, 10);
  cairo_move_to (cr, x, y - 4);
  cairo_show_text (cr, caption);
  cairo_translate (cr, x, y);
  cairo_scale (cr, side / w, side / w);
  cairo_set_source_surface (cr, s, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_paint (cr);
  cairo_restore (cr);
  cairo_surface_destroy (s);
}

void
tconv_draw_phase_means (cairo_t *cr, double x, double y, double side, const double *means, int s,
                        const char *caption)
{
  const double cell = side / s;
  double       avg = 0.0, reach = 0.0;

  for (int i = 0; i < s * s; i++)
    avg += means[i] / (s * s);
  for (int i = 0; i < s * s; i++)
    reach = MAX (reach, fabs (means[i] - avg));
  cairo_save (cr);
  cairo_set_font_size (cr, 10);
  cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
  cairo_move_to (cr, x, y - 4);
  cairo_show_text (cr, caption);
  for (int r = 0; r < s; r++)
    for (int c = 0; c < s; c++)
      {
        double d = reach > 5e-4 ? (means[r * s + c] - avg) / reach : 0.0; /* -1..1 */
        cairo_set_source_rgb (cr, d > 0 ? 1.0 : 1.0 + d, 1.0 - fabs (d), d < 0 ? 1.0 : 1.0 - d);
        cairo_rectangle (cr, x + c * cell, y + r * cell, cell, cell);
        cairo_fill_preserve (cr);
        cairo_set_source_rgb (cr, 0.75, 0.75, 0.75);
        cairo_set_line_width (cr, 0.5);
        cairo_stroke (cr);
        if (cell >= 30)
          {
            char txt[24];
            /* no "-0.0": what rounds to zero is shown as zero */
            double m = means[r * s + c];
            g_snprintf (txt, sizeof txt, "%+.1f", fabs (m) < 0.05 ? 0.0 : m);
            cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
            cairo_move_to (cr, x + c * cell + 4, y + r * cell + cell / 2 + 4);
            cairo_show_text (cr, txt);
          }
      }
  cairo_restore (cr);
}

void
tconv_draw_stride_marks (cairo_t *cr, double x, double y, double side, int n, int s)
{
  const double k = side / n;
  cairo_save (cr);
  cairo_set_source_rgba (cr, 1.0, 0.25, 0.2, 0.9);
  cairo_set_line_width (cr, 1.5);
  for (int i = -s / 2; i <= s / 2; i++)
    for (int j = -s / 2; j <= s / 2; j++)
      if (i || j)
        {
          /* frequency (j/s, i/s) cycles per pixel sits n/s bins per step from the centre */
          double fx = x + (n / 2.0 + (double) j * n / s + 0.5) * k;
          double fy = y + (n / 2.0 + (double) i * n / s + 0.5) * k;
          cairo_new_sub_path (cr);
          cairo_arc (cr, MIN (fx, x + side - 4), MIN (fy, y + side - 4), 5, 0, 2 * G_PI);
        }
  cairo_stroke (cr);
  cairo_restore (cr);
}
