/* sqlite_cache.c - the embedded dedup cache: one SQLite table of keys,
 * values and expiry times, shared safely by several processes. */
#include "adapters/sqlite_cache.h"

#include "adapters/backends.h"
#include "adapters/sqlite_db.h"
#include "core/timeutil.h"

#include <stdlib.h>
#include <string.h>

/* Purge expired rows on open and on every PURGE_EVERY-th set, so the table stays the
 * size of its live keys without a sweep on every write. */
#define PURGE_EVERY 256

typedef struct sqlite_cache {
    sqlite3 *db;
    char *path;
    unsigned sets;
} sqlite_cache;

static const char cache_schema_sql[] = "CREATE TABLE IF NOT EXISTS rnr_cache("
                                       " key TEXT PRIMARY KEY NOT NULL,"
                                       " value TEXT NOT NULL,"
                                       " expires_at INTEGER NOT NULL)"; /* epoch ms; 0 = never */

static int sc_error(sqlite_cache *c, int rc, const char *what, rnr_error *err)
{
    return sqlite_db_error(c->db, rc, what, c->path, err);
}

/* Look key up with st (prepared, ?1 key, ?2 now); *value NULL on a miss. */
static int sc_lookup(sqlite_cache *c, sqlite3_stmt *st, const char *key, int64_t now, char **value,
                     rnr_error *err)
{
    *value = NULL;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        *value = strdup(v ? v : "");
        if (!*value)
            return rnr_error_set(err, RNR_ERR_NOMEM, "cache: out of memory reading '%s'", key);
        rc = SQLITE_DONE;
    }
    return rc == SQLITE_DONE ? RNR_OK : sc_error(c, rc, "get", err);
}

static const char lookup_sql[] =
    "SELECT value FROM rnr_cache WHERE key = ?1 AND (expires_at = 0 OR expires_at > ?2)";

static int sc_get_many(void *self, const char *const *keys, size_t n, char **values, rnr_error *err)
{
    sqlite_cache *c = self;
    for (size_t i = 0; i < n; i++)
        values[i] = NULL;
    sqlite3_stmt *st;
    int rc = sqlite_db_prepare(c->db, lookup_sql, &st, c->path, err);
    if (rc != RNR_OK)
        return rc;
    /* One read transaction: all n answers come from the same snapshot. */
    rc = sqlite_db_exec(c->db, "BEGIN", "begin get", c->path, err);
    int64_t now = time_now_ms();
    for (size_t i = 0; i < n && rc == RNR_OK; i++)
        rc = sc_lookup(c, st, keys[i], now, &values[i], err);
    sqlite3_finalize(st);
    if (rc == RNR_OK)
        rc = sqlite_db_exec(c->db, "COMMIT", "commit get", c->path, err);
    if (rc != RNR_OK) {
        sqlite_db_rollback(c->db);
        for (size_t i = 0; i < n; i++) {
            free(values[i]);
            values[i] = NULL;
        }
    }
    return rc;
}

static int sc_get(void *self, const char *key, char **value, rnr_error *err)
{
    sqlite_cache *c = self;
    sqlite3_stmt *st;
    *value = NULL;
    int rc = sqlite_db_prepare(c->db, lookup_sql, &st, c->path, err);
    if (rc != RNR_OK)
        return rc;
    rc = sc_lookup(c, st, key, time_now_ms(), value, err);
    sqlite3_finalize(st);
    return rc;
}

static int sc_purge(sqlite_cache *c, int64_t now, rnr_error *err)
{
    sqlite3_stmt *st;
    int rc =
        sqlite_db_prepare(c->db, "DELETE FROM rnr_cache WHERE expires_at != 0 AND expires_at <= ?1",
                          &st, c->path, err);
    if (rc != RNR_OK)
        return rc;
    sqlite3_bind_int64(st, 1, now);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? RNR_OK : sc_error(c, rc, "purge expired keys", err);
}

static int sc_set(void *self, const char *key, const char *value, int64_t ttl_s, rnr_error *err)
{
    sqlite_cache *c = self;
    sqlite3_stmt *st;
    int64_t now = time_now_ms();
    int rc = sqlite_db_prepare(c->db,
                               "INSERT INTO rnr_cache(key, value, expires_at) VALUES(?1, ?2, ?3)"
                               " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
                               " expires_at = excluded.expires_at",
                               &st, c->path, err);
    if (rc != RNR_OK)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ttl_s > 0 ? now + ttl_s * 1000 : 0);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sc_error(c, rc, "set", err);
    if (++c->sets % PURGE_EVERY == 0)
        return sc_purge(c, now, err);
    return RNR_OK;
}

/* One transaction, so a producer cycle costs one commit, not one per key. */
static int sc_set_many(void *self, const char *const *keys, const char *const *values, size_t n,
                       int64_t ttl_s, rnr_error *err)
{
    sqlite_cache *c = self;
    int rc = sqlite_db_exec(c->db, "BEGIN IMMEDIATE", "begin a batch of sets", c->path, err);
    for (size_t i = 0; rc == RNR_OK && i < n; i++)
        rc = sc_set(self, keys[i], values[i], ttl_s, err);
    if (rc == RNR_OK)
        rc = sqlite_db_exec(c->db, "COMMIT", "commit a batch of sets", c->path, err);
    if (rc != RNR_OK)
        sqlite_db_rollback(c->db);
    return rc;
}

static void sc_close(void *self)
{
    sqlite_cache *c = self;
    if (!c)
        return;
    sqlite3_close_v2(c->db);
    free(c->path);
    free(c);
}

static const cache_ops sqlite_cache_ops = {
    .get = sc_get,
    .get_many = sc_get_many,
    .set = sc_set,
    .set_many = sc_set_many,
    .close = sc_close,
};

static const char *const cache_params[] = {"busy_timeout", NULL};

int sqlite_cache_open(const char *url, rnr_cache **out, rnr_error *err)
{
    backend_local_url u;
    long busy = 10000;
    *out = NULL;
    int rc = backend_local_url_parse(url, "sqlite", &u, err);
    if (rc != RNR_OK)
        return rc;
    rc = backend_query_check(url, u.query, cache_params, err);
    if (rc == RNR_OK)
        rc = backend_query_int(url, u.query, "busy_timeout", 0, 600000, &busy, err);
    sqlite_cache *c = rc == RNR_OK ? calloc(1, sizeof *c) : NULL;
    rnr_cache *h = rc == RNR_OK ? calloc(1, sizeof *h) : NULL;
    if (rc == RNR_OK && (!c || !h))
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory opening a cache");
    if (rc == RNR_OK) {
        c->path = u.path;
        u.path = NULL;
        rc = sqlite_db_open(c->path, (int)busy, &c->db, err);
    }
    if (rc == RNR_OK)
        rc = sqlite_db_exec(c->db, cache_schema_sql, "create table", c->path, err);
    /* Short-lived processes (one producer run) never reach PURGE_EVERY
     * sets, so each open purges once too. */
    if (rc == RNR_OK)
        rc = sc_purge(c, time_now_ms(), err);
    backend_local_url_clear(&u);
    if (rc != RNR_OK) {
        sc_close(c);
        free(h);
        return rc;
    }
    h->ops = &sqlite_cache_ops;
    h->self = c;
    *out = h;
    return RNR_OK;
}
