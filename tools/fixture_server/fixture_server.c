/* fixture_server.c - rnr-fixture-server: api.weather.gov and NWPS from a
 * directory of payloads, on 127.0.0.1, with fault injection.
 *
 * Layout and usage: README.md next to this file. The server is
 * thread-per-connection (libmicrohttpd); all shared state (fault rules,
 * log file) is behind mutexes. Payloads are read on every request so a
 * test may rewrite them while the server runs. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "fixture_faults.h"

#define MAX_FILE ((size_t)64 << 20)
#define MAX_POST 65536

typedef struct server {
    const char *dir;
    char base[64];
    fault_table faults;
    pthread_mutex_t log_mu;
    FILE *log;
    atomic_int stopping;
} server;

/* Per-connection request state (POST bodies arrive in pieces). */
typedef struct req {
    char *post;
    size_t post_len;
    int too_big;
} req;

typedef struct trunc_body {
    char *buf;
    size_t send; /* bytes sent before the connection is cut */
} trunc_body;

static void sleep_ms(server *s, int ms)
{
    while (ms > 0 && !atomic_load(&s->stopping)) {
        int step = ms < 50 ? ms : 50;
        struct timespec ts = {0, (long)step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    return v ? v : "";
}

static void log_request(server *s, struct MHD_Connection *c, const char *method, const char *path,
                        int status, int gzip)
{
    if (!s->log)
        return;
    const char *type = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "type");
    pthread_mutex_lock(&s->log_mu);
    fprintf(s->log, "%s %s%s%s %d ua=\"%s\" accept=\"%s\"%s\n", method, path, type ? "?type=" : "",
            type ? type : "", status, header(c, "User-Agent"), header(c, "Accept"),
            gzip ? " gzip" : "");
    fflush(s->log);
    pthread_mutex_unlock(&s->log_mu);
}

/* Read dir/rel, replacing every {{BASE}} with the server's base URL.
 * NULL if the file does not exist or cannot be read. */
static char *load_payload(server *s, const char *rel, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", s->dir, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *raw = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n + 65536 > cap) {
            cap = cap ? cap * 2 : 131072;
            char *b = cap <= MAX_FILE ? realloc(raw, cap + 1) : NULL;
            if (!b) {
                free(raw);
                fclose(f);
                return NULL;
            }
            raw = b;
        }
        got = fread(raw + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    raw[n] = '\0';
    static const char tag[] = "{{BASE}}";
    size_t count = 0, blen = strlen(s->base);
    for (char *p = strstr(raw, tag); p; p = strstr(p + 8, tag))
        count++;
    char *out = malloc(n + count * blen + 1);
    if (!out) {
        free(raw);
        return NULL;
    }
    char *o = out, *p = raw, *q;
    while ((q = strstr(p, tag))) {
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, s->base, blen);
        o += blen;
        p = q + 8;
    }
    size_t rest = strlen(p);
    memcpy(o, p, rest + 1);
    *len = (size_t)(o - out) + rest;
    free(raw);
    return out;
}

static char *gzip_buf(const char *in, size_t n, size_t *outn)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, (uLong)n) + 32;
    char *out = malloc(cap);
    if (!out) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *outn = cap - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

static ssize_t trunc_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    trunc_body *t = cls;
    if (pos >= t->send)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = t->send - (size_t)pos;
    if (n > max)
        n = max;
    memcpy(buf, t->buf + pos, n);
    return (ssize_t)n;
}

static void trunc_free(void *cls)
{
    trunc_body *t = cls;
    free(t->buf);
    free(t);
}

