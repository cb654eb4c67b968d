/* cmd_queue.c - `rnr queue`: look at the work queue and replay its dead
 * letters (an operator's tool, docs/deploy.md).
 *
 * Every command covers both queues the workers consume: the products
 * (MQ_QUEUE_NAME) and the per-site follow-ups ("<queue>.sites"), whose dead
 * letters name the product, the lid and the reason. depth works on every
 * backend; dead and replay where the backend lists and replays its dead
 * letters (the embedded queue, and RabbitMQ's "<queue>.dead" queues). */
#include <stddef.h>

#include "command.h"

#include "ports/backends.h"
#include "core/log.h"
#include "core/url.h"
#include "core/timeutil.h"
#include "services/config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int queue_cmd_open(const char *url_flag, rnr_config *cfg, rnr_queue **q, rnr_queue **sites)
{
    rnr_error err = {0};
    if (config_load(cfg, &err) != RNR_OK) {
        log_fatal("queue", "%s", err.msg);
        return 1;
    }
    if (url_flag && config_set(&cfg->queue_url, url_flag) != 0) {
        fprintf(stderr, "rnr queue: out of memory\n");
        return 1;
    }
    char sname[300];
    snprintf(sname, sizeof sname, "%s.sites", cfg->queue_name ? cfg->queue_name : "hml_files");
    if (backend_open_queue(cfg->queue_url, cfg->queue_name, q, &err) != RNR_OK ||
        backend_open_queue(cfg->queue_url, sname, sites, &err) != RNR_OK) {
        log_fatal("queue", "%s", err.msg);
        return 1;
    }
    return 0;
}

/* A count, or null when the backend cannot count. */
static json_t *json_count(int64_t v)
{
    return v < 0 ? json_null() : json_integer(v);
}

/* One queue's depth: a line, or an object added to arr (--json). */
static int show_depth(rnr_queue *q, const char *name, json_t *arr)
{
    queue_depth d;
    rnr_error err = {0};
    if (queue_get_depth(q, &d, &err) != RNR_OK) {
        log_fatal("queue", "%s", err.msg);
        return 1;
    }
    /* A backend that cannot count (RabbitMQ without its management API)
     * reports -1: say "unknown" rather than print a count that is not one. */
    if (arr)
        return json_array_append_new(arr, json_pack("{s:s, s:o, s:o, s:o}", "queue", name, "ready",
                                                    json_count(d.ready), "unacked",
                                                    json_count(d.unacked), "dead",
                                                    json_count(d.dead))) != 0;
    char counts[3][24];
    const int64_t v[3] = {d.ready, d.unacked, d.dead};
    for (int i = 0; i < 3; i++)
        snprintf(counts[i], sizeof counts[i], v[i] < 0 ? "unknown" : "%lld", (long long)v[i]);
    printf("queue %s ready=%s unacked=%s dead=%s\n", name, counts[0], counts[1], counts[2]);
    return 0;
}

static int list_one(rnr_queue *q, const char *kind, size_t limit, size_t *total, json_t *arr)
{
    queue_dead_list l = {0};
    rnr_error err = {0};
    if (queue_list_dead(q, limit, &l, &err) != RNR_OK) {
        fprintf(stderr, "rnr queue: %s\n",
                err.code == RNR_ERR_UNSUPPORTED ? "this queue backend cannot list its dead letters"
                                                : err.msg);
        return 1;
    }
    for (size_t i = 0; i < l.n; i++) {
        const queue_dead_entry *d = &l.items[i];
        char at[32];
        time_format_iso(d->dead_at, at, sizeof at);
        /* The body is kept whole for replay (its rdf URL may carry
         * credentials the fetch needs); what is shown is masked. */
        char *raw = malloc(d->len + 1), *shown = malloc(2 * d->len + 64);
        if (!raw || !shown) {
            free(raw);
            free(shown);
            fprintf(stderr, "rnr queue: out of memory\n");
            queue_dead_list_clear(&l);
            return 1;
        }
        memcpy(raw, d->body, d->len);
        raw[d->len] = '\0';
        url_mask_text(raw, shown, 2 * d->len + 64);
        if (arr)
            json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:i, s:s, s:s?, s:s}", "id",
                                                 (json_int_t)d->id, "dead_at", at, "kind", kind,
                                                 "deliveries", d->delivery_count, "reason",
                                                 d->reason ? d->reason : "", "trace_id",
                                                 d->trace_id, "body", shown));
        else
            printf("%lld\t%s\t%s\tdeliveries=%d\treason=%s\ttrace=%s\t%s\n", (long long)d->id, at,
                   kind, d->delivery_count, d->reason ? d->reason : "",
                   d->trace_id ? d->trace_id : "-", shown);
        free(raw);
        free(shown);
    }
    *total += l.n;
    queue_dead_list_clear(&l);
    return 0;
}

static int show_dead(rnr_queue *q, rnr_queue *sites, size_t limit, int json)
{
    size_t n = 0;
    json_t *arr = json ? json_array() : NULL;
    if (list_one(q, "product", limit, &n, arr) || list_one(sites, "site", limit, &n, arr)) {
        json_decref(arr);
        return 1;
    }
    if (json)
        return cmd_print_json("queue",
                              json_pack("{s:o, s:I}", "dead_letters", arr, "count", (json_int_t)n));
    printf("%zu dead letter(s)\n", n);
    return 0;
}

