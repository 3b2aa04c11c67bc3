/* The JPEG quality estimate (cli/jpeg-quality.c): files saved by PIL at known qualities
 * (tests/cli/gen_jpeg_quality.py) come back within 2 and exact; files with tables of
 * their own come back near the IJG quality they were made from, not exact; a PNG is
 * quality 0; a JPEG whose header breaks off is an error naming it. */
#include <glib/gstdio.h>
#include <string.h>

#include "jpeg-quality.h"

static char *
data_path (const char *name)
{
  return g_build_filename (g_getenv ("TCONV_TEST_DATA"), "jpeg-quality", name, NULL);
}

/* Every file of the folder against the quality its name says (q<Q>-*, own-q<Q>-*). */
static void
test_saved_qualities (void)
{
  g_autofree char *dir_path = data_path (NULL);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char      *name;
  int              n = 0, own = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)))
    {
      gboolean         own_tables = g_str_has_prefix (name, "own-");
      const char      *q_at = name + (own_tables ? 5 : 1);
      int              saved = (int) g_ascii_strtoll (q_at, NULL, 10), quality;
      gboolean         exact;
      g_autofree char *path = data_path (name);
      g_autoptr (GError) error = NULL;

      g_assert_true (tconv_jpeg_file_quality (path, &quality, &exact, &error));
      g_assert_no_error (error);
      g_test_message ("%s: saved at %d, estimated %d (%s)", name, saved, quality,
                      exact ? "exact" : "nearest");
      g_assert_cmpint (ABS (quality - saved), <=, 2);
      g_assert_cmpint (exact, ==, !own_tables);
      if (!own_tables)
        g_assert_cmpint (quality, ==, saved); /* IJG's own tables: the quality itself */
      n++;
      own += own_tables;
    }
  g_assert_cmpint (n, >=, 19);
  g_assert_cmpint (own, ==, 2);
}

static void
test_not_jpeg_and_broken (void)
{
  g_autofree char *png = g_build_filename (g_getenv ("TCONV_TEST_DATA"), "Set5", "img_001.png",
                                           NULL);
  g_autofree char *q75 = data_path ("q75-420.jpg");
  g_autofree char *tmp = g_dir_make_tmp ("tconv-jpeg-quality-XXXXXX", NULL);
  g_autofree char *cut = g_build_filename (tmp, "cut.jpg", NULL);
  g_autofree char *bytes = NULL;
  gsize            len;
  int              quality = -1;
  g_autoptr (GError) error = NULL;

  g_assert_true (tconv_jpeg_file_quality (png, &quality, NULL, &error));
  g_assert_cmpint (quality, ==, 0);
  /* the first 40 bytes: the start of the file, before its tables end */
  g_assert_true (g_file_get_contents (q75, &bytes, &len, NULL));
  g_assert_true (g_file_set_contents (cut, bytes, 40, NULL));
  g_assert_false (tconv_jpeg_file_quality (cut, &quality, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, cut));
  g_assert_cmpint (quality, ==, 0);
  g_remove (cut);
  g_rmdir (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/jpeg-quality/saved-qualities", test_saved_qualities);
  g_test_add_func ("/jpeg-quality/not-jpeg-and-broken", test_not_jpeg_and_broken);
  return g_test_run ();
}
