/* sqlite_cache.h - the embedded dedup cache: a SQLite table of keys with
 * an expiry, safe to share between processes (WAL mode).
 *
 * URL: sqlite:///abs/path/cache.db[?busy_timeout=ms]
 * A ttl_s <= 0 means the key never expires. Expired keys read as misses
 * and are purged when a handle opens and every 256 sets. */
#ifndef RNR_ADAPTERS_SQLITE_CACHE_H
#define RNR_ADAPTERS_SQLITE_CACHE_H

#include "core/error.h"
#include "ports/cache.h"

int sqlite_cache_open(const char *url, rnr_cache **out, rnr_error *err);

#endif
