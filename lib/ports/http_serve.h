/* http_serve.h - the inbound HTTP port: a listener that hands every GET
 * and HEAD to one handler, for the operator endpoints and the JSON API.
 * Backend: lib/adapters/http_server.c (libmicrohttpd), opened by
 * backend_listen_http (ports/backends.h). */
#ifndef RNR_PORTS_HTTP_SERVE_H
#define RNR_PORTS_HTTP_SERVE_H

#include <stddef.h>

#include "core/error.h"

/* What a handler answers; body is malloc'd (or NULL) and taken over. */
typedef struct http_reply {
    int status;
    const char *content_type;
    char *body;
    size_t len;
} http_reply;

/* Called from the server thread for each GET/HEAD; path has no query. It
 * must be thread-safe with respect to the caller's data. */
typedef void (*http_handler)(void *ud, const char *path, http_reply *reply);

typedef struct http_listener_ops {
    int (*port)(const void *self);
    /* Stop serving; in-flight replies finish first. */
    void (*stop)(void *self);
} http_listener_ops;

typedef struct rnr_listener {
    const http_listener_ops *ops;
    void *self;
} rnr_listener;

/* The port actually bound (0 for NULL). */
int listener_port(const rnr_listener *l);
/* Stop serving and free the handle (NULL is fine). */
void listener_stop(rnr_listener *l);
/* Fill a reply with a copy of a NUL-terminated text (an empty body when
 * the copy cannot be made). */
void http_reply_text(http_reply *r, int status, const char *content_type, const char *text);

#endif
