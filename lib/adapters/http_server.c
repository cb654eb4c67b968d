/* http_server.c - the operator HTTP endpoint on libmicrohttpd. */
#include "adapters/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct http_server {
    struct MHD_Daemon *d;
    http_handler fn;
    void *ud;
    int port;
};

static enum MHD_Result queue_reply(struct MHD_Connection *c, http_reply *r)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->len, r->body ? r->body : (void *)"",
                                        r->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(r->body);
        return MHD_NO;
    }
    if (r->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_len, void **state)
{
    (void)version;
    (void)upload;
    http_server *s = cls;
    /* First call per request: headers only. A body is not expected on GET;
     * for any other method answer at once without reading one. */
    if (!*state) {
        *state = s;
        if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
            return MHD_YES;
    }
    http_reply r = {0};
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        http_reply_text(&r, 405, "application/json", "{\"error\":\"method not allowed\"}");
    } else if (*upload_len) {
        *upload_len = 0; /* discard a body sent with GET */
        return MHD_YES;
    } else {
        s->fn(s->ud, url, &r);
        if (!r.status)
            r.status = 500;
    }
    return queue_reply(c, &r);
}

/* "HOST:PORT" into an IPv4 or IPv6 socket address. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, rnr_error *err)
{
    char host[128];
    const char *colon = strrchr(listen ? listen : "", ':');
    if (!listen || !colon || (size_t)(colon - listen) >= sizeof host)
        return rnr_error_set(err, RNR_ERR_CONFIG, "http listen address '%s' is not HOST:PORT",
                             listen ? listen : "");
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 0 || port > 65535)
        return rnr_error_set(err, RNR_ERR_CONFIG, "http listen address '%s': port must be 0..65535",
                             listen);
    memset(ss, 0, sizeof *ss);
    if (!*host)
        snprintf(host, sizeof host, "127.0.0.1");
    size_t hl = strlen(host);
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        host[hl - 1] = '\0';
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1)
            return RNR_OK;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        if (strcmp(host, "localhost") == 0)
            snprintf(host, sizeof host, "127.0.0.1");
        if (inet_pton(AF_INET, host, &a4->sin_addr) == 1)
            return RNR_OK;
    }
    return rnr_error_set(err, RNR_ERR_CONFIG, "http listen address '%s': '%s' is not an IP address",
                         listen, host);
}

int http_server_start(const char *listen, http_handler fn, void *ud, http_server **out,
                      rnr_error *err)
{
    *out = NULL;
    struct sockaddr_storage ss;
    int rc = parse_listen(listen, &ss, err);
    if (rc != RNR_OK)
        return rc;
    http_server *s = calloc(1, sizeof *s);
    if (!s)
        return rnr_error_set(err, RNR_ERR_NOMEM, "http server: out of memory");
    s->fn = fn;
    s->ud = ud;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* Bounded everything: 64 connections, 32 per client, 10 s of silence,
     * 16 KiB for the request line and headers. */
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, 64u,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, 32u, MHD_OPTION_CONNECTION_TIMEOUT,
                            10u, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384, MHD_OPTION_END);
    if (!s->d) {
        free(s);
        return rnr_error_set(err, RNR_ERR_CONFIG,
                             "http listen address '%s': cannot listen (address in use?)", listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    *out = s;
    return RNR_OK;
}

int http_server_port(const http_server *s)
{
    return s ? s->port : 0;
}

void http_server_stop(http_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->d);
    free(s);
}

static int listener_op_port(const void *self)
{
    return http_server_port(self);
}
static void listener_op_stop(void *self)
{
    http_server_stop(self);
}
static const http_listener_ops http_server_listener_ops = {listener_op_port, listener_op_stop};

int http_server_listen(const char *listen, http_handler fn, void *ud, rnr_listener **out,
                       rnr_error *err)
{
    *out = NULL;
    rnr_listener *l = malloc(sizeof *l);
    if (!l)
        return rnr_error_set(err, RNR_ERR_NOMEM, "http server: out of memory");
    http_server *s = NULL;
    int rc = http_server_start(listen, fn, ud, &s, err);
    if (rc != RNR_OK) {
        free(l);
        return rc;
    }
    *l = (rnr_listener){&http_server_listener_ops, s};
    *out = l;
    return RNR_OK;
}
