/* sqlite_queue.c - the embedded durable work queue on SQLite.
 *
 * One table holds the messages of every named queue; a message is ready
 * when it is not leased or its lease has run out. A claim runs inside
 * BEGIN IMMEDIATE, so exactly one process wins each message. Dead letters
 * live in a second table with the reason, delivery count and time.
 *
 * Each lease records its holder (pid, start time, pid namespace, boot id):
 * a get first hands back the leases of holders that have died, so a killed
 * worker's message is redelivered at once instead of after the full lease
 * (the delivery still counts, so a message that kills its workers reaches
 * the delivery limit). A holder renews its lease with extend while it works. */
#include "adapters/sqlite_queue.h"

#include "adapters/backends.h"
#include "core/url.h"
#include "adapters/sqlite_db.h"
#include "core/procid.h"
#include "core/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A tag is (row id << TAG_BITS) | delivery number, so each claim has its
 * own tag and a stale consumer's tag never matches the next delivery. */
#define TAG_BITS 20
#define TAG_MASK ((UINT64_C(1) << TAG_BITS) - 1)
#define MAX_DELIVERIES_CAP 1000000L
/* Dead-letter at most this many over-delivered messages in one claim
 * transaction, so a get never holds the write lock for long. */
#define CLAIM_SWEEP_MAX 256
/* Look for leases of dead holders at most this often per handle, and at
 * most this many per look. */
#define RECLAIM_EVERY_MS 500
#define RECLAIM_MAX 64

typedef struct sqlite_queue {
    sqlite3 *db;
    char *path;
    char *name;
    int64_t lease_ms;
    long max_deliveries;
    char holder[128];     /* this process's identity, stored with its leases */
    int64_t next_reclaim; /* monotonic ms of the next dead-holder look */
} sqlite_queue;

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS rnr_queue_messages("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " queue TEXT NOT NULL,"
    " body BLOB NOT NULL,"
    " content_type TEXT,"
    " trace_id TEXT,"
    " enqueued_at INTEGER NOT NULL,"           /* epoch ms */
    " lease_until INTEGER NOT NULL DEFAULT 0," /* epoch ms; 0 = not leased */
    " deliveries INTEGER NOT NULL DEFAULT 0,"
    " holder TEXT);" /* who holds the lease (see holder_*) */
    "CREATE INDEX IF NOT EXISTS rnr_queue_messages_queue ON rnr_queue_messages(queue);"
    "CREATE TABLE IF NOT EXISTS rnr_queue_dead("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " queue TEXT NOT NULL,"
    " body BLOB NOT NULL,"
    " content_type TEXT,"
    " trace_id TEXT,"
    " enqueued_at INTEGER NOT NULL,"
    " deliveries INTEGER NOT NULL,"
    " reason TEXT NOT NULL,"
    " dead_at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS rnr_queue_dead_queue ON rnr_queue_dead(queue);";

static int sq_not_held(struct sqlite_queue *q, uint64_t tag, rnr_error *err);
static int sq_settle(struct sqlite_queue *q, uint64_t tag, const char *sql, const char *what,
                     rnr_error *err);

static int sq_error(sqlite_queue *q, int rc, const char *what, rnr_error *err)
{
    int r = sqlite_db_error(q->db, rc, what, q->path, err);
    rnr_error_prefix(err, "queue '%s'", q->name);
    return r;
}

static int sq_exec(sqlite_queue *q, const char *sql, const char *what, rnr_error *err)
{
    int rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? RNR_OK : sq_error(q, rc, what, err);
}

static int sq_prepare(sqlite_queue *q, const char *sql, sqlite3_stmt **st, rnr_error *err)
{
    int rc = sqlite3_prepare_v2(q->db, sql, -1, st, NULL);
    if (rc != SQLITE_OK) {
        *st = NULL;
        return sq_error(q, rc, "prepare", err);
    }
    return RNR_OK;
}

/* Step a statement that returns no rows, then finalize it. */
static int sq_step_done(sqlite_queue *q, sqlite3_stmt *st, const char *what, rnr_error *err)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? RNR_OK : sq_error(q, rc, what, err);
}

