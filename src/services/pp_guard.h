/* pp_guard.h - the post-process's guard against an output whose reading
 * kills or hangs the process. A malformed or hostile file can make HDF5
 * crash or loop for ever (a fuzzed 45 KB output hangs Debian 12's HDF5
 * 1.10.8 in H5Aread), and such a file would be read again by every run:
 * a post-process that never finishes, or a Lambda that times out on every
 * invocation. So:
 *
 * - a marker, {state_dir}/postprocess.reading (mapped shared: setting it
 *   costs no system call, and a process's death leaves it in the page
 *   cache), names the output being read and how many runs have died
 *   reading it;
 * - a watchdog thread ends the process when one read takes longer than
 *   the deadline, after marking the output as having hung;
 * - the next run takes an output that hung, or whose reading two runs in
 *   a row did not survive, as unreadable (the caller records it so, and
 *   it is not read again). One death alone could be a kill from outside
 *   (a stop, the OOM killer), so the output gets one more try.
 *
 * Where the state directory does not outlive the process (a Lambda whose
 * environment is replaced) only the deadline helps: the run ends with an
 * error naming the file instead of running into the function's timeout. */
#ifndef RNR_SERVICES_PP_GUARD_H
#define RNR_SERVICES_PP_GUARD_H

#include "core/error.h"
#include "ports/store.h"

typedef struct pp_guard pp_guard;

/* Open the marker in state_dir and start the watchdog (deadline_s 0: no
 * watchdog). *out is NULL and an error returned when the marker cannot
 * be made; reading then goes on unguarded (the caller's choice). */
int pp_guard_open(const char *state_dir, unsigned deadline_s, pp_guard **out,
                  rnr_error *err) RNR_WARN_UNUSED;
/* The output a previous run left in the marker as unreadable (it hung, or
 * two runs died reading it): 1 with *o filled (o->key lives as long as
 * g) and why set, else 0. */
int pp_guard_poisoned(const pp_guard *g, store_object *o, char *why, size_t n);
/* About to read o / done reading it. Outputs whose key does not fit the
 * marker are read unguarded. */
void pp_guard_enter(pp_guard *g, const store_object *o);
void pp_guard_leave(pp_guard *g);
/* Stop the watchdog and empty the marker: this run read every output it
 * started on. NULL is a no-op. */
void pp_guard_close(pp_guard *g);

#endif
