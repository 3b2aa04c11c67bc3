#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "image-io.h"
#include "jpeg-io.h"
#include "png-pipeline.h"
#include "png-save.h"
#include "tconv-error.h"
#include "temporaries.h"

void
tconv_image_clear (TconvImage *image)
{
  g_clear_object (&image->buffer);
}

static gint64 max_pixels = TCONV_DEFAULT_MAX_PIXELS;

void
tconv_image_set_max_pixels (gint64 limit)
{
  max_pixels = limit;
}

static gboolean started;

void
tconv_gegl_start (void)
{
  static gsize once = 0;
  if (g_once_init_enter (&once))
    {
      gegl_init (NULL, NULL);
      /* tiles of the images being read and written stay in memory */
      g_object_set (gegl_config (), "tile-cache-size", (guint64) 256 << 20, NULL);
      g_once_init_leave (&once, 1);
      started = TRUE;
    }
}

void
tconv_gegl_stop (void)
{
  if (started)
    gegl_exit ();
}

static gboolean
check_readable (const char *path, GError **error)
{
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "%s: no such file", path);
      return FALSE;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR) || g_access (path, R_OK) != 0)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "%s: cannot be read", path);
      return FALSE;
    }
  return TRUE;
}

gboolean
tconv_image_probe (const char *path, int *width, int *height, GError **error)
{
  GeglRectangle r = { 0 };
  int           channels;

  if (!check_readable (path, error))
    return FALSE;
  if (tconv_is_png_file (path)) /* libpng reads the header without GEGL */
    {
      if (!tconv_png_header (path, &r.width, &r.height, &channels, error))
        return FALSE;
    }
  else if (tconv_is_jpeg_file (path)) /* and libjpeg, as shown (orientation applied) */
    {
      if (!tconv_jpeg_header (path, &r.width, &r.height, &channels, error))
        return FALSE;
    }
  else
    {
      tconv_gegl_start ();
      GeglNode *graph = gegl_node_new ();
      GeglNode *load = gegl_node_new_child (graph, "operation", "gegl:load", "path", path, NULL);
      r = gegl_node_get_bounding_box (load); /* the loaders read only the header */
      g_object_unref (graph);
    }
  *width = r.width, *height = r.height;
  if (r.width < 1 || r.height < 1)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO,
                   "%s: not an image GEGL can decode (corrupt or unsupported format)", path);
      return FALSE;
    }
  if ((gint64) r.width * r.height > max_pixels)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_TOO_LARGE,
                   "%s: the image declares %dx%d = %" G_GINT64_FORMAT " pixels; the limit is %"
                   G_GINT64_FORMAT " (--max-pixels), so it was not decoded",
                   path, r.width, r.height, (gint64) r.width * r.height, max_pixels);
      return FALSE;
    }
  return TRUE;
}

/* A JPEG as the GEGL-free pipeline reads it (cli/jpeg-io.c): upright by its EXIF
 * orientation, damaged data refused; its ICC profile becomes the buffer's colour space. */
static gboolean
load_jpeg (const char *path, TconvImage *image, GError **error)
{
  TconvDecoded d;
  TconvFacts   facts;
  const Babl  *space = NULL;
  const char  *icc_error = NULL;

  if (!tconv_jpeg_decode (path, &d, &facts, error))
    return FALSE;
  if (facts.icc)
    space = babl_space_from_icc (g_bytes_get_data (facts.icc, NULL),
                                 (int) g_bytes_get_size (facts.icc),
                                 BABL_ICC_INTENT_RELATIVE_COLORIMETRIC, &icc_error);
  const Babl *format = babl_format_with_space (d.channels == 1 ? "Y' u8" : "R'G'B' u8", space);
  image->buffer = gegl_buffer_new (GEGL_RECTANGLE (0, 0, d.w, d.h), format);
  gegl_buffer_set (image->buffer, NULL, 0, format, d.data, (int) d.stride);
  image->width = d.w, image->height = d.h, image->channels = d.channels, image->bits = 8;
  g_free (d.data);
  tconv_facts_clear (&facts);
  return TRUE;
}

