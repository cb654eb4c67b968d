/* amqp_mgmt.c - the RabbitMQ management API, for the one figure AMQP itself
 * cannot give: how many deliveries are unacknowledged. A queue that is new
 * to the statistics collector has no messages_* fields yet; that is
 * "unknown" (-1), never 0. */
#include "adapters/amqp_internal.h"
#include "adapters/http.h"

#include "adapters/curlbuf.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int mgmt_get(const amqp_config *cfg, CURL *h, curlbuf *b, long *status, rnr_error *err)
{
    char *vh = curl_easy_escape(h, cfg->vhost, 0);
    char *qn = curl_easy_escape(h, cfg->queue, 0);
    size_t n = strlen(cfg->mgmt_url) + (vh ? strlen(vh) : 0) + (qn ? strlen(qn) : 0) + 32;
    char *url = vh && qn ? malloc(n) : NULL;
    int rc = RNR_OK;
    if (!url) {
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory building the management URL");
        goto out;
    }
    size_t base = strlen(cfg->mgmt_url);
    while (base && cfg->mgmt_url[base - 1] == '/')
        base--;
    snprintf(url, n, "%.*s/api/queues/%s/%s", (int)base, cfg->mgmt_url, vh, qn);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_USERNAME, cfg->user);
    curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->password);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    http_apply_ca(h);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curlbuf_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK)
        rc = rnr_error_set(err, RNR_ERR_TRANSIENT, "management API %.*s: %s", (int)base,
                           cfg->mgmt_url, curl_easy_strerror(cc));
    else
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
out:
    curl_free(vh);
    curl_free(qn);
    free(url);
    return rc;
}

int amqp_mgmt_parse_unacked(const char *body, size_t len, int64_t *unacked, rnr_error *err)
{
    *unacked = -1;
    json_t *root = json_loadb(body ? body : "", body ? len : 0, 0, NULL);
    json_t *v = json_object_get(root, "messages_unacknowledged");
    int rc = RNR_OK;
    if (!root)
        rc = rnr_error_set(err, RNR_ERR_PARSE, "management API: the reply is not JSON");
    else if (json_is_integer(v) && json_integer_value(v) < 0)
        rc = rnr_error_set(err, RNR_ERR_PARSE,
                           "management API: messages_unacknowledged is "
                           "negative (%lld)",
                           (long long)json_integer_value(v));
    else if (json_is_integer(v))
        *unacked = json_integer_value(v);
    json_decref(root);
    return rc;
}

int amqp_mgmt_unacked(const amqp_config *cfg, int64_t *unacked, rnr_error *err)
{
    *unacked = -1;
    if (!cfg->mgmt_url)
        return RNR_OK;
    CURL *h = curl_easy_init();
    if (!h)
        return rnr_error_set(err, RNR_ERR_NOMEM, "cannot create a curl handle");
    curlbuf b = {.max = 1u << 20}; /* a queue's JSON is a few kB */
    long status = 0;
    int rc = mgmt_get(cfg, h, &b, &status, err);
    if (!rc && status == 401)
        rc = rnr_error_set(err, RNR_ERR_AUTH, "management API refused user '%s'", cfg->user);
    else if (!rc && status != 200)
        rc = rnr_error_set(err, RNR_ERR_TRANSIENT, "management API: HTTP %ld for queue '%s'",
                           status, cfg->queue);
    if (!rc)
        rc = amqp_mgmt_parse_unacked(b.data, b.len, unacked, err);
    curlbuf_free(&b);
    curl_easy_cleanup(h);
    return rc;
}
