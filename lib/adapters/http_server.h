/* http_server.h - a small embedded HTTP/1.1 server (libmicrohttpd) for the
 * operator endpoints: health, readiness, metrics, the JSON API.
 *
 * GET and HEAD only; one handler decides every reply. The server runs its
 * own polling thread, bounds connections (total and per client), times out
 * idle and slow clients, and caps request headers, so a client that sends
 * byte by byte or garbage cannot stall it. It listens on the address given;
 * a caller that wants every interface must say 0.0.0.0 itself. */
#ifndef RNR_ADAPTERS_HTTP_SERVER_H
#define RNR_ADAPTERS_HTTP_SERVER_H

#include <stddef.h>

#include "core/error.h"
#include "ports/http_serve.h"

typedef struct http_server http_server;

/* Parse "HOST:PORT" ("127.0.0.1:9100", "[::1]:9100", ":9100" = loopback)
 * and start serving. Port 0 picks a free port (see http_server_port). */
int http_server_start(const char *listen, http_handler fn, void *ud, http_server **out,
                      rnr_error *err) RNR_WARN_UNUSED;
/* The port actually bound. */
int http_server_port(const http_server *s);
/* Stop serving and free; in-flight replies finish first. */
void http_server_stop(http_server *s);

/* The server as the inbound HTTP port (ports/http_serve.h). */
int http_server_listen(const char *listen, http_handler fn, void *ud, rnr_listener **out,
                       rnr_error *err) RNR_WARN_UNUSED;

#endif