static int show_depths(rnr_queue *q, const char *name, rnr_queue *sites, const char *sname,
                       int json)
{
    json_t *arr = json ? json_array() : NULL;
    if (show_depth(q, name, arr) || show_depth(sites, sname, arr)) {
        json_decref(arr);
        return 1;
    }
    return json ? cmd_print_json("queue", json_pack("{s:o}", "queues", arr)) : 0;
}

/* id 0: every dead letter of both queues; else the one with that id, in
 * whichever queue holds it. */
static int replay(rnr_queue *q, rnr_queue *sites, int64_t id, int json)
{
    size_t n = 0, m = 0;
    rnr_error err = {0};
    int rc = queue_replay_dead(q, id, &n, &err);
    if (id == 0 ? rc == RNR_OK : rc == RNR_ERR_NOTFOUND)
        rc = queue_replay_dead(sites, id, &m, &err);
    if (rc != RNR_OK) {
        fprintf(stderr, "rnr queue: %s\n",
                err.code == RNR_ERR_UNSUPPORTED
                    ? "this queue backend cannot replay its dead letters"
                    : err.msg);
        return 1;
    }
    if (json)
        return cmd_print_json("queue", json_pack("{s:I}", "replayed", (json_int_t)(n + m)));
    printf("replayed %zu dead letter(s)\n", n + m);
    return 0;
}

/* A positive integer argument, or -1. */
static long long parse_count(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    return (*s && !*end && v > 0) ? v : -1;
}

static int queue_run(int argc, char **argv)
{
    const char *url = NULL;
    int json = 0, i = 1;
    /* options anywhere: pull them out, leaving the subcommand and its
     * arguments in order */
    int n = 1;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--json")) {
            json = 1;
        } else if (!strcmp(cmd_flag_name(argv[k]), "--queue-url")) {
            if (k + 1 >= argc)
                return cmd_usage_error("queue", "%s needs a URL", argv[k]);
            url = argv[++k];
        } else {
            argv[n++] = argv[k];
        }
    }
    argc = n;
    if (i >= argc)
        return cmd_usage_error("queue", "expected depth, dead [LIMIT] or replay ID|all");
    const char *sub = argv[i++];
    long long arg = 0;
    if (strcmp(sub, "depth") == 0) {
        if (i != argc)
            return cmd_usage_error("queue", "depth takes no argument");
    } else if (strcmp(sub, "dead") == 0) {
        if (i < argc && (arg = parse_count(argv[i++])) < 0)
            return cmd_usage_error("queue", "dead LIMIT must be a positive count, not '%s'",
                                   argv[i - 1]);
        if (i != argc)
            return cmd_usage_error("queue", "dead takes at most a LIMIT");
    } else if (strcmp(sub, "replay") == 0) {
        if (i + 1 != argc)
            return cmd_usage_error("queue", "replay takes one dead-letter ID or 'all'");
        if (strcmp(argv[i], "all") != 0 && (arg = parse_count(argv[i])) < 0)
            return cmd_usage_error("queue", "replay wants a dead-letter ID or 'all', not '%s'",
                                   argv[i]);
    } else {
        return cmd_usage_error("queue", "unknown subcommand '%s'", sub);
    }
    rnr_config cfg;
    rnr_queue *q = NULL, *sites = NULL;
    if (queue_cmd_open(url, &cfg, &q, &sites) != 0) {
        queue_free(q);
        config_clear(&cfg);
        return 1;
    }
    int rc;
    char sname[300];
    snprintf(sname, sizeof sname, "%s.sites", cfg.queue_name ? cfg.queue_name : "hml_files");
    if (strcmp(sub, "depth") == 0)
        rc = show_depths(q, cfg.queue_name ? cfg.queue_name : "hml_files", sites, sname, json);
    else if (strcmp(sub, "dead") == 0)
        rc = show_dead(q, sites, (size_t)arg, json);
    else
        rc = replay(q, sites, arg, json);
    queue_free(sites);
    queue_free(q);
    config_clear(&cfg);
    return rc;
}

const rnr_command cmd_queue = {
    "queue",
    "show the work queue's depth, list and replay dead letters",
    "usage: rnr queue [--queue-url URL] depth [--json]\n"
    "       rnr queue [--queue-url URL] dead [LIMIT] [--json]\n"
    "       rnr queue [--queue-url URL] replay ID|all [--json]\n"
    "\n"
    "depth   ready, unacked and dead-letter counts of MQ_QUEUE_NAME (any backend)\n"
    "dead    the oldest dead letters of the products' queue and of the per-site\n"
    "        follow-ups '<queue>.sites' (id, time, product|site, deliveries, reason\n"
    "        naming the product and lid, trace id, body)\n"
    "replay  move one dead letter (or all) back to its queue, delivery count reset\n"
    "\n"
    "The queue is RNR_QUEUE_URL (else RABBITMQ_ENDPOINT, else the embedded queue in\n"
    "RNR_STATE_DIR), or --queue-url URL (old name --queue). --json prints one JSON\n"
    "object: {\"queues\": [{queue, ready, unacked, dead}]} (null: cannot count) or\n"
    "{\"dead_letters\": [{id, dead_at, kind, deliveries, reason, trace_id, body}],\n"
    "\"count\"} or {\"replayed\": N}. On RabbitMQ the dead letters are the messages\n"
    "of '<queue>.dead' and '<queue>.sites.dead'.\n",
    queue_run,
};