static int sq_publish_one(sqlite_queue *q, const char *body, size_t len,
                          const queue_publish_opts *o, const char *trace, int64_t now,
                          rnr_error *err)
{
    sqlite3_stmt *st;
    int rc = sq_prepare(q,
                        "INSERT INTO rnr_queue_messages(queue, body, content_type, trace_id,"
                        " enqueued_at, lease_until) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                        &st, err);
    if (rc != RNR_OK)
        return rc;
    /* A delayed message waits behind a lease no one holds (deliveries 0,
     * so no tag matches it) that runs out when it is due. */
    int64_t delay = o && o->delay_ms > 0 ? o->delay_ms : 0;
    sqlite3_bind_int64(st, 6, delay ? now + delay : 0);
    const char *ctype = o && o->content_type ? o->content_type : "application/json";
    sqlite3_bind_text(st, 1, q->name, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 2, len ? body : "", len, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, ctype, -1, SQLITE_STATIC);
    if (trace)
        sqlite3_bind_text(st, 4, trace, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now);
    return sq_step_done(q, st, "publish", err);
}

static int sq_publish_many(void *self, const char *const *bodies, const size_t *lens, size_t n,
                           const queue_publish_opts *o, int *ok, rnr_error *err)
{
    sqlite_queue *q = self;
    for (size_t i = 0; i < n; i++)
        ok[i] = 0;
    /* A confirmed publish survives a power cut: this commit is FULL (and
     * carries the NORMAL commits before it to disk with it). */
    int rc = sqlite_db_sync(q->db, 1, q->path, err);
    if (rc == RNR_OK)
        rc = sq_exec(q, "BEGIN IMMEDIATE", "begin publish", err);
    int64_t now = time_now_ms();
    for (size_t i = 0; i < n && rc == RNR_OK; i++)
        rc = sq_publish_one(q, bodies[i], lens[i], o, queue_opts_trace_id(o, i), now, err);
    if (rc == RNR_OK)
        rc = sq_exec(q, "COMMIT", "commit publish", err);
    if (rc != RNR_OK)
        sqlite_db_rollback(q->db);
    /* back to NORMAL; should that fail, FULL stays: slower, never less safe */
    (void)sqlite_db_sync(q->db, 0, q->path, NULL);
    if (rc != RNR_OK)
        return rc;
    /* The commit is the confirmation for the whole batch. */
    for (size_t i = 0; i < n; i++)
        ok[i] = 1;
    return RNR_OK;
}

static int sq_publish(void *self, const char *body, size_t len, const queue_publish_opts *o,
                      rnr_error *err)
{
    int ok = 0;
    return sq_publish_many(self, &body, &len, 1, o, &ok, err);
}

/* Move message id to the dead letters; caller holds the write transaction. */
static int sq_move_dead(sqlite_queue *q, int64_t id, const char *reason, rnr_error *err)
{
    sqlite3_stmt *st;
    int rc = sq_prepare(q,
                        "INSERT INTO rnr_queue_dead(queue, body, content_type, trace_id,"
                        " enqueued_at, deliveries, reason, dead_at)"
                        " SELECT queue, body, content_type, trace_id, enqueued_at, deliveries,"
                        " ?2, ?3 FROM rnr_queue_messages WHERE id = ?1",
                        &st, err);
    if (rc != RNR_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, time_now_ms());
    rc = sq_step_done(q, st, "dead-letter", err);
    if (rc != RNR_OK)
        return rc;
    rc = sq_prepare(q, "DELETE FROM rnr_queue_messages WHERE id = ?1", &st, err);
    if (rc != RNR_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    return sq_step_done(q, st, "dead-letter", err);
}

/* Find the oldest ready message: *id = 0 when there is none. */
static int sq_oldest_ready(sqlite_queue *q, int64_t now, int64_t *id, int64_t *deliveries,
                           rnr_error *err)
{
    sqlite3_stmt *st;
    int rc = sq_prepare(q,
                        "SELECT id, deliveries FROM rnr_queue_messages"
                        " WHERE queue = ?1 AND lease_until <= ?2 ORDER BY id LIMIT 1",
                        &st, err);
    if (rc != RNR_OK)
        return rc;
    sqlite3_bind_text(st, 1, q->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    *id = 0;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        *deliveries = sqlite3_column_int64(st, 1);
        rc = SQLITE_DONE;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? RNR_OK : sq_error(q, rc, "claim", err);
}

/* Lease message id and copy it into out; caller holds the transaction. */
static int sq_lease(sqlite_queue *q, int64_t id, int64_t now, queue_message *out, rnr_error *err)
{
    sqlite3_stmt *st;
    int rc = sq_prepare(q,
                        "UPDATE rnr_queue_messages SET lease_until = ?2,"
                        " deliveries = deliveries + 1, holder = ?3 WHERE id = ?1"
                        " RETURNING body, trace_id, deliveries",
                        &st, err);
    if (rc != RNR_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now + q->lease_ms);
    if (q->holder[0])
        sqlite3_bind_text(st, 3, q->holder, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return sq_error(q, rc, "claim", err);
    }
    size_t len = (size_t)sqlite3_column_bytes(st, 0);
    const void *body = sqlite3_column_blob(st, 0);
    const char *trace = (const char *)sqlite3_column_text(st, 1);
    int64_t deliveries = sqlite3_column_int64(st, 2);
    memset(out, 0, sizeof *out);
    out->body = malloc(len + 1);
    out->trace_id = trace ? strdup(trace) : NULL;
    if (!out->body || (trace && !out->trace_id)) {
        sqlite3_finalize(st);
        queue_message_clear(out);
        return rnr_error_set(err, RNR_ERR_NOMEM, "queue '%s': out of memory", q->name);
    }
    if (len)
        memcpy(out->body, body, len);
    out->body[len] = '\0';
    out->len = len;
    out->delivery_count = (int)deliveries;
    out->redelivered = deliveries > 1;
    out->tag = ((uint64_t)id << TAG_BITS) | ((uint64_t)deliveries & TAG_MASK);
    /* Finish the statement so the UPDATE is complete before COMMIT. */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        queue_message_clear(out);
        return sq_error(q, rc, "claim", err);
    }
    return RNR_OK;
}

/* ---- holders ---------------------------------------------------------- */

/* "boot_id pidns pid start_ticks", or "" when /proc cannot tell. */
static void holder_encode(char *buf, size_t n)
{
    proc_identity me;
    if (proc_identity_self(&me) != 0) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, n, "%s %llu %lld %lld", me.boot_id, (unsigned long long)me.pidns,
             (long long)me.pid, (long long)me.start_ticks);
}

static int holder_gone(const char *text)
{
    proc_identity id;
    memset(&id, 0, sizeof id);
    unsigned long long ns;
    long long pid, start;
    if (!text || sscanf(text, "%39s %llu %lld %lld", id.boot_id, &ns, &pid, &start) != 4)
        return 0;
    id.pidns = ns;
    id.pid = pid;
    id.start_ticks = start;
    return proc_identity_gone(&id);
}

/* Release the leases whose holder process has exited: they are ready at
 * once. The delivery count stays (the dead holder's delivery counted). */
static int sq_reclaim(sqlite_queue *q, int64_t now, rnr_error *err)
{
    if (time_mono_ms() < q->next_reclaim)
        return RNR_OK;
    q->next_reclaim = time_mono_ms() + RECLAIM_EVERY_MS;
    sqlite3_stmt *st;
    int rc = sq_prepare(q,
                        "SELECT id, deliveries, holder FROM rnr_queue_messages WHERE queue = ?1"
                        " AND lease_until > ?2 AND deliveries > 0 AND holder IS NOT NULL"
                        " ORDER BY id LIMIT ?3",
                        &st, err);
    if (rc != RNR_OK)
        return rc;
    sqlite3_bind_text(st, 1, q->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int(st, 3, RECLAIM_MAX);
    int64_t ids[RECLAIM_MAX], dels[RECLAIM_MAX];
    int n = 0, s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW && n < RECLAIM_MAX) {
        if (!holder_gone((const char *)sqlite3_column_text(st, 2)))
            continue;
        ids[n] = sqlite3_column_int64(st, 0);
        dels[n++] = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (s != SQLITE_DONE && s != SQLITE_ROW)
        return sq_error(q, s, "look for dead lease holders", err);
    for (int i = 0; i < n && rc == RNR_OK; i++) {
        uint64_t tag = ((uint64_t)ids[i] << TAG_BITS) | ((uint64_t)dels[i] & TAG_MASK);
        rnr_error e = {0};
        /* not held any more (settled meanwhile) is fine: nothing to do */
        if (sq_settle(q, tag,
                      "UPDATE rnr_queue_messages SET lease_until = 0 WHERE id = ?1"
                      " AND queue = ?2 AND deliveries = ?3 AND lease_until != 0",
                      "reclaim", &e) == RNR_OK)
            continue;
        if (e.code != RNR_ERR_NOTFOUND)
            rc = rnr_error_set(err, e.code, "%s", e.msg);
    }
    return rc;
}

static int sq_extend(void *self, uint64_t tag, rnr_error *err)
{
    sqlite_queue *q = self;
    sqlite3_stmt *st;
    int rc = sq_prepare(q,
                        "UPDATE rnr_queue_messages SET lease_until = ?4 WHERE id = ?1"
                        " AND queue = ?2 AND deliveries = ?3 AND lease_until != 0",
                        &st, err);
    if (rc != RNR_OK)
        return rc;
    sqlite3_bind_int64(st, 1, (int64_t)(tag >> TAG_BITS));
    sqlite3_bind_text(st, 2, q->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)(tag & TAG_MASK));
    sqlite3_bind_int64(st, 4, time_now_ms() + q->lease_ms);
    rc = sq_step_done(q, st, "extend lease", err);
    if (rc != RNR_OK)
        return rc;
    return sqlite3_changes(q->db) == 0 ? sq_not_held(q, tag, err) : RNR_OK;
}

/* One claim attempt: RNR_OK with *got = 1 and out filled, or *got = 0. */
static int sq_try_claim(sqlite_queue *q, queue_message *out, int *got, rnr_error *err)
{
    *got = 0;
    /* Idle consumers poll: look without the write lock first, so they do
     * not queue up behind each other and the publishers. */
    int64_t now = time_now_ms(), peek_id = 0, peek_n = 0;
    int rc = sq_reclaim(q, now, err);
    if (rc == RNR_OK)
        rc = sq_oldest_ready(q, now, &peek_id, &peek_n, err);
    if (rc != RNR_OK || peek_id == 0)
        return rc;
    rc = sq_exec(q, "BEGIN IMMEDIATE", "begin claim", err);
    if (rc != RNR_OK)
        return rc;
    now = time_now_ms();
    for (int sweep = 0; sweep <= CLAIM_SWEEP_MAX && rc == RNR_OK; sweep++) {
        int64_t id = 0, deliveries = 0;
        rc = sq_oldest_ready(q, now, &id, &deliveries, err);
        if (rc != RNR_OK || id == 0)
            break;
        if (deliveries >= q->max_deliveries) {
            char reason[64];
            snprintf(reason, sizeof reason, "delivery limit %ld exceeded", q->max_deliveries);
            rc = sq_move_dead(q, id, reason, err);
            continue;
        }
        rc = sq_lease(q, id, now, out, err);
        if (rc == RNR_OK)
            *got = 1;
        break;
    }
    if (rc == RNR_OK)
        rc = sq_exec(q, "COMMIT", "commit claim", err);
    if (rc != RNR_OK) {
        sqlite_db_rollback(q->db);
        if (*got)
            queue_message_clear(out);
        *got = 0;
    }
    return rc;
}

static int sq_get(void *self, int timeout_ms, queue_message *out, rnr_error *err)
{
    sqlite_queue *q = self;
    int64_t deadline = time_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    int64_t pause = 10;
    memset(out, 0, sizeof *out);
    for (;;) {
        int got = 0;
        int rc = sq_try_claim(q, out, &got, err);
        if (rc != RNR_OK || got)
            return rc;
        int64_t left = deadline - time_mono_ms();
        if (left <= 0)
            return rnr_error_set(err, RNR_ERR_TIMEOUT, "queue '%s': no message within %d ms",
                                 q->name, timeout_ms);
        time_sleep_ms(pause < left ? pause : left);
        if (pause < 200)
            pause *= 2;
    }
}

static int sq_not_held(sqlite_queue *q, uint64_t tag, rnr_error *err)
{
    return rnr_error_set(err, RNR_ERR_NOTFOUND,
                         "queue '%s': delivery tag %llu is not held (already settled, or its "
                         "lease expired and the message was delivered again)",
                         q->name, (unsigned long long)tag);
}

/* Does tag name a message that is still held by this delivery? */
static int sq_tag_held(sqlite_queue *q, uint64_t tag, int64_t *id, rnr_error *err)
{
    *id = (int64_t)(tag >> TAG_BITS);
    sqlite3_stmt *st;
    int rc = sq_prepare(q,
                        "SELECT 1 FROM rnr_queue_messages WHERE id = ?1 AND queue = ?2"
                        " AND deliveries = ?3 AND lease_until != 0",
                        &st, err);
    if (rc != RNR_OK)
        return rc;
    sqlite3_bind_int64(st, 1, *id);
    sqlite3_bind_text(st, 2, q->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)(tag & TAG_MASK));
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return RNR_OK;
    if (rc != SQLITE_DONE)
        return sq_error(q, rc, "look up delivery", err);
    return sq_not_held(q, tag, err);
}

