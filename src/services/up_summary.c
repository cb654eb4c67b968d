/* up_summary.c - what `rnr up` reports when it ends: the summary table,
 * whether the cycle succeeded, and freeing the summary. */
#include "services/up.h"

#include "nws/decide.h"

#include <stdio.h>
#include <stdlib.h>

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

int up_summary_ok(const up_summary *s)
{
    int64_t new_dead =
        s->dead_before >= 0 && s->dead_after >= 0 ? s->dead_after - s->dead_before : 0;
    /* the long-running loop ends by a signal: that is its normal end */
    return s->producer_ok && s->postprocess_ok && !s->products.failed && !s->timed_out &&
           (!s->interrupted || !s->once) && new_dead == 0 && s->ndead == 0 && !s->error[0];
}

void up_summary_clear(up_summary *s)
{
    for (int i = 0; i < s->ndead; i++) {
        free(s->dead[i].id);
        free(s->dead[i].reason);
    }
    free(s->dead);
    s->dead = NULL;
    s->ndead = 0;
}
