/* cmd_queue.c - `rnr queue`: look at the work queue and replay its dead
 * letters (an operator's tool, docs/deploy.md).
 *
 * depth works on every queue backend; dead and replay on the embedded
 * (SQLite) queue, whose dead letters rnr keeps itself. On RabbitMQ the
 * dead letters are ordinary messages of "<queue>.dead": move them with the
 * management UI or a shovel (docs/deploy.md). */
#include <stddef.h>

#include "command.h"

#include "adapters/backends.h"
#include "adapters/sqlite_queue.h"
#include "core/timeutil.h"
#include "services/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int queue_cmd_open(const char *url_flag, rnr_config *cfg, rnr_queue **q)
{
    rnr_error err = {0};
    if (config_load(cfg, &err) != RNR_OK) {
        fprintf(stderr, "rnr queue: %s\n", err.msg);
        return 1;
    }
    if (url_flag && config_set(&cfg->queue_url, url_flag) != 0) {
        fprintf(stderr, "rnr queue: out of memory\n");
        return 1;
    }
    if (backend_open_queue(cfg->queue_url, cfg->queue_name, q, &err) != RNR_OK) {
        fprintf(stderr, "rnr queue: %s\n", err.msg);
        return 1;
    }
    return 0;
}

static int show_depth(rnr_queue *q, const char *name)
{
    queue_depth d;
    rnr_error err = {0};
    if (queue_get_depth(q, &d, &err) != RNR_OK) {
        fprintf(stderr, "rnr queue: %s\n", err.msg);
        return 1;
    }
    printf("queue %s ready=%lld unacked=%lld dead=%lld\n", name, (long long)d.ready,
           (long long)d.unacked, (long long)d.dead);
    return 0;
}

static int show_dead(rnr_queue *q, size_t limit)
{
    queue_dead_list l = {0};
    rnr_error err = {0};
    if (queue_list_dead(q, limit, &l, &err) != RNR_OK) {
        fprintf(stderr, "rnr queue: %s\n", err.code == RNR_ERR_UNSUPPORTED
                    ? "dead letters are listed for the embedded queue only; on RabbitMQ read "
                      "the '<queue>.dead' queue (docs/deploy.md)"
                    : err.msg);
        return 1;
    }
    for (size_t i = 0; i < l.n; i++) {
        const queue_dead_entry *d = &l.items[i];
        char at[32];
        time_format_iso(d->dead_at, at, sizeof at);
        printf("%lld\t%s\tdeliveries=%d\treason=%s\ttrace=%s\t%.*s\n", (long long)d->id, at,
               d->delivery_count, d->reason ? d->reason : "", d->trace_id ? d->trace_id : "-",
               (int)d->len, d->body);
    }
    printf("%zu dead letter(s)\n", l.n);
    queue_dead_list_clear(&l);
    return 0;
}

static int replay(rnr_queue *q, int64_t id)
{
    size_t n = 0;
    rnr_error err = {0};
    if (sqlite_queue_replay_dead(q, id, &n, &err) != RNR_OK) {
        fprintf(stderr, "rnr queue: %s\n", err.code == RNR_ERR_UNSUPPORTED
                    ? "replay works on the embedded queue only; on RabbitMQ move the messages "
                      "of '<queue>.dead' back with a shovel (docs/deploy.md)"
                    : err.msg);
        return 1;
    }
    printf("replayed %zu dead letter(s)\n", n);
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
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "--queue") == 0) {
        url = argv[i + 1];
        i += 2;
    }
    if (i >= argc)
        return cmd_usage_error("queue", "expected depth, dead [LIMIT] or replay ID|all");
    const char *sub = argv[i++];
    long long arg = 0;
    if (strcmp(sub, "depth") == 0) {
        if (i != argc)
            return cmd_usage_error("queue", "depth takes no argument");
    } else if (strcmp(sub, "dead") == 0) {
        if (i < argc && (arg = parse_count(argv[i++])) < 0)
            return cmd_usage_error("queue", "dead LIMIT must be a positive count, not '%s'", argv[i - 1]);
        if (i != argc)
            return cmd_usage_error("queue", "dead takes at most a LIMIT");
    } else if (strcmp(sub, "replay") == 0) {
        if (i + 1 != argc)
            return cmd_usage_error("queue", "replay takes one dead-letter ID or 'all'");
        if (strcmp(argv[i], "all") != 0 && (arg = parse_count(argv[i])) < 0)
            return cmd_usage_error("queue", "replay wants a dead-letter ID or 'all', not '%s'", argv[i]);
    } else {
        return cmd_usage_error("queue", "unknown subcommand '%s'", sub);
    }
    rnr_config cfg;
    rnr_queue *q = NULL;
    if (queue_cmd_open(url, &cfg, &q) != 0) {
        config_clear(&cfg);
        return 1;
    }
    int rc;
    if (strcmp(sub, "depth") == 0)
        rc = show_depth(q, cfg.queue_name);
    else if (strcmp(sub, "dead") == 0)
        rc = show_dead(q, (size_t)arg);
    else
        rc = replay(q, arg);
    queue_free(q);
    config_clear(&cfg);
    return rc;
}

const rnr_command cmd_queue = {
    "queue",
    "show the work queue's depth, list and replay dead letters",
    "usage: rnr queue [--queue URL] depth\n"
    "       rnr queue [--queue URL] dead [LIMIT]\n"
    "       rnr queue [--queue URL] replay ID|all\n"
    "\n"
    "depth   ready, unacked and dead-letter counts of MQ_QUEUE_NAME (any backend)\n"
    "dead    the oldest dead letters (id, time, deliveries, reason, trace id, body)\n"
    "replay  move one dead letter (or all) back to the queue, delivery count reset\n"
    "\n"
    "The queue is RNR_QUEUE_URL (else RABBITMQ_ENDPOINT, else the embedded queue in\n"
    "RNR_STATE_DIR), or --queue URL. dead and replay work on the embedded queue;\n"
    "on RabbitMQ the dead letters are the messages of '<queue>.dead' (docs/deploy.md).\n",
    queue_run,
};
