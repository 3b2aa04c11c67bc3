/* tconv — validation shared by conv2d and conv_transpose2d (internal). */
#pragma once

#include "tconv-error.h"

/* Fails with a message naming the parameter and PyTorch's rule. */
static inline gboolean
tconv_check_min (const char *op, const char *param, const int v[2], int min, GError **error)
{
  for (int i = 0; i < 2; i++)
    if (v[i] < min)
      {
        g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                     "%s: %s must be >= %d, got %d", op, param, min, v[i]);
        return FALSE;
      }
  return TRUE;
}

static inline gboolean
tconv_check_groups (const char *op, int groups, int c_in, int c_out, GError **error)
{
  if (groups < 1)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "%s: groups must be >= 1, got %d", op, groups);
      return FALSE;
    }
  if (c_in % groups != 0 || c_out % groups != 0)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "%s: groups (%d) must divide both in_channels (%d) and out_channels (%d)",
                   op, groups, c_in, c_out);
      return FALSE;
    }
  return TRUE;
}

static inline gboolean
tconv_check_bias (const char *op, int bias_len, int c_out, GError **error)
{
  if (bias_len != c_out)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "%s: bias has %d values but the layer has %d output channels",
                   op, bias_len, c_out);
      return FALSE;
    }
  return TRUE;
}

/* Output shape must equal what the shape function computed. */
static inline gboolean
tconv_check_output (const char *op, const TconvTensor *want, const TconvTensor *got, GError **error)
{
  if (want->n != got->n || want->c != got->c || want->h != got->h || want->w != got->w
      || got->data == NULL)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_INVALID_ARGUMENT,
                   "%s: output buffer must be [%d, %d, %d, %d], got [%d, %d, %d, %d]", op,
                   want->n, want->c, want->h, want->w, got->n, got->c, got->h, got->w);
      return FALSE;
    }
  return TRUE;
}
