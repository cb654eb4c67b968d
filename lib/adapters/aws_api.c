/* aws_api.c - the signed-request client (endpoint, region, credentials,
 * retries), AWS error shapes, and the Secrets Manager, CloudWatch and ECS
 * calls with their port backends. */
#include "adapters/aws_api.h"
#include "adapters/http.h"

#include "adapters/aws_sigv4.h"
#include "adapters/curlbuf.h"
#include "core/log.h"
#include "core/timeutil.h"

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AWS_BODY_MAX (16 * 1024 * 1024)

struct aws_client {
    pthread_mutex_t mu; /* guards the curl handle and the jitter seed */
    CURL *h;
    char service[32];
    char region[64];
    char *endpoint;
    aws_creds *creds;
    int own_creds;
    int max_attempts;
    unsigned seed;
};

const char *aws_env_region(void)
{
    const char *r = getenv("AWS_REGION");
    if (!r || !*r)
        r = getenv("AWS_DEFAULT_REGION");
    return r && *r ? r : "us-east-1";
}

static const char *env_endpoint(const char *env_id)
{
    const char *ign = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    if (ign && strcasecmp(ign, "true") == 0)
        return NULL;
    char name[96];
    snprintf(name, sizeof name, "AWS_ENDPOINT_URL_%s", env_id);
    const char *e = getenv(name);
    if (!e || !*e)
        e = getenv("AWS_ENDPOINT_URL");
    return e && *e ? e : NULL;
}

static int valid_region(const char *r)
{
    if (!*r || strlen(r) >= 64)
        return 0;
    for (; *r; r++)
        if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-'))
            return 0;
    return 1;
}

int aws_client_new(const char *service, const char *env_id, const aws_opts *o, aws_client **out,
                   rnr_error *err)
{
    const char *region = o && o->region ? o->region : aws_env_region();
    if (!valid_region(region))
        return rnr_error_set(err, RNR_ERR_CONFIG, "AWS region '%.64s' is not valid", region);
    aws_client *c = calloc(1, sizeof *c);
    if (!c)
        return rnr_error_set(err, RNR_ERR_NOMEM, "aws client: out of memory");
    pthread_mutex_init(&c->mu, NULL);
    snprintf(c->service, sizeof c->service, "%s", service);
    snprintf(c->region, sizeof c->region, "%s", region);
    c->max_attempts = o && o->max_attempts > 0 ? o->max_attempts : 4;
    c->seed = (unsigned)time_mono_ms() ^ (unsigned)(uintptr_t)c;
    const char *ep = o && o->endpoint ? o->endpoint : env_endpoint(env_id);
    char buf[512];
    if (!ep) {
        snprintf(buf, sizeof buf, "https://%s.%s.amazonaws.com", service, c->region);
        ep = buf;
    }
    int rc = RNR_OK;
    if (strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0)
        rc = rnr_error_set(err, RNR_ERR_CONFIG, "%s endpoint '%.200s' is not an http(s) URL",
                           service, ep);
    else if (!(c->endpoint = strdup(ep)))
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "aws client: out of memory");
    if (rc == RNR_OK) {
        size_t n = strlen(c->endpoint);
        while (n > 0 && c->endpoint[n - 1] == '/')
            c->endpoint[--n] = '\0';
        if (o && o->creds)
            c->creds = o->creds;
        else if ((rc = aws_creds_new(&c->creds, err)) == RNR_OK)
            c->own_creds = 1;
    }
    if (rc != RNR_OK) {
        aws_client_free(c);
        return rc;
    }
    *out = c;
    return RNR_OK;
}

void aws_client_free(aws_client *c)
{
    if (!c)
        return;
    if (c->h)
        curl_easy_cleanup(c->h);
    if (c->own_creds)
        aws_creds_free(c->creds);
    free(c->endpoint);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

const char *aws_client_region(const aws_client *c)
{
    return c->region;
}
const char *aws_client_endpoint(const aws_client *c)
{
    return c->endpoint;
}
int aws_client_max_attempts(const aws_client *c)
{
    return c->max_attempts;
}

int aws_client_credentials(aws_client *c, aws_credentials *out, rnr_error *err)
{
    return aws_creds_get(c->creds, out, err);
}

void aws_client_backoff(aws_client *c, int attempt)
{
    int64_t base = 200LL << (attempt > 5 ? 5 : attempt - 1);
    pthread_mutex_lock(&c->mu);
    int64_t jitter = rand_r(&c->seed) % (base / 2 + 1);
    pthread_mutex_unlock(&c->mu);
    time_sleep_ms(base / 2 + jitter);
}

int aws_sign_curl(CURL *h, struct curl_slist **headers, const aws_credentials *cr,
                  const char *region, const char *service, const char *payload_hash, rnr_error *err)
{
    char line[4200];
    snprintf(line, sizeof line, "aws:amz:%s:%s", region, service);
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, line);
    curl_easy_setopt(h, CURLOPT_USERNAME, cr->access_key);
    curl_easy_setopt(h, CURLOPT_PASSWORD, cr->secret_key);
    snprintf(line, sizeof line, "x-amz-content-sha256: %s", payload_hash);
    struct curl_slist *l = curl_slist_append(*headers, line);
    if (l && cr->session_token[0]) {
        *headers = l;
        snprintf(line, sizeof line, "x-amz-security-token: %s", cr->session_token);
        l = curl_slist_append(*headers, line);
    }
    if (!l)
        return rnr_error_set(err, RNR_ERR_NOMEM, "aws: out of memory");
    *headers = l;
    return RNR_OK;
}