/* Queue body (taking ownership) with status and content type. */
static enum MHD_Result send_body(server *s, struct MHD_Connection *c, const char *method,
                                 const char *path, int status, const char *ctype, char *body,
                                 size_t len, const fault *f)
{
    struct MHD_Response *r;
    int gz = 0;
    if (f && f->truncate) {
        trunc_body *t = malloc(sizeof *t);
        if (!t) {
            free(body);
            return MHD_NO;
        }
        t->buf = body;
        t->send = len / 2;
        r = MHD_create_response_from_callback(len, 4096, trunc_read, t, trunc_free);
    } else {
        if (len > 0 && strstr(header(c, "Accept-Encoding"), "gzip")) {
            size_t zn;
            char *z = gzip_buf(body, len, &zn);
            if (z) {
                free(body);
                body = z;
                len = zn;
                gz = 1;
            }
        }
        r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    }
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", ctype);
    if (gz)
        MHD_add_response_header(r, "Content-Encoding", "gzip");
    if (f && f->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", f->retry_after);
        MHD_add_response_header(r, "Retry-After", ra);
    }
    log_request(s, c, method, path, status, gz);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result send_text(server *s, struct MHD_Connection *c, const char *method,
                                 const char *path, int status, const char *ctype, const char *text,
                                 const fault *f)
{
    char *b = strdup(text);
    if (!b)
        return MHD_NO;
    return send_body(s, c, method, path, status, ctype, b, strlen(b), f);
}

static enum MHD_Result nws_not_found(server *s, struct MHD_Connection *c, const char *m,
                                     const char *path, const fault *f)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\n    \"correlationId\": \"f1x7\",\n    \"title\": \"Not Found\",\n"
             "    \"type\": \"https://api.weather.gov/problems/NotFound\",\n"
             "    \"status\": 404,\n    \"detail\": \"Not Found\",\n"
             "    \"instance\": \"%s/requests/f1x7\"\n}\n",
             s->base);
    return send_text(s, c, m, path, 404, "application/problem+json", body, f);
}

static int id_ok(const char *id, size_t n)
{
    if (n == 0 || n > 100)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_')
            return 0;
    return 1;
}

static enum MHD_Result serve_file(server *s, struct MHD_Connection *c, const char *m,
                                  const char *path, const char *rel, const char *ctype,
                                  const fault *f, int *found)
{
    size_t len;
    char *body = load_payload(s, rel, &len);
    *found = body != NULL;
    if (!body)
        return MHD_YES;
    return send_body(s, c, m, path, 200, ctype, body, len, f);
}

static enum MHD_Result route_nws(server *s, struct MHD_Connection *c, const char *m,
                                 const char *path, const fault *f)
{
    const char *ld = "application/ld+json";
    int found = 0;
    enum MHD_Result ok;
    if (strcmp(path, "/products") == 0) {
        const char *type = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "type");
        if (!type || strcmp(type, "HML") == 0) {
            ok = serve_file(s, c, m, path, "products.json", ld, f, &found);
            if (found)
                return ok;
        }
        return send_text(s, c, m, path, 200, ld,
                         "{\"@context\": {\"@version\": \"1.1\"}, \"@graph\": []}\n", f);
    }
    const char *id = path + strlen("/products/");
    if (strncmp(path, "/products/", 10) == 0 && id_ok(id, strlen(id))) {
        char rel[256];
        snprintf(rel, sizeof rel, "products/%s.json", id);
        ok = serve_file(s, c, m, path, rel, ld, f, &found);
        if (found)
            return ok;
    }
    return nws_not_found(s, c, m, path, f);
}

static enum MHD_Result nwps_not_found(server *s, struct MHD_Connection *c, const char *m,
                                      const char *path, const char *lid, const fault *f)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"code\": 5, \"message\": \"gauge %s not found\", \"details\": []}\n", lid);
    return send_text(s, c, m, path, 404, "application/json", body, f);
}

/* A known gauge without a series answers like NWPS does: 200, empty. */
#define NO_SERIES                                                                                  \
    "{\"pedts\": \"\", \"issuedTime\": \"0001-01-01T00:00:00Z\", \"wfo\": \"\", "                  \
    "\"timeZone\": \"\", \"primaryName\": \"\", \"primaryUnits\": \"\", "                          \
    "\"secondaryName\": \"\", \"secondaryUnits\": \"\", \"data\": []}"

