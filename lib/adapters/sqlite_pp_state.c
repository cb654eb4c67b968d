/* sqlite_pp_state.c - the post-processor's memory (ports/pp_state.h) in a
 * small SQLite database: table files (one row per output read) and table
 * rows (its inundation rows in order).
 *
 * synchronous=NORMAL: in WAL mode a commit then costs no fsync. The
 * memory only saves re-reading outputs (pp_state.h), so a commit lost to
 * a power cut is redone by the next run, and a cold run over a window of
 * 300 outputs does not pay 300 fsyncs. A run's records go in one
 * transaction (batch_begin/end, each record a savepoint in it) through
 * statements prepared once: 300 commits rewrote the same pages of the WAL
 * 300 times. */
#include "adapters/sqlite_pp_state.h"

#include <assert.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/sqlite_db.h"

typedef struct sps {
    sqlite3 *db;
    char path[1100];
    int in_batch;
    sqlite3_stmt *lookup_st, *file_st, *row_st; /* prepared on first use */
} sps;

/* *st prepared from sql once for the life of s, reset for another use. */
static int sps_stmt(sps *s, sqlite3_stmt **st, const char *sql, rnr_error *err)
{
    if (*st) {
        sqlite3_reset(*st);
        sqlite3_clear_bindings(*st);
        return RNR_OK;
    }
    return sqlite_db_prepare(s->db, sql, st, s->path, err);
}

static const char sps_schema[] =
    "CREATE TABLE IF NOT EXISTS files(key TEXT NOT NULL, size INTEGER NOT NULL,"
    " mtime INTEGER NOT NULL, file_time INTEGER NOT NULL, nrows INTEGER NOT NULL,"
    " note TEXT, written INTEGER NOT NULL DEFAULT 0, lid TEXT, PRIMARY KEY(key, size, mtime));"
    "CREATE TABLE IF NOT EXISTS rows(key TEXT NOT NULL, size INTEGER NOT NULL,"
    " mtime INTEGER NOT NULL, seq INTEGER NOT NULL, feature_id INTEGER, stream_order INTEGER,"
    " name TEXT, state TEXT, flow REAL, inherited TEXT, max_status TEXT,"
    " reference_time INTEGER, geom TEXT, flow_max REAL, PRIMARY KEY(key, size, mtime, seq));";

/* A database from before the merged table gets its columns: flow_max
 * filled with the peak-time flow it had and lid left NULL (the key's
 * directory stands in), as those files are not read again. */
static int sps_migrate(sps *s, rnr_error *err)
{
    int has = 0, rc = sqlite_db_has_column(s->db, "rows", "flow_max", &has, s->path, err);
    if (rc == RNR_OK && !has)
        rc = sqlite_db_exec(
            s->db, "ALTER TABLE rows ADD COLUMN flow_max REAL; UPDATE rows SET flow_max = flow;",
            "add flow_max", s->path, err);
    if (rc == RNR_OK)
        rc = sqlite_db_has_column(s->db, "files", "lid", &has, s->path, err);
    if (rc == RNR_OK && !has)
        rc =
            sqlite_db_exec(s->db, "ALTER TABLE files ADD COLUMN lid TEXT", "add lid", s->path, err);
    return rc;
}

static void sps_bind_object(sqlite3_stmt *st, const store_object *o)
{
    sqlite3_bind_text(st, 1, o->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, o->size);
    sqlite3_bind_int64(st, 3, o->mtime);
}

static int sps_lookup(void *self, const store_object *o, int *known, char *lid, size_t lidn,
                      rnr_error *err)
{
    sps *s = self;
    lid[0] = '\0';
    int rc = sps_stmt(s, &s->lookup_st,
                      "SELECT written, lid FROM files WHERE key=?1 AND size=?2 AND mtime=?3", err);
    if (rc != RNR_OK)
        return rc;
    sqlite3_stmt *st = s->lookup_st;
    sps_bind_object(st, o);
    int r = sqlite3_step(st);
    *known = r == SQLITE_ROW ? 1 + (sqlite3_column_int(st, 0) != 0) : 0;
    if (r == SQLITE_ROW && sqlite3_column_text(st, 1))
        snprintf(lid, lidn, "%s", (const char *)sqlite3_column_text(st, 1));
    sqlite3_reset(st);
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        return sqlite_db_error(s->db, r, "look up file", s->path, err);
    return RNR_OK;
}

