/* Replays fuzz inputs through a harness without libFuzzer, so every build (the
 * sanitizer one included) runs the committed corpus, regression inputs among them.
 * Prints each input's time: slow-input regressions are read off it, not asserted.
 *   replay FILE... */
#include <stdio.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
main (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      g_autofree gchar *data = NULL;
      gsize             len = 0;
      g_autoptr (GError) error = NULL;
      if (!g_file_get_contents (argv[i], &data, &len, &error))
        {
          fprintf (stderr, "replay: %s\n", error->message);
          return 1;
        }
      gint64 t0 = g_get_monotonic_time ();
      LLVMFuzzerTestOneInput ((const guint8 *) data, len);
      printf ("%s: %.1f ms\n", argv[i], (g_get_monotonic_time () - t0) / 1000.0);
    }
  return 0;
}