/* Run sql (binding ?1 id, ?2 queue, ?3 delivery) against a held tag. */
static int sq_settle(sqlite_queue *q, uint64_t tag, const char *sql, const char *what,
                     rnr_error *err)
{
    sqlite3_stmt *st;
    int rc = sq_prepare(q, sql, &st, err);
    if (rc != RNR_OK)
        return rc;
    sqlite3_bind_int64(st, 1, (int64_t)(tag >> TAG_BITS));
    sqlite3_bind_text(st, 2, q->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)(tag & TAG_MASK));
    rc = sq_step_done(q, st, what, err);
    if (rc != RNR_OK)
        return rc;
    return sqlite3_changes(q->db) == 0 ? sq_not_held(q, tag, err) : RNR_OK;
}

static int sq_ack(void *self, uint64_t tag, rnr_error *err)
{
    return sq_settle(self, tag,
                     "DELETE FROM rnr_queue_messages WHERE id = ?1 AND queue = ?2"
                     " AND deliveries = ?3 AND lease_until != 0",
                     "ack", err);
}

static int sq_dead_letter(void *self, uint64_t tag, const char *reason, rnr_error *err)
{
    sqlite_queue *q = self;
    int rc = sq_exec(q, "BEGIN IMMEDIATE", "begin dead-letter", err);
    if (rc != RNR_OK)
        return rc;
    int64_t id;
    rc = sq_tag_held(q, tag, &id, err);
    if (rc == RNR_OK)
        rc = sq_move_dead(q, id, reason && *reason ? reason : "dead-lettered", err);
    if (rc == RNR_OK)
        rc = sq_exec(q, "COMMIT", "commit dead-letter", err);
    if (rc != RNR_OK)
        sqlite_db_rollback(q->db);
    return rc;
}

