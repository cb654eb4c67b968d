/* cache.h - the dedup-cache port: string keys with an expiry.
 * Backends: SQLite (embedded), Redis (redis://, rediss:// with TLS). */
#ifndef RNR_PORTS_CACHE_H
#define RNR_PORTS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct cache_ops {
    /* *value = malloc'd copy, or NULL when the key is absent or expired. */
    int (*get)(void *self, const char *key, char **value, rnr_error *err);
    /* Look up n keys in one round trip; values[i] as for get. NULL when the
     * backend has no faster path than get in a loop. */
    int (*get_many)(void *self, const char *const *keys, size_t n, char **values, rnr_error *err);
    int (*set)(void *self, const char *key, const char *value, int64_t ttl_s, rnr_error *err);
    /* Set n keys in one round trip / transaction; on error none or some may
     * be set. NULL when the backend has no faster path than set in a loop. */
    int (*set_many)(void *self, const char *const *keys, const char *const *values, size_t n,
                    int64_t ttl_s, rnr_error *err);
    void (*close)(void *self);
} cache_ops;

typedef struct rnr_cache {
    const cache_ops *ops;
    void *self;
} rnr_cache;

int cache_get(rnr_cache *c, const char *key, char **value, rnr_error *err);
int cache_get_many(rnr_cache *c, const char *const *keys, size_t n, char **values, rnr_error *err);
int cache_set(rnr_cache *c, const char *key, const char *value, int64_t ttl_s, rnr_error *err);
int cache_set_many(rnr_cache *c, const char *const *keys, const char *const *values, size_t n,
                   int64_t ttl_s, rnr_error *err);
void cache_free(rnr_cache *c);

#endif
