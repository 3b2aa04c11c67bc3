#include "tensor.h"
#include "tconv-error.h"

gboolean
tconv_checked_numel (int n, int c, int h, int w, const char *what,
                     gsize *numel, GError **error)
{
  gsize total = 1;
  int   dims[4] = { n, c, h, w };

  for (int i = 0; i < 4; i++)
    {
      if (dims[i] < 1)
        {
          g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                       "%s has an empty shape [%d, %d, %d, %d]", what, n, c, h, w);
          return FALSE;
        }
      if (!g_size_checked_mul (&total, total, (gsize) dims[i]) || total > TCONV_MAX_ELEMENTS)
        {
          g_set_error (error, TCONV_ERROR, TCONV_ERROR_TOO_LARGE,
                       "%s of shape [%d, %d, %d, %d] is too large", what, n, c, h, w);
          return FALSE;
        }
    }
  *numel = total;
  return TRUE;
}

gboolean
tconv_tensor_alloc (TconvTensor *t, const char *what, GError **error)
{
  gsize numel;

  t->data = NULL;
  if (!tconv_checked_numel (t->n, t->c, t->h, t->w, what, &numel, error))
    return FALSE;
  /* TCONV_TENSOR_SLACK zeros after the data: vector kernels read past a row's end. */
  t->data = g_try_malloc0_n (numel + TCONV_TENSOR_SLACK, sizeof (float));
  if (t->data == NULL)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_NO_MEMORY,
                   "not enough memory for %s (%" G_GSIZE_FORMAT " MB)",
                   what, numel * sizeof (float) >> 20);
      return FALSE;
    }
  return TRUE;
}

void
tconv_tensor_free (TconvTensor *t)
{
  g_clear_pointer (&t->data, g_free);
}
