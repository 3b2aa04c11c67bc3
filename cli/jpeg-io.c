/* JPEG in and out with libjpeg (see jpeg-io.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "exif.h"
#include "jpeg-common.h"
#include "jpeg-io.h"
#include "tconv-error.h"

#define EXIF_PREFIX "Exif\0\0"
#define EXIF_PREFIX_LEN 6
#define METRES_PER_INCH 0.0254

void
tconv_facts_clear (TconvFacts *facts)
{
  g_clear_pointer (&facts->icc, g_bytes_unref);
  g_clear_pointer (&facts->exif, g_bytes_unref);
}

/* ---- errors ---------------------------------------------------------------------- */

/* Fatal errors jump back with the message (jpeg-common.h).  Warnings that mean pixels are
 * missing or wrong (a file cut short is "Premature end of JPEG file", after which libjpeg
 * fills the rest with grey) are treated the same way; the others (an unknown JFIF
 * revision, an unreadable ICC marker) leave the image intact and stay silent. */
static gboolean
damaged (int code)
{
  static const int codes[] = { JWRN_JPEG_EOF,        JWRN_HIT_MARKER,     JWRN_MUST_RESYNC,
                               JWRN_HUFF_BAD_CODE,   JWRN_EXTRANEOUS_DATA, JWRN_NOT_SEQUENTIAL,
                               JWRN_BOGUS_PROGRESSION };
  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    if (code == codes[i])
      return TRUE;
  return FALSE;
}

static void
on_message (j_common_ptr cinfo, int level)
{
  if (level < 0 && damaged (cinfo->err->msg_code))
    tconv_jpeg_error_escape (cinfo);
}

static struct jpeg_error_mgr *
errors (TconvJpegError *e)
{
  jpeg_std_error (&e->pub);
  e->pub.error_exit = tconv_jpeg_error_escape;
  e->pub.emit_message = on_message;
  e->message[0] = '\0';
  return &e->pub;
}


/* ---- reading --------------------------------------------------------------------- */

/* After jpeg_read_header: the profile, the EXIF block and orientation, the resolution. */
static void
read_facts (j_decompress_ptr d, TconvFacts *facts)
{
  JOCTET      *icc = NULL;
  unsigned int icc_len = 0;

  memset (facts, 0, sizeof *facts);
  facts->orientation = 1;
  if (jpeg_read_icc_profile (d, &icc, &icc_len))
    facts->icc = g_bytes_new (icc, icc_len);
  free (icc);
  for (jpeg_saved_marker_ptr m = d->marker_list; m; m = m->next)
    if (m->marker == JPEG_APP0 + 1 && facts->exif == NULL && m->data_length > EXIF_PREFIX_LEN
        && memcmp (m->data, EXIF_PREFIX, EXIF_PREFIX_LEN) == 0)
      {
        const guint8 *tiff = m->data + EXIF_PREFIX_LEN;
        gsize         size = m->data_length - EXIF_PREFIX_LEN;
        facts->exif = g_bytes_new (tiff, size);
        facts->orientation = tconv_exif_orientation (tiff, size);
      }
  double per_unit = d->density_unit == 1 ? 1 / METRES_PER_INCH : d->density_unit == 2 ? 100 : 0;
  facts->x_ppm = (guint32) (d->X_density * per_unit + 0.5);
  facts->y_ppm = (guint32) (d->Y_density * per_unit + 0.5);
}

/* Opens `f` as a JPEG up to its header; inside the caller's setjmp. */
static void
start_reading (j_decompress_ptr d, FILE *f)
{
  jpeg_create_decompress (d);
  jpeg_stdio_src (d, f);
  jpeg_save_markers (d, JPEG_APP0 + 1, 0xffff); /* EXIF */
  jpeg_save_markers (d, JPEG_APP0 + 2, 0xffff); /* ICC */
  jpeg_read_header (d, TRUE);
  d->out_color_space = d->num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
}

static gboolean
is_cmyk (j_decompress_ptr d)
{
  return d->jpeg_color_space == JCS_CMYK || d->jpeg_color_space == JCS_YCCK;
}

/* Stops the decoding with `message`; inside the caller's setjmp. */
static void
stop (j_decompress_ptr d, const char *message)
{
  g_strlcpy (((TconvJpegError *) d->err)->message, message, JMSG_LENGTH_MAX);
  longjmp (((TconvJpegError *) d->err)->escape, 1);
}

static gboolean
fail (const char *path, const TconvJpegError *e, GError **error)
{
  g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "%s: JPEG could not be read: %s", path,
               e->message[0] ? e->message : "cannot be read");
  return FALSE;
}

