/* cmd_producer.c - `rnr producer`: one producer cycle (list the HML
 * products, publish the new ones, remember them) and its counts. */
#include "command.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "services/config.h"
#include "services/producer.h"

typedef struct producer_flags {
    int deadline_s;
    const char *state_dir, *queue, *cache, *nws;
} producer_flags;

static int producer_parse(int argc, char **argv, producer_flags *f)
{
    memset(f, 0, sizeof *f);
    for (int i = 1; i < argc; i++) {
        const char *a = cmd_flag_name(argv[i]), *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **str = !strcmp(a, "--state-dir")   ? &f->state_dir
                           : !strcmp(a, "--queue-url") ? &f->queue
                           : !strcmp(a, "--cache-url") ? &f->cache
                           : !strcmp(a, "--nws-url")   ? &f->nws
                                                       : NULL;
        if (!strcmp(a, "--once"))
            continue; /* one cycle is all this command does; kept for symmetry */
        if (!str && strcmp(a, "--deadline") != 0)
            return cmd_usage_error("producer", "unknown argument \"%s\"", argv[i]);
        if (!v || !*v)
            return cmd_usage_error("producer", "%s needs a value", argv[i]);
        i++;
        if (str) {
            *str = v;
            continue;
        }
        char *end = NULL;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || *end || n < 1 || n > 86400)
            return cmd_usage_error("producer", "--deadline needs seconds in 1..86400, got \"%s\"",
                                   v);
        f->deadline_s = (int)n;
    }
    return 0;
}

static int producer_apply(const producer_flags *f, rnr_config *c)
{
    int rc = 0;
    if (f->queue)
        rc |= config_set(&c->queue_url, f->queue);
    if (f->cache)
        rc |= config_set(&c->cache_url, f->cache);
    if (f->nws)
        rc |= config_set(&c->nws_url, f->nws);
    return rc;
}

static int producer_main(int argc, char **argv)
{
    producer_flags f;
    if (producer_parse(argc, argv, &f))
        return 2;
    rnr_config cfg;
    if (cmd_load_config("producer", f.state_dir, &cfg))
        return 1;
    rnr_error err = {0};
    if (producer_apply(&f, &cfg) != 0) {
        fprintf(stderr, "rnr producer: out of memory\n");
        config_clear(&cfg);
        return 1;
    }
    producer *p = NULL;
    producer_counts c = {0};
    int rc = producer_new(&cfg, &p, &err);
    if (rc == RNR_OK) {
        int64_t deadline = f.deadline_s ? time_now_ms() + (int64_t)f.deadline_s * 1000 : 0;
        rc = producer_cycle(p, deadline, &c, &err);
    }
    producer_free(p);
    config_clear(&cfg);
    if (rc != RNR_OK) {
        log_fatal("producer", "%s", err.msg);
        return 1;
    }
    printf("seen=%d new=%d published=%d failed=%d deferred=%d\n", c.seen, c.new_products,
           c.published, c.failed, c.deferred);
    return c.failed == 0 ? 0 : 1;
}

const rnr_command cmd_producer = {
    "producer", "queue the new HML products of api.weather.gov (one cycle)",
    "usage: rnr producer [--once] [--state-dir D] [--queue-url URL] [--cache-url URL]\n"
    "                    [--nws-url URL] [--deadline SECONDS]\n\n"
    "Lists {NWS_API_URL}/products?type=HML, looks every id up in the dedup cache in\n"
    "one round trip, publishes the new products oldest first (persistent, confirmed)\n"
    "and caches each confirmed one for RNR_DEDUP_TTL seconds (default 604800).\n"
    "Prints seen=N new=N published=N failed=N deferred=N.\n\n"
    "  --once            run one cycle (the only mode; the schedule repeats it)\n"
    "  --state-dir D     embedded backends under D (RNR_STATE_DIR)\n"
    "  --queue-url URL   sqlite:///abs/queue.db, amqp://... (RNR_QUEUE_URL; old name --queue)\n"
    "  --cache-url URL   sqlite:///abs/cache.db, redis://... (RNR_CACHE_URL; old name --cache)\n"
    "  --nws-url URL     api.weather.gov or a stand-in (NWS_API_URL)\n"
    "  --deadline S      start no publish after S seconds; the rest is deferred\n\n"
    "Exit 0 when nothing failed, 1 when a product failed (it is retried next cycle)\n"
    "or the cycle could not run (dedup cache unreachable: nothing is published).\n",
    producer_main};
