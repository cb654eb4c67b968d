/* up_status.c - the live status line of `rnr up` and its --once summary
 * table. */
#include "services/up_status.h"

#include "core/log.h"
#include "core/timeutil.h"
#include "nws/decide.h"
#include "services/up.h"

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
    snprintf(buf, n, "queue %s ready, %s in flight, %s dead | workers %d/%d | outputs %s | errors %d",
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

static void row(FILE *f, const char *name, const char *fmt, long long v)
{
    fprintf(f, "  %-28s ", name);
    fprintf(f, fmt, v);
    fputc('\n', f);
}

void up_summary_print(const up_summary *s, const rnr_config *cfg, FILE *f)
{
    fprintf(f, "%s\n", s->once ? "rnr up --once summary" : "rnr up summary (since the start)");
    row(f, "products seen", "%lld", s->products.seen);
    row(f, "products new", "%lld", s->products.new_products);
    row(f, "products published", "%lld", s->products.published);
    row(f, "products failed", "%lld", s->products.failed);
    row(f, "messages processed", "%lld", s->work.messages);
    row(f, "messages acked", "%lld", s->work.acked);
    row(f, "messages retried", "%lld", s->work.retried);
    row(f, "sites seen", "%lld", s->work.sites);
    row(f, "sites routed", "%lld", s->work.routed);
    int skipped = 0;
    for (int k = 1; k < NWS_SKIP_COUNT; k++)
        skipped += s->work.skipped[k];
    row(f, "sites skipped", "%lld", skipped);
    for (int k = 1; k < NWS_SKIP_COUNT; k++) {
        if (!s->work.skipped[k])
            continue;
        char name[64];
        snprintf(name, sizeof name, "  skipped: %s", nws_skip_name(k));
        row(f, name, "%lld", s->work.skipped[k]);
    }
    row(f, "sites failed", "%lld", s->work.failed_sites);
    row(f, "sites deferred", "%lld", s->work.sites_deferred);
    row(f, "sites retried", "%lld", s->work.sites_retried);
    row(f, "sites dead", "%lld", s->work.sites_dead);
    row(f, "outputs written", "%lld", s->work.outputs);
    int64_t dead = s->dead_before >= 0 && s->dead_after >= 0 ? s->dead_after - s->dead_before : -1;
    if (dead >= 0)
        row(f, "dead letters (this run)", "%lld", dead);
    else
        fprintf(f, "  %-28s ?\n", "dead letters (this run)");
    for (int i = 0; i < s->ndead; i++)
        fprintf(f, "    dead: %s: %s\n", s->dead[i].id, s->dead[i].reason);
    row(f, "dead letters (total)", "%lld", s->dead_after);
    row(f, "worker restarts", "%lld", s->pool.restarts);
    row(f, "postprocess rows", "%lld", s->post.rows);
    fprintf(f, "  %-28s %s\n", "csv written", s->post.csv_key[0] ? s->post.csv_key : "(none)");
    if (cfg)
        fprintf(f, "  %-28s %s/%s/\n", "outputs under", cfg->store_url, cfg->output_prefix);
    if (s->timed_out)
        fprintf(f, "  the queue did not drain in time\n");
    if (s->interrupted)
        fprintf(f, "  interrupted by a signal\n");
    if (s->error[0])
        fprintf(f, "  error: %s\n", s->error);
    fprintf(f, "result: %s\n", up_summary_ok(s) ? "ok" : "FAILED");
}
