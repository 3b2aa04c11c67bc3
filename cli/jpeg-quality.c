/* The JPEG quality estimate: the file's quantization tables against the IJG tables of
 * every quality, nearest wins.  Only the header is read. */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>

#include "jpeg-common.h"
#include "jpeg-quality.h"
#include "tconv-error.h"

static void
on_warning (j_common_ptr cinfo)
{
  (void) cinfo; /* a header's warnings are the image loader's to report */
}


/* The luminance and chrominance tables (natural order) of IJG quality 1..100, as
 * jpeg_set_quality makes them: libjpeg's own tables, not a copy of them. */
static void
ijg_tables (guint16 tables[100][2][DCTSIZE2])
{
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr       err;

  c.err = jpeg_std_error (&err); /* jpeg_set_quality cannot fail on a fresh compressor */
  jpeg_create_compress (&c);
  for (int q = 1; q <= 100; q++)
    {
      jpeg_set_quality (&c, q, TRUE);
      for (int t = 0; t < 2; t++)
        for (int i = 0; i < DCTSIZE2; i++)
          tables[q - 1][t][i] = c.quant_tbl_ptrs[t]->quantval[i];
    }
  jpeg_destroy_compress (&c);
}

/* The quality whose tables are nearest (least sum of absolute differences) the
 * file's luminance table and, for colour files, its chrominance one. */
static int
nearest_quality (const JQUANT_TBL *luma, const JQUANT_TBL *chroma, gboolean *exact)
{
  static guint16 ijg[100][2][DCTSIZE2];
  static gsize   made = 0;
  long           best_cost = G_MAXLONG;
  int            best = 0;

  if (g_once_init_enter (&made))
    {
      ijg_tables (ijg);
      g_once_init_leave (&made, 1);
    }
  for (int q = 1; q <= 100; q++)
    {
      long cost = 0;
      for (int i = 0; i < DCTSIZE2; i++)
        {
          cost += ABS ((int) luma->quantval[i] - ijg[q - 1][0][i]);
          if (chroma)
            cost += ABS ((int) chroma->quantval[i] - ijg[q - 1][1][i]);
        }
      if (cost <= best_cost) /* ties (all-1 tables near 100): the higher quality */
        best_cost = cost, best = q;
    }
  if (exact)
    *exact = best_cost == 0;
  return best;
}

/* Component `c`'s table; NULL for a number the file does not define (the header's
 * byte is not range-checked until decoding starts). */
static const JQUANT_TBL *
component_table (const struct jpeg_decompress_struct *d, int c)
{
  int n = d->comp_info[c].quant_tbl_no;
  return n >= 0 && n < NUM_QUANT_TBLS ? d->quant_tbl_ptrs[n] : NULL;
}

gboolean
tconv_jpeg_file_quality (const char *path, int *quality, gboolean *exact, GError **error)
{
  struct jpeg_decompress_struct d;
  TconvJpegError                err;
  FILE                         *f;

  *quality = 0;
  if (exact)
    *exact = FALSE;
  if (!tconv_is_jpeg_file (path) || (f = fopen (path, "rb")) == NULL)
    return TRUE;
  d.err = jpeg_std_error (&err.pub);
  err.pub.error_exit = tconv_jpeg_error_escape;
  err.pub.output_message = on_warning;
  if (setjmp (err.escape))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "%s: JPEG header could not be read: %s",
                   path, err.message);
      jpeg_destroy_decompress (&d);
      fclose (f);
      return FALSE;
    }
  jpeg_create_decompress (&d);
  jpeg_stdio_src (&d, f);
  jpeg_read_header (&d, TRUE);
  /* the tables the components use: the first's is luminance, the second's chrominance */
  const JQUANT_TBL *luma = component_table (&d, 0);
  const JQUANT_TBL *chroma = d.num_components >= 3 ? component_table (&d, 1) : NULL;
  if (luma)
    *quality = nearest_quality (luma, chroma, exact);
  jpeg_destroy_decompress (&d);
  fclose (f);
  return TRUE;
}
