/* tconv — a team of threads that share each step of one caller's work: the caller and
 * its helpers run one function together, each its own share, and the caller returns when
 * all are done.  For work split finer than tiles: the rows of a wide layer, a tenth of a
 * millisecond each, where a tile's halo would cost more than the split (core/simd). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TconvTeam TconvTeam;

/* Unit `unit` of a step's work on `data`, by team member `member` (0 .. size - 1). */
typedef void (*TconvTeamFunc) (gpointer data, int unit, int member);

/* Gives the calling thread a team of `threads` (itself and threads - 1 helpers, started
 * now) for the wide layers it runs from now on; 1 (or less) ends the team.  Helpers wait
 * spinning between steps, then asleep once the caller has been away a while. */
void       tconv_team_set_for_thread (int threads);
/* The calling thread's team, or NULL. */
TconvTeam *tconv_team_for_thread (void);
int        tconv_team_size (const TconvTeam *team);
/* Runs units 0 .. n_units - 1 of fn on the team, the caller being member 0; returns when
 * all are done.  Members take units as they come free: a helper that the system does
 * not run (a loaded machine) holds up no more than the unit it has begun. */
void       tconv_team_run (TconvTeam *team, TconvTeamFunc fn, gpointer data, int n_units);

G_END_DECLS