static gboolean
cannot_open (const char *path, GError **error)
{
  g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "%s: %s", path, g_strerror (errno));
  return FALSE;
}

gboolean
tconv_jpeg_header (const char *path, int *width, int *height, int *channels, GError **error)
{
  struct jpeg_decompress_struct d;
  TconvJpegError                e;
  TconvFacts                    facts = { 0 };
  FILE                         *f = fopen (path, "rb");

  if (f == NULL)
    return cannot_open (path, error);
  d.err = errors (&e);
  if (setjmp (e.escape))
    {
      jpeg_destroy_decompress (&d);
      fclose (f);
      return fail (path, &e, error);
    }
  start_reading (&d, f);
  read_facts (&d, &facts);
  gboolean swap = facts.orientation >= 5;
  *width = (int) (swap ? d.image_height : d.image_width);
  *height = (int) (swap ? d.image_width : d.image_height);
  *channels = is_cmyk (&d) ? 4 : d.num_components == 1 ? 1 : 3;
  tconv_facts_clear (&facts);
  jpeg_destroy_decompress (&d);
  fclose (f);
  return TRUE;
}

/* Upright pixel (x, y) comes from stored pixel (*sx, *sy) of a w x h image: EXIF's eight
 * orientations (2 mirrored, 3 turned half, 4 flipped, 5 transposed, 6 to be turned
 * clockwise, 7 transversed, 8 to be turned anticlockwise). */
static void
stored_pixel (int orientation, int x, int y, int w, int h, int *sx, int *sy)
{
  switch (orientation)
    {
    case 2: *sx = w - 1 - x, *sy = y; break;
    case 3: *sx = w - 1 - x, *sy = h - 1 - y; break;
    case 4: *sx = x, *sy = h - 1 - y; break;
    case 5: *sx = y, *sy = x; break;
    case 6: *sx = y, *sy = h - 1 - x; break;
    case 7: *sx = w - 1 - y, *sy = h - 1 - x; break;
    case 8: *sx = w - 1 - y, *sy = x; break;
    default: *sx = x, *sy = y;
    }
}

/* The stored pixels turned upright (a new buffer; FALSE when out of memory). */
static gboolean
make_upright (TconvDecoded *d, int orientation)
{
  const int   c = d->channels, w = orientation >= 5 ? d->h : d->w;
  const int   h = orientation >= 5 ? d->w : d->h;
  const gsize stride = (gsize) w * c;
  guint8     *up = g_try_malloc (stride * h);

  if (up == NULL)
    return FALSE;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        int sx, sy;
        stored_pixel (orientation, x, y, d->w, d->h, &sx, &sy);
        memcpy (up + y * stride + (gsize) x * c, d->data + sy * d->stride + (gsize) sx * c, c);
      }
  g_free (d->data);
  d->data = up, d->w = w, d->h = h, d->stride = stride;
  return TRUE;
}

/* The scanlines into d->data; inside the caller's setjmp. */
static void
read_pixels (j_decompress_ptr j, TconvDecoded *d)
{
  if (is_cmyk (j)) /* libjpeg cannot make RGB of it; GEGL's loader can */
    stop (j, "CMYK is read through GEGL");
  jpeg_start_decompress (j);
  d->w = (int) j->output_width, d->h = (int) j->output_height;
  d->channels = j->output_components, d->bits = 8;
  d->stride = (gsize) d->w * d->channels;
  d->data = g_try_malloc (d->stride * d->h);
  if (d->data == NULL)
    stop (j, "not enough memory for the image");
  while (j->output_scanline < j->output_height)
    {
      JSAMPROW row = d->data + j->output_scanline * d->stride;
      jpeg_read_scanlines (j, &row, 1);
    }
  jpeg_finish_decompress (j);
}

gboolean
tconv_jpeg_decode (const char *path, TconvDecoded *d, TconvFacts *facts, GError **error)
{
  struct jpeg_decompress_struct j;
  TconvJpegError                e;
  FILE                         *f = fopen (path, "rb");

  memset (d, 0, sizeof *d);
  memset (facts, 0, sizeof *facts);
  if (f == NULL)
    return cannot_open (path, error);
  j.err = errors (&e);
  if (setjmp (e.escape))
    {
      jpeg_destroy_decompress (&j);
      fclose (f);
      g_clear_pointer (&d->data, g_free);
      tconv_facts_clear (facts);
      return fail (path, &e, error);
    }
  start_reading (&j, f);
  read_facts (&j, facts);
  read_pixels (&j, d);
  jpeg_destroy_decompress (&j);
  if (facts->orientation >= 5) /* the resolution follows the axes */
    {
      guint32 x_ppm = facts->x_ppm;
      facts->x_ppm = facts->y_ppm, facts->y_ppm = x_ppm;
    }
  fclose (f);
  if (facts->orientation != 1 && !make_upright (d, facts->orientation))
    {
      g_clear_pointer (&d->data, g_free);
      tconv_facts_clear (facts);
      g_strlcpy (e.message, "not enough memory for the image", sizeof e.message);
      return fail (path, &e, error);
    }
  return TRUE;
}

