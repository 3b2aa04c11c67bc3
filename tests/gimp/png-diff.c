/* png-diff A B: prints "WxH WxH max-difference" of two images (in 1/255 units, over
 * their common channels as R'G'B'A float).  Used by the GIMP batch tests. */
#include <gegl.h>
#include <math.h>
#include <stdio.h>

static GeglBuffer *
load (const char *path)
{
  GeglBuffer *buf = NULL;
  GeglNode   *g = gegl_node_new ();
  GeglNode   *l = gegl_node_new_child (g, "operation", "gegl:load", "path", path, NULL);
  GeglNode   *s = gegl_node_new_child (g, "operation", "gegl:buffer-sink", "buffer", &buf, NULL);
  gegl_node_link (l, s);
  gegl_node_process (s);
  g_object_unref (g);
  return buf;
}

int
main (int argc, char **argv)
{
  if (argc != 3)
    return 2;
  gegl_init (NULL, NULL);
  GeglBuffer          *a = load (argv[1]), *b = load (argv[2]);
  const GeglRectangle *ra = gegl_buffer_get_extent (a), *rb = gegl_buffer_get_extent (b);
  double               worst = 0.0;

  if (ra->width == rb->width && ra->height == rb->height && ra->width > 0)
    {
      gsize  n = (gsize) ra->width * ra->height * 4;
      float *pa = g_new (float, n), *pb = g_new (float, n);
      gegl_buffer_get (a, ra, 1.0, babl_format ("R'G'B'A float"), pa, GEGL_AUTO_ROWSTRIDE,
                       GEGL_ABYSS_NONE);
      gegl_buffer_get (b, rb, 1.0, babl_format ("R'G'B'A float"), pb, GEGL_AUTO_ROWSTRIDE,
                       GEGL_ABYSS_NONE);
      for (gsize i = 0; i < n; i++)
        worst = MAX (worst, fabs ((double) pa[i] - pb[i]));
      g_free (pa);
      g_free (pb);
    }
  printf ("%dx%d %dx%d %.4f\n", ra->width, ra->height, rb->width, rb->height, worst * 255.0);
  g_object_unref (a);
  g_object_unref (b);
  gegl_exit ();
  return 0;
}