static int sq_nack(void *self, uint64_t tag, int requeue, rnr_error *err)
{
    if (!requeue)
        return sq_dead_letter(self, tag, "rejected", err);
    /* The delivery count stays: releasing a lease is not a new delivery. */
    return sq_settle(self, tag,
                     "UPDATE rnr_queue_messages SET lease_until = 0 WHERE id = ?1"
                     " AND queue = ?2 AND deliveries = ?3 AND lease_until != 0",
                     "nack", err);
}

static int sq_depth(void *self, queue_depth *out, rnr_error *err)
{
    sqlite_queue *q = self;
    sqlite3_stmt *st;
    int rc = sq_prepare(q,
                        "SELECT (SELECT count(*) FROM rnr_queue_messages"
                        "         WHERE queue = ?1 AND lease_until <= ?2),"
                        "       (SELECT count(*) FROM rnr_queue_messages"
                        "         WHERE queue = ?1 AND lease_until > ?2),"
                        "       (SELECT count(*) FROM rnr_queue_dead WHERE queue = ?1)",
                        &st, err);
    if (rc != RNR_OK)
        return rc;
    sqlite3_bind_text(st, 1, q->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, time_now_ms());
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->ready = sqlite3_column_int64(st, 0);
        out->unacked = sqlite3_column_int64(st, 1);
        out->dead = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? RNR_OK : sq_error(q, rc, "depth", err);
}

