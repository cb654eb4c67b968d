/* up_status.c - the live status line of `rnr up`. */
#include "services/up_status.h"

#include "core/log.h"
#include "core/timeutil.h"

#include <stdio.h>
#include <string.h>

void up_status_init(up_status *st, int tty)
{
    memset(st, 0, sizeof *st);
    st->tty = tty;
    st->last_ms = -1;
}

int up_status_due(up_status *st, int force)
{
    int64_t now = time_mono_ms();
    int64_t every = st->tty ? 500 : 5000;
    if (!force && st->last_ms >= 0 && now - st->last_ms < every)
        return 0;
    st->last_ms = now;
    return 1;
}

static void fmt_count(char *buf, size_t n, int64_t v)
{
    if (v < 0)
        snprintf(buf, n, "?");
    else
        snprintf(buf, n, "%lld", (long long)v);
}

void up_status_format(const up_status_view *v, char *buf, size_t n)
{
    char ready[24], unacked[24], dead[24], outputs[24];
    fmt_count(ready, sizeof ready, v->ready);
    fmt_count(unacked, sizeof unacked, v->unacked);
    fmt_count(dead, sizeof dead, v->dead);
    fmt_count(outputs, sizeof outputs, v->outputs);
    snprintf(buf, n,
             "queue %s ready, %s in flight, %s dead | workers %d/%d | outputs %s | errors %d",
             ready, unacked, dead, v->running, v->desired, outputs, v->errors);
}

void up_status_show(up_status *st, const up_status_view *v)
{
    char line[256];
    up_status_format(v, line, sizeof line);
    if (st->tty) {
        /* Clear to the end of the line and return the cursor to column 0,
         * so a log line printed meanwhile overwrites it instead of
         * trailing it. */
        fprintf(stderr, "\r\033[K%s\r", line);
        fflush(stderr);
        st->shown = 1;
    } else if (strcmp(line, st->last) != 0) {
        log_info("up", "%s", line);
    }
    snprintf(st->last, sizeof st->last, "%s", line);
}

void up_status_end(up_status *st)
{
    if (st->tty && st->shown) {
        fprintf(stderr, "\033[K%s\n", st->last);
        st->shown = 0;
    }
}
