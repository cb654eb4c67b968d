/* backends_env.c - the composition root's half that reads a deployment's
 * environment: which backend each port gets when no URL is given. The
 * generic RNR_*_URL variables are read here; everything a particular
 * backend needs (RABBITMQ_*, REDIS_*, APP_BUCKET_NAME, NWS_API_URL, their
 * secrets) is read by that backend's adapter. The precedence is the
 * reference deployment's, so its task definitions work unchanged. */
#include "adapters/backends.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/amqp_queue.h"
#include "adapters/aws_api.h"
#include "adapters/file_store.h"
#include "adapters/nws_client.h"
#include "adapters/redis_url.h"
#include "adapters/s3_store.h"

/* Non-empty value of name, else NULL. */
static const char *env_get(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Secrets of a deployment come from Secrets Manager (the ARN variables). */
static int open_aws_secrets(rnr_secrets **out, rnr_error *err)
{
    return aws_secrets_open(NULL, out, err);
}

/* "scheme://" + the absolute dir + "/leaf": three slashes, a local URL. */
static int url_under(char **out, const char *scheme, const char *dir, const char *leaf)
{
    size_t n = strlen(scheme) + strlen(dir) + strlen(leaf) + 8;
    if (!(*out = malloc(n)))
        return RNR_ERR_NOMEM;
    snprintf(*out, n, "%s://%s/%s", scheme, dir, leaf);
    return RNR_OK;
}

static int dup_url(char **out, const char *v)
{
    *out = strdup(v);
    return *out ? RNR_OK : RNR_ERR_NOMEM;
}

int backend_urls_from_env(const char *state_dir, backend_urls *out, rnr_error *err)
{
    memset(out, 0, sizeof *out);
    const char *q = env_get("RNR_QUEUE_URL"), *s = env_get("RNR_STORE_URL");
    int rc = q ? dup_url(&out->queue, q) : amqp_url_resolve_env(open_aws_secrets, &out->queue, err);
    if (!rc && !out->queue)
        rc = url_under(&out->queue, "sqlite", state_dir, "queue.db");
    if (!rc)
        rc = redis_url_resolve_env(env_get("RNR_CACHE_URL"), open_aws_secrets, &out->cache, err);
    if (!rc && !out->cache)
        rc = url_under(&out->cache, "sqlite", state_dir, "cache.db");
    if (!rc)
        rc = s ? dup_url(&out->store, s) : s3_url_resolve_env(&out->store, err);
    if (!rc && !out->store)
        rc = url_under(&out->store, "file", state_dir, "store");
    if (!rc) {
        const char *nws, *nwps;
        nws_urls_from_env(&nws, &nwps);
        rc = dup_url(&out->nws, nws);
        if (!rc)
            rc = dup_url(&out->nwps, nwps);
    }
    if (rc == RNR_ERR_NOMEM)
        rnr_error_set(err, rc, "out of memory reading the backend URLs");
    if (rc)
        backend_urls_clear(out);
    return rc;
}

void backend_urls_clear(backend_urls *u)
{
    free(u->queue);
    free(u->cache);
    free(u->store);
    free(u->nws);
    free(u->nwps);
    memset(u, 0, sizeof *u);
}

int backend_store_check_key(const char *key, rnr_error *err)
{
    return file_store_check_key(key, err);
}
