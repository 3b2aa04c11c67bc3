/* libFuzzer harness: the ncnn reader on arbitrary bytes.  The input is the .param text,
 * a NUL byte, then the .bin (no NUL: all of it is the .param and the .bin is empty).
 * Every input either parses or fails with a GError; a parsed net's blob links and
 * weights are walked (inputs made earlier, values finite), so a wrong index or size
 * shows under the sanitizers. */
#include <math.h>
#include <string.h>

#include "ncnn.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  const guint8 *nul = memchr (data, 0, size);
  gsize         param_len = nul ? (gsize) (nul - data) : size;
  const guint8 *bin = nul ? nul + 1 : NULL;
  gsize         bin_len = nul ? size - param_len - 1 : 0;
  GError       *error = NULL;
  TconvNcnnNet *net = tconv_ncnn_parse ((const char *) data, param_len, bin, bin_len, "fuzz",
                                        &error);

  if ((net == NULL) == (error == NULL))
    __builtin_trap (); /* exactly one of net and error */
  for (int i = 0; net && i < net->n_layers; i++)
    {
      const TconvNcnnLayer *l = &net->layers[i];
      for (int k = 0; k < l->n_inputs + l->n_outputs; k++)
        {
          int b = k < l->n_inputs ? l->inputs[k] : l->outputs[k - l->n_inputs];
          if (b < 0 || b >= net->n_blobs || (k < l->n_inputs && net->producer[b] >= i))
            __builtin_trap ();
        }
      for (int w = 0; w < l->n_weights; w++)
        for (gsize j = 0; j < l->weights[w].numel; j++)
          if (!isfinite (l->weights[w].data[j]))
            __builtin_trap (); /* the reader promises finite values */
    }
  tconv_ncnn_free (net);
  g_clear_error (&error);
  return 0;
}
