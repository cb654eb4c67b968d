/* aws_fake_api.c - the fake's API behaviour once a request is verified:
 * Secrets Manager GetSecretValue, ECS DescribeServices, CloudWatch
 * PutMetricData (query protocol) and a small in-memory S3 (PUT, GET,
 * DELETE, ListObjectsV2 with continuation tokens). */
#include "aws_fake_api.h"

#include "core/timeutil.h"

#include <stdlib.h>
#include <string.h>

/* The JSON-protocol preamble: 0 (error already in rep) unless the
 * X-Amz-Target is want; *req is the parsed body, NULL when it is not JSON. */
static int json_call(const fake_request *r, const char *want, fake_reply *rep, json_t **req)
{
    if (strcmp(fake_header(r, "x-amz-target"), want) != 0) {
        fake_json_error(rep, 400, "UnknownOperationException", "unknown operation");
        return 0;
    }
    *req = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
    return 1;
}

/* ---- Secrets Manager ---- */

void fake_secrets(fake_state *st, const fake_request *r, fake_reply *rep)
{
    json_t *req;
    if (!json_call(r, "secretsmanager.GetSecretValue", rep, &req))
        return;
    const char *id = json_string_value(json_object_get(req, "SecretId"));
    rep->record = json_pack("{s:s, s:s?}", "action", "GetSecretValue", "secret_id", id);
    if (!id) {
        fake_json_error(rep, 400, "ValidationException", "SecretId is required");
        json_decref(req);
        return;
    }
    for (size_t i = 0; i < st->cfg.nsecrets; i++) {
        const char *e = strchr(st->cfg.secrets[i], '=');
        size_t nl = (size_t)(e - st->cfg.secrets[i]);
        if (strlen(id) == nl && strncmp(id, st->cfg.secrets[i], nl) == 0) {
            fake_reply_json(rep, 200,
                            json_pack("{s:s, s:s, s:s, s:s, s:[s], s:f}", "ARN", id, "Name", id,
                                      "SecretString", e + 1, "VersionId",
                                      "00000000-0000-0000-0000-000000000001", "VersionStages",
                                      "AWSCURRENT", "CreatedDate", 1.7e9));
            json_decref(req);
            return;
        }
    }
    json_decref(req);
    fake_json_error(rep, 400, "ResourceNotFoundException",
                    "Secrets Manager can't find the specified secret.");
}

/* ---- ECS ---- */

/* Look up "CLUSTER/SERVICE=RUNNING/DESIRED"; 1 found, 0 service missing,
 * -1 no service in that cluster at all. */
static int ecs_lookup(const fake_config *c, const char *cluster, const char *svc, int *run,
                      int *des)
{
    int cluster_known = 0;
    for (size_t i = 0; i < c->nservices; i++) {
        char name[512];
        int r, d;
        if (sscanf(c->services[i], "%511[^=]=%d/%d", name, &r, &d) != 3)
            continue;
        char *slash = strchr(name, '/');
        if (!slash)
            continue;
        *slash = '\0';
        if (strcmp(name, cluster) != 0)
            continue;
        cluster_known = 1;
        if (strcmp(slash + 1, svc) == 0) {
            *run = r;
            *des = d;
            return 1;
        }
    }
    return cluster_known ? 0 : -1;
}

void fake_ecs(fake_state *st, const fake_request *r, fake_reply *rep)
{
    json_t *req;
    if (!json_call(r, "AmazonEC2ContainerServiceV20141113.DescribeServices", rep, &req))
        return;
    const char *cluster = json_string_value(json_object_get(req, "cluster"));
    json_t *names = json_object_get(req, "services");
    rep->record = json_pack("{s:s, s:s?, s:O?}", "action", "DescribeServices", "cluster", cluster,
                            "services", names);
    if (!json_is_array(names) || json_array_size(names) == 0 || json_array_size(names) > 10) {
        fake_json_error(rep, 400, "InvalidParameterException", "services must list 1 to 10 names");
        json_decref(req);
        return;
    }
    cluster = cluster ? cluster : "default";
    json_t *svcs = json_array(), *fails = json_array();
    size_t i;
    json_t *n;
    int missing_cluster = 0;
    json_array_foreach(names, i, n)
    {
        const char *name = json_string_value(n);
        char arn[1200];
        int run = 0, des = 0, found = ecs_lookup(&st->cfg, cluster, name ? name : "", &run, &des);
        snprintf(arn, sizeof arn, "arn:aws:ecs:%s:123456789012:service/%s/%s", st->cfg.region,
                 cluster, name ? name : "");
        if (found < 0)
            missing_cluster = 1;
        else if (found == 0)
            json_array_append_new(fails, json_pack("{s:s, s:s}", "arn", arn, "reason", "MISSING"));
        else
            json_array_append_new(svcs, json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:s}",
                                                  "serviceArn", arn, "serviceName", name, "status",
                                                  "ACTIVE", "desiredCount", des, "runningCount",
                                                  run, "pendingCount", 0, "launchType", "FARGATE"));
    }
    json_decref(req);
    if (missing_cluster) {
        json_decref(svcs);
        json_decref(fails);
        fake_json_error(rep, 400, "ClusterNotFoundException", "Cluster not found.");
        return;
    }
    fake_reply_json(rep, 200, json_pack("{s:o, s:o}", "services", svcs, "failures", fails));
}

