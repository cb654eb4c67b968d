/* redis_cache.h - the dedup-cache port on Redis / ElastiCache (hiredis 0.14).
 *
 * URL: redis://[[user]:password@]host[:port][/db][?connect_timeout=MS&timeout=MS]
 *   port 6379, db 0, connect timeout 2000 ms, command timeout 2000 ms by
 *   default. No TLS (hiredis 0.14 has none): rediss:// is refused.
 * A command that fails on a broken connection reconnects and is retried
 * once; when Redis stays unreachable the call fails with RNR_ERR_TRANSIENT
 * (never a pretended miss). A handle belongs to one thread. */
#ifndef RNR_ADAPTERS_REDIS_CACHE_H
#define RNR_ADAPTERS_REDIS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "ports/cache.h"

/* Connects at once: fails with RNR_ERR_TRANSIENT when Redis is unreachable. */
int redis_cache_open(const char *url, rnr_cache **out, rnr_error *err);

/* REDIS_HOST (required) and REDIS_PORT (default 6379), the reference's
 * variables -> a malloc'd redis://host:port/0 URL. */
int redis_url_from_env(char **url, rnr_error *err);

#endif
