/* worker_sites.c - the per-site ledger entries, the plan a delivery makes
 * for a site, and the follow-up message format (worker_sites.h). */
#include "services/worker_sites.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {"none",   "routed",   "skipped",
                                          "failed", "deferred", "dead"};
#define NSTATES (sizeof state_names / sizeof state_names[0])

int site_record_format(const site_record *r, char *buf, size_t n)
{
    if ((size_t)r->state >= NSTATES || r->origin < 0)
        return -1;
    int w = r->state == SITE_SKIPPED
                ? snprintf(buf, n, "%s %d %d", state_names[r->state], r->reason, r->origin)
                : snprintf(buf, n, "%s %d", state_names[r->state], r->origin);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

void site_record_parse(const char *s, site_record *r)
{
    memset(r, 0, sizeof *r);
    if (!s)
        return;
    char name[16];
    int a = 0, b = 0, end = 0;
    int got = sscanf(s, "%15s %d %d%n", name, &a, &b, &end);
    if (got < 2)
        return;
    for (size_t i = 1; i < NSTATES; i++) {
        if (strcmp(name, state_names[i]) != 0)
            continue;
        int skipped = i == SITE_SKIPPED;
        if ((skipped && got != 3) || (!skipped && got != 2) || a < 0 || (skipped && b < 0))
            return;
        r->state = (site_state)i;
        r->reason = skipped ? a : 0;
        r->origin = skipped ? b : a;
        return;
    }
}

int site_record_key(const char *product_id, const char *lid, char *buf, size_t n)
{
    int w = snprintf(buf, n, "rnr:site:%s:%s", product_id, lid);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

site_plan site_plan_for(const site_record *have, int origin, int *attempt)
{
    switch (have->state) {
    case SITE_NONE:
        return SITE_PLAN_RUN;
    case SITE_ROUTED:
    case SITE_SKIPPED:
    case SITE_FAILED:
        return have->origin == origin ? SITE_PLAN_COUNT : SITE_PLAN_SKIP;
    case SITE_DEFERRED:
        /* the product's redelivery leaves it to the follow-up */
        return origin > 0 ? SITE_PLAN_RUN : SITE_PLAN_SKIP;
    case SITE_DEAD:
        if (origin > 0 && have->origin == origin) {
            *attempt = 1; /* its dead letter, replayed: a fresh start */
            return SITE_PLAN_RUN;
        }
        return SITE_PLAN_SKIP;
    }
    return SITE_PLAN_RUN;
}

site_state site_after_failure(int attempt, int max_attempts, int *next)
{
    *next = attempt + 1;
    return attempt >= max_attempts ? SITE_DEAD : SITE_DEFERRED;
}

int site_msg_format(const site_msg *m, char **json, rnr_error *err)
{
    *json = NULL;
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s}", "id", m->product_id, "url",
                          m->product_url ? m->product_url : "", "lid", m->lid, "attempt",
                          m->attempt, "reason", m->reason ? m->reason : "");
    if (o)
        *json = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!*json)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory writing a site message");
    return RNR_OK;
}

static int str_field(json_t *o, const char *k, int required, char **out, rnr_error *err)
{
    json_t *v = json_object_get(o, k);
    if (!v && !required)
        v = json_string("");
    else
        json_incref(v);
    if (!json_is_string(v) || (required && !*json_string_value(v))) {
        json_decref(v);
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "site message: \"%s\" is missing or not a non-empty string", k);
    }
    *out = strdup(json_string_value(v));
    json_decref(v);
    return *out ? RNR_OK : rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
}

int site_msg_parse(const char *body, size_t len, site_msg *out, rnr_error *err)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *o = json_loadb(body, len, 0, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        return rnr_error_set(err, RNR_ERR_INVALID, "site message: not a JSON object%s%s",
                             o ? "" : ": ", o ? "" : je.text);
    }
    int rc = str_field(o, "id", 1, &out->product_id, err);
    if (!rc)
        rc = str_field(o, "lid", 1, &out->lid, err);
    if (!rc)
        rc = str_field(o, "url", 0, &out->product_url, err);
    if (!rc)
        rc = str_field(o, "reason", 0, &out->reason, err);
    json_t *a = json_object_get(o, "attempt");
    if (!rc &&
        (!json_is_integer(a) || json_integer_value(a) < 1 || json_integer_value(a) > 1000000))
        rc = rnr_error_set(err, RNR_ERR_INVALID,
                           "site message: \"attempt\" is missing or not a count 1..1000000");
    if (!rc)
        out->attempt = (int)json_integer_value(a);
    json_decref(o);
    if (rc)
        site_msg_clear(out);
    return rc;
}

void site_msg_clear(site_msg *m)
{
    free(m->product_id);
    free(m->product_url);
    free(m->lid);
    free(m->reason);
    memset(m, 0, sizeof *m);
}
