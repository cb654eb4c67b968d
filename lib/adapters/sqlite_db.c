/* sqlite_db.c - shared SQLite plumbing for the embedded queue and cache. */
#include "adapters/sqlite_db.h"

#include "core/timeutil.h"

#include <string.h>

int sqlite_db_error(sqlite3 *db, int rc, const char *what, const char *path, rnr_error *err)
{
    int prim = rc & 0xff;
    int code = (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) ? RNR_ERR_TRANSIENT : RNR_ERR_IO;
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return rnr_error_set(err, code, "SQLite database '%s': %s: %s", path, what, msg);
}

int sqlite_db_exec(sqlite3 *db, const char *sql, const char *what, const char *path, rnr_error *err)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return sqlite_db_error(db, rc, what, path, err);
    return RNR_OK;
}

int sqlite_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, const char *path,
                      rnr_error *err)
{
    int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);
    if (rc != SQLITE_OK) {
        *st = NULL;
        return sqlite_db_error(db, rc, "prepare", path, err);
    }
    return RNR_OK;
}

int sqlite_db_has_column(sqlite3 *db, const char *table, const char *column, int *has,
                         const char *path, rnr_error *err)
{
    *has = 0;
    sqlite3_stmt *st;
    int rc = sqlite_db_prepare(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", &st, path,
                               err);
    if (rc != RNR_OK)
        return rc;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    sqlite3_finalize(st);
    *has = s == SQLITE_ROW;
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        return sqlite_db_error(db, s, "read the schema", path, err);
    return RNR_OK;
}

void sqlite_db_rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* Switch to WAL. Another process opening the same new file at the same
 * moment can hold the lock past the busy handler, so retry a few times. */
static int set_wal(sqlite3 *db, const char *path, rnr_error *err)
{
    int rc = SQLITE_OK;
    for (int attempt = 0; attempt < 20; attempt++) {
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(st);
            if (rc == SQLITE_ROW) {
                const char *mode = (const char *)sqlite3_column_text(st, 0);
                int wal = mode && strcmp(mode, "wal") == 0;
                sqlite3_finalize(st);
                if (!wal)
                    return rnr_error_set(err, RNR_ERR_IO,
                                         "SQLite database '%s': cannot switch to WAL mode "
                                         "(journal mode is %s)",
                                         path, mode ? mode : "unknown");
                return RNR_OK;
            }
        }
        sqlite3_finalize(st);
        if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
            break;
        time_sleep_ms(50);
    }
    return sqlite_db_error(db, rc, "set WAL mode", path, err);
}

int sqlite_db_sync(sqlite3 *db, int full, const char *path, rnr_error *err)
{
    return sqlite_db_exec(db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                          "set synchronous", path, err);
}

int sqlite_db_open(const char *path, int busy_ms, sqlite3 **out, rnr_error *err)
{
    sqlite3 *db = NULL;
    *out = NULL;
    int rc = sqlite3_open_v2(
        path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
    if (rc != SQLITE_OK) {
        int r = sqlite_db_error(db, rc, "open", path, err);
        sqlite3_close_v2(db);
        return r;
    }
    sqlite3_busy_timeout(db, busy_ms);
    rc = set_wal(db, path, err);
    /* WAL + NORMAL: a commit is durable once it returns against a crash
     * of this process (the WAL is in the OS's hands) and is fsync'd at
     * checkpoints, not at every commit. What a power cut can take back is
     * a last ack, lease or ledger entry: the message is delivered again,
     * which at-least-once delivery already allows. The queue raises a
     * publish to FULL (sqlite_db_sync), since a publisher forgets what it
     * has been told is stored. */
    if (rc == RNR_OK)
        rc = sqlite_db_sync(db, 0, path, err);
    if (rc != RNR_OK) {
        sqlite3_close_v2(db);
        return rc;
    }
    *out = db;
    return RNR_OK;
}
