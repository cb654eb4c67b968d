/* rnr-lambda-emulator - a loopback emulator of the AWS Lambda Runtime API
 * for tests. It serves the events of a JSON-lines file one per
 * /invocation/next, with the headers Lambda sends, and records every
 * request and response the runtime makes (with the checks Lambda applies:
 * known request id, answered once, error reports with errorMessage /
 * errorType / stackTrace and the Lambda-Runtime-Function-Error-Type
 * header) as JSON lines in --log.
 *
 * usage: rnr-lambda-emulator --events FILE [--port N] [--port-file F]
 *                            [--log F] [--deadline-ms N] */
#include "core/timeutil.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_EVENTS 1024
#define API "/2018-06-01/runtime"

typedef struct emulator {
    char *events[MAX_EVENTS];
    int nevents, next_event;
    int answered[MAX_EVENTS];
    int64_t deadline_ms;
    int64_t start_ms;
    FILE *log;
    pthread_mutex_t mu;
    volatile sig_atomic_t *stop;
} emulator;

typedef struct post_ctx {
    char *data;
    size_t len;
} post_ctx;

static void record(emulator *em, json_t *rec)
{
    json_object_set_new(rec, "t_ms", json_integer(time_now_ms() - em->start_ms));
    char *s = json_dumps(rec, JSON_COMPACT);
    pthread_mutex_lock(&em->mu);
    if (em->log && s) {
        fprintf(em->log, "%s\n", s);
        fflush(em->log);
    }
    pthread_mutex_unlock(&em->mu);
    free(s);
    json_decref(rec);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result serve_next(emulator *em, struct MHD_Connection *c)
{
    pthread_mutex_lock(&em->mu);
    int i = em->next_event < em->nevents ? em->next_event++ : -1;
    pthread_mutex_unlock(&em->mu);
    if (i < 0) {
        /* Like Lambda: no event, no answer. Hold until shutdown. */
        record(em, json_pack("{s:s, s:b}", "kind", "next", "idle", 1));
        while (!*em->stop)
            time_sleep_ms(50);
        return reply(c, 500, "{\"errorMessage\":\"emulator stopping\"}");
    }
    char id[64], deadline[32], trace[128];
    snprintf(id, sizeof id, "req-%04d-8f1c2d3e", i + 1);
    snprintf(deadline, sizeof deadline, "%lld", (long long)(time_now_ms() + em->deadline_ms));
    snprintf(trace, sizeof trace, "Root=1-5f84c7a1-%024d;Parent=%016d;Sampled=1", i + 1, i + 7);
    record(em, json_pack("{s:s, s:s}", "kind", "next", "request_id", id));
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(em->events[i]), em->events[i],
                                                             MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Lambda-Runtime-Aws-Request-Id", id);
    MHD_add_response_header(r, "Lambda-Runtime-Deadline-Ms", deadline);
    MHD_add_response_header(r, "Lambda-Runtime-Invoked-Function-Arn",
                            "arn:aws:lambda:us-east-1:123456789012:function:rnr-test");
    MHD_add_response_header(r, "Lambda-Runtime-Trace-Id", trace);
    enum MHD_Result ok = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ok;
}

/* Lambda's checks on an error report: JSON with string errorMessage and
 * errorType, an array stackTrace, and the error-type header. */
static json_t *check_error_report(struct MHD_Connection *c, const post_ctx *p)
{
    const char *hdr =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Lambda-Runtime-Function-Error-Type");
    json_error_t je;
    json_t *body = json_loadb(p->data ? p->data : "", p->len, 0, &je);
    int valid = body && json_is_string(json_object_get(body, "errorMessage")) &&
                json_is_string(json_object_get(body, "errorType")) &&
                json_is_array(json_object_get(body, "stackTrace"));
    json_t *rec = json_pack("{s:b, s:s?}", "valid", valid && hdr, "error_type_header", hdr);
    json_object_set_new(rec, "body", body ? body : json_string(p->data ? p->data : ""));
    return rec;
}

static int find_answerable(emulator *em, const char *id)
{
    for (int i = 0; i < em->next_event; i++) {
        char want[64];
        snprintf(want, sizeof want, "req-%04d-8f1c2d3e", i + 1);
        if (strcmp(want, id) == 0)
            return em->answered[i] ? -2 : i;
    }
    return -1;
}

static enum MHD_Result serve_post(emulator *em, struct MHD_Connection *c, const char *url,
                                  const post_ctx *p)
{
    if (strcmp(url, API "/init/error") == 0) {
        json_t *rec = check_error_report(c, p);
        json_object_set_new(rec, "kind", json_string("init_error"));
        record(em, rec);
        return reply(c, 202, "{\"status\":\"OK\"}");
    }
    const char *pre = API "/invocation/";
    if (strncmp(url, pre, strlen(pre)) != 0)
        return reply(c, 404, "{\"errorMessage\":\"unknown path\"}");
    char id[128];
    const char *rest = url + strlen(pre), *slash = strchr(rest, '/');
    if (!slash || (size_t)(slash - rest) >= sizeof id)
        return reply(c, 404, "{\"errorMessage\":\"unknown path\"}");
    memcpy(id, rest, (size_t)(slash - rest));
    id[slash - rest] = '\0';
    int is_error = strcmp(slash, "/error") == 0;
    if (!is_error && strcmp(slash, "/response") != 0)
        return reply(c, 404, "{\"errorMessage\":\"unknown path\"}");
    pthread_mutex_lock(&em->mu);
    int i = find_answerable(em, id);
    if (i >= 0)
        em->answered[i] = 1;
    pthread_mutex_unlock(&em->mu);
    if (i < 0) {
        record(em, json_pack("{s:s, s:s, s:s}", "kind", "rejected", "request_id", id, "reason",
                             i == -2 ? "already answered" : "unknown request id"));
        return reply(
            c, 400, "{\"errorMessage\":\"Invalid request ID\",\"errorType\":\"InvalidRequestID\"}");
    }
    json_t *rec;
    if (is_error) {
        rec = check_error_report(c, p);
    } else {
        json_error_t je;
        json_t *body = json_loadb(p->data ? p->data : "", p->len, 0, &je);
        rec = json_pack("{s:b}", "valid", body != NULL);
        json_object_set_new(rec, "body", body ? body : json_string(p->data ? p->data : ""));
    }
    json_object_set_new(rec, "kind", json_string(is_error ? "error" : "response"));
    json_object_set_new(rec, "request_id", json_string(id));
    record(em, rec);
    return reply(c, 202, "{\"status\":\"OK\"}");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    emulator *em = cls;
    if (strcmp(method, "GET") == 0) {
        if (strcmp(url, API "/invocation/next") == 0)
            return serve_next(em, c);
        return reply(c, 404, "{\"errorMessage\":\"unknown path\"}");
    }
    if (strcmp(method, "POST") != 0)
        return reply(c, 405, "{\"errorMessage\":\"method not allowed\"}");
    post_ctx *p = *con_cls;
    if (!p) {
        *con_cls = calloc(1, sizeof *p);
        return *con_cls ? MHD_YES : MHD_NO;
    }
    if (*upload_size) {
        char *q = realloc(p->data, p->len + *upload_size + 1);
        if (!q)
            return MHD_NO;
        memcpy(q + p->len, upload, *upload_size);
        p->data = q;
        p->len += *upload_size;
        q[p->len] = '\0';
        *upload_size = 0;
        return MHD_YES;
    }
    return serve_post(em, c, url, p);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode t)
{
    (void)cls, (void)c, (void)t;
    post_ctx *p = *con_cls;
    if (p) {
        free(p->data);
        free(p);
    }
    *con_cls = NULL;
}

static void free_events(emulator *em)
{
    for (int i = 0; i < em->nevents; i++)
        free(em->events[i]);
    em->nevents = 0;
}

/* Fill em->events with one event per non-empty line; more than MAX_EVENTS
 * is an error, not a silent cut. On failure nothing is kept. */
static int load_events(emulator *em, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "rnr-lambda-emulator: cannot open events file %s\n", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int count = 0;
    const char *why = NULL;
    while (!why && (n = getline(&line, &cap, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        if (count == MAX_EVENTS)
            why = "more than 1024 events";
        else if (!(em->events[count] = strdup(line)))
            why = "out of memory";
        else
            count++;
    }
    em->nevents = count;
    free(line);
    fclose(f);
    if (why) {
        fprintf(stderr, "rnr-lambda-emulator: %s: %s\n", path, why);
        free_events(em);
        return -1;
    }
    return 0;
}

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

int main(int argc, char **argv)
{
    emulator em = {.deadline_ms = 30000, .start_ms = time_now_ms(), .stop = &stop_flag};
    pthread_mutex_init(&em.mu, NULL);
    const char *events = NULL, *port_file = NULL, *log_path = NULL;
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--events") == 0)
            events = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--port-file") == 0)
            port_file = argv[i + 1];
        else if (strcmp(argv[i], "--log") == 0)
            log_path = argv[i + 1];
        else if (strcmp(argv[i], "--deadline-ms") == 0)
            em.deadline_ms = atoll(argv[i + 1]);
        else {
            fprintf(stderr, "rnr-lambda-emulator: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (!events || load_events(&em, events) != 0) {
        fprintf(
            stderr,
            "usage: rnr-lambda-emulator --events FILE [--port N] [--port-file F] [--log F] [--deadline-ms N]\n");
        return 2;
    }
    em.log = log_path ? fopen(log_path, "a") : stdout;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request,
        &em, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "rnr-lambda-emulator: cannot listen on 127.0.0.1:%d\n", port);
        free_events(&em);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    int bound = info ? info->port : port;
    printf("listening on http://127.0.0.1:%d\n", bound);
    fflush(stdout);
    if (port_file) {
        FILE *pf = fopen(port_file, "w");
        if (pf) {
            fprintf(pf, "%d\n", bound);
            fclose(pf);
        }
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    while (!stop_flag)
        time_sleep_ms(50);
    MHD_stop_daemon(d);
    if (em.log && em.log != stdout)
        fclose(em.log);
    free_events(&em);
    return 0;
}
