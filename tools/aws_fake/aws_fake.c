/* aws_fake.c - rnr-aws-fake: HTTP plumbing (libmicrohttpd on 127.0.0.1),
 * SigV4 verification of every API request, dispatch by protocol, the ECS
 * container-credentials endpoint and the JSON-lines request log.
 *
 * usage: rnr-aws-fake --access-key AK --secret-key SK [--session-token T]
 *   [--region R] [--port N] [--log FILE] [--secret NAME=VALUE]...
 *   [--service CLUSTER/SERVICE=RUNNING/DESIRED]... [--creds-path PATH]
 *   [--creds-auth TOKEN] [--creds-ttl SECONDS] [--fail N] [--exit-on-stdin-eof]
 * Prints "port N" on stdout once listening. */
#include "aws_fake_api.h"
#include "aws_fake_reply.h"

#include "core/timeutil.h"

#include <microhttpd.h>
#include <openssl/crypto.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAKE_BODY_MAX (64 * 1024 * 1024)

/* ---- SigV4 verification ---- */

enum proto { PROTO_JSON, PROTO_QUERY, PROTO_S3 };

static void proto_error(enum proto p, fake_reply *rep, int status, const char *code,
                        const char *msg)
{
    if (p == PROTO_JSON)
        fake_json_error(rep, status, code, msg);
    else if (p == PROTO_QUERY)
        fake_query_error(rep, status, code, msg);
    else
        fake_s3_error(rep, status, code, msg);
}

static int header_signed(const char *signed_hdrs, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = signed_hdrs; *p;) {
        size_t l = strcspn(p, ";");
        if (l == n && strncmp(p, name, n) == 0)
            return 1;
        p += l + (p[l] == ';');
    }
    return 0;
}

/* Parse "YYYYMMDDTHHMMSSZ"; -1 when malformed. */
static long long amz_time(const char *s)
{
    int y, mo, d, h, mi, se;
    if (!s || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z' ||
        sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &y, &mo, &d, &h, &mi, &se) != 6)
        return -1;
    return time_from_civil(y, mo, d, h, mi, se);
}

/* 0 when the request is correctly signed for service; else fills rep and
 * sets *why (for the log). */