/* ---- CloudWatch (query protocol) ---- */

static json_t *form_decode(const char *body, size_t len)
{
    json_t *o = json_object();
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end, *eq = memchr(p, '=', (size_t)(e - p));
        char *k = aws_uri_decode(p, (size_t)((eq ? eq : e) - p), 1, NULL);
        char *v = eq ? aws_uri_decode(eq + 1, (size_t)(e - eq - 1), 1, NULL) : strdup("");
        if (k && v && *k)
            json_object_set_new(o, k, json_string(v));
        free(k);
        free(v);
        p = e + 1;
    }
    return o;
}

static const char *param(json_t *params, const char *name)
{
    return json_string_value(json_object_get(params, name));
}

void fake_cloudwatch(fake_state *st, const fake_request *r, fake_reply *rep)
{
    (void)st;
    json_t *params = form_decode(r->body ? r->body : "", r->len);
    rep->record = json_pack("{s:s?, s:O}", "action", param(params, "Action"), "params", params);
    const char *action = param(params, "Action"), *ns = param(params, "Namespace");
    const char *name = param(params, "MetricData.member.1.MetricName");
    const char *value = param(params, "MetricData.member.1.Value");
    char *end = NULL;
    if (!action || strcmp(action, "PutMetricData") != 0)
        fake_query_error(rep, 400, "InvalidAction", "The action is not valid for this endpoint.");
    else if (!param(params, "Version") || strcmp(param(params, "Version"), "2010-08-01") != 0)
        fake_query_error(rep, 400, "InvalidParameterValue", "Version must be 2010-08-01.");
    else if (!ns || !name)
        fake_query_error(
            rep, 400, "MissingParameter",
            "The parameter Namespace and MetricData.member.1.MetricName are required.");
    else if (strncmp(ns, "AWS/", 4) == 0)
        fake_query_error(rep, 400, "InvalidParameterValue",
                         "The value AWS/ for parameter Namespace is invalid.");
    else if (value && (strtod(value, &end), *end != '\0'))
        fake_query_error(rep, 400, "InvalidParameterValue", "The value for Value is not a number.");
    else
        fake_reply_set(rep, 200, "text/xml",
                       "<PutMetricDataResponse xmlns=\"http://monitoring.amazonaws.com/doc/"
                       "2010-08-01/\"><ResponseMetadata><RequestId>fake</RequestId>"
                       "</ResponseMetadata></PutMetricDataResponse>");
    json_decref(params);
}

/* ---- S3 (in memory; the caller holds no lock) ---- */

static fake_object *s3_find(fake_state *st, const char *key)
{
    for (size_t i = 0; i < st->nobjects; i++)
        if (strcmp(st->objects[i].key, key) == 0)
            return &st->objects[i];
    return NULL;
}

static void s3_put(fake_state *st, const fake_request *r, const char *key, fake_reply *rep)
{
    const char *md5 = fake_header(r, "content-md5");
    char want[25];
    aws_md5_b64(r->body ? r->body : "", r->len, want);
    if (md5 && strcmp(md5, want) != 0) {
        fake_s3_error(rep, 400, "BadDigest",
                      "The Content-MD5 you specified did not match what "
                      "we received.");
        return;
    }
    char *data = malloc(r->len + 1);
    if (!data) {
        fake_s3_error(rep, 500, "InternalError", "out of memory");
        return;
    }
    memcpy(data, r->body ? r->body : "", r->len);
    pthread_mutex_lock(&st->mu);
    fake_object *o = s3_find(st, key);
    char *owned = o ? NULL : strdup(key);
    if (owned && st->nobjects < FAKE_MAX_OBJECTS) {
        o = &st->objects[st->nobjects++];
        o->key = owned;
        o->data = NULL;
        owned = NULL;
    }
    free(owned);
    if (o) {
        free(o->data);
        o->data = data;
        o->len = r->len;
        o->mtime = time_now();
    }
    pthread_mutex_unlock(&st->mu);
    if (!o) {
        free(data);
        fake_s3_error(rep, 507, "InternalError", "fake store full");
        return;
    }
    fake_reply_set(rep, 200, "application/xml", "%s", "");
}

