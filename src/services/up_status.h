/* up_status.h - what `rnr up` shows while it runs: one status line
 * redrawn in place on a terminal, or a plain log line when the state
 * changes (at most every few seconds) otherwise. */
#ifndef RNR_SERVICES_UP_STATUS_H
#define RNR_SERVICES_UP_STATUS_H

#include <stddef.h>
#include <stdint.h>

typedef struct up_status_view {
    int64_t ready, unacked, dead; /* queue depth; -1 unknown; dead = added by this run */
    int running, desired;         /* workers */
    int outputs;                  /* NetCDF files stored since the start, -1 unknown */
    int errors;                   /* worker exits nobody asked for */
} up_status_view;

typedef struct up_status {
    int tty;         /* redraw in place */
    int shown;       /* a line is on the terminal without its newline */
    int64_t last_ms; /* monotonic time of the last refresh */
    char last[256];  /* last text, to log only changes */
} up_status;

void up_status_init(up_status *st, int tty);
/* Is a refresh due (every 500 ms on a terminal, 5 s otherwise)? */
int up_status_due(up_status *st, int force);
void up_status_show(up_status *st, const up_status_view *v);
/* Finish the in-place line with a newline. */
void up_status_end(up_status *st);
/* "queue 3 ready, 1 in flight, 0 dead | workers 2/2 | outputs 5 | errors 0" */
void up_status_format(const up_status_view *v, char *buf, size_t n);

#endif