static int verify(fake_state *st, const fake_request *r, const char *service, enum proto p,
                  fake_reply *rep, const char **why)
{
    const fake_config *c = &st->cfg;
    const char *authz = fake_header(r, "authorization"), *date = fake_header(r, "x-amz-date");
    const char *tok = fake_header(r, "x-amz-security-token");
    int s3 = p == PROTO_S3;
    aws_sigv4_auth a;
    rnr_error err;
    *why = NULL;
    if (!authz) {
        *why = "no Authorization header";
        proto_error(p, rep, s3 ? 403 : 400,
                    s3 ? "AccessDenied" : "MissingAuthenticationTokenException",
                    "Missing Authentication Token");
        return -1;
    }
    if (aws_sigv4_parse_auth(authz, &a, &err) != RNR_OK || !date) {
        *why = "malformed Authorization or no x-amz-date";
        proto_error(p, rep, s3 ? 400 : 403,
                    s3 ? "AuthorizationHeaderMalformed" : "IncompleteSignature",
                    "Authorization header requires Credential, SignedHeaders, Signature and "
                    "an x-amz-date header");
        return -1;
    }
    if (strcmp(a.access_key, c->access_key) != 0) {
        *why = "unknown access key";
        proto_error(p, rep, 403, s3 ? "InvalidAccessKeyId" : "UnrecognizedClientException",
                    "The security token included in the request is invalid.");
        return -1;
    }
    long long t = amz_time(date), now = time_now();
    if (t < 0 || strncmp(date, a.date, 8) != 0 || strcmp(a.region, c->region) != 0 ||
        strcmp(a.service, service) != 0) {
        *why = "credential scope does not match date/region/service";
        proto_error(p, rep, 403, s3 ? "AuthorizationHeaderMalformed" : "InvalidSignatureException",
                    "Credential should be scoped to a valid date, region and service.");
        return -1;
    }
    if (t < now - 900 || t > now + 900) {
        *why = "x-amz-date more than 15 minutes off";
        proto_error(p, rep, 403, s3 ? "RequestTimeTooSkewed" : "InvalidSignatureException",
                    "Signature expired or not yet current.");
        return -1;
    }
    if (!header_signed(a.signed_headers, "host") ||
        !header_signed(a.signed_headers, "x-amz-date")) {
        *why = "host or x-amz-date not signed";
        proto_error(p, rep, 403, s3 ? "AccessDenied" : "InvalidSignatureException",
                    "Host and x-amz-date must be signed.");
        return -1;
    }
    if ((c->session_token && (!tok || strcmp(tok, c->session_token) != 0 ||
                              !header_signed(a.signed_headers, "x-amz-security-token"))) ||
        (!c->session_token && tok)) {
        *why = "security token missing, wrong or unsigned";
        proto_error(p, rep, 403, s3 ? "InvalidToken" : "UnrecognizedClientException",
                    "The security token included in the request is invalid.");
        return -1;
    }
    char body_hash[AWS_SHA256_HEX_LEN + 1];
    aws_sha256_hex(r->body ? r->body : "", r->len, body_hash);
    const char *ph = fake_header(r, "x-amz-content-sha256");
    if (s3 && !ph) {
        *why = "no x-amz-content-sha256";
        fake_s3_error(rep, 400, "InvalidRequest",
                      "Missing required header for this request: "
                      "x-amz-content-sha256");
        return -1;
    }
    if (ph && strcmp(ph, body_hash) != 0 && !(s3 && strcmp(ph, "UNSIGNED-PAYLOAD") == 0)) {
        *why = "x-amz-content-sha256 does not match the body";
        proto_error(p, rep, 400, s3 ? "XAmzContentSHA256Mismatch" : "InvalidSignatureException",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.");
        return -1;
    }
    char *creq = NULL, sig[AWS_SHA256_HEX_LEN + 1];
    if (aws_sigv4_canonical_request(r->method, r->path, r->query, r->headers, r->nheaders,
                                    a.signed_headers, ph ? ph : body_hash, &creq, &err) != RNR_OK) {
        *why = "out of memory";
        proto_error(p, rep, 500, "InternalFailure", "out of memory");
        return -1;
    }
    aws_sigv4_signature(c->secret_key, date, a.date, a.region, a.service, creq, sig);
    free(creq);
    if (CRYPTO_memcmp(sig, a.signature, AWS_SHA256_HEX_LEN) != 0 || strlen(a.signature) != 64) {
        *why = "signature mismatch";
        proto_error(p, rep, 403, s3 ? "SignatureDoesNotMatch" : "InvalidSignatureException",
                    "The request signature we calculated does not match the signature you "
                    "provided. Check your AWS Secret Access Key and signing method.");
        return -1;
    }
    return 0;
}

/* ---- container credentials ---- */

static void container_creds(fake_state *st, const fake_request *r, fake_reply *rep)
{
    const fake_config *c = &st->cfg;
    const char *authz = fake_header(r, "authorization");
    if (c->creds_auth && (!authz || strcmp(authz, c->creds_auth) != 0)) {
        fake_reply_set(rep, 401, "application/json", "{\"message\":\"invalid token\"}");
        return;
    }
    char exp[32];
    time_format_iso(time_now() + c->creds_ttl, exp, sizeof exp);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "AccessKeyId", c->access_key, "SecretAccessKey",
                          c->secret_key, "Expiration", exp, "RoleArn",
                          "arn:aws:iam::123456789012:role/fake-task-role");
    if (c->session_token)
        json_object_set_new(j, "Token", json_string(c->session_token));
    fake_reply_json(rep, 200, j);
    rep->content_type = "application/json";
}

/* ---- dispatch ---- */