int aws_error_class(long status, const char *code)
{
    static const char *const notfound[] = {"ResourceNotFoundException", "ClusterNotFoundException",
                                           "ServiceNotFoundException", "NoSuchKey", "NoSuchBucket"};
    static const char *const transient[] = {
        "Throttling",           "ThrottlingException",      "SlowDown",
        "RequestLimitExceeded", "TooManyRequestsException", "RequestTimeout",
        "InternalError",        "InternalFailure",          "ServiceUnavailable",
        "RequestThrottled"};
    code = code ? code : "";
    for (size_t i = 0; i < sizeof notfound / sizeof notfound[0]; i++)
        if (strcmp(code, notfound[i]) == 0)
            return RNR_ERR_NOTFOUND;
    for (size_t i = 0; i < sizeof transient / sizeof transient[0]; i++)
        if (strcmp(code, transient[i]) == 0)
            return RNR_ERR_TRANSIENT;
    if (status >= 500 || status == 429)
        return RNR_ERR_TRANSIENT;
    if (status == 401 || status == 403)
        return RNR_ERR_AUTH;
    if (status == 404)
        return RNR_ERR_NOTFOUND;
    return RNR_ERR_INVALID;
}

void aws_response_clear(aws_response *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* Find the first element named name (any namespace) below n. */
static xmlNode *xml_find(xmlNode *n, const char *name)
{
    for (; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
            return n;
        xmlNode *c = xml_find(n->children, name);
        if (c)
            return c;
    }
    return NULL;
}

void aws_error_shape(const char *body, size_t len, char *code, size_t ccap, char *msg, size_t mcap)
{
    code[0] = msg[0] = '\0';
    if (!body || !len)
        return;
    json_t *j = json_loadb(body, len, 0, NULL);
    if (j) {
        const char *t = json_string_value(json_object_get(j, "__type"));
        if (!t)
            t = json_string_value(json_object_get(j, "code"));
        const char *m = json_string_value(json_object_get(j, "message"));
        if (!m)
            m = json_string_value(json_object_get(j, "Message"));
        if (t) {
            const char *hash = strrchr(t, '#');
            snprintf(code, ccap, "%s", hash ? hash + 1 : t);
        }
        snprintf(msg, mcap, "%s", m ? m : "");
        json_decref(j);
        return;
    }
    xmlDoc *doc = xmlReadMemory(body, (int)(len > 1 << 20 ? 1 << 20 : len), NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return;
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *c = xml_find(root, "Code"), *m = xml_find(root, "Message");
    xmlChar *cs = c ? xmlNodeGetContent(c) : NULL, *ms = m ? xmlNodeGetContent(m) : NULL;
    snprintf(code, ccap, "%s", cs ? (const char *)cs : "");
    snprintf(msg, mcap, "%s", ms ? (const char *)ms : "");
    xmlFree(cs);
    xmlFree(ms);
    xmlFreeDoc(doc);
}

static int post_once(aws_client *c, const char *target, const char *ctype, const char *body,
                     size_t len, const char *hash, aws_response *resp, CURLcode *cc, rnr_error *err)
{
    aws_credentials *cr = malloc(sizeof *cr);
    if (!cr)
        return rnr_error_set(err, RNR_ERR_NOMEM, "aws: out of memory");
    int rc = aws_creds_get(c->creds, cr, err);
    if (rc != RNR_OK) {
        free(cr);
        return rc;
    }
    struct curl_slist *hl = NULL;
    char line[512], url[1024];
    snprintf(line, sizeof line, "Content-Type: %s", ctype);
    hl = curl_slist_append(hl, line);
    if (hl && target) {
        snprintf(line, sizeof line, "X-Amz-Target: %s", target);
        struct curl_slist *l = curl_slist_append(hl, line);
        if (l)
            hl = l;
    }
    pthread_mutex_lock(&c->mu);
    if (!c->h && !(c->h = curl_easy_init()))
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "aws: curl init failed");
    if (rc == RNR_OK) {
        curl_easy_reset(c->h);
        rc = aws_sign_curl(c->h, &hl, cr, c->region, c->service, hash, err);
    }
    aws_credentials_wipe(cr);
    free(cr);
    if (rc == RNR_OK) {
        snprintf(url, sizeof url, "%s/", c->endpoint);
        curl_easy_setopt(c->h, CURLOPT_URL, url);
        curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curlbuf b = {.max = AWS_BODY_MAX};
        curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, curlbuf_write);
        curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
        curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, 30000L);
        curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http,https");
        http_apply_ca(c->h);
        *cc = curl_easy_perform(c->h);
        resp->body = b.data;
        resp->len = b.len;
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &resp->status);
        curl_easy_setopt(c->h, CURLOPT_USERNAME, "");
        curl_easy_setopt(c->h, CURLOPT_PASSWORD, "");
    }
    pthread_mutex_unlock(&c->mu);
    curl_slist_free_all(hl);
    return rc;
}

