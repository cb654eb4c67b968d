/* test_worker_env.h - the worker tests' world: a scratch directory, the
 * NWS fixture server on data/sample/nws, embedded backends under the
 * scratch state directory, the committed demo hydrofabric, and helpers to
 * publish the sample products, inject faults and list the store. */
#ifndef RNR_TEST_WORKER_ENV_H
#define RNR_TEST_WORKER_ENV_H

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/backends.h"
#include "adapters/http.h"
#include "adapters/nws_client.h"
#include "adapters/sqlite_queue.h"
#include "adapters/http/fixture_proc.h"
#include "nws/products.h"
#include "services/config.h"

typedef struct wt_env {
    char dir[256];
    char state[320];
    char queue_url[400];
    char store_url[400];
    fixture_proc fx;
} wt_env;

static const char *const wt_unset[] = {"RNR_QUEUE_URL",
                                       "RABBITMQ_ENDPOINT",
                                       "RABBITMQ_SECRET_ARN",
                                       "RABBITMQ_USERNAME",
                                       "RABBITMQ_PASSWORD",
                                       "RNR_CACHE_URL",
                                       "REDIS_HOST",
                                       "REDIS_PORT",
                                       "RNR_STORE_URL",
                                       "APP_BUCKET_NAME",
                                       "APP_OUTPUT_S3_KEY",
                                       "HYDROFABRIC_S3_KEY",
                                       "RNR_HEALTH_FILE",
                                       "RNR_PLOTS",
                                       "RNR_FORCING",
                                       "RNR_GRACE_SECONDS",
                                       "RNR_MAX_DELIVERIES",
                                       "MQ_QUEUE_NAME",
                                       NULL};

/* 0 on success. Leaves the environment pointing the worker at the
 * fixture server and the scratch state directory. */
static int wt_setup(wt_env *e, const char *tag)
{
    memset(e, 0, sizeof *e);
    const char *src = getenv("RNR_SOURCE_DIR");
    if (!src)
        return -1;
    snprintf(e->dir, sizeof e->dir, "/tmp/rnr-test-%s-XXXXXX", tag);
    if (!mkdtemp(e->dir))
        return -1;
    char data[600], hf[600];
    snprintf(data, sizeof data, "%s/data/sample/nws", src);
    snprintf(hf, sizeof hf, "%s/data/sample/domain.gpkg", src);
    if (fixture_start(&e->fx, data, e->dir) != 0)
        return -1;
    snprintf(e->state, sizeof e->state, "%s/state", e->dir);
    snprintf(e->queue_url, sizeof e->queue_url, "sqlite://%s/queue.db", e->state);
    snprintf(e->store_url, sizeof e->store_url, "file://%s/store", e->state);
    for (size_t i = 0; wt_unset[i]; i++)
        unsetenv(wt_unset[i]);
    setenv("NWS_API_URL", e->fx.base, 1);
    setenv("NWPS_API_URL", e->fx.nwps, 1);
    setenv("RNR_STATE_DIR", e->state, 1);
    setenv("RNR_HYDROFABRIC", hf, 1);
    setenv("RNR_RETRY_BACKOFF_MS", "50", 1);
    setenv("RNR_LOG_LEVEL", "warn", 1);
    return 0;
}

static void wt_teardown(wt_env *e)
{
    fixture_stop(&e->fx);
    fixture_rmtree(e->dir);
}

/* POST (or DELETE when rule is NULL) /_fault; 0 on a 200 answer. */
static int wt_fault(const wt_env *e, const char *rule)
{
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    char url[128];
    snprintf(url, sizeof url, "%s/_fault", e->fx.base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (rule)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, rule);
    else
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    FILE *devnull = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, devnull);
    long status = 0;
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (devnull)
        fclose(devnull);
    return rc == CURLE_OK && status == 200 ? 0 : -1;
}

/* The sample product list from the fixture server (oldest first). */
static nws_product_list *wt_products(const wt_env *e)
{
    http_opts o = {0};
    o.rate = -1;
    http_client *c = NULL;
    if (http_client_new(&o, &c, NULL) != RNR_OK)
        return NULL;
    char *body = NULL;
    size_t len = 0;
    nws_product_list *l = NULL;
    if (nws_fetch_products(c, e->fx.base, &body, &len, NULL) == RNR_OK)
        nws_products_parse(body, len, &l, NULL);
    free(body);
    http_client_free(c);
    return l;
}

/* Publish the message of product i of l (i < 0: all); number published. */
static int wt_publish(rnr_queue *q, const nws_product_list *l, int i)
{
    int n = 0;
    for (size_t k = 0; k < l->n; k++) {
        if (i >= 0 && (size_t)i != k)
            continue;
        char *msg = NULL;
        if (nws_product_to_message(&l->items[k], &msg, NULL) != RNR_OK)
            return -1;
        queue_publish_opts po = {.trace_id = "Root=1-test-trace"};
        if (queue_publish(q, msg, strlen(msg), &po, NULL) == RNR_OK)
            n++;
        free(msg);
    }
    return n;
}

/* Index of the product with this id in l, or -1. */
static int wt_product_index(const nws_product_list *l, const char *id)
{
    for (size_t k = 0; k < l->n; k++)
        if (!strcmp(l->items[k].id, id))
            return (int)k;
    return -1;
}

static rnr_queue *wt_queue(const wt_env *e, const char *query)
{
    char url[600];
    snprintf(url, sizeof url, "%s%s", e->queue_url, query ? query : "");
    rnr_queue *q = NULL;
    return backend_open_queue(url, "hml_files", &q, NULL) == RNR_OK ? q : NULL;
}

/* Keys under prefix in the scratch store (caller clears). */
static int wt_list(const wt_env *e, const char *prefix, store_list *out)
{
    rnr_store *s = NULL;
    memset(out, 0, sizeof *out);
    if (backend_open_store(e->store_url, &s, NULL) != RNR_OK)
        return -1;
    int rc = store_list_prefix(s, prefix, out, NULL);
    store_free(s);
    return rc == RNR_OK ? 0 : -1;
}

#endif
