#include "tconv-gegl.h"

static const char *const FLOAT_FORMATS[] = { NULL, "Y' float", "Y'A float", "R'G'B' float",
                                             "R'G'B'A float" };

const Babl *
tconv_gegl_float_format (int channels, const Babl *space_of)
{
  return babl_format_with_space (FLOAT_FORMATS[channels], space_of);
}

int
tconv_gegl_channels (const Babl *format)
{
  int alpha = babl_format_has_alpha (format) ? 1 : 0;
  return (babl_format_get_n_components (format) - alpha == 1 ? 1 : 3) + alpha;
}

typedef struct
{
  GeglBuffer   *buffer;
  const Babl   *format;
  GeglRectangle origin; /* the input's extent: engine coordinates start at its corner */
  int           channels;
} BufferIo;

static gboolean
read_buffer (gpointer data, int x, int y, int w, int h, float *pixels, GError **error)
{
  BufferIo *io = data;
  (void) error;
  gegl_buffer_get (io->buffer, GEGL_RECTANGLE (io->origin.x + x, io->origin.y + y, w, h), 1.0,
                   io->format, pixels, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_CLAMP);
  return TRUE;
}

static gboolean
write_buffer (gpointer data, int x, int y, int w, int h, const float *pixels, GError **error)
{
  BufferIo           *io = data;
  const GeglRectangle *e = gegl_buffer_get_extent (io->buffer);
  GeglRectangle        tile = { e->x + x, e->y + y, w, h }, clip;
  (void) error;

  if (!gegl_rectangle_intersect (&clip, &tile, e))
    return TRUE;
  const float *first = pixels + ((gsize) (clip.y - tile.y) * w + (clip.x - tile.x)) * io->channels;
  gegl_buffer_set (io->buffer, &clip, 0, io->format, first, w * io->channels * sizeof (float));
  return TRUE;
}

gboolean
tconv_gegl_upscale (const TconvModel *model, GeglBuffer *in, GeglBuffer *out,
                    const TconvRunOptions *options, GError **error)
{
  const Babl   *in_format = gegl_buffer_get_format (in);
  int           channels = tconv_gegl_channels (in_format);
  const Babl   *format = tconv_gegl_float_format (channels, in_format);
  BufferIo      src = { in, format, *gegl_buffer_get_extent (in), channels };
  BufferIo      dst = { out, format, *gegl_buffer_get_extent (out), channels };
  TconvImageInfo info = { src.origin.width, src.origin.height, channels };

  return tconv_engine_run (model, &info, read_buffer, &src, write_buffer, &dst, options, error);
}

gboolean
tconv_is_image_name (const char *name, gboolean with_xcf)
{
  static const char *const suffixes[] = { ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp",
                                          ".exr", ".bmp", NULL };
  g_autofree char *lower = g_ascii_strdown (name, -1);
  for (int i = 0; suffixes[i]; i++)
    if (g_str_has_suffix (lower, suffixes[i]))
      return TRUE;
  return with_xcf && g_str_has_suffix (lower, ".xcf");
}

int
tconv_compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}
