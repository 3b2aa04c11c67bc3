#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "temporaries.h"

/* One slot per file being written at once (a batch writes at most one per job).  The
 * handler reads the slots without a lock, which it may not take: a path is complete
 * before its pointer is published, and freed only after the pointer is cleared. */
#define SLOTS 256
static char *slots[SLOTS]; /* read and written with g_atomic_pointer_* */
static GMutex lock;

void
tconv_temporaries_add (const char *path)
{
  char *copy = g_strdup (path);
  g_mutex_lock (&lock);
  for (int i = 0; i < SLOTS; i++)
    if (g_atomic_pointer_get (&slots[i]) == NULL)
      {
        g_atomic_pointer_set (&slots[i], copy);
        copy = NULL;
        break;
      }
  g_mutex_unlock (&lock);
  g_free (copy); /* all slots taken: only by a run far wider than any machine's cores */
}

void
tconv_temporaries_remove (const char *path)
{
  char *gone = NULL;
  g_mutex_lock (&lock);
  for (int i = 0; i < SLOTS && gone == NULL; i++)
    if (slots[i] && strcmp (slots[i], path) == 0)
      {
        gone = slots[i];
        g_atomic_pointer_set (&slots[i], NULL);
      }
  g_mutex_unlock (&lock);
  g_free (gone);
}

/* Async-signal-safe: unlink(2), then the signal again with its default action. */
static void
on_signal (int sig)
{
  for (int i = 0; i < SLOTS; i++)
    {
      char *path = g_atomic_pointer_get (&slots[i]);
      if (path)
        unlink (path);
    }
  signal (sig, SIG_DFL);
  raise (sig);
}

void
tconv_temporaries_catch_signals (void)
{
  static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset (&sa.sa_mask);
  for (guint i = 0; i < G_N_ELEMENTS (sigs); i++)
    sigaddset (&sa.sa_mask, sigs[i]); /* one handler at a time */
  for (guint i = 0; i < G_N_ELEMENTS (sigs); i++)
    {
      struct sigaction old;
      /* a signal the caller ignores (nohup, a background job's SIGINT) stays ignored */
      if (sigaction (sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
        sigaction (sigs[i], &sa, NULL);
    }
}