int aws_post(aws_client *c, const char *action, const char *target, const char *content_type,
             const char *body, size_t len, aws_response *resp, rnr_error *err)
{
    char hash[AWS_SHA256_HEX_LEN + 1];
    aws_sha256_hex(body, len, hash);
    memset(resp, 0, sizeof *resp);
    int rc = RNR_OK;
    for (int attempt = 1; attempt <= c->max_attempts; attempt++) {
        aws_response_clear(resp);
        CURLcode cc = CURLE_OK;
        rc = post_once(c, target, content_type, body, len, hash, resp, &cc, err);
        if (rc != RNR_OK)
            return rc;
        if (cc != CURLE_OK) {
            rc = rnr_error_set(err, RNR_ERR_TRANSIENT, "%s %s at %s: %s", c->service, action,
                               c->endpoint, curl_easy_strerror(cc));
        } else if (resp->status >= 200 && resp->status < 300) {
            return RNR_OK;
        } else {
            char code[128], msg[256];
            aws_error_shape(resp->body, resp->len, code, sizeof code, msg, sizeof msg);
            rc = rnr_error_set(err, aws_error_class(resp->status, code), "%s %s: HTTP %ld %s%s%s",
                               c->service, action, resp->status, code[0] ? code : "error",
                               msg[0] ? ": " : "", msg);
        }
        if (!rnr_code_is_transient(rc) || attempt == c->max_attempts)
            break;
        log_warn("aws", "%s %s failed (attempt %d of %d), retrying: %s", c->service, action,
                 attempt, c->max_attempts, err ? err->msg : "");
        aws_client_backoff(c, attempt);
    }
    return rc;
}

/* POST a JSON-protocol request; on success *resp holds the raw reply for a
 * pure parser (the caller clears it). */
static int json_call(aws_client *c, const char *action, const char *target, json_t *req,
                     aws_response *resp, rnr_error *err)
{
    memset(resp, 0, sizeof *resp);
    char *body = json_dumps(req, JSON_COMPACT);
    if (!body)
        return rnr_error_set(err, RNR_ERR_NOMEM, "%s %s: cannot encode request", c->service,
                             action);
    int rc =
        aws_post(c, action, target, "application/x-amz-json-1.1", body, strlen(body), resp, err);
    free(body);
    return rc;
}

/* Wipe and free a reply that may hold a secret. */
static void response_wipe(aws_response *r)
{
    if (r->body)
        memset(r->body, 0, r->len);
    aws_response_clear(r);
}

int aws_secret_string_parse(const char *body, size_t len, const char *secret_id, char **value,
                            rnr_error *err)
{
    *value = NULL;
    json_t *resp = body ? json_loadb(body, len, 0, NULL) : NULL;
    if (!resp)
        return rnr_error_set(err, RNR_ERR_PARSE, "secret %.200s: response is not JSON", secret_id);
    const char *s = json_string_value(json_object_get(resp, "SecretString"));
    int rc = RNR_OK;
    if (!s)
        rc = rnr_error_set(err, RNR_ERR_UNSUPPORTED,
                           "secret %.200s has no SecretString "
                           "(binary secrets are not supported)",
                           secret_id);
    else if (!(*value = strdup(s)))
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "secretsmanager: out of memory");
    json_decref(resp);
    return rc;
}