static void dispatch(fake_state *st, fake_request *r, fake_reply *rep, json_t *rec)
{
    const char *target = fake_header(r, "x-amz-target");
    const char *ctype = fake_header(r, "content-type");
    int root_post = strcmp(r->method, "POST") == 0 && strcmp(r->path, "/") == 0;
    if (st->cfg.creds_path && strcmp(r->method, "GET") == 0 &&
        strcmp(r->path, st->cfg.creds_path) == 0) {
        json_object_set_new(rec, "service", json_string("container-credentials"));
        json_object_set_new(rec, "authorization_present",
                            json_boolean(fake_header(r, "authorization")));
        container_creds(st, r, rep);
        return;
    }
    enum proto p = PROTO_S3;
    const char *service = "s3";
    if (root_post && target) {
        p = PROTO_JSON;
        service = strncmp(target, "secretsmanager.", 15) == 0 ? "secretsmanager" : "ecs";
    } else if (root_post && ctype && strncmp(ctype, "application/x-www-form-urlencoded", 33) == 0) {
        p = PROTO_QUERY;
        service = "monitoring";
    }
    json_object_set_new(rec, "service", json_string(service));
    json_object_set_new(rec, "security_token",
                        json_boolean(fake_header(r, "x-amz-security-token")));
    const char *why;
    if (r->too_big) {
        proto_error(p, rep, 413, "RequestEntityTooLarge", "request body too large");
        return;
    }
    if (verify(st, r, service, p, rep, &why) != 0) {
        json_object_set_new(rec, "sig", json_string(why));
        return;
    }
    json_object_set_new(rec, "sig", json_string("ok"));
    pthread_mutex_lock(&st->mu);
    int fail = st->cfg.fail_next > 0 ? st->cfg.fail_next-- : 0;
    pthread_mutex_unlock(&st->mu);
    if (fail) {
        if (p == PROTO_S3)
            fake_s3_error(rep, 503, "SlowDown", "Please reduce your request rate.");
        else
            proto_error(p, rep, 500, "InternalFailure", "injected failure");
        return;
    }
    if (p == PROTO_JSON && strcmp(service, "secretsmanager") == 0)
        fake_secrets(st, r, rep);
    else if (p == PROTO_JSON)
        fake_ecs(st, r, rep);
    else if (p == PROTO_QUERY)
        fake_cloudwatch(st, r, rep);
    else
        fake_s3(st, r, rep);
}

static void log_request(fake_state *st, json_t *rec)
{
    pthread_mutex_lock(&st->mu);
    json_object_set_new(rec, "n", json_integer(++st->seq));
    if (st->log) {
        char *s = json_dumps(rec, JSON_COMPACT);
        if (s)
            fprintf(st->log, "%s\n", s);
        fflush(st->log);
        free(s);
    }
    pthread_mutex_unlock(&st->mu);
}

/* ---- libmicrohttpd glue ---- */

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *con)
{
    (void)cls;
    (void)con;
    fake_request *r = calloc(1, sizeof *r);
    if (r)
        r->raw_uri = strdup(uri);
    return r;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    fake_request *r = cls;
    if (r->nheaders == sizeof r->headers / sizeof r->headers[0])
        return MHD_NO;
    char *name = strdup(key);
    for (char *p = name; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    r->headers[r->nheaders++] = (aws_header){name, strdup(value ? value : "")};
    return MHD_YES;
}

static void request_free(fake_request *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nheaders; i++) {
        free((char *)r->headers[i].name);
        free((char *)r->headers[i].value);
    }
    free(r->raw_uri);
    free(r->path);
    free(r->query);
    free(r->body);
    free(r);
}

