/* PNG or JPEG to PNG or JPEG without GEGL (see png-pipeline.h).
 *
 * The engine hands finished tiles to `store` under its lock; they are converted into
 * output rows.  Rows complete roughly in order, since threads take tiles row by row; the
 * encoder thread writes each row as soon as it and all rows above it are complete, and
 * frees it, so the output never exists whole in memory and deflate overlaps compute. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <png.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>

#include "exif.h"
#include "image-io.h"
#include "jpeg-io.h"
#include "png-pipeline.h"
#include "png-save.h"
#include "tconv-error.h"

typedef TconvDecoded Decoded;

gboolean
tconv_is_png_file (const char *path)
{
  guint8 sig[8];
  FILE  *f = fopen (path, "rb");
  gboolean ok = f && fread (sig, 1, 8, f) == 8 && png_sig_cmp (sig, 0, 8) == 0;
  if (f)
    fclose (f);
  return ok;
}

static void
on_error (png_structp png, png_const_charp msg)
{
  g_strlcpy (png_get_error_ptr (png), tconv_png_explain (msg), 256);
  png_longjmp (png, 1);
}

static void
on_warning (png_structp png, png_const_charp msg)
{
  (void) png, (void) msg;
}

/* libpng's transforms to 1-4 channels of 8 or 16 bits, as GEGL's loader gives them. */
static void
normalise (png_structp png, png_infop info)
{
  int type = png_get_color_type (png, info), depth = png_get_bit_depth (png, info);
  if (type == PNG_COLOR_TYPE_PALETTE)
    png_set_palette_to_rgb (png);
  if (type == PNG_COLOR_TYPE_GRAY && depth < 8)
    png_set_expand_gray_1_2_4_to_8 (png);
  if (png_get_valid (png, info, PNG_INFO_tRNS))
    png_set_tRNS_to_alpha (png);
  if (depth == 16 && G_BYTE_ORDER == G_LITTLE_ENDIAN)
    png_set_swap (png);
  png_set_interlace_handling (png);
  png_read_update_info (png, info);
}

gboolean
tconv_png_header (const char *path, int *width, int *height, int *channels, GError **error)
{
  char        msg[256] = "";
  FILE       *f = fopen (path, "rb");
  png_structp png = f ? png_create_read_struct (PNG_LIBPNG_VER_STRING, msg, on_error, on_warning)
                      : NULL;
  png_infop   info = png ? png_create_info_struct (png) : NULL;
  volatile gboolean ok = FALSE;

  if (info && setjmp (png_jmpbuf (png)) == 0)
    {
      tconv_png_lenient (png);
      png_init_io (png, f);
      png_read_info (png, info);
      *width = png_get_image_width (png, info), *height = png_get_image_height (png, info);
      int type = png_get_color_type (png, info);
      gboolean alpha = (type & PNG_COLOR_MASK_ALPHA) || png_get_valid (png, info, PNG_INFO_tRNS);
      *channels = ((type & PNG_COLOR_MASK_COLOR) ? 3 : 1) + alpha;
      ok = TRUE;
    }
  png_destroy_read_struct (png ? &png : NULL, info ? &info : NULL, NULL);
  if (f)
    fclose (f);
  if (!ok)
    g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "%s: %s", path,
                 msg[0] ? msg : "cannot be read");
  return ok;
}

static gboolean
decode_png (const char *path, Decoded *d, GError **error)
{
  char        msg[256] = "";
  FILE       *f = fopen (path, "rb");
  png_structp png = f ? png_create_read_struct (PNG_LIBPNG_VER_STRING, msg, on_error, on_warning)
                      : NULL;
  png_infop   info = png ? png_create_info_struct (png) : NULL;
  png_bytep *volatile rows = NULL; /* set after setjmp */
  volatile gboolean ok = FALSE;

  if (info && setjmp (png_jmpbuf (png)) == 0)
    {
      tconv_png_lenient (png);
      png_init_io (png, f);
      png_read_info (png, info);
      d->w = png_get_image_width (png, info), d->h = png_get_image_height (png, info);
      normalise (png, info);
      d->channels = png_get_channels (png, info);
      d->bits = png_get_bit_depth (png, info);
      d->stride = png_get_rowbytes (png, info);
      d->data = g_try_malloc (d->stride * d->h);
      rows = d->data ? g_new (png_bytep, d->h) : NULL;
      for (int y = 0; rows && y < d->h; y++)
        rows[y] = d->data + (gsize) y * d->stride;
      if (rows)
        {
          png_read_image (png, rows);
          png_read_end (png, NULL);
          ok = TRUE;
        }
      else
        g_strlcpy (msg, "not enough memory for the image", sizeof msg);
    }
  png_destroy_read_struct (png ? &png : NULL, info ? &info : NULL, NULL);
  g_free (rows);
  if (f)
    fclose (f);
  if (!ok)
    {
      g_clear_pointer (&d->data, g_free);
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "%s: %s", path,
                   msg[0] ? msg : "cannot be read");
    }
  return ok;
}

