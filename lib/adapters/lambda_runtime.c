/* lambda_runtime.c - the Lambda Runtime API over libcurl. One easy handle
 * is reused so the loopback connection stays open between invocations. */
#include "adapters/lambda_runtime.h"

#include "adapters/curlbuf.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LAMBDA_API_PREFIX "/2018-06-01/runtime"
#define LAMBDA_EVENT_MAX (6u << 20) /* Lambda's synchronous payload limit */

struct lambda_runtime {
    CURL *curl;
    char base[256]; /* http://host:port/2018-06-01/runtime */
};

/* Copy the value of header `name` into dst when `line` is that header. */
static void take_header(const char *line, size_t len, const char *name, char *dst, size_t cap)
{
    size_t nl = strlen(name);
    if (len <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return;
    const char *v = line + nl + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t vl = (size_t)(end - v) < cap - 1 ? (size_t)(end - v) : cap - 1;
    memcpy(dst, v, vl);
    dst[vl] = '\0';
}

void lambda_invocation_take_header(lambda_invocation *inv, const char *p, size_t len)
{
    char deadline[32] = "";
    take_header(p, len, "Lambda-Runtime-Aws-Request-Id", inv->request_id, sizeof inv->request_id);
    take_header(p, len, "Lambda-Runtime-Invoked-Function-Arn", inv->function_arn,
                sizeof inv->function_arn);
    take_header(p, len, "Lambda-Runtime-Trace-Id", inv->trace_id, sizeof inv->trace_id);
    take_header(p, len, "Lambda-Runtime-Deadline-Ms", deadline, sizeof deadline);
    if (deadline[0])
        inv->deadline_ms = strtoll(deadline, NULL, 10);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    lambda_invocation_take_header(ud, p, size * n);
    return size * n;
}

int lambda_request_id_check(const char *id, rnr_error *err)
{
    /* The id goes into URL paths: accept only what AWS request ids use. */
    if (strspn(id, "abcdefABCDEF0123456789-_.:ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ") !=
        strlen(id))
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "runtime API: request id '%.64s' has "
                             "unexpected characters",
                             id);
    return RNR_OK;
}

int lambda_runtime_new(const char *api, lambda_runtime **out, rnr_error *err)
{
    *out = NULL;
    if (!api || !*api)
        return rnr_error_set(err, RNR_ERR_CONFIG, "AWS_LAMBDA_RUNTIME_API is not set");
    lambda_runtime *rt = calloc(1, sizeof *rt);
    if (!rt || !(rt->curl = curl_easy_init())) {
        free(rt);
        return rnr_error_set(err, RNR_ERR_NOMEM, "cannot create the runtime API client");
    }
    snprintf(rt->base, sizeof rt->base, "http://%s" LAMBDA_API_PREFIX, api);
    *out = rt;
    return RNR_OK;
}

void lambda_runtime_free(lambda_runtime *rt)
{
    if (!rt)
        return;
    curl_easy_cleanup(rt->curl);
    free(rt);
}

/* An event over the cap still has a request id: report that invocation
 * as failed so the caller of Invoke gets an error, not a timeout. */
static int reject_oversized(lambda_runtime *rt, const lambda_invocation *inv, rnr_error *err)
{
    char msg[128];
    snprintf(msg, sizeof msg, "event larger than %u bytes (the Lambda payload limit)",
             LAMBDA_EVENT_MAX);
    rnr_error perr;
    if (inv->request_id[0] && lambda_request_id_check(inv->request_id, &perr) == RNR_OK) {
        if (lambda_runtime_fail(rt, inv->request_id, "rnr.limit", msg, &perr) != RNR_OK)
            return rnr_error_set(err, RNR_ERR_TRANSIENT,
                                 "runtime API: %s, and reporting it failed: %s", msg, perr.msg);
        return rnr_error_set(err, RNR_ERR_LIMIT, "invocation %s: %s (reported)", inv->request_id,
                             msg);
    }
    return rnr_error_set(err, RNR_ERR_TRANSIENT, "runtime API: %s, without a usable request id",
                         msg);
}

