#include <glib/gi18n-lib.h>
#include <string.h>

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
                       _("%s has an empty shape [%d, %d, %d, %d]"), what, n, c, h, w);
          return FALSE;
        }
      if (!g_size_checked_mul (&total, total, (gsize) dims[i]) || total > TCONV_MAX_ELEMENTS)
        {
          g_set_error (error, TCONV_ERROR, TCONV_ERROR_TOO_LARGE,
                       _("%s of shape [%d, %d, %d, %d] is too large"), what, n, c, h, w);
          return FALSE;
        }
    }
  *numel = total;
  return TRUE;
}

static gboolean
tensor_alloc (TconvTensor *t, gboolean zero, const char *what, GError **error)
{
  gsize numel;

  t->data = NULL;
  if (!tconv_checked_numel (t->n, t->c, t->h, t->w, what, &numel, error))
    return FALSE;
  /* TCONV_TENSOR_SLACK zeros after the data: vector kernels read past a row's end. */
  t->data = zero ? tconv_block_alloc0 (numel + TCONV_TENSOR_SLACK)
                 : tconv_block_alloc (numel + TCONV_TENSOR_SLACK);
  if (t->data != NULL && !zero)
    memset (t->data + numel, 0, TCONV_TENSOR_SLACK * sizeof (float));
  if (t->data == NULL)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_NO_MEMORY,
                   _("not enough memory for %s (%llu MB)"), what,
                   (unsigned long long) (numel * sizeof (float) >> 20));
      return FALSE;
    }
  return TRUE;
}

gboolean
tconv_tensor_alloc (TconvTensor *t, const char *what, GError **error)
{
  return tensor_alloc (t, TRUE, what, error);
}

gboolean
tconv_tensor_alloc_uninit (TconvTensor *t, const char *what, GError **error)
{
  return tensor_alloc (t, FALSE, what, error);
}

void
tconv_tensor_free (TconvTensor *t)
{
  g_clear_pointer (&t->data, tconv_block_free);
}

double
tconv_tensor_dot (const TconvTensor *a, const TconvTensor *b)
{
  double sum = 0;
  for (gsize i = 0; i < (gsize) a->n * a->c * a->h * a->w; i++)
    sum += (double) a->data[i] * b->data[i];
  return sum;
}

void
tconv_tensor_fill_random (TconvTensor *t, GRand *rand)
{
  for (gsize i = 0; i < (gsize) t->n * t->c * t->h * t->w; i++)
    t->data[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
}