typedef struct
{
  const Decoded *in;
  float          lut[256]; /* u8 -> [0, 1] */
  /* the output, row by row */
  int            w, h, channels, bits;
  gsize          row_bytes;
  guint8       **rows;   /* [h]: allocated when first written, freed once encoded */
  int           *filled; /* [h]: pixels stored */
  int            next;   /* the first row not yet encoded */
  gboolean       aborted, failed;
  char           msg[256];
  GMutex         lock;
  GCond          ready;
  png_structp    png;   /* the output is a PNG, */
  png_infop      info;
  TconvJpegWriter *jpeg; /* or a JPEG */
  const char    *out; /* the output's name, for messages */
  gboolean       jpeg_out;
} Pipeline;

static gboolean
read_rect (gpointer data, int x, int y, int w, int h, float *dst, GError **error)
{
  const Pipeline *p = data;
  const Decoded  *in = p->in;
  const int       n = w * in->channels;
  (void) error;
  for (int j = 0; j < h; j++, dst += n)
    {
      const guint8 *row = in->data + (gsize) (y + j) * in->stride;
      if (in->bits == 8)
        for (int i = 0; i < n; i++)
          dst[i] = p->lut[row[x * in->channels + i]];
      else
        for (int i = 0; i < n; i++)
          dst[i] = ((const guint16 *) row)[x * in->channels + i] / 65535.0f;
    }
  return TRUE;
}

static inline float
clamp01 (float v)
{
  return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
}

/* A finished tile into its rows; wakes the encoder when the next row is complete. */
static gboolean
store_rect (gpointer data, int x, int y, int w, int h, const float *src, GError **error)
{
  Pipeline *p = data;
  const int n = w * p->channels;
  gboolean  wake = FALSE;

  g_mutex_lock (&p->lock);
  for (int j = 0; j < h && !p->failed; j++, src += n)
    {
      guint8 **row = &p->rows[y + j];
      if (*row == NULL && (*row = g_try_malloc (p->row_bytes)) == NULL)
        {
          g_strlcpy (p->msg, "not enough memory for the output rows", sizeof p->msg);
          p->failed = TRUE;
          break;
        }
      if (p->bits == 8)
        for (int i = 0; i < n; i++)
          (*row)[x * p->channels + i] = (guint8) (clamp01 (src[i]) * 255.0f + 0.5f);
      else
        for (int i = 0; i < n; i++)
          ((guint16 *) *row)[x * p->channels + i] = (guint16) (clamp01 (src[i]) * 65535.0f + 0.5f);
      p->filled[y + j] += w;
      wake |= y + j == p->next && p->filled[y + j] == p->w;
    }
  gboolean ok = !p->failed;
  if (wake)
    g_cond_signal (&p->ready);
  if (!ok)
    g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "%s: %s could not be written: %s", p->out,
                 p->jpeg_out ? "JPEG" : "PNG", p->msg);
  g_mutex_unlock (&p->lock);
  return ok;
}

/* The next complete row, taken out of the table, or NULL when the work ends. */
static guint8 *
next_row (Pipeline *p)
{
  g_mutex_lock (&p->lock);
  while (!p->aborted && p->next < p->h && p->filled[p->next] < p->w)
    g_cond_wait (&p->ready, &p->lock);
  guint8 *row = NULL;
  if (!p->aborted && p->next < p->h)
    row = p->rows[p->next], p->rows[p->next] = NULL;
  g_mutex_unlock (&p->lock);
  return row;
}

static gpointer
encoder_failed (Pipeline *p)
{
  g_mutex_lock (&p->lock);
  p->failed = TRUE; /* the library's message is in p->msg: a full disk, or memory */
  g_mutex_unlock (&p->lock);
  return NULL;
}

/* One row into the file; libpng's errors jump to the encoder's setjmp, libjpeg's return
 * FALSE. */
static gboolean
write_row (Pipeline *p, guint8 *row)
{
  if (p->jpeg)
    return tconv_jpeg_writer_row (p->jpeg, row, p->msg);
  png_write_row (p->png, row);
  return TRUE;
}