static void sq_close(void *self)
{
    sqlite_queue *q = self;
    if (!q)
        return;
    sqlite3_close_v2(q->db);
    free(q->path);
    free(q->name);
    free(q);
}

/* ---- dead letters ------------------------------------------------------- */

static int dead_row(sqlite3_stmt *st, queue_dead_entry *d)
{
    size_t len = (size_t)sqlite3_column_bytes(st, 1);
    const void *body = sqlite3_column_blob(st, 1);
    const char *reason = (const char *)sqlite3_column_text(st, 2);
    const char *trace = (const char *)sqlite3_column_text(st, 3);
    d->id = sqlite3_column_int64(st, 0);
    d->body = malloc(len + 1);
    d->reason = strdup(reason ? reason : "");
    d->trace_id = trace ? strdup(trace) : NULL;
    if (!d->body || !d->reason || (trace && !d->trace_id))
        return RNR_ERR_NOMEM;
    if (len)
        memcpy(d->body, body, len);
    d->body[len] = '\0';
    d->len = len;
    d->delivery_count = sqlite3_column_int(st, 4);
    d->enqueued_at = sqlite3_column_int64(st, 5) / 1000;
    d->dead_at = sqlite3_column_int64(st, 6) / 1000;
    return RNR_OK;
}

static int sq_list_dead(void *self, size_t limit, queue_dead_list *out, rnr_error *err)
{
    sqlite_queue *q = self;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    int rc = sq_prepare(q,
                        "SELECT id, body, reason, trace_id, deliveries, enqueued_at, dead_at"
                        " FROM rnr_queue_dead WHERE queue = ?1 ORDER BY id LIMIT ?2",
                        &st, err);
    if (rc != RNR_OK)
        return rc;
    sqlite3_bind_text(st, 1, q->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
    size_t cap = 0;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            queue_dead_entry *p = realloc(out->items, ncap * sizeof *p);
            if (!p) {
                rc = RNR_ERR_NOMEM;
                break;
            }
            out->items = p;
            cap = ncap;
        }
        queue_dead_entry *d = &out->items[out->n++];
        memset(d, 0, sizeof *d);
        if ((rc = dead_row(st, d)) != RNR_OK)
            break;
    }
    sqlite3_finalize(st);
    if (rc == RNR_ERR_NOMEM)
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "queue '%s': out of memory listing dead letters",
                           q->name);
    else if (s != SQLITE_DONE)
        rc = sq_error(q, s, "list dead letters", err);
    if (rc != RNR_OK)
        queue_dead_list_clear(out);
    return rc;
}