/* GET /stageflow without a product: both series in one object, each as
 * /stageflow/{product} gives it, {"observed": {...}, "forecast": {...}}. */
static enum MHD_Result send_pair(server *s, struct MHD_Connection *c, const char *m,
                                 const char *path, const char *lid, const fault *f)
{
    char rel[256];
    size_t olen = 0, flen = 0;
    snprintf(rel, sizeof rel, "nwps/gauges/%s.observed.json", lid);
    char *obs = load_payload(s, rel, &olen);
    snprintf(rel, sizeof rel, "nwps/gauges/%s.forecast.json", lid);
    char *fc = load_payload(s, rel, &flen);
    const char *o = obs ? obs : NO_SERIES, *fo = fc ? fc : NO_SERIES;
    size_t n = strlen(o) + strlen(fo) + 64;
    char *body = malloc(n);
    if (body)
        snprintf(body, n, "{\"observed\": %s,\n\"forecast\": %s}\n", o, fo);
    free(obs);
    free(fc);
    if (!body)
        return MHD_NO;
    return send_body(s, c, m, path, 200, "application/json", body, strlen(body), f);
}

/* /nwps/v1/gauges/<lid>[/stageflow[/<product>]] */
static enum MHD_Result route_nwps(server *s, struct MHD_Connection *c, const char *m,
                                  const char *path, const fault *f)
{
    const char *p = path + strlen("/nwps/v1/gauges/");
    size_t n = strcspn(p, "/");
    char lid[128] = "";
    if (strncmp(path, "/nwps/v1/gauges/", 16) != 0 || !id_ok(p, n) || n >= sizeof lid)
        return send_text(s, c, m, path, 404, "application/json",
                         "{\"code\": 5, \"message\": \"Not Found\", \"details\": []}\n", f);
    for (size_t i = 0; i < n; i++)
        lid[i] = (char)toupper((unsigned char)p[i]);
    const char *rest = p + n;
    const char *suffix = NULL;
    if (*rest == '\0')
        suffix = "";
    else if (strcmp(rest, "/stageflow/forecast") == 0)
        suffix = ".forecast";
    else if (strcmp(rest, "/stageflow/observed") == 0)
        suffix = ".observed";
    else if (strcmp(rest, "/stageflow") == 0)
        suffix = "*";
    char rel[256];
    snprintf(rel, sizeof rel, "nwps/gauges/%s.json", lid);
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", s->dir, rel);
    FILE *g = fopen(full, "rb");
    if (!g || !suffix) {
        if (g)
            fclose(g);
        return nwps_not_found(s, c, m, path, lid, f);
    }
    fclose(g);
    if (!strcmp(suffix, "*"))
        return send_pair(s, c, m, path, lid, f);
    int found = 0;
    snprintf(rel, sizeof rel, "nwps/gauges/%s%s.json", lid, suffix);
    enum MHD_Result ok = serve_file(s, c, m, path, rel, "application/json", f, &found);
    if (found)
        return ok;
    return send_text(s, c, m, path, 200, "application/json", NO_SERIES "\n", f);
}