int aws_secrets_get_value(aws_client *c, const char *secret_id, char **value, rnr_error *err)
{
    if (!secret_id || !*secret_id)
        return rnr_error_set(err, RNR_ERR_INVALID, "secretsmanager: empty SecretId");
    json_t *req = json_pack("{s:s}", "SecretId", secret_id);
    if (!req)
        return rnr_error_set(err, RNR_ERR_INVALID, "secretsmanager: SecretId is not UTF-8");
    aws_response r;
    int rc = json_call(c, "GetSecretValue", "secretsmanager.GetSecretValue", req, &r, err);
    json_decref(req);
    if (rc == RNR_OK)
        rc = aws_secret_string_parse(r.body, r.len, secret_id, value, err);
    else
        rnr_error_prefix(err, "secret %.200s", secret_id);
    response_wipe(&r);
    return rc;
}

/* Append "&name=value" (value form-encoded) to a growing buffer. */
static int form_add(char **buf, size_t *n, const char *name, const char *value)
{
    char *v = aws_uri_encode(value, strlen(value), 0);
    if (!v)
        return -1;
    size_t add = strlen(name) + strlen(v) + 2;
    char *p = realloc(*buf, *n + add + 1);
    if (!p) {
        free(v);
        return -1;
    }
    *buf = p;
    *n += (size_t)snprintf(p + *n, add + 1, "%s%s=%s", *n ? "&" : "", name, v);
    free(v);
    return 0;
}

int aws_cloudwatch_put(aws_client *c, const char *ns, const char *name, double value,
                       const char *unit, const metric_dim *dims, size_t ndims, rnr_error *err)
{
    if (!ns || !*ns || !name || !*name)
        return rnr_error_set(err, RNR_ERR_INVALID, "cloudwatch: empty namespace or metric name");
    if (!isfinite(value))
        return rnr_error_set(err, RNR_ERR_INVALID, "cloudwatch: metric %s value is not finite",
                             name);
    if (ndims > 30)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "cloudwatch: metric %s has %zu dimensions "
                             "(at most 30)",
                             name, ndims);
    char *body = NULL, num[64], key[96];
    size_t n = 0;
    int bad = form_add(&body, &n, "Action", "PutMetricData") ||
              form_add(&body, &n, "Version", "2010-08-01") ||
              form_add(&body, &n, "Namespace", ns) ||
              form_add(&body, &n, "MetricData.member.1.MetricName", name);
    snprintf(num, sizeof num, "%.17g", value);
    bad = bad || form_add(&body, &n, "MetricData.member.1.Value", num) ||
          form_add(&body, &n, "MetricData.member.1.Unit", unit ? unit : "None");
    for (size_t i = 0; !bad && i < ndims; i++) {
        snprintf(key, sizeof key, "MetricData.member.1.Dimensions.member.%zu.Name", i + 1);
        bad = form_add(&body, &n, key, dims[i].name);
        snprintf(key, sizeof key, "MetricData.member.1.Dimensions.member.%zu.Value", i + 1);
        bad = bad || form_add(&body, &n, key, dims[i].value);
    }
    if (bad) {
        free(body);
        return rnr_error_set(err, RNR_ERR_NOMEM, "cloudwatch: out of memory");
    }
    aws_response r;
    int rc = aws_post(c, "PutMetricData", NULL, "application/x-www-form-urlencoded; charset=utf-8",
                      body, n, &r, err);
    free(body);
    aws_response_clear(&r);
    return rc;
}

int aws_ecs_describe_service(aws_client *c, const char *cluster, const char *service, int *running,
                             int *desired, rnr_error *err)
{
    json_t *req = json_pack("{s:s, s:[s]}", "cluster", cluster ? cluster : "", "services",
                            service ? service : "");
    if (!req || !cluster || !*cluster || !service || !*service) {
        json_decref(req);
        return rnr_error_set(err, RNR_ERR_INVALID, "ecs: cluster and service names are required");
    }
    aws_response r;
    int rc = json_call(c, "DescribeServices", "AmazonEC2ContainerServiceV20141113.DescribeServices",
                       req, &r, err);
    json_decref(req);
    if (rc == RNR_OK)
        rc = aws_ecs_service_parse(r.body, r.len, cluster, service, running, desired, err);
    else
        rnr_error_prefix(err, "ecs service %.100s/%.100s", cluster, service);
    aws_response_clear(&r);
    return rc;
}

/* A count from an ECS reply: an integer in [0, INT_MAX]. */
static int ecs_count(json_t *v, int *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT_MAX)
        return -1;
    *out = (int)json_integer_value(v);
    return 0;
}

