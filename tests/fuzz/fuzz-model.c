/* libFuzzer harness: the model loader (safetensors header, JSON graph, validation)
 * on arbitrary bytes.  Every input either loads or fails with a GError; a model
 * that loads is run once on a tiny image, so its validated shapes are exercised. */
#include "engine.h"
#include "model-file.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  GError     *error = NULL;
  TconvModel *m = tconv_model_load_bytes (data, size, "fuzz", &error);

  if ((m == NULL) == (error == NULL))
    __builtin_trap (); /* exactly one of model and error */
  if (m)
    {
      TconvImageInfo info = { 8, 8, 1 };
      float          in[64] = { 0.5f }, *out;
      int            ow, oh;
      if (tconv_engine_output_size (m, 8, 8, &ow, &oh, NULL) && (gint64) ow * oh < (1 << 22))
        {
          out = g_new (float, (gsize) ow * oh);
          tconv_engine_run_pixels (m, &info, in, out, NULL, NULL);
          g_free (out);
        }
      tconv_model_free (m);
    }
  g_clear_error (&error);
  return 0;
}