static void completed(void *cls, struct MHD_Connection *con, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)con;
    (void)toe;
    request_free(*req_cls);
    *req_cls = NULL;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *con, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
    (void)url;
    (void)version;
    fake_state *st = cls;
    fake_request *r = *req_cls;
    if (!r || !r->raw_uri)
        return MHD_NO;
    if (!r->started) {
        r->started = 1;
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->len + *upload_size > FAKE_BODY_MAX) {
            r->too_big = 1;
        } else {
            if (r->len + *upload_size + 1 > r->cap) {
                size_t cap = (r->len + *upload_size + 1) * 2;
                char *p = realloc(r->body, cap);
                if (!p)
                    return MHD_NO;
                r->body = p;
                r->cap = cap;
            }
            memcpy(r->body + r->len, upload, *upload_size);
            r->len += *upload_size;
            r->body[r->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    r->method = method;
    size_t pl = strcspn(r->raw_uri, "?");
    r->path = strndup(r->raw_uri, pl);
    r->query = strdup(r->raw_uri[pl] ? r->raw_uri + pl + 1 : "");
    MHD_get_connection_values(con, MHD_HEADER_KIND, collect_header, r);
    fake_reply rep = {0};
    json_t *rec =
        json_pack("{s:s, s:s, s:s}", "method", method, "path", r->path, "query", r->query);
    dispatch(st, r, &rep, rec);
    if (!rep.body)
        fake_reply_set(&rep, 500, "text/plain", "no reply");
    json_object_set_new(rec, "status", json_integer(rep.status));
    if (rep.record)
        json_object_update(rec, rep.record);
    json_decref(rep.record);
    log_request(st, rec);
    json_decref(rec);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(rep.len, rep.body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", rep.content_type);
    MHD_add_response_header(resp, "x-amzn-RequestId", "fake-request");
    enum MHD_Result ok = MHD_queue_response(con, (unsigned)rep.status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* ---- main ---- */

static int usage(void)
{
    fprintf(stderr, "usage: rnr-aws-fake --access-key AK --secret-key SK [--session-token T] "
                    "[--region R] [--port N] [--log FILE] [--secret NAME=VALUE]... "
                    "[--service CLUSTER/SERVICE=RUNNING/DESIRED]... [--creds-path PATH] "
                    "[--creds-auth TOKEN] [--creds-ttl SECONDS] [--fail N] "
                    "[--exit-on-stdin-eof]\n");
    return 2;
}

static int parse_args(int argc, char **argv, fake_config *c, int *port, int *stdin_eof)
{
    c->region = "us-east-1";
    c->creds_ttl = 3600;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--exit-on-stdin-eof") == 0) {
            *stdin_eof = 1;
            continue;
        }
        if (!v)
            return -1;
        i++;
        if (!strcmp(a, "--access-key"))
            c->access_key = v;
        else if (!strcmp(a, "--secret-key"))
            c->secret_key = v;
        else if (!strcmp(a, "--session-token"))
            c->session_token = v;
        else if (!strcmp(a, "--region"))
            c->region = v;
        else if (!strcmp(a, "--port"))
            *port = atoi(v);
        else if (!strcmp(a, "--log"))
            c->log_path = v;
        else if (!strcmp(a, "--creds-path"))
            c->creds_path = v;
        else if (!strcmp(a, "--creds-auth"))
            c->creds_auth = v;
        else if (!strcmp(a, "--creds-ttl"))
            c->creds_ttl = atol(v);
        else if (!strcmp(a, "--fail"))
            c->fail_next = atoi(v);
        else if (!strcmp(a, "--secret") && c->nsecrets < FAKE_MAX_ITEMS && strchr(v, '='))
            c->secrets[c->nsecrets++] = v;
        else if (!strcmp(a, "--service") && c->nservices < FAKE_MAX_ITEMS && strchr(v, '='))
            c->services[c->nservices++] = v;
        else
            return -1;
    }
    return c->access_key && c->secret_key ? 0 : -1;
}

int main(int argc, char **argv)
{
    fake_state *stp = calloc(1, sizeof *stp);
    int port = 0, stdin_eof = 0;
    if (!stp)
        return 1;
    if (parse_args(argc, argv, &stp->cfg, &port, &stdin_eof) != 0) {
        free(stp);
        return usage();
    }
    pthread_mutex_init(&stp->mu, NULL);
    if (stp->cfg.log_path && !(stp->log = fopen(stp->cfg.log_path, "a"))) {
        fprintf(stderr, "rnr-aws-fake: cannot open log %s\n", stp->cfg.log_path);
        return 1;
    }
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* the daemon thread inherits the mask */
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, answer, stp,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "rnr-aws-fake: cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("port %u\n", info ? (unsigned)info->port : 0u);
    fflush(stdout);
    if (stdin_eof) {
        char buf[256];
        while (read(0, buf, sizeof buf) > 0)
            ;
    } else {
        int sig;
        sigwait(&set, &sig);
    }
    MHD_stop_daemon(d);
    for (size_t i = 0; i < stp->nobjects; i++) {
        free(stp->objects[i].key);
        free(stp->objects[i].data);
    }
    if (stp->log)
        fclose(stp->log);
    pthread_mutex_destroy(&stp->mu);
    free(stp);
    return 0;
}