int aws_ecs_service_parse(const char *body, size_t len, const char *cluster, const char *service,
                          int *running, int *desired, rnr_error *err)
{
    json_t *resp = body ? json_loadb(body, len, 0, NULL) : NULL;
    if (!resp)
        return rnr_error_set(err, RNR_ERR_PARSE,
                             "ecs service %.100s/%.100s: response is not "
                             "JSON",
                             cluster, service);
    json_t *svc = json_array_get(json_object_get(resp, "services"), 0);
    int run, des, rc = RNR_OK;
    if (ecs_count(json_object_get(svc, "runningCount"), &run) == 0 &&
        ecs_count(json_object_get(svc, "desiredCount"), &des) == 0) {
        *running = run;
        *desired = des;
    } else {
        const char *reason = json_string_value(
            json_object_get(json_array_get(json_object_get(resp, "failures"), 0), "reason"));
        rc = rnr_error_set(err, reason ? RNR_ERR_NOTFOUND : RNR_ERR_PARSE,
                           "ecs service %.100s/%.100s: %.200s", cluster, service,
                           reason ? reason : "response has no valid runningCount/desiredCount");
    }
    json_decref(resp);
    return rc;
}

/* ---- port backends ---- */

static int secrets_op_get(void *self, const char *name, char **value, rnr_error *err)
{
    return aws_secrets_get_value(self, name, value, err);
}

static void client_close(void *self)
{
    aws_client_free(self);
}

static const secrets_ops aws_secrets_ops = {secrets_op_get, client_close};

int aws_secrets_open(const aws_opts *o, rnr_secrets **out, rnr_error *err)
{
    aws_client *c = NULL;
    int rc = aws_client_new("secretsmanager", "SECRETS_MANAGER", o, &c, err);
    if (rc != RNR_OK)
        return rc;
    rnr_secrets *s = malloc(sizeof *s);
    if (!s) {
        aws_client_free(c);
        return rnr_error_set(err, RNR_ERR_NOMEM, "secrets: out of memory");
    }
    *s = (rnr_secrets){&aws_secrets_ops, c};
    *out = s;
    return RNR_OK;
}

static int metrics_op_put(void *self, const char *ns, const char *name, double value,
                          const char *unit, const metric_dim *dims, size_t ndims, rnr_error *err)
{
    return aws_cloudwatch_put(self, ns, name, value, unit, dims, ndims, err);
}

static const metrics_ops aws_metrics_ops = {metrics_op_put, client_close};

int aws_metrics_open(const aws_opts *o, rnr_metrics **out, rnr_error *err)
{
    aws_client *c = NULL;
    int rc = aws_client_new("monitoring", "CLOUDWATCH", o, &c, err);
    if (rc != RNR_OK)
        return rc;
    rnr_metrics *m = malloc(sizeof *m);
    if (!m) {
        aws_client_free(c);
        return rnr_error_set(err, RNR_ERR_NOMEM, "metrics: out of memory");
    }
    *m = (rnr_metrics){&aws_metrics_ops, c};
    *out = m;
    return RNR_OK;
}

typedef struct ecs_fleet {
    aws_client *c;
    char *cluster, *service;
} ecs_fleet;

static int fleet_op_running(void *self, int *running, rnr_error *err)
{
    ecs_fleet *f = self;
    int desired;
    return aws_ecs_describe_service(f->c, f->cluster, f->service, running, &desired, err);
}

static void fleet_op_close(void *self)
{
    ecs_fleet *f = self;
    aws_client_free(f->c);
    free(f->cluster);
    free(f->service);
    free(f);
}

static const fleet_ops ecs_fleet_ops = {fleet_op_running, NULL, fleet_op_close};

int ecs_fleet_open(const char *cluster, const char *service, const aws_opts *o, rnr_fleet **out,
                   rnr_error *err)
{
    if (!cluster || !*cluster || !service || !*service)
        return rnr_error_set(err, RNR_ERR_CONFIG,
                             "ecs fleet: cluster and service names are "
                             "required (ECS_CLUSTER_NAME, ECS_SERVICE_NAME)");
    ecs_fleet *f = calloc(1, sizeof *f);
    rnr_fleet *p = malloc(sizeof *p);
    int rc = RNR_OK;
    if (!f || !p || !(f->cluster = strdup(cluster)) || !(f->service = strdup(service)))
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "ecs fleet: out of memory");
    else
        rc = aws_client_new("ecs", "ECS", o, &f->c, err);
    if (rc != RNR_OK) {
        if (f)
            fleet_op_close(f);
        free(p);
        return rc;
    }
    *p = (rnr_fleet){&ecs_fleet_ops, f};
    *out = p;
    return RNR_OK;
}