static int sps_insert_row(sps *s, sqlite3_stmt *rs, const store_object *o, size_t i,
                          const inundation_row *r, rnr_error *err)
{
    sqlite3_reset(rs);
    sps_bind_object(rs, o);
    sqlite3_bind_int64(rs, 4, (int64_t)i);
    sqlite3_bind_int64(rs, 5, r->feature_id);
    sqlite3_bind_int(rs, 6, r->stream_order);
    sqlite3_bind_text(rs, 7, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(rs, 8, r->state, -1, SQLITE_STATIC);
    sqlite3_bind_double(rs, 9, (double)r->flow_cms);
    sqlite3_bind_text(rs, 10, r->inherited_rfc_forecasts, -1, SQLITE_STATIC);
    sqlite3_bind_text(rs, 11, r->max_status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(rs, 12, r->reference_time);
    sqlite3_bind_text(rs, 13, r->geom_wkt, -1, SQLITE_STATIC);
    sqlite3_bind_double(rs, 14, (double)r->flow_max_cms); /* NAN is stored as NULL */
    int st = sqlite3_step(rs);
    return st == SQLITE_DONE ? RNR_OK : sqlite_db_error(s->db, st, "record row", s->path, err);
}

static int sps_record_file(sps *s, sqlite3_stmt *fs, const store_object *o, int64_t file_time,
                           const char *lid, size_t n, const char *note, rnr_error *err)
{
    sps_bind_object(fs, o);
    sqlite3_bind_int64(fs, 4, file_time);
    sqlite3_bind_int64(fs, 5, (int64_t)n);
    sqlite3_bind_text(fs, 6, note, -1, SQLITE_STATIC);
    sqlite3_bind_text(fs, 7, lid && *lid ? lid : NULL, -1, SQLITE_STATIC);
    int st = sqlite3_step(fs);
    return st == SQLITE_DONE ? RNR_OK : sqlite_db_error(s->db, st, "record file", s->path, err);
}

static int sps_record(void *self, const store_object *o, int64_t file_time, const char *lid,
                      const inundation_row *rows, size_t n, const char *note, rnr_error *err)
{
    sps *s = self;
    int rc = sqlite_db_exec(s->db, s->in_batch ? "SAVEPOINT rec" : "BEGIN IMMEDIATE", "begin",
                            s->path, err);
    if (rc != RNR_OK)
        return rc;
    rc = sps_stmt(s, &s->file_st,
                  "INSERT OR REPLACE INTO files(key, size, mtime, file_time, nrows, note,"
                  " written, lid) VALUES(?1,?2,?3,?4,?5,?6,0,?7)",
                  err);
    if (rc == RNR_OK)
        rc = sps_stmt(s, &s->row_st,
                      "INSERT OR REPLACE INTO rows(key, size, mtime, seq, feature_id,"
                      " stream_order, name, state, flow, inherited, max_status, reference_time,"
                      " geom, flow_max) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
                      err);
    if (rc == RNR_OK)
        rc = sps_record_file(s, s->file_st, o, file_time, lid, n, note, err);
    for (size_t i = 0; rc == RNR_OK && i < n; i++)
        rc = sps_insert_row(s, s->row_st, o, i, &rows[i], err);
    if (s->file_st)
        sqlite3_reset(s->file_st);
    if (s->row_st)
        sqlite3_reset(s->row_st);
    if (rc == RNR_OK)
        rc = sqlite_db_exec(s->db, s->in_batch ? "RELEASE rec" : "COMMIT", "commit", s->path, err);
    if (rc != RNR_OK && s->in_batch) {
        rnr_error ignored;
        if (sqlite_db_exec(s->db, "ROLLBACK TO rec; RELEASE rec", "roll back", s->path, &ignored) !=
            RNR_OK) {
            sqlite_db_rollback(s->db); /* the batch is lost: records commit alone from now */
            s->in_batch = 0;
        }
    } else if (rc != RNR_OK) {
        sqlite_db_rollback(s->db);
    }
    return rc;
}

static int sps_batch_begin(void *self, rnr_error *err)
{
    sps *s = self;
    assert(!s->in_batch);
    int rc = sqlite_db_exec(s->db, "BEGIN IMMEDIATE", "begin", s->path, err);
    s->in_batch = rc == RNR_OK;
    return rc;
}

static int sps_batch_end(void *self, rnr_error *err)
{
    sps *s = self;
    if (!s->in_batch)
        return RNR_OK;
    s->in_batch = 0;
    int rc = sqlite_db_exec(s->db, "COMMIT", "commit", s->path, err);
    if (rc != RNR_OK)
        sqlite_db_rollback(s->db);
    return rc;
}

static char *sps_col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

static void sps_read_row(sqlite3_stmt *st, inundation_row *r)
{
    r->feature_id = sqlite3_column_int64(st, 0);
    r->stream_order = sqlite3_column_int(st, 1);
    r->name = sps_col(st, 2);
    r->state = sps_col(st, 3);
    r->flow_cms = (float)sqlite3_column_double(st, 4);
    const unsigned char *inh = sqlite3_column_text(st, 5);
    snprintf(r->inherited_rfc_forecasts, sizeof r->inherited_rfc_forecasts, "%s",
             inh ? (const char *)inh : "");
    r->max_status = sps_col(st, 6);
    r->reference_time = sqlite3_column_int64(st, 7);
    r->geom_wkt = sps_col(st, 8);
    r->flow_max_cms =
        sqlite3_column_type(st, 9) == SQLITE_NULL ? NAN : (float)sqlite3_column_double(st, 9);
}

static int sps_load(void *self, const store_object *o, pp_rows *out, rnr_error *err)
{
    sps *s = self;
    sqlite3_stmt *st;
    int rc =
        sqlite_db_prepare(s->db,
                          "SELECT feature_id, stream_order, name, state, flow, inherited,"
                          " max_status, reference_time, geom, flow_max FROM rows WHERE key=?1 AND"
                          " size=?2 AND mtime=?3 ORDER BY seq",
                          &st, s->path, err);
    if (rc != RNR_OK)
        return rc;
    sps_bind_object(st, o);
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        inundation_row *row;
        if (pp_rows_push(out, &row) != RNR_OK) {
            sqlite3_finalize(st);
            return rnr_error_set(err, RNR_ERR_NOMEM, "%s: out of memory", s->path);
        }
        sps_read_row(st, row);
    }
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? RNR_OK : sqlite_db_error(s->db, r, "read rows", s->path, err);
}

static int sps_mark_written(void *self, rnr_error *err)
{
    sps *s = self;
    return sqlite_db_exec(s->db, "UPDATE files SET written=1 WHERE written=0", "mark written",
                          s->path, err);
}

static void sps_prune(void *self, int64_t cutoff)
{
    sps *s = self;
    sqlite3_stmt *st;
    rnr_error e;
    if (sqlite_db_prepare(s->db, "DELETE FROM files WHERE file_time < ?1", &st, s->path, &e) !=
        RNR_OK)
        return;
    sqlite3_bind_int64(st, 1, cutoff);
    sqlite3_step(st);
    sqlite3_finalize(st);
    sqlite_db_exec(s->db,
                   "DELETE FROM rows WHERE NOT EXISTS (SELECT 1 FROM files f WHERE"
                   " f.key=rows.key AND f.size=rows.size AND f.mtime=rows.mtime)",
                   "prune", s->path, &e);
}

static void sps_close(void *self)
{
    sps *s = self;
    sqlite3_finalize(s->lookup_st);
    sqlite3_finalize(s->file_st);
    sqlite3_finalize(s->row_st);
    if (s->db)
        sqlite3_close_v2(s->db);
    free(s);
}

static const pp_state_ops sps_ops = {.lookup = sps_lookup,
                                     .record = sps_record,
                                     .load = sps_load,
                                     .mark_written = sps_mark_written,
                                     .prune = sps_prune,
                                     .close = sps_close,
                                     .batch_begin = sps_batch_begin,
                                     .batch_end = sps_batch_end};

int sqlite_pp_state_open(const char *path, rnr_pp_state **out, rnr_error *err)
{
    *out = NULL;
    sps *s = calloc(1, sizeof *s);
    rnr_pp_state *p = calloc(1, sizeof *p);
    if (!s || !p) {
        free(s);
        free(p);
        return rnr_error_set(err, RNR_ERR_NOMEM, "%s: out of memory", path);
    }
    snprintf(s->path, sizeof s->path, "%s", path);
    int rc = sqlite_db_open(s->path, 10000, &s->db, err);
    if (rc == RNR_OK)
        rc = sqlite_db_exec(s->db, "PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit=8388608",
                            "set synchronous", s->path, err);
    /* No checkpoint when the run closes the memory: it copied the run's WAL
     * into the database and fsync'd both (a fifth of a cold post-process's
     * time after its reads). The WAL stays beside the file and is folded
     * in by SQLite's own checkpoint once it passes 1000 pages, in some
     * later run's commit; what a power cut takes from it is redone. */
    if (rc == RNR_OK &&
        sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL) != SQLITE_OK)
        rc = rnr_error_set(err, RNR_ERR_IO, "%s: cannot configure: %s", s->path,
                           sqlite3_errmsg(s->db));
    if (rc == RNR_OK)
        rc = sqlite_db_exec(s->db, sps_schema, "create tables", s->path, err);
    if (rc == RNR_OK)
        rc = sps_migrate(s, err);
    if (rc != RNR_OK) {
        free(p);
        sps_close(s);
        return rc;
    }
    *p = (rnr_pp_state){&sps_ops, s};
    *out = p;
    return RNR_OK;
}