static gpointer
encoder (gpointer data)
{
  Pipeline      *p = data;
  guint8 *volatile row = NULL;

  if (p->png && setjmp (png_jmpbuf (p->png)))
    {
      g_free (row);
      return encoder_failed (p);
    }
  while ((row = next_row (p)) != NULL)
    {
      gboolean ok = write_row (p, row);
      g_free (row);
      row = NULL;
      if (!ok)
        return encoder_failed (p);
      g_mutex_lock (&p->lock);
      p->next++;
      g_mutex_unlock (&p->lock);
    }
  if (p->next == p->h && p->jpeg && !tconv_jpeg_writer_finish (p->jpeg, p->msg))
    return encoder_failed (p);
  if (p->next == p->h && p->png)
    png_write_end (p->png, NULL);
  return NULL;
}

/* The input's EXIF, with the result's size and orientation 1, as an eXIf chunk (which
 * libpng copies). */
static void
set_exif (Pipeline *p, const TconvFacts *facts)
{
  gsize         size;
  const guint8 *tiff = facts->exif ? g_bytes_get_data (facts->exif, &size) : NULL;
  g_autoptr (GBytes) exif = tiff ? tconv_exif_for_output (tiff, size, p->w, p->h,
                                                          facts->orientation != 1)
                                 : NULL;
  if (exif)
    png_set_eXIf_1 (p->png, p->info, (png_uint_32) g_bytes_get_size (exif),
                    (png_bytep) g_bytes_get_data (exif, NULL));
}

/* The PNG header: size, depth, the input's profile, EXIF and print size (scaled). */
static gboolean
start_png (Pipeline *p, FILE *f, const TconvFacts *facts, int level)
{
  static const int types[] = { 0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                               PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA };

  p->png = png_create_write_struct (PNG_LIBPNG_VER_STRING, p->msg, on_error, on_warning);
  p->info = p->png ? png_create_info_struct (p->png) : NULL;
  if (p->info == NULL || setjmp (png_jmpbuf (p->png)))
    return FALSE;
  tconv_png_lenient (p->png);
  png_init_io (p->png, f);
  png_set_compression_level (p->png, CLAMP (level, 0, 9));
  png_set_IHDR (p->png, p->info, p->w, p->h, p->bits, types[p->channels], PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
  if (facts->icc) /* kept byte for byte */
    png_set_iCCP (p->png, p->info, "ICC profile", PNG_COMPRESSION_TYPE_BASE,
                  g_bytes_get_data (facts->icc, NULL), (png_uint_32) g_bytes_get_size (facts->icc));
  if (facts->x_ppm && facts->y_ppm)
    png_set_pHYs (p->png, p->info, facts->x_ppm, facts->y_ppm, PNG_RESOLUTION_METER);
  set_exif (p, facts);
  png_write_info (p->png, p->info);
  if (p->bits == 16 && G_BYTE_ORDER == G_LITTLE_ENDIAN)
    png_set_swap (p->png);
  return TRUE;
}

/* The output's header, in the format its name asks for. */
static gboolean
start_output (Pipeline *p, FILE *f, const TconvFacts *facts, const TconvPngPipeline *o)
{
  if (!p->jpeg_out)
    return start_png (p, f, facts, o->level);
  p->jpeg = tconv_jpeg_writer_new (f, p->w, p->h, p->channels, o->quality, facts, p->msg);
  return p->jpeg != NULL;
}

/* Runs the engine with the encoder beside it; the temporary file is complete on TRUE. */
static gboolean
run_into (Pipeline *p, const TconvModel *model, FILE *f, const TconvFacts *facts,
          const TconvPngPipeline *o, const TconvRunOptions *options, GError **error)
{
  const char *format = p->jpeg_out ? "JPEG" : "PNG";
  if (!start_output (p, f, facts, o))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "%s: %s could not be written: %s", p->out,
                   format, p->msg[0] ? p->msg : "out of memory");
      return FALSE;
    }
  TconvImageInfo info = { p->in->w, p->in->h, p->in->channels };
  GThread       *thread = g_thread_new ("tconv-encoder", encoder, p);
  gboolean ok = tconv_engine_run (model, &info, read_rect, p, store_rect, p, options, error);
  g_mutex_lock (&p->lock);
  p->aborted = !ok;
  g_cond_broadcast (&p->ready);
  g_mutex_unlock (&p->lock);
  g_thread_join (thread);
  if (ok && (p->failed || p->next != p->h))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "%s: %s could not be written: %s", p->out,
                   format, p->msg[0] ? p->msg : "out of memory");
      ok = FALSE;
    }
  return ok;
}

static gboolean
is_jpeg_name (const char *path)
{
  g_autofree char *low = g_ascii_strdown (path, -1);
  return g_str_has_suffix (low, ".jpg") || g_str_has_suffix (low, ".jpeg");
}

gboolean
tconv_pipeline_header (const char *path, int *width, int *height, int *channels,
                       GError **error)
{
  if (tconv_is_jpeg_file (path))
    return tconv_jpeg_header (path, width, height, channels, error);
  return tconv_png_header (path, width, height, channels, error);
}

