#include <glib/gi18n-lib.h>
#include <string.h>

#include "geometry.h"
#include "kernels.h"

void
tconv_geometry_clear (TconvGeometry *g)
{
  g_free (g->reason);
  g_free (g->formula[0]);
  g_free (g->formula[1]);
  g_free (g->size);
  g_free (g->offered);
  g_free (g->placement);
  g_free (g->chosen);
  memset (g, 0, sizeof *g);
}

/* The shipped combinations of a learned mode, e.g. "x2 k9, x2 k8, x3 k9". */
static char *
offered_combinations (TconvMode mode, GPtrArray *all)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < all->len; i++)
    {
      TconvModelEntry *e = all->pdata[i];
      if (e->mode == mode && !e->degradation) /* photo twins share the clean ones' geometry */
        g_string_append_printf (s, "%sx%d k%d", s->len ? ", " : "", e->scale, e->kernel);
    }
  return g_string_free (s, FALSE);
}

/* Kernel mode: the weights the drawing shows and where the result lies. */
static void
fixed_kernel (const TconvSettings *s, TconvGeometry *g)
{
  TconvKernelSpec spec = { s->interpolation, g->stride, s->kernel, s->padding, s->output_padding,
                           s->dilation };
  if (!tconv_kernel_spec_resolve (&spec, NULL))
    return;
  g->fixed = TRUE;
  tconv_kernel_taps (&spec, g->weights);
  g->placement = tconv_kernel_placement_text (&spec);
}

void
tconv_geometry_compute (const TconvSettings *s, int width, int height, int channels,
                        int bytes_per_pixel, GPtrArray *catalog, const char *installed,
                        TconvGeometry *g)
{
  g_autoptr (GError) error = NULL;
  const int   in[2] = { height, width };
  const char *axis[2] = { "H", "W" };
  TconvModel *model;

  memset (g, 0, sizeof *g);
  if (s->mode != TCONV_MODE_KERNEL)
    g->offered = offered_combinations (s->mode, catalog);
  model = tconv_settings_model_in (s, channels, catalog, installed, &error);
  if (model == NULL)
    {
      g->reason = g_strdup (error->message);
      return;
    }
  g->chosen = tconv_settings_model_why (s, model);

  const TconvLayer *up = tconv_model_upsampling_layer (model);
  g->resize_conv = model->mode == TCONV_MODE_RESIZE_CONV || up == NULL;
  g->stride = model->scale;
  if (!g->resize_conv)
    {
      g->kernel = up->weight.h;
      g->padding = up->transposed.padding[0];
      g->output_padding = up->transposed.output_padding[0];
      g->dilation = up->transposed.dilation[0];
    }
  else
    {
      g->kernel = tconv_model_head_kernel (model);
      g->dilation = 1;
      /* the convolution after the resize keeps the size: its padding is kernel / 2 */
      for (int i = model->n_layers - 1; i >= 0; i--)
        if (model->layers[i].kind == TCONV_LAYER_CONV2D)
          {
            g->padding = model->layers[i].conv.padding[0];
            break;
          }
    }

  if (model->mode == TCONV_MODE_KERNEL)
    fixed_kernel (s, g);
  for (int a = 0; a < 2; a++)
    {
      int out;
      if (!tconv_model_output_len (model, a, in[a], &out, &error))
        {
          g->reason = g_strdup (error->message);
          tconv_model_free (model);
          return;
        }
      if (g->resize_conv)
        g->formula[a] = g_strdup_printf ("%s: %d*%d = %d, then a %dx%d convolution keeps it",
                                         axis[a], in[a], g->stride, out, g->kernel, g->kernel);
      else
        g->formula[a] = g_strdup_printf ("%s: (%d-1)*%d - 2*%d + %d*(%d-1) + %d + 1 = %d",
                                         axis[a], in[a], g->stride, g->padding, g->dilation,
                                         g->kernel, g->output_padding, out);
      if (a == 0)
        g->out_h = out;
      else
        g->out_w = out;
    }
  tconv_model_free (model);

  double mb = (double) g->out_w * g->out_h * bytes_per_pixel / 1e6;
  g->size = g_strdup_printf (_("%d x %d px, %.1f MB"), g->out_w, g->out_h, mb);
  if (g->out_w > 524288 || g->out_h > 524288)
    g->reason = g_strdup_printf (_("The result would be %d x %d px; GIMP's limit is 524288 per "
                                   "side."), g->out_w, g->out_h);
  g->runnable = g->reason == NULL;
}