static void xml_put(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else
            fputc(*s, f);
    }
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void s3_list(fake_state *st, const char *bucket, json_t *q, fake_reply *rep)
{
    const char *prefix = param(q, "prefix"), *token = param(q, "continuation-token");
    const char *mk = param(q, "max-keys");
    int max = mk ? atoi(mk) : 1000;
    prefix = prefix ? prefix : "";
    max = max < 1 || max > 1000 ? 1000 : max;
    size_t bl = strlen(bucket);
    pthread_mutex_lock(&st->mu);
    const char **keys = calloc(st->nobjects + 1, sizeof *keys);
    if (!keys) {
        pthread_mutex_unlock(&st->mu);
        fake_s3_error(rep, 500, "InternalError", "out of memory");
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < st->nobjects; i++) {
        const char *k = st->objects[i].key;
        if (strncmp(k, bucket, bl) == 0 && k[bl] == '/' &&
            strncmp(k + bl + 1, prefix, strlen(prefix)) == 0 &&
            (!token || strcmp(k + bl + 1, token) > 0))
            keys[n++] = k;
    }
    qsort(keys, n, sizeof *keys, key_cmp);
    char *out = NULL;
    size_t olen = 0;
    FILE *f = open_memstream(&out, &olen);
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3."
            "amazonaws.com/doc/2006-03-01/\"><Name>%s</Name><Prefix></Prefix><KeyCount>%zu"
            "</KeyCount><MaxKeys>%d</MaxKeys><IsTruncated>%s</IsTruncated>",
            bucket, n < (size_t)max ? n : (size_t)max, max, n > (size_t)max ? "true" : "false");
    for (size_t i = 0; i < n && i < (size_t)max; i++) {
        fake_object *o = s3_find(st, keys[i]);
        char t[32];
        time_format(o->mtime, "%Y-%m-%dT%H:%M:%S.000Z", t, sizeof t);
        fputs("<Contents><Key>", f);
        xml_put(f, keys[i] + bl + 1);
        fprintf(f,
                "</Key><LastModified>%s</LastModified><Size>%zu</Size>"
                "<StorageClass>STANDARD</StorageClass></Contents>",
                t, o->len);
    }
    if (n > (size_t)max) {
        fputs("<NextContinuationToken>", f);
        xml_put(f, keys[max - 1] + bl + 1);
        fputs("</NextContinuationToken>", f);
    }
    fprintf(f, "</ListBucketResult>");
    fclose(f);
    pthread_mutex_unlock(&st->mu);
    free(keys);
    fake_reply_set(rep, 200, "application/xml", "%s", out ? out : "");
    free(out);
}

void fake_s3(fake_state *st, const fake_request *r, fake_reply *rep)
{
    char *path = aws_uri_decode(r->path, strlen(r->path), 0, NULL);
    if (!path) {
        fake_s3_error(rep, 500, "InternalError", "out of memory");
        return;
    }
    json_t *q = form_decode(r->query, strlen(r->query));
    const char *bk = *path == '/' ? path + 1 : path; /* "bucket/key" */
    const char *slash = strchr(bk, '/');
    char bucket[128];
    snprintf(bucket, sizeof bucket, "%.*s", (int)(slash ? (size_t)(slash - bk) : strlen(bk)), bk);
    const char *key = slash && slash[1] ? slash + 1 : NULL;
    rep->record = json_pack("{s:s, s:s?, s:s, s:s?}", "bucket", bucket, "key", key, "action",
                            r->method, "content_md5", fake_header(r, "content-md5"));
    if (!key && strcmp(r->method, "GET") == 0 && param(q, "list-type")) {
        s3_list(st, bucket, q, rep);
    } else if (!key) {
        fake_s3_error(rep, 400, "InvalidRequest", "unsupported bucket operation");
    } else if (strcmp(r->method, "PUT") == 0) {
        s3_put(st, r, bk, rep);
    } else if (strcmp(r->method, "GET") == 0) {
        pthread_mutex_lock(&st->mu);
        fake_object *o = s3_find(st, bk);
        char *body = o ? malloc(o->len + 1) : NULL;
        if (body) {
            fake_reply_set(rep, 200, "application/octet-stream", "%s", "");
            free(rep->body);
            memcpy(body, o->data, o->len);
            rep->body = body;
            rep->len = o->len;
        }
        pthread_mutex_unlock(&st->mu);
        if (!o)
            fake_s3_error(rep, 404, "NoSuchKey", "The specified key does not exist.");
        else if (!body)
            fake_s3_error(rep, 500, "InternalError", "out of memory");
    } else if (strcmp(r->method, "DELETE") == 0) {
        pthread_mutex_lock(&st->mu);
        fake_object *o = s3_find(st, bk);
        if (o) {
            free(o->key);
            free(o->data);
            *o = st->objects[--st->nobjects];
        }
        pthread_mutex_unlock(&st->mu);
        fake_reply_set(rep, 204, "application/xml", "%s", "");
    } else {
        fake_s3_error(rep, 405, "MethodNotAllowed", "method not allowed");
    }
    json_decref(q);
    free(path);
}