gboolean
tconv_image_load (const char *path, TconvImage *image, GError **error)
{
  int w, h, channels;
  memset (image, 0, sizeof *image);
  /* a missing file is said before GEGL starts (a few hundred ms and MB) */
  if (!check_readable (path, error))
    return FALSE;
  tconv_gegl_start ();
  if (!tconv_image_probe (path, &w, &h, error))
    return FALSE;
  if (tconv_is_jpeg_file (path) && tconv_jpeg_header (path, &w, &h, &channels, NULL)
      && channels != 4) /* CMYK: GEGL's loader */
    return load_jpeg (path, image, error);

  GeglNode *graph = gegl_node_new ();
  GeglNode *load = gegl_node_new_child (graph, "operation", "gegl:load", "path", path, NULL);
  GeglNode *sink = gegl_node_new_child (graph, "operation", "gegl:buffer-sink", "buffer",
                                        &image->buffer, NULL);
  gegl_node_link (load, sink);
  gegl_node_process (sink);
  g_object_unref (graph);

  const GeglRectangle *r = image->buffer ? gegl_buffer_get_extent (image->buffer) : NULL;
  if (r == NULL || r->width < 1 || r->height < 1)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO,
                   "%s: not an image GEGL can decode (corrupt or unsupported format)", path);
      tconv_image_clear (image);
      return FALSE;
    }
  if (r->x != 0 || r->y != 0)
    {
      /* move the origin to (0, 0) */
      GeglBuffer *moved = g_object_new (GEGL_TYPE_BUFFER, "source", image->buffer, "shift-x",
                                        r->x, "shift-y", r->y, NULL);
      g_object_unref (image->buffer);
      image->buffer = moved;
    }

  const Babl *format = gegl_buffer_get_format (image->buffer);
  const char *type = babl_get_name (babl_format_get_type (format, 0));

  image->width = r->width;
  image->height = r->height;
  image->channels = tconv_gegl_channels (format);
  image->bits = g_str_equal (type, "u8") ? 8 : g_str_equal (type, "u16") ? 16 : 32;
  return TRUE;
}

GeglBuffer *
tconv_image_new_like (const TconvImage *image, int width, int height)
{
  static const char *const names[] = { NULL, "Y'", "Y'A", "R'G'B'", "R'G'B'A" };
  const char      *type = image->bits == 8 ? "u8" : image->bits == 16 ? "u16" : "float";
  g_autofree char *name = g_strdup_printf ("%s %s", names[image->channels], type);
  const Babl      *format = babl_format_with_space (name, gegl_buffer_get_format (image->buffer));

  return gegl_buffer_new (GEGL_RECTANGLE (0, 0, width, height), format);
}

gboolean
tconv_image_save (GeglBuffer *buffer, int bits, const char *path, GError **error)
{
  TconvSaveOptions o = { bits, 0, TCONV_DEFAULT_PNG_LEVEL, 0, 0, NULL };
  return tconv_image_save_with (buffer, &o, path, error);
}

/* GEGL's saver for the file's extension: JPEG and WebP at a quality, the rest as GEGL does. */
static GeglNode *
saver (GeglNode *graph, const char *ext, const char *tmp, int quality)
{
  if (quality && (g_str_equal (ext, ".jpg") || g_str_equal (ext, ".jpeg")))
    return gegl_node_new_child (graph, "operation", "gegl:jpg-save", "path", tmp, "quality",
                                quality, NULL);
  if (quality && g_str_equal (ext, ".webp"))
    return gegl_node_new_child (graph, "operation", "gegl:webp-save", "path", tmp, "quality",
                                quality, NULL);
  return gegl_node_new_child (graph, "operation", "gegl:save", "path", tmp, NULL);
}

