/* libFuzzer harness: hyperparameter and image-size validation.  The bytes choose
 * a fixed-kernel configuration (any stride, kernel, padding, output padding, dilation,
 * interpolation) and an image size; validation must accept or refuse it without
 * crashing, and an accepted small one is run. */
#include <string.h>

#include "conv-transpose2d.h"
#include "engine.h"
#include "catalog.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static int
take (const guint8 **p, size_t *n)
{
  gint32 v = 0;
  size_t k = MIN (*n, sizeof v);
  memcpy (&v, *p, k);
  *p += k;
  *n -= k;
  return v;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  TconvSettings s;
  GError       *error = NULL;
  int           out;

  tconv_settings_init (&s);
  s.mode = TCONV_MODE_KERNEL;
  s.scale = take (&data, &size);
  s.kernel = take (&data, &size);
  s.padding = take (&data, &size);
  s.output_padding = take (&data, &size);
  s.dilation = take (&data, &size);
  s.interpolation = (guint) take (&data, &size) % 4;
  int w = take (&data, &size), h = take (&data, &size), channels = 1 + (guint) take (&data, &size) % 4;

  /* the public size function on raw values */
  tconv_conv_transpose2d_output_len (w, s.kernel, s.scale, s.padding, s.output_padding,
                                     s.dilation, &out, NULL);

  TconvModel *m = tconv_settings_model (&s, channels, NULL, &error);
  if ((m == NULL) == (error == NULL))
    __builtin_trap ();
  g_clear_error (&error);
  if (m)
    {
      int ow, oh;
      if (w > 0 && h > 0 && w <= 64 && h <= 64
          && tconv_engine_output_size (m, w, h, &ow, &oh, NULL))
        {
          TconvImageInfo info = { w, h, channels };
          float *in = g_new0 (float, (gsize) w * h * channels);
          float *o = g_new (float, (gsize) ow * oh * channels);
          TconvRunOptions opt = { 1 + (guint) w % 7, 1, NULL, NULL, NULL, FALSE };
          if (!tconv_engine_run_pixels (m, &info, in, o, &opt, &error))
            g_clear_error (&error);
          g_free (in);
          g_free (o);
        }
      tconv_model_free (m);
    }
  return 0;
}
