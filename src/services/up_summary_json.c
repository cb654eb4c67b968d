/* up_summary_json.c - the `rnr up` summary as one JSON object (--json),
 * for scripts: the same counts as up_summary_print's table, by name. */
#include "services/up.h"

#include <jansson.h>

#include "nws/decide.h"

/* A count, or null where it is unknown (-1). */
static json_t *count_or_null(long long v)
{
    return v < 0 ? json_null() : json_integer(v);
}

static json_t *skipped_json(const up_summary *s)
{
    json_t *o = json_object();
    for (int k = 1; o && k < NWS_SKIP_COUNT; k++)
        if (s->work.skipped[k])
            json_object_set_new(o, nws_skip_name(k), json_integer(s->work.skipped[k]));
    return o;
}

static json_t *dead_json(const up_summary *s)
{
    json_t *a = json_array();
    for (int i = 0; a && i < s->ndead; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:s}", "id", s->dead[i].id, "reason", s->dead[i].reason));
    return a;
}

static json_t *summary_json(const up_summary *s, const rnr_config *cfg)
{
    int skipped = 0;
    for (int k = 1; k < NWS_SKIP_COUNT; k++)
        skipped += s->work.skipped[k];
    long long dead =
        s->dead_before >= 0 && s->dead_after >= 0 ? s->dead_after - s->dead_before : -1;
    json_t *o = json_pack(
        "{s:b, s:b, s:{s:i, s:i, s:i, s:i}, s:{s:i, s:i, s:i}, s:{s:i, s:i, s:i, s:o, s:i, s:i, s:i, s:i},"
        " s:i, s:{s:o, s:o, s:o}, s:i, s:{s:i, s:s?}, s:b, s:b}",
        "ok", up_summary_ok(s), "once", s->once, "products", "seen", s->products.seen, "new",
        s->products.new_products, "published", s->products.published, "failed", s->products.failed,
        "messages", "processed", s->work.messages, "acked", s->work.acked, "retried",
        s->work.retried, "sites", "seen", s->work.sites, "routed", s->work.routed, "skipped",
        skipped, "skipped_by_reason", skipped_json(s), "failed", s->work.failed_sites, "deferred",
        s->work.sites_deferred, "retried", s->work.sites_retried, "dead", s->work.sites_dead,
        "outputs_written", s->work.outputs, "dead_letters", "this_run", count_or_null(dead),
        "total", count_or_null((long long)s->dead_after), "added", dead_json(s), "worker_restarts",
        s->pool.restarts, "postprocess", "rows", s->post.rows, "csv",
        s->post.csv_key[0] ? s->post.csv_key : NULL, "timed_out", s->timed_out, "interrupted",
        s->interrupted);
    if (o && s->error[0])
        json_object_set_new(o, "error", json_string(s->error));
    if (o && cfg) {
        char under[2048];
        snprintf(under, sizeof under, "%s/%s/", cfg->store_url, cfg->output_prefix);
        json_object_set_new(o, "outputs_under", json_string(under));
    }
    return o;
}

int up_summary_print_json(const up_summary *s, const rnr_config *cfg, FILE *f)
{
    json_t *o = summary_json(s, cfg);
    int rc = o && json_dumpf(o, f, JSON_COMPACT) == 0 && fputc('\n', f) != EOF ? 0 : -1;
    json_decref(o);
    return rc;
}