/* Writes the temporary `fd` (which it closes) in the format of `ext`. */
static gboolean
write_temporary (GeglBuffer *buffer, const TconvSaveOptions *o, const char *ext, int fd,
                 const char *tmp, const char *path, GError **error)
{
  if (g_str_equal (ext, ".png"))
    {
      FILE           *f = fdopen (fd, "wb");
      TconvPngOptions p = { o->bits, o->png_level, o->x_ppm, o->y_ppm, o->icc };
      gboolean        ok = f && tconv_png_write (buffer, &p, f, error);
      if (!ok)
        g_prefix_error (error, "%s: ", path);
      /* a full disk can show only when the last buffered bytes are flushed */
      if (f && fclose (f) != 0 && ok)
        {
          g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "%s: %s", path, g_strerror (errno));
          ok = FALSE;
        }
      return ok;
    }
  /* GIO's replace of a file that exists writes a hidden .goutputstream-XXXXXX of its own,
   * which a signal would leave behind; to a free name it writes that name itself */
  close (fd);
  g_unlink (tmp);
  GeglNode *graph = gegl_node_new ();
  GeglNode *src = gegl_node_new_child (graph, "operation", "gegl:buffer-source", "buffer", buffer, NULL);
  GeglNode *save = saver (graph, ext, tmp, o->quality);
  gegl_node_link (src, save);
  gegl_node_process (save);
  g_object_unref (graph);
  GStatBuf st;
  if (g_stat (tmp, &st) != 0 || st.st_size == 0)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO,
                   "%s: GEGL could not write this format (is \"%s\" a known extension?)", path,
                   ext);
      return FALSE;
    }
  return TRUE;
}

int
tconv_output_temporary (const char *path, char **tmp, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  const char      *dot = strrchr (base, '.');

  *tmp = NULL;
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "%s: folder %s does not exist", path,
                   dir);
      return -1;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "%s is a folder", path);
      return -1;
    }
  /* the rename would replace a device or a pipe (as root, /dev/null itself) by the file */
  if (g_file_test (path, G_FILE_TEST_EXISTS) && !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO,
                   "%s is not a regular file (a device or a pipe); tconv writes files", path);
      return -1;
    }
  /* The temporary keeps the extension: GEGL picks the file format from it. */
  *tmp = g_strdup_printf ("%s/.%.*s.tconv-XXXXXX%s", dir,
                          (int) (dot ? (gsize) (dot - base) : strlen (base)), base, dot ? dot : "");
  int fd = g_mkstemp_full (*tmp, O_WRONLY, 0644);
  if (fd < 0)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "%s: cannot write in %s: %s", path, dir,
                   g_strerror (errno));
      g_clear_pointer (tmp, g_free);
    }
  else
    tconv_temporaries_add (*tmp);
  return fd;
}

gboolean
tconv_output_commit (const char *tmp, const char *path, GError **error)
{
  if (g_rename (tmp, path) != 0)
    {
      g_set_error (error, TCONV_ERROR, TCONV_ERROR_IO, "%s: %s", path, g_strerror (errno));
      tconv_output_discard (tmp);
      return FALSE;
    }
  tconv_temporaries_remove (tmp);
  return TRUE;
}

void
tconv_output_discard (const char *tmp)
{
  g_unlink (tmp);
  tconv_temporaries_remove (tmp);
}

gboolean
tconv_image_save_with (GeglBuffer *buffer, const TconvSaveOptions *o, const char *path,
                       GError **error)
{
  g_autofree char *base = g_path_get_basename (path);
  const char      *dot = strrchr (base, '.');
  g_autofree char *ext = g_ascii_strdown (dot ? dot : "", -1);
  g_autofree char *tmp = NULL;
  int              fd = tconv_output_temporary (path, &tmp, error);

  if (fd < 0)
    return FALSE;
  if (!write_temporary (buffer, o, ext, fd, tmp, path, error))
    {
      tconv_output_discard (tmp);
      return FALSE;
    }
  return tconv_output_commit (tmp, path, error);
}
