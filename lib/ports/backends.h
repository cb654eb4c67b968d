/* backends.h - how services and commands get a backend for a port without
 * knowing any: by the URL (or, for the NWS source and the ECS fleet, the
 * options) that names it, and the backend URLs the environment names.
 *
 * The composition root, lib/adapters/backends.c, implements this file: it
 * is the one place that knows the adapters (each port's table of URL
 * schemes and openers, and which adapter reads which environment
 * variables). Schemes:
 *   queue    sqlite:// (embedded), amqp:// and amqps:// (RabbitMQ)
 *   cache    sqlite:// (embedded), redis:// and rediss:// (Redis)
 *   store    file:// (a local directory), s3:// (S3)
 *   secrets  env:, env:PREFIX, file:///dir (embedded), aws: (Secrets Manager)
 *   metrics  log:, file:///metrics.jsonl (embedded), cloudwatch: (CloudWatch)
 * An unknown scheme fails with RNR_ERR_UNSUPPORTED. Error messages never
 * show a password from a URL. */
#ifndef RNR_PORTS_BACKENDS_H
#define RNR_PORTS_BACKENDS_H

#include <stddef.h>

#include "core/error.h"
#include "ports/cache.h"
#include "ports/http_serve.h"
#include "ports/invocations.h"
#include "ports/nws_source.h"
#include "ports/pp_state.h"
#include "ports/queue.h"
#include "ports/store.h"
#include "ports/telemetry.h"

/* queue_name, when non-NULL, wins over the URL's ?queue= parameter. */
int backend_open_queue(const char *url, const char *queue_name, rnr_queue **out, rnr_error *err);
int backend_open_cache(const char *url, rnr_cache **out, rnr_error *err);
int backend_open_store(const char *url, rnr_store **out, rnr_error *err);
int backend_open_secrets(const char *url, rnr_secrets **out, rnr_error *err);
int backend_open_metrics(const char *url, rnr_metrics **out, rnr_error *err);
/* The ECS service's worker fleet (region and endpoint from the AWS
 * environment); its set_desired is NULL: ECS scales the service. */
int backend_open_fleet(const char *cluster, const char *service, rnr_fleet **out, rnr_error *err);
/* The NWS/NWPS source (o may be NULL: everything from the environment). */
int backend_open_nws(const nws_source_opts *o, rnr_nws **out, rnr_error *err);
/* Serve HTTP on listen ("HOST:PORT"; ":PORT" is loopback, port 0 picks
 * one), every GET/HEAD answered by fn from the server's thread. */
int backend_listen_http(const char *listen, http_handler fn, void *ud, rnr_listener **out,
                        rnr_error *err) RNR_WARN_UNUSED;
/* The Lambda Runtime API at api ("host:port", AWS_LAMBDA_RUNTIME_API). */
int backend_open_invocations(const char *api, rnr_invocations **out, rnr_error *err);
/* The post-processor's memory in state_dir ({state_dir}/postprocess.db,
 * SQLite), created or brought up to date. */
int backend_open_pp_state(const char *state_dir, rnr_pp_state **out,
                          rnr_error *err) RNR_WARN_UNUSED;

/* The backend URLs a deployment's environment names, each malloc'd.
 * queue: RNR_QUEUE_URL, else the RabbitMQ broker of RABBITMQ_ENDPOINT
 * (credentials from RABBITMQ_SECRET_ARN's secret, else RABBITMQ_USERNAME /
 * RABBITMQ_PASSWORD), else sqlite:///{state_dir}/queue.db. cache:
 * RNR_CACHE_URL, else redis[s]://REDIS_HOST:REDIS_PORT/0 (REDIS_TLS), a
 * Redis URL without a password taking one from REDIS_SECRET_ARN's secret,
 * else sqlite:///{state_dir}/cache.db. store: RNR_STORE_URL, else
 * s3://APP_BUCKET_NAME, else file:///{state_dir}/store. nws, nwps:
 * NWS_API_URL and NWPS_API_URL, else the public services. RNR_ERR_CONFIG
 * names the variable that is wrong; a secret that cannot be fetched right
 * now keeps its transient code. state_dir is absolute. */
typedef struct backend_urls {
    char *queue, *cache, *store, *nws, *nwps;
} backend_urls;
int backend_urls_from_env(const char *state_dir, backend_urls *out, rnr_error *err) RNR_WARN_UNUSED;
void backend_urls_clear(backend_urls *u);

/* RNR_OK when every store backend can hold key (the strictest rules, the
 * local directory's); RNR_ERR_INVALID naming the key otherwise. */
int backend_store_check_key(const char *key, rnr_error *err);

#endif