static enum MHD_Result route_control(server *s, struct MHD_Connection *c, const char *m,
                                     const char *path, req *rq)
{
    if (strcmp(path, "/_echo") == 0) {
        char body[2048];
        snprintf(body, sizeof body,
                 "{\"user_agent\": \"%s\", \"accept\": \"%s\", \"accept_encoding\": \"%s\"}\n",
                 header(c, "User-Agent"), header(c, "Accept"), header(c, "Accept-Encoding"));
        return send_text(s, c, m, path, 200, "application/json", body, NULL);
    }
    if (strncmp(path, "/_bytes/", 8) == 0) {
        unsigned long long n = strtoull(path + 8, NULL, 10);
        if (n > MAX_FILE)
            n = MAX_FILE;
        char *b = malloc(n ? n : 1);
        if (!b)
            return MHD_NO;
        memset(b, 'x', n);
        return send_body(s, c, m, path, 200, "application/octet-stream", b, n, NULL);
    }
    if (strcmp(path, "/_fault") == 0 && strcmp(m, "DELETE") == 0) {
        faults_clear(&s->faults);
        return send_text(s, c, m, path, 200, "application/json", "{\"cleared\": true}\n", NULL);
    }
    if (strcmp(path, "/_fault") == 0 && strcmp(m, "POST") == 0) {
        char msg[256], body[300];
        if (rq->too_big)
            return send_text(s, c, m, path, 413, "application/json", "{\"error\": \"too big\"}\n",
                             NULL);
        int n = faults_add_json(&s->faults, rq->post ? rq->post : "", msg, sizeof msg);
        if (n < 0) {
            snprintf(body, sizeof body, "{\"error\": \"%s\"}\n", msg);
            return send_text(s, c, m, path, 400, "application/json", body, NULL);
        }
        snprintf(body, sizeof body, "{\"added\": %d}\n", n);
        return send_text(s, c, m, path, 200, "application/json", body, NULL);
    }
    return send_text(s, c, m, path, 404, "application/json", "{\"error\": \"no such control\"}\n",
                     NULL);
}

