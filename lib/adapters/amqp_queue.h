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
 * Queues: the work queue is a durable classic queue declared with NO
 * arguments, as the reference declares hml_files (with queue_type=quorum: a
 * quorum queue with x-dead-letter-exchange "" / x-dead-letter-routing-key
 * <dlq> / x-delivery-limit). Each is passively declared first; a queue that
 * exists is used as it is, whatever its arguments. The dead-letter queue
 * "<queue>.dead" is durable (quorum in quorum mode).
 * Semantics behind the port:
 *   publish        persistent, application/json (unless opts say otherwise),
 *                  mandatory (unroutable = error), publisher confirms;
 *                  headers X-Amzn-Trace-Id (trace id) and x-rnr-seq (the
 *                  confirm sequence number, to match basic.return).
 *   dead_letter    republishes the body to the DLQ with headers
 *                  x-rnr-death-reason, x-rnr-delivery-count and the trace id,
 *                  waits for the confirm, THEN acks the original.
 *   nack(tag, 0)   classic: as dead_letter with reason "rejected" (a classic
 *                  queue without a DLX would drop it); quorum: basic.nack and
 *                  the broker dead-letters it (x-death reason "rejected").
 *   delivery_count quorum: x-delivery-count + 1; classic: 1 on a first
 *                  delivery, 0 (unknown) on a redelivery.
 *   delay_ms       published to "<queue>.wait.<N>s" (N = 1, 2, 4, 8, 16, 32: the
 *                  next tier up), whose x-message-ttl dead-letters it into
 *                  the queue; a queue named "*.sites" declares its tiers
 *                  with itself and depth counts what waits there as unacked.
 *   list_dead,     browse the DLQ with basic.get: listed messages are
 *   replay_dead    rejected back in place; a replayed one is republished to
 *                  the queue, confirmed, then acked. Ids: the x-rnr-dead-id
 *                  header dead_letter sets (else the position in the DLQ).
 *                  For handles that do not consume (the operator's CLI).
 *   extend         none: a delivery is ours until the broker's
 *                  consumer_timeout; the worker bounds its own time.
 *   depth          ready and dead by passive declare (exact, immediate);
 *                  unacked from the management API /api/queues/{vhost}/{name}
 *                  (lags a few seconds), -1 when there is no management URL,
 *                  it is unreachable, or it has no figure yet.
 *   stale tags     a reconnect or channel reset voids earlier delivery tags:
 *                  ack/nack/dead_letter on one fails with RNR_ERR_TRANSIENT
 *                  ("stale"; the broker redelivers the message); an unknown
 *                  or already settled tag fails with RNR_ERR_INVALID. Neither
 *                  ever reaches the broker.
 *   broker down    publish and depth fail with RNR_ERR_TRANSIENT at once
 *                  ("unreachable ... nothing was published"); get times out
 *                  naming the reason; the I/O thread reconnects (backoff 0.1
 *                  to 5 s, jittered), re-declares and re-subscribes.
 *
 * The handle may be used from any number of threads at once: one internal
 * I/O thread owns the connection, services heartbeats while work is in
 * progress, and executes the publishes and acks other threads hand it. The
 * consumer subscribes on the first get (a publish-only handle never
 * consumes). Close it only after the other threads are done with it:
 * closing cancels the consumer and closes the channel, which hands every
 * unacked delivery back to the broker. */
#ifndef RNR_ADAPTERS_AMQP_QUEUE_H
#define RNR_ADAPTERS_AMQP_QUEUE_H

#include "core/error.h"
#include "ports/queue.h"
#include "ports/telemetry.h"

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
/* The broker URL a deployment's environment names: RABBITMQ_ENDPOINT with
 * the credentials of the RABBITMQ_SECRET_ARN secret (JSON username and
 * password, fetched through open_secrets) when that is set, else
 * RABBITMQ_USERNAME / RABBITMQ_PASSWORD. RNR_OK with *url NULL when
 * RABBITMQ_ENDPOINT is unset; RNR_ERR_CONFIG naming the variable, except
 * that a secret that cannot be fetched right now keeps its transient code. */
int amqp_url_resolve_env(secrets_open_fn open_secrets, char **url, rnr_error *err);
/* Copy of url with the password replaced by "***", for logs. */
char *amqp_url_redact(const char *url);

#endif