/* ---- writing --------------------------------------------------------------------- */

struct TconvJpegWriter
{
  struct jpeg_compress_struct c;
  TconvJpegError              e;
};

/* The EXIF block for the result (new size, orientation 1) as an APP1 marker. */
static void
write_exif (TconvJpegWriter *w, const TconvFacts *facts)
{
  if (facts->exif == NULL)
    return;
  gsize             size;
  const guint8     *tiff = g_bytes_get_data (facts->exif, &size);
  g_autoptr (GBytes) out = tconv_exif_for_output (tiff, size, (int) w->c.image_width,
                                                  (int) w->c.image_height,
                                                  facts->orientation != 1);
  if (out == NULL || g_bytes_get_size (out) + EXIF_PREFIX_LEN > 65533) /* one marker's limit */
    return;
  g_autoptr (GByteArray) app1 = g_byte_array_new ();
  g_byte_array_append (app1, (const guint8 *) EXIF_PREFIX, EXIF_PREFIX_LEN);
  g_byte_array_append (app1, g_bytes_get_data (out, NULL), (guint) g_bytes_get_size (out));
  jpeg_write_marker (&w->c, JPEG_APP0 + 1, app1->data, app1->len);
}

/* Inside the writer's setjmp. */
static void
start_writing (TconvJpegWriter *w, FILE *f, int channels, int quality, const TconvFacts *facts)
{
  jpeg_stdio_dest (&w->c, f);
  w->c.input_components = channels;
  w->c.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults (&w->c);
  jpeg_set_quality (&w->c, quality ? quality : TCONV_DEFAULT_JPEG_QUALITY, TRUE);
  w->c.optimize_coding = TRUE;
  if (facts->x_ppm && facts->y_ppm
      && facts->x_ppm * METRES_PER_INCH < G_MAXUINT16
      && facts->y_ppm * METRES_PER_INCH < G_MAXUINT16)
    {
      w->c.density_unit = 1; /* dots per inch */
      w->c.X_density = (UINT16) (facts->x_ppm * METRES_PER_INCH + 0.5);
      w->c.Y_density = (UINT16) (facts->y_ppm * METRES_PER_INCH + 0.5);
    }
  jpeg_start_compress (&w->c, TRUE);
  write_exif (w, facts);
  if (facts->icc)
    jpeg_write_icc_profile (&w->c, g_bytes_get_data (facts->icc, NULL),
                            (unsigned int) g_bytes_get_size (facts->icc));
}

TconvJpegWriter *
tconv_jpeg_writer_new (FILE *f, int width, int height, int channels, int quality,
                       const TconvFacts *facts, char *msg)
{
  TconvJpegWriter *w = g_new0 (TconvJpegWriter, 1);

  w->c.err = errors (&w->e);
  if (setjmp (w->e.escape))
    {
      g_strlcpy (msg, w->e.message, 256);
      tconv_jpeg_writer_free (w);
      return NULL;
    }
  jpeg_create_compress (&w->c);
  w->c.image_width = (JDIMENSION) width;
  w->c.image_height = (JDIMENSION) height;
  start_writing (w, f, channels, quality, facts);
  return w;
}

gboolean
tconv_jpeg_writer_row (TconvJpegWriter *w, const guint8 *row, char *msg)
{
  JSAMPROW r = (JSAMPROW) row;
  if (setjmp (w->e.escape))
    {
      g_strlcpy (msg, w->e.message, 256);
      return FALSE;
    }
  jpeg_write_scanlines (&w->c, &r, 1);
  return TRUE;
}

gboolean
tconv_jpeg_writer_finish (TconvJpegWriter *w, char *msg)
{
  if (setjmp (w->e.escape))
    {
      g_strlcpy (msg, w->e.message, 256);
      return FALSE;
    }
  jpeg_finish_compress (&w->c);
  return TRUE;
}

void
tconv_jpeg_writer_free (TconvJpegWriter *w)
{
  if (w == NULL)
    return;
  jpeg_destroy_compress (&w->c);
  g_free (w);
}