gboolean
tconv_pipeline_takes (const char *in, const char *out)
{
  g_autofree char *low = g_ascii_strdown (out, -1);
  gboolean         png_out = g_str_has_suffix (low, ".png"), jpeg_out = is_jpeg_name (out);
  int              w, h, channels;

  if ((!png_out && !jpeg_out) || (!tconv_is_png_file (in) && !tconv_is_jpeg_file (in)))
    return FALSE;
  if (!tconv_pipeline_header (in, &w, &h, &channels, NULL))
    return TRUE; /* the decoder says what is wrong, naming the file */
  if (tconv_is_jpeg_file (in) && channels == 4)
    return FALSE; /* CMYK: GEGL's loader */
  return png_out || channels % 2 == 1; /* JPEG has no alpha: GEGL drops it */
}

/* The input's pixels and facts, upright; its resolution scaled to the output's size. */
static gboolean
load_input (const char *in, Decoded *d, TconvFacts *facts, GError **error)
{
  memset (facts, 0, sizeof *facts);
  facts->orientation = 1;
  /* the size limit from the header (a small file can declare 100000 x 100000) */
  if (!tconv_image_probe (in, &d->w, &d->h, error))
    return FALSE;
  if (tconv_is_jpeg_file (in))
    return tconv_jpeg_decode (in, d, facts, error);
  if (!decode_png (in, d, error))
    return FALSE;
  tconv_png_read_facts (in, &facts->x_ppm, &facts->y_ppm, &facts->icc);
  return TRUE;
}

static void
scale_resolution (TconvFacts *facts, const Decoded *in, int out_w, int out_h)
{
  if (facts->x_ppm == 0 || facts->y_ppm == 0)
    facts->x_ppm = facts->y_ppm = 0;
  facts->x_ppm = (guint32) ((double) facts->x_ppm * out_w / in->w + 0.5);
  facts->y_ppm = (guint32) ((double) facts->y_ppm * out_h / in->h + 0.5);
}

/* The engine into the temporary file beside `out`, renamed over it when complete. */
static gboolean
write_output (Pipeline *p, const TconvModel *model, const char *out, const TconvFacts *facts,
              const TconvPngPipeline *o, const TconvRunOptions *options, GError **error)
{
  g_autofree char *tmp = NULL;
  int              fd = tconv_output_temporary (out, &tmp, error);
  FILE            *f = fd >= 0 ? fdopen (fd, "wb") : NULL;
  gboolean         ok = f && run_into (p, model, f, facts, o, options, error);

  /* a full disk can show only when the last buffered bytes are flushed */
  if (f && fclose (f) != 0 && ok)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "%s: %s", out, g_strerror (errno));
      ok = FALSE;
    }
  if (ok)
    return tconv_output_commit (tmp, out, error);
  if (tmp)
    tconv_output_discard (tmp);
  return FALSE;
}

gboolean
tconv_png_pipeline_run (const TconvModel *model, const char *in, const char *out,
                        const TconvPngPipeline *o, const TconvRunOptions *options, int *in_w,
                        int *in_h, int *out_w, int *out_h, GError **error)
{
  Decoded    d = { 0 };
  TconvFacts facts;
  Pipeline   p = { .in = &d, .out = out, .jpeg_out = is_jpeg_name (out) };
  gboolean   ok = FALSE;

  if (!load_input (in, &d, &facts, error))
    return FALSE;
  *in_w = d.w, *in_h = d.h;
  if (!tconv_engine_output_size (model, d.w, d.h, &p.w, &p.h, error))
    goto out;
  *out_w = p.w, *out_h = p.h;
  scale_resolution (&facts, &d, p.w, p.h);
  for (int i = 0; i < 256; i++)
    p.lut[i] = i / 255.0f;
  p.channels = d.channels, p.bits = p.jpeg_out ? 8 : d.bits;
  p.row_bytes = (gsize) p.w * p.channels * (p.bits / 8);
  p.rows = g_new0 (guint8 *, p.h);
  p.filled = g_new0 (int, p.h);
  g_mutex_init (&p.lock);
  g_cond_init (&p.ready);
  ok = write_output (&p, model, out, &facts, o, options, error);
  png_destroy_write_struct (p.png ? &p.png : NULL, p.info ? &p.info : NULL);
  tconv_jpeg_writer_free (p.jpeg);
  for (int y = 0; y < p.h; y++)
    g_free (p.rows[y]);
  g_free (p.rows);
  g_free (p.filled);
  g_mutex_clear (&p.lock);
  g_cond_clear (&p.ready);
out:
  g_free (d.data);
  tconv_facts_clear (&facts);
  return ok;
}
