/* redis_cache.h - the dedup-cache port on Redis / ElastiCache.
 *
 * URL: redis[s]://[[user]:password@]host[:port][/db][?connect_timeout=MS&timeout=MS]
 *   port 6379, db 0, connect timeout 2000 ms, command timeout 2000 ms by
 *   default; user and password are percent-decoded. rediss:// is TLS
 *   (redis_conn.c): the server certificate is verified against the system
 *   CA store, or RNR_REDIS_CACERT (a PEM file) when set, and must name the
 *   host (SNI is sent). AUTH uses the URL's password, else REDIS_PASSWORD
 *   (with REDIS_USERNAME when set); a URL without either sends no AUTH.
 * A command that fails on a broken connection reconnects and is retried
 * once; when Redis stays unreachable the call fails with RNR_ERR_TRANSIENT
 * (never a pretended miss). A handle belongs to one thread. */
#ifndef RNR_ADAPTERS_REDIS_CACHE_H
#define RNR_ADAPTERS_REDIS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "ports/cache.h"

/* Connects (and authenticates) at once: RNR_ERR_TRANSIENT when Redis is
 * unreachable, RNR_ERR_AUTH for a wrong or missing password,
 * RNR_ERR_CONFIG when the TLS certificate does not verify. */
RNR_WARN_UNUSED int redis_cache_open(const char *url, rnr_cache **out, rnr_error *err);

#endif
