/* sqlite_db.h - opening a SQLite database for the embedded backends
 * (WAL, busy timeout, synchronous=NORMAL) and turning its errors into rnr
 * errors. Used by the sqlite_* adapters and by services that keep a small
 * local state file of their own (the post-processor's per-file memory). */
#ifndef RNR_ADAPTERS_SQLITE_DB_H
#define RNR_ADAPTERS_SQLITE_DB_H

#include <sqlite3.h>

#include "core/error.h"

/* Open (creating) path in WAL mode; busy_ms is how long a writer waits
 * for another process's lock. */
int sqlite_db_open(const char *path, int busy_ms, sqlite3 **out, rnr_error *err);
/* Commits from now on fsync the WAL (full) or leave it to checkpoints
 * (NORMAL, the default). Not inside a transaction: SQLite refuses it. */
int sqlite_db_sync(sqlite3 *db, int full, const char *path, rnr_error *err);
/* Record db's last error as an rnr error: SQLITE_BUSY/LOCKED become
 * RNR_ERR_TRANSIENT, the rest RNR_ERR_IO. what names the operation. */
int sqlite_db_error(sqlite3 *db, int rc, const char *what, const char *path, rnr_error *err);
/* Run SQL without results. */
int sqlite_db_exec(sqlite3 *db, const char *sql, const char *what, const char *path,
                   rnr_error *err);
/* Prepare one statement, reporting failures like sqlite_db_error. */
int sqlite_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, const char *path,
                      rnr_error *err);
/* *has = whether table has column (for migrations of older files). */
int sqlite_db_has_column(sqlite3 *db, const char *table, const char *column, int *has,
                         const char *path, rnr_error *err) RNR_WARN_UNUSED;
/* Roll back an open transaction, ignoring errors (used on failure paths). */
void sqlite_db_rollback(sqlite3 *db);

#endif
