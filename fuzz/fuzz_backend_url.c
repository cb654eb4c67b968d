/* fuzz_backend_url.c - backend URLs as rnr's configuration gives them:
 * sqlite:// and file:// with their query parameters, amqp[s]:// (with
 * options), s3://bucket/prefix?options, percent-decoding, and password
 * masking for logs. Nothing here opens a connection. */
#include "adapters/amqp_internal.h"
#include "adapters/amqp_queue.h"
#include "adapters/backends.h"
#include "adapters/s3_store.h"
#include "adapters/urlutil.h"
#include "core/error.h"
#include "core/url.h"
#include "ports/store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const allowed[] = {"queue", "lease", "max_deliveries", "ttl", NULL};

static void local(const char *url, const char *scheme)
{
    backend_local_url u;
    rnr_error err = {0};
    if (backend_local_url_parse(url, scheme, &u, &err) != RNR_OK) {
        if (!err.msg[0] || u.path || u.query)
            abort();
        return;
    }
    if (!u.path || u.path[0] != '/' || !u.query)
        abort();
    (void)backend_query_check(url, u.query, allowed, &err);
    char v[16];
    int r = backend_query_get(u.query, "queue", v, sizeof v);
    if (r > 0 && strlen(v) >= sizeof v)
        abort();
    long lease = 300;
    if (backend_query_int(url, u.query, "lease", 1, 86400, &lease, &err) == RNR_OK &&
        (lease < 1 || lease > 86400))
        abort();
    backend_local_url_clear(&u);
}

static void masks(const char *url)
{
    char small[8], big[512];
    url_mask(url, small, sizeof small);
    url_mask(url, big, sizeof big);
    if (strlen(small) >= sizeof small || strlen(big) >= sizeof big)
        abort();
    free(amqp_url_redact(url));
}

static void amqp(const char *url)
{
    amqp_config cfg;
    rnr_error err = {0};
    if (amqp_config_parse(url, NULL, &cfg, &err) == RNR_OK) {
        if (!cfg.host || !cfg.queue || !cfg.dlq || !strcmp(cfg.queue, cfg.dlq))
            abort();
        amqp_config_clear(&cfg);
    } else if (!err.msg[0]) {
        abort();
    }
}

static void s3(const char *url)
{
    s3_store_opts o = S3_STORE_OPTS_INIT;
    o.endpoint = "http://127.0.0.1:9";
    o.region = "us-east-1";
    rnr_store *st = NULL;
    rnr_error err = {0};
    if (s3_store_open_opts(url, &o, &st, &err) == RNR_OK)
        store_free(st);
    else if (!err.msg[0])
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    char *url = malloc(size + 1);
    if (!url)
        return 0;
    memcpy(url, data, size);
    url[size] = '\0';
    masks(url);
    local(url, "sqlite");
    local(url, "file");
    free(url_percent_decode(url, strlen(url)));
    amqp(url);
    s3(url);
    free(url);
    return 0;
}