int lambda_runtime_next(lambda_runtime *rt, lambda_invocation *out, rnr_error *err)
{
    char url[320];
    snprintf(url, sizeof url, "%s/invocation/next", rt->base);
    memset(out, 0, sizeof *out);
    curlbuf body = {.max = LAMBDA_EVENT_MAX};
    CURL *c = rt->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 0L); /* frozen between invocations */
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curlbuf_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200 || !out->request_id[0]) {
        free(body.data);
        if (body.over)
            return reject_oversized(rt, out, err);
        if (rc != CURLE_OK)
            return rnr_error_set(err, RNR_ERR_TRANSIENT, "runtime API %s: %s", url,
                                 curl_easy_strerror(rc));
        return rnr_error_set(err, RNR_ERR_TRANSIENT, "runtime API %s: HTTP %ld%s", url, status,
                             out->request_id[0] ? "" : " without a request id");
    }
    if (lambda_request_id_check(out->request_id, err) != RNR_OK) {
        free(body.data);
        return RNR_ERR_INVALID;
    }
    out->event = body.data ? body.data : strdup("{}");
    out->event_len = body.data ? body.len : 2;
    return RNR_OK;
}

static int runtime_post(lambda_runtime *rt, const char *path, const char *json,
                        const char *error_type, rnr_error *err)
{
    char url[512], hdr[192];
    snprintf(url, sizeof url, "%s%s", rt->base, path);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (error_type) {
        snprintf(hdr, sizeof hdr, "Lambda-Runtime-Function-Error-Type: %s", error_type);
        h = curl_slist_append(h, hdr);
    }
    curlbuf sink = {.max = 1u << 20};
    CURL *c = rt->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curlbuf_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    free(sink.data);
    if (rc != CURLE_OK)
        return rnr_error_set(err, RNR_ERR_TRANSIENT, "runtime API POST %s: %s", path,
                             curl_easy_strerror(rc));
    if (status != 202 && status != 200)
        return rnr_error_set(err, status == 413 ? RNR_ERR_LIMIT : RNR_ERR_TRANSIENT,
                             "runtime API POST %s: HTTP %ld", path, status);
    return RNR_OK;
}

int lambda_runtime_respond(lambda_runtime *rt, const char *request_id, const char *json,
                           rnr_error *err)
{
    char path[256];
    snprintf(path, sizeof path, "/invocation/%s/response", request_id);
    return runtime_post(rt, path, json, NULL, err);
}

static char *error_body(const char *error_type, const char *message)
{
    json_t *o = json_pack("{s:s, s:s, s:[]}", "errorMessage", message ? message : "", "errorType",
                          error_type ? error_type : "Error", "stackTrace");
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

static int post_error(lambda_runtime *rt, const char *path, const char *error_type,
                      const char *message, rnr_error *err)
{
    char *body = error_body(error_type, message);
    if (!body)
        return rnr_error_set(err, RNR_ERR_NOMEM, "cannot encode the error report");
    int rc = runtime_post(rt, path, body, "Unhandled", err);
    free(body);
    return rc;
}

int lambda_runtime_fail(lambda_runtime *rt, const char *request_id, const char *error_type,
                        const char *message, rnr_error *err)
{
    char path[256];
    snprintf(path, sizeof path, "/invocation/%s/error", request_id);
    return post_error(rt, path, error_type, message, err);
}

int lambda_runtime_init_error(lambda_runtime *rt, const char *error_type, const char *message,
                              rnr_error *err)
{
    return post_error(rt, "/init/error", error_type, message, err);
}

static int inv_next(void *self, lambda_invocation *out, rnr_error *err)
{
    return lambda_runtime_next(self, out, err);
}

static int inv_respond(void *self, const char *id, const char *json, rnr_error *err)
{
    return lambda_runtime_respond(self, id, json, err);
}

static int inv_fail(void *self, const char *id, const char *type, const char *msg, rnr_error *err)
{
    return lambda_runtime_fail(self, id, type, msg, err);
}

static int inv_init_error(void *self, const char *type, const char *msg, rnr_error *err)
{
    return lambda_runtime_init_error(self, type, msg, err);
}

static void inv_close(void *self)
{
    lambda_runtime_free(self);
}

static const invocations_ops lambda_invocations_ops = {inv_next, inv_respond, inv_fail,
                                                       inv_init_error, inv_close};

int lambda_runtime_open(const char *api, rnr_invocations **out, rnr_error *err)
{
    *out = NULL;
    rnr_invocations *v = malloc(sizeof *v);
    if (!v)
        return rnr_error_set(err, RNR_ERR_NOMEM, "lambda runtime: out of memory");
    lambda_runtime *rt = NULL;
    int rc = lambda_runtime_new(api, &rt, err);
    if (rc != RNR_OK) {
        free(v);
        return rc;
    }
    *v = (rnr_invocations){&lambda_invocations_ops, rt};
    *out = v;
    return RNR_OK;
}
