/* A team of threads sharing each step of one caller's work (team.h).
 *
 * A step is a tenth of a millisecond, thousands of them a second: the helpers wait for
 * the next one spinning on a ticket, not on a condition variable (a wake-up through the
 * kernel costs several microseconds each way).  After SPINS rounds without a step (the
 * caller is doing something else: reading a tile, a narrow layer) a helper sleeps on a
 * condition variable, so that an idle team costs nothing.
 *
 * The ticket is one 64-bit word: the step's number, its count of units and the next unit
 * to take.  Members take a unit by compare-and-swap on it, so a helper that wakes up late
 * can never take a unit of a step that is over, nor of the wrong step: a successful swap
 * on step g's word means step g was still running, so its fn and data were still set. */
#include "team.h"

/* Rounds of the spin loop before a helper sleeps: at a pause of 10-100 ns, about 1 ms. */
#define SPINS 20000

#define UNIT_BITS 20
#define UNIT_MASK ((1 << UNIT_BITS) - 1)
#define STEP_MASK ((1u << (64 - 2 * UNIT_BITS)) - 1)
#define TICKET(step, n, next) (((guint64) (step) << (2 * UNIT_BITS)) | ((guint64) (n) << UNIT_BITS) | (next))
#define TICKET_STEP(t)        ((guint) ((t) >> (2 * UNIT_BITS)))
#define TICKET_N(t)           ((int) (((t) >> UNIT_BITS) & UNIT_MASK))
#define TICKET_NEXT(t)        ((int) ((t) & UNIT_MASK))

struct _TconvTeam
{
  int           n;      /* members: the caller and n - 1 helpers */
  GThread     **helpers;
  TconvTeamFunc fn;
  gpointer      data;
  guint64       ticket; /* step, units, next unit (atomic) */
  guint         step;   /* the caller's count of steps */
  gint          done;   /* units of the current step finished */
  gint          quit, sleeping;
  GMutex        lock;
  GCond         wake;
};

typedef struct
{
  TconvTeam *team;
  int        member;
} Helper;

static inline void
relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#endif
}

static inline guint64
load_ticket (TconvTeam *t)
{
  return __atomic_load_n (&t->ticket, __ATOMIC_SEQ_CST);
}

/* Takes and runs units of the step whose ticket `w` was read, until none is left. */
static void
take_units (TconvTeam *t, guint64 w, int member)
{
  const guint step = TICKET_STEP (w);
  while (TICKET_STEP (w) == step && TICKET_NEXT (w) < TICKET_N (w))
    if (__atomic_compare_exchange_n (&t->ticket, &w, w + 1, FALSE, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
      {
        t->fn (t->data, TICKET_NEXT (w), member);
        g_atomic_int_inc (&t->done);
        w = load_ticket (t);
      }
}

/* Waits for a step other than `seen`; returns its ticket. */
static guint64
next_step (TconvTeam *t, guint seen)
{
  guint64 w;
  for (int spin = 0; spin < SPINS; spin++)
    {
      w = load_ticket (t);
      if (TICKET_STEP (w) != seen)
        return w;
      relax ();
    }
  g_mutex_lock (&t->lock);
  g_atomic_int_inc (&t->sleeping);
  /* the caller sets the ticket, then looks for sleepers: either it sees this one, or
   * this one sees its step here (both are sequentially consistent) */
  while (TICKET_STEP (w = load_ticket (t)) == seen)
    g_cond_wait (&t->wake, &t->lock);
  g_atomic_int_add (&t->sleeping, -1);
  g_mutex_unlock (&t->lock);
  return w;
}

static gpointer
helper_main (gpointer data)
{
  Helper    *h = data;
  TconvTeam *t = h->team;
  guint      seen = 0;

  for (;;)
    {
      guint64 w = next_step (t, seen);
      if (g_atomic_int_get (&t->quit))
        break;
      seen = TICKET_STEP (w);
      take_units (t, w, h->member);
    }
  g_free (h);
  return NULL;
}

/* Starts step t->step of n units: fn and data are set before its ticket. */
static void
start_step (TconvTeam *t, int n)
{
  __atomic_store_n (&t->ticket, TICKET (t->step, n, 0), __ATOMIC_SEQ_CST);
  if (g_atomic_int_get (&t->sleeping))
    {
      g_mutex_lock (&t->lock);
      g_cond_broadcast (&t->wake);
      g_mutex_unlock (&t->lock);
    }
}

static TconvTeam *
team_new (int threads)
{
  TconvTeam *t = g_new0 (TconvTeam, 1);

  g_mutex_init (&t->lock);
  g_cond_init (&t->wake);
  t->helpers = g_new0 (GThread *, threads);
  t->n = 1;
  for (int i = 1; i < threads; i++)
    {
      Helper *h = g_new (Helper, 1);
      *h = (Helper) { t, i };
      t->helpers[i] = g_thread_try_new ("tconv-team", helper_main, h, NULL);
      if (t->helpers[i] == NULL)
        {
          g_free (h);
          break; /* a smaller team still works */
        }
      t->n++;
    }
  return t;
}

static void
team_free (gpointer data)
{
  TconvTeam *t = data;

  if (t == NULL)
    return;
  g_atomic_int_set (&t->quit, 1);
  t->step = (t->step + 1) & STEP_MASK;
  start_step (t, 0);
  for (int i = 1; i < t->n; i++)
    g_thread_join (t->helpers[i]);
  g_mutex_clear (&t->lock);
  g_cond_clear (&t->wake);
  g_free (t->helpers);
  g_free (t);
}

static GPrivate thread_team = G_PRIVATE_INIT (team_free);

void
tconv_team_set_for_thread (int threads)
{
  TconvTeam *old = g_private_get (&thread_team);

  if (threads <= 1 ? old == NULL : old && old->n == threads)
    return;
  g_private_replace (&thread_team, threads > 1 ? team_new (threads) : NULL);
}

TconvTeam *
tconv_team_for_thread (void)
{
  return g_private_get (&thread_team);
}

int
tconv_team_size (const TconvTeam *team)
{
  return team ? team->n : 1;
}

void
tconv_team_run (TconvTeam *t, TconvTeamFunc fn, gpointer data, int n_units)
{
  g_return_if_fail (n_units <= UNIT_MASK);
  t->fn = fn;
  t->data = data;
  g_atomic_int_set (&t->done, 0);
  t->step = (t->step + 1) & STEP_MASK;
  start_step (t, n_units);
  take_units (t, load_ticket (t), 0);
  /* only units a helper has begun are left: a short spin, yielding if the helper was
   * descheduled (a loaded machine) */
  for (int spin = 0; g_atomic_int_get (&t->done) < n_units; spin++)
    if (spin < SPINS)
      relax ();
    else
      g_thread_yield ();
}
