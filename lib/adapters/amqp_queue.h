/* amqp_queue.h - the work-queue port on RabbitMQ / Amazon MQ (AMQP 0-9-1).
 *
 * URL: amqp[s]://[user[:password]@]host[:port][/vhost][?option=value&...]
 *   (amqp: port 5672, amqps: 5671 with CA and host name verification; the CA
 *   file is RNR_AMQP_CACERT or the system bundle). User and password default
 *   to RABBITMQ_USERNAME / RABBITMQ_PASSWORD when the URL has none.
 * Options:
 *   heartbeat=S        heartbeat interval in seconds (default 60, 0 = off)
 *   prefetch=N         basic.qos prefetch count (default 1)
 *   queue_type=T       classic (default) or quorum
 *   delivery_limit=N   quorum only: dead-letter after N redeliveries (default 5)
 *   dlq=NAME           dead-letter queue (default "<queue>.dead")
 *   mgmt=URL           management API base, percent-encoded (else RNR_AMQP_MGMT_URL)
 *   connect_timeout=MS socket / handshake / RPC timeout (default 10000)
 *   confirm_timeout=MS wait for publisher confirms (default 30000)
 *
 * The handle may be used from any number of threads at once: one internal
 * I/O thread owns the connection, services heartbeats while work is in
 * progress, and executes the publishes and acks other threads hand it. */
#ifndef RNR_ADAPTERS_AMQP_QUEUE_H
#define RNR_ADAPTERS_AMQP_QUEUE_H

#include "core/error.h"
#include "ports/queue.h"

/* Open (and declare) queue_name (NULL: "hml_files") on the broker at url.
 * Fails with RNR_ERR_TRANSIENT when the broker is unreachable, RNR_ERR_AUTH
 * on refused credentials, RNR_ERR_INVALID on a malformed URL or option. */
int amqp_queue_open(const char *url, const char *queue_name, rnr_queue **out, rnr_error *err);

/* Broker credentials, e.g. from the Secrets Manager secret's JSON. */
typedef struct amqp_credentials {
    char *username;
    char *password;
} amqp_credentials;

/* Parse {"username": ..., "password": ...} into out (both malloc'd). */
int amqp_credentials_from_json(const char *json, amqp_credentials *out, rnr_error *err);
/* Wipe and free what out owns; it may be zeroed or partly filled. */
void amqp_credentials_clear(amqp_credentials *c);

/* endpoint (amqp[s]://host[:port][/vhost][?query], as RABBITMQ_ENDPOINT holds
 * it) + credentials -> a malloc'd URL with percent-encoded userinfo. An
 * endpoint that already carries userinfo keeps it. cred may be NULL. */
int amqp_url_build(const char *endpoint, const amqp_credentials *cred, char **url, rnr_error *err);
/* RABBITMQ_ENDPOINT + RABBITMQ_USERNAME / RABBITMQ_PASSWORD -> *url. */
int amqp_url_from_env(char **url, rnr_error *err);
/* Copy of url with the password replaced by "***", for logs. */
char *amqp_url_redact(const char *url);

#endif