static enum MHD_Result apply_fault_and_route(server *s, struct MHD_Connection *c, const char *m,
                                             const char *path)
{
    fault f;
    int have = faults_take(&s->faults, path, &f);
    enum MHD_Result ok;
    if (have && f.latency_ms > 0)
        sleep_ms(s, f.latency_ms);
    if (have && f.drop) {
        log_request(s, c, m, path, 0, 0);
        free(f.body);
        return MHD_NO;
    }
    if (have && f.status) {
        const char *ct = f.content_type[0] ? f.content_type : "application/problem+json";
        char def[256];
        snprintf(def, sizeof def, "{\"status\": %d, \"title\": \"Injected fault\"}\n", f.status);
        ok = send_text(s, c, m, path, f.status, ct, f.body ? f.body : def, &f);
    } else if (strcmp(m, "GET") != 0) {
        ok = send_text(s, c, m, path, 405, "application/json", "{\"error\": \"GET only\"}\n", NULL);
    } else if (strncmp(path, "/nwps/", 6) == 0) {
        ok = route_nwps(s, c, m, path, have ? &f : NULL);
    } else {
        ok = route_nws(s, c, m, path, have ? &f : NULL);
    }
    free(have ? f.body : NULL);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    (void)version;
    server *s = cls;
    if (!*state) {
        req *rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *state = rq;
        return MHD_YES;
    }
    req *rq = *state;
    if (*upload_size) {
        if (rq->post_len + *upload_size > MAX_POST) {
            rq->too_big = 1;
        } else {
            char *b = realloc(rq->post, rq->post_len + *upload_size + 1);
            if (!b)
                return MHD_NO;
            rq->post = b;
            memcpy(b + rq->post_len, upload, *upload_size);
            rq->post_len += *upload_size;
            b[rq->post_len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (strncmp(url, "/_", 2) == 0)
        return route_control(s, c, method, url, rq);
    return apply_fault_and_route(s, c, method, url);
}

static void on_done(void *cls, struct MHD_Connection *c, void **state,
                    enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)c;
    (void)code;
    req *rq = *state;
    if (rq) {
        free(rq->post);
        free(rq);
    }
    *state = NULL;
}

static int usage(FILE *f)
{
    fprintf(f,
            "usage: rnr-fixture-server --dir DIR [--port N] [--port-file FILE] [--log FILE]\n"
            "                          [--fault JSON]...\n"
            "Serves api.weather.gov and NWPS (/nwps/v1) paths from DIR on 127.0.0.1.\n"
            "Port 0 (default) picks a free port; prints \"listening on http://127.0.0.1:PORT\".\n"
            "Faults come from DIR/faults.json, --fault and POST /_fault (see README.md).\n");
    return f == stderr ? 2 : 0;
}

static int load_fault_file(server *s)
{
    char path[4096], msg[256];
    snprintf(path, sizeof path, "%s/faults.json", s->dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char *buf = malloc(MAX_POST + 1);
    size_t n = buf ? fread(buf, 1, MAX_POST, f) : 0;
    fclose(f);
    if (!buf)
        return -1;
    buf[n] = '\0';
    int rc = faults_add_json(&s->faults, buf, msg, sizeof msg);
    free(buf);
    if (rc < 0)
        fprintf(stderr, "rnr-fixture-server: %s: %s\n", path, msg);
    return rc < 0 ? -1 : 0;
}

static int parse_args(int argc, char **argv, server *s, int *port, const char **port_file,
                      const char **log_path)
{
    char msg[256];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return -1;
        }
        if (!v) {
            fprintf(stderr, "rnr-fixture-server: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "--dir") == 0)
            s->dir = v;
        else if (strcmp(a, "--port-file") == 0)
            *port_file = v;
        else if (strcmp(a, "--log") == 0)
            *log_path = v;
        else if (strcmp(a, "--port") == 0) {
            char *end;
            long p = strtol(v, &end, 10);
            if (*end || p < 0 || p > 65535) {
                fprintf(stderr, "rnr-fixture-server: --port '%s' is not 0..65535\n", v);
                return 2;
            }
            *port = (int)p;
        } else if (strcmp(a, "--fault") == 0) {
            if (faults_add_json(&s->faults, v, msg, sizeof msg) < 0) {
                fprintf(stderr, "rnr-fixture-server: --fault: %s\n", msg);
                return 2;
            }
        } else {
            fprintf(stderr, "rnr-fixture-server: unknown option '%s'\n", a);
            return usage(stderr);
        }
    }
    if (!s->dir) {
        fprintf(stderr, "rnr-fixture-server: --dir is required\n");
        return 2;
    }
    return 0;
}

static int run(server *s, int port, const char *port_file)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
        NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_NOTIFY_COMPLETED, on_done, s, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "rnr-fixture-server: cannot listen on 127.0.0.1:%d: %s\n", port,
                strerror(errno));
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    int bound = info ? info->port : port;
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", bound);
    if (port_file) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%d\n", bound) < 0 || fclose(f) != 0 || rename(tmp, port_file)) {
            fprintf(stderr, "rnr-fixture-server: cannot write %s\n", port_file);
            MHD_stop_daemon(d);
            return 1;
        }
    }
    printf("listening on %s\n", s->base);
    fflush(stdout);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    sigwait(&set, &sig);
    atomic_store(&s->stopping, 1);
    MHD_stop_daemon(d);
    return 0;
}

int main(int argc, char **argv)
{
    /* Block the stop signals before any thread exists, so every MHD thread
     * inherits the mask and only sigwait() in main sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    server s;
    memset(&s, 0, sizeof s);
    faults_init(&s.faults);
    pthread_mutex_init(&s.log_mu, NULL);
    int port = 0, rc;
    const char *port_file = NULL, *log_path = NULL;
    rc = parse_args(argc, argv, &s, &port, &port_file, &log_path);
    if (rc == 0 && load_fault_file(&s) != 0)
        rc = 2;
    if (rc == 0 && log_path && !(s.log = fopen(log_path, "a"))) {
        fprintf(stderr, "rnr-fixture-server: cannot open log %s: %s\n", log_path, strerror(errno));
        rc = 1;
    }
    if (rc == 0)
        rc = run(&s, port, port_file);
    else if (rc < 0)
        rc = 0; /* --help */
    if (s.log)
        fclose(s.log);
    faults_destroy(&s.faults);
    pthread_mutex_destroy(&s.log_mu);
    return rc;
}