static int sq_replay_tx(sqlite_queue *q, int64_t id, size_t *replayed, rnr_error *err)
{
    sqlite3_stmt *st;
    int rc = sq_prepare(q,
                        "INSERT INTO rnr_queue_messages(queue, body, content_type, trace_id,"
                        " enqueued_at) SELECT queue, body, content_type, trace_id, enqueued_at"
                        " FROM rnr_queue_dead WHERE queue = ?1 AND (?2 = 0 OR id = ?2)"
                        " ORDER BY id",
                        &st, err);
    if (rc != RNR_OK)
        return rc;
    sqlite3_bind_text(st, 1, q->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    if ((rc = sq_step_done(q, st, "replay dead letters", err)) != RNR_OK)
        return rc;
    *replayed = (size_t)sqlite3_changes(q->db);
    if (id && *replayed == 0)
        return rnr_error_set(err, RNR_ERR_NOTFOUND, "queue '%s': no dead letter with id %lld",
                             q->name, (long long)id);
    rc = sq_prepare(q, "DELETE FROM rnr_queue_dead WHERE queue = ?1 AND (?2 = 0 OR id = ?2)", &st,
                    err);
    if (rc != RNR_OK)
        return rc;
    sqlite3_bind_text(st, 1, q->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    return sq_step_done(q, st, "replay dead letters", err);
}

static int sq_replay_dead(void *self, int64_t id, size_t *replayed, rnr_error *err)
{
    sqlite_queue *q = self;
    *replayed = 0;
    int rc = sq_exec(q, "BEGIN IMMEDIATE", "begin replay", err);
    if (rc != RNR_OK)
        return rc;
    rc = sq_replay_tx(q, id, replayed, err);
    if (rc == RNR_OK)
        rc = sq_exec(q, "COMMIT", "commit replay", err);
    if (rc != RNR_OK) {
        sqlite_db_rollback(q->db);
        *replayed = 0;
    }
    return rc;
}

static const queue_ops sqlite_queue_ops = {
    .publish = sq_publish,
    .publish_many = sq_publish_many,
    .get = sq_get,
    .ack = sq_ack,
    .nack = sq_nack,
    .dead_letter = sq_dead_letter,
    .depth = sq_depth,
    .close = sq_close,
    .list_dead = sq_list_dead,
    .extend = sq_extend,
    .replay_dead = sq_replay_dead,
};

static const char *const queue_params[] = {"queue", "lease", "max_deliveries", "busy_timeout",
                                           NULL};

static int sq_configure(sqlite_queue *q, const char *url, const char *query, const char *queue_name,
                        rnr_error *err)
{
    long lease = 300, maxd = 5, busy = 10000;
    char name[256];
    int rc = backend_query_check(url, query, queue_params, err);
    if (rc == RNR_OK)
        rc = backend_query_int(url, query, "lease", 1, 86400, &lease, err);
    if (rc == RNR_OK)
        rc = backend_query_int(url, query, "max_deliveries", 1, MAX_DELIVERIES_CAP, &maxd, err);
    if (rc == RNR_OK)
        rc = backend_query_int(url, query, "busy_timeout", 0, 600000, &busy, err);
    if (rc != RNR_OK)
        return rc;
    int have = backend_query_get(query, "queue", name, sizeof name);
    if (!queue_name)
        queue_name = have > 0 ? name : "hml_files";
    if (have < 0 || !*queue_name) {
        char masked[256];
        url_mask(url, masked, sizeof masked);
        return rnr_error_set(err, RNR_ERR_INVALID, "URL '%s': queue name must be 1..255 bytes",
                             masked);
    }
    q->name = strdup(queue_name);
    if (!q->name)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    q->lease_ms = (int64_t)lease * 1000;
    q->max_deliveries = maxd;
    return sqlite_db_open(q->path, (int)busy, &q->db, err);
}

/* Add table.column when the file predates it (another process may have
 * added it first). */
static int sq_add_column(sqlite_queue *q, const char *table, const char *column, rnr_error *err)
{
    int has = 0;
    int rc = sqlite_db_has_column(q->db, table, column, &has, q->path, err);
    if (rc != RNR_OK) {
        rnr_error_prefix(err, "queue '%s'", q->name);
        return rc;
    }
    if (has)
        return RNR_OK;
    char sql[160], what[80];
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s TEXT", table, column);
    snprintf(what, sizeof what, "add column %s.%s", table, column);
    rc = sq_exec(q, sql, what, err);
    if (rc != RNR_OK && strstr(err->msg, "duplicate column"))
        rc = RNR_OK;
    return rc;
}

/* A queue file made before leases named their holder, or before messages
 * and dead letters kept their trace id, gets the columns. */
static int sq_migrate(sqlite_queue *q, rnr_error *err)
{
    int rc = sq_add_column(q, "rnr_queue_messages", "holder", err);
    if (rc == RNR_OK)
        rc = sq_add_column(q, "rnr_queue_messages", "trace_id", err);
    if (rc == RNR_OK)
        rc = sq_add_column(q, "rnr_queue_dead", "trace_id", err);
    return rc;
}

int sqlite_queue_open(const char *url, const char *queue_name, rnr_queue **out, rnr_error *err)
{
    backend_local_url u;
    *out = NULL;
    int rc = backend_local_url_parse(url, "sqlite", &u, err);
    if (rc != RNR_OK)
        return rc;
    sqlite_queue *q = calloc(1, sizeof *q);
    rnr_queue *h = calloc(1, sizeof *h);
    if (!q || !h) {
        free(q);
        free(h);
        backend_local_url_clear(&u);
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory opening a queue");
    }
    q->path = u.path;
    u.path = NULL;
    rc = sq_configure(q, url, u.query, queue_name, err);
    backend_local_url_clear(&u);
    if (rc == RNR_OK)
        rc = sq_exec(q, schema_sql, "create tables", err);
    if (rc == RNR_OK)
        rc = sq_migrate(q, err);
    holder_encode(q->holder, sizeof q->holder);
    if (rc != RNR_OK) {
        sq_close(q);
        free(h);
        return rc;
    }
    h->ops = &sqlite_queue_ops;
    h->self = q;
    *out = h;
    return RNR_OK;
}
