/* hf_pqsink.c - the writer thread of the parquet index build. The reader
 * (hf_pqbuild.c) fills batches of rows and queues them; this thread owns
 * the index's connection and inserts them in queue order, so each table
 * keeps the reader's row order (fp is appended in id order, pages full).
 * When every net row is in, it builds net's B-trees while the reader is
 * still decoding nexus, attributes and flowpaths: on two cores the build
 * takes about the longer of the two halves instead of their sum.
 *
 * The queue is bounded (SINK_MAX_QUEUED batches), so a slow disk holds
 * the reader back instead of growing the heap. A failed writer drains the
 * queue without inserting and makes the reader's next put fail; a failed
 * reader makes the writer stop; hf_pqsink_finish joins the two either way
 * (never a partial index: the caller rolls the transaction back). */
#include "hydrofabric/hf_pqsink.h"
#include "hydrofabric/hf_internal.h"

#include <assert.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define SINK_BATCH_ROWS 8192
#define SINK_MAX_QUEUED 16

enum sink_kind { SINK_NET, SINK_NET_DONE, SINK_FP, SINK_LAKE, SINK_END };

typedef struct sink_lake {
    int64_t poi, hf_id;
} sink_lake;

/* A batch of rows of one kind; rows holds SINK_BATCH_ROWS of that kind's
 * struct (each kind allocates only its own size). */
typedef struct sink_batch {
    struct sink_batch *next;
    enum sink_kind kind;
    size_t n;
    _Alignas(max_align_t) unsigned char rows[];
} sink_batch;

static size_t row_size(enum sink_kind kind)
{
    return kind == SINK_NET    ? sizeof(hf_net_row)
           : kind == SINK_FP   ? sizeof(hf_fp_row)
           : kind == SINK_LAKE ? sizeof(sink_lake)
                               : 0;
}

struct hf_pqsink {
    sqlite3 *db;
    sqlite3_stmt *st_net, *st_fp, *st_lake;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t more, room; /* a batch was queued / taken */
    sink_batch *head, *tail;   /* queued, oldest first */
    size_t queued;
    sink_batch *open; /* being filled by the reader, not queued yet */
    sink_batch *end;  /* the end marker, allocated up front */
    int failed;       /* writer: rc/err hold why; reader's puts fail */
    int stop;         /* reader failed: drain without inserting */
    int rc;
    rnr_error err;
    size_t flowpaths; /* fp rows inserted with a dx */
};

static int sink_sql_error(struct hf_pqsink *s, const char *what)
{
    return hf_sql_error(s->db, what, NULL, &s->err);
}

static void bind_int(sqlite3_stmt *st, int p, int64_t v)
{
    if (v == HF_PQ_NULL)
        sqlite3_bind_null(st, p);
    else
        sqlite3_bind_int64(st, p, v);
}

static void bind_real(sqlite3_stmt *st, int p, double v, int isnull)
{
    if (isnull)
        sqlite3_bind_null(st, p);
    else
        sqlite3_bind_double(st, p, v);
}

static int step(struct hf_pqsink *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st) == SQLITE_DONE ? RNR_OK : sink_sql_error(s, what);
    sqlite3_reset(st);
    return rc;
}

static int write_net(struct hf_pqsink *s, const hf_net_row *r)
{
    sqlite3_stmt *st = s->st_net;
    bind_int(st, 1, r->hf_id);
    bind_int(st, 2, r->ms);
    bind_real(st, 3, r->hs, r->hs_null);
    bind_real(st, 4, r->hhs, r->hhs_null);
    bind_int(st, 5, r->divide);
    return step(s, st, "insert into net");
}

static int write_fp(struct hf_pqsink *s, const hf_fp_row *r)
{
    sqlite3_stmt *st = s->st_fp;
    bind_int(st, 1, r->num);
    bind_int(st, 2, r->divide);
    bind_int(st, 3, r->ord);
    bind_real(st, 4, r->hs, r->hs_null);
    bind_real(st, 5, r->len, r->len_null);
    bind_int(st, 6, r->poi);
    bind_int(st, 7, r->ms);
    bind_int(st, 8, r->to_fp);
    sqlite3_bind_int64(st, 9, r->fid);
    for (int k = 0; k < HF_PARAM_COUNT; k++)
        bind_real(st, 10 + k, r->p[k], r->pnull >> k & 1);
    int rc = step(s, st, "insert into fp");
    if (!rc && !(r->pnull & 1) && sqlite3_changes(s->db) == 1) /* p[0]: dx */
        s->flowpaths++;
    return rc;
}

static int write_lake(struct hf_pqsink *s, const sink_lake *r)
{
    bind_int(s->st_lake, 1, r->poi);
    bind_int(s->st_lake, 2, r->hf_id);
    return step(s, s->st_lake, "insert into lakes");
}

/* net's B-trees (hf_index_finish then finds them made). */
static int write_net_done(struct hf_pqsink *s)
{
    if (sqlite3_exec(s->db, HF_NET_BTREES_SQL, NULL, NULL, NULL) != SQLITE_OK)
        return sink_sql_error(s, "net b-trees");
    return RNR_OK;
}

static int write_batch(struct hf_pqsink *s, const sink_batch *b)
{
    int rc = RNR_OK;
    for (size_t i = 0; !rc && i < b->n; i++) {
        if (b->kind == SINK_NET)
            rc = write_net(s, (const hf_net_row *)b->rows + i);
        else if (b->kind == SINK_FP)
            rc = write_fp(s, (const hf_fp_row *)b->rows + i);
        else
            rc = write_lake(s, (const sink_lake *)b->rows + i);
    }
    if (!rc && b->kind == SINK_NET_DONE)
        rc = write_net_done(s);
    return rc;
}

static void *sink_main(void *arg)
{
    struct hf_pqsink *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (!s->head)
            pthread_cond_wait(&s->more, &s->mu);

        sink_batch *b = s->head;
        s->head = b->next;
        if (!s->head)
            s->tail = NULL;
        s->queued--;
        int skip = s->failed || s->stop;
        pthread_cond_signal(&s->room);
        pthread_mutex_unlock(&s->mu);
        enum sink_kind kind = b->kind;
        int rc = skip || kind == SINK_END ? RNR_OK : write_batch(s, b);
        free(b);
        if (rc) {
            pthread_mutex_lock(&s->mu);
            s->failed = 1;
            s->rc = rc;
            pthread_mutex_unlock(&s->mu);
        }
        if (kind == SINK_END)
            return NULL;
    }
}

int hf_pqsink_new(sqlite3 *db, hf_pqsink **out, rnr_error *err)
{
    *out = NULL;
    struct hf_pqsink *s = calloc(1, sizeof *s);
    if (!s)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    s->db = db;
    int rc = RNR_OK;
    if (!(s->end = malloc(sizeof(sink_batch))))
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    else if (sqlite3_prepare_v2(db, "INSERT INTO net VALUES (?1, ?2, ?3, ?4, ?5)", -1, &s->st_net,
                                NULL) != SQLITE_OK ||
             /* OR IGNORE: rows come in file order, so the first row of an id
         * (the least fid) is the one kept, as in the SQL path */
             sqlite3_prepare_v2(db,
                                "INSERT OR IGNORE INTO fp VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                                " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                                -1, &s->st_fp, NULL) != SQLITE_OK ||
             sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO lakes VALUES (?1, ?2)", -1, &s->st_lake,
                                NULL) != SQLITE_OK)
        rc = rnr_error_set(err, RNR_ERR_INTERNAL, "index build: %s", sqlite3_errmsg(db));
    if (!rc &&
        (pthread_mutex_init(&s->mu, NULL) || pthread_cond_init(&s->more, NULL) ||
         pthread_cond_init(&s->room, NULL) || pthread_create(&s->thread, NULL, sink_main, s)))
        rc = rnr_error_set(err, RNR_ERR_NOMEM, "index build: cannot start the writer thread");
    if (rc) { /* a failed init leaves the pthread objects unused: nothing to destroy */
        sqlite3_finalize(s->st_net);
        sqlite3_finalize(s->st_fp);
        sqlite3_finalize(s->st_lake);
        free(s->end);
        free(s);
        return rc;
    }
    *out = s;
    return RNR_OK;
}

/* Queue the open batch (waiting for room); the writer's error when it
 * has failed. */
static int sink_push(struct hf_pqsink *s, sink_batch *b, rnr_error *err)
{
    pthread_mutex_lock(&s->mu);
    while (s->queued >= SINK_MAX_QUEUED && !s->failed)
        pthread_cond_wait(&s->room, &s->mu);
    int failed = s->failed && b->kind != SINK_END;
    if (!failed) {
        b->next = NULL;
        if (s->tail)
            s->tail->next = b;
        else
            s->head = b;
        s->tail = b;
        s->queued++;
        pthread_cond_signal(&s->more);
    }
    pthread_mutex_unlock(&s->mu);
    if (failed) { /* the writer is done with s->err: it only drains now */
        free(b);
        if (err)
            *err = s->err;
        return s->rc;
    }
    return RNR_OK;
}

/* The open batch of this kind with room for a row, queuing a full one or
 * one of another kind first; *b NULL when that failed. */
static int sink_room(struct hf_pqsink *s, enum sink_kind kind, sink_batch **b, rnr_error *err)
{
    *b = NULL;
    if (s->open && (s->open->kind != kind || s->open->n == SINK_BATCH_ROWS)) {
        sink_batch *full = s->open;
        s->open = NULL;
        int rc = sink_push(s, full, err);
        if (rc)
            return rc;
    }
    if (!s->open) {
        /* sized for its kind: a net or lake batch needs far less than fp */
        if (!(s->open = malloc(sizeof(sink_batch) + row_size(kind) * SINK_BATCH_ROWS)))
            return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
        s->open->kind = kind;
        s->open->n = 0;
    }
    *b = s->open;
    return RNR_OK;
}

/* Append one row of kind (row_size(kind) bytes at row) to the open batch. */
static int sink_put(struct hf_pqsink *s, enum sink_kind kind, const void *row, rnr_error *err)
{
    sink_batch *b;
    int rc = sink_room(s, kind, &b, err);
    if (!rc)
        memcpy(b->rows + b->n++ * row_size(kind), row, row_size(kind));
    return rc;
}

int hf_pqsink_net(hf_pqsink *s, const hf_net_row *r, rnr_error *err)
{
    return sink_put(s, SINK_NET, r, err);
}

int hf_pqsink_fp(hf_pqsink *s, const hf_fp_row *r, rnr_error *err)
{
    return sink_put(s, SINK_FP, r, err);
}

int hf_pqsink_lake(hf_pqsink *s, int64_t poi, int64_t hf_id, rnr_error *err)
{
    sink_lake l = {poi, hf_id};
    return sink_put(s, SINK_LAKE, &l, err);
}

/* A marker batch of no rows: kind alone says what to do. */
static int sink_marker(struct hf_pqsink *s, enum sink_kind kind, rnr_error *err)
{
    sink_batch *b;
    int rc = sink_room(s, kind, &b, err);
    if (rc)
        return rc;
    s->open = NULL;
    return sink_push(s, b, err);
}

int hf_pqsink_net_done(hf_pqsink *s, rnr_error *err)
{
    return sink_marker(s, SINK_NET_DONE, err);
}

int hf_pqsink_finish(hf_pqsink *s, int reader_rc, size_t *flowpaths, rnr_error *err)
{
    int rc = RNR_OK;
    if (!reader_rc && s->open) {
        sink_batch *last = s->open;
        s->open = NULL;
        rc = sink_push(s, last, err);
    }
    if (reader_rc || rc) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_mutex_unlock(&s->mu);
    }
    /* allocated at the start, so the writer can always be told to end */
    sink_batch *end = s->end;
    s->end = NULL;
    end->kind = SINK_END;
    end->n = 0;
    int end_rc = sink_push(s, end, NULL);
    assert(end_rc == RNR_OK); /* an end marker is queued even after a failure */
    (void)end_rc;
    pthread_join(s->thread, NULL);
    if (!reader_rc && !rc && s->rc && err)
        *err = s->err;
    int out = reader_rc ? reader_rc : rc ? rc : s->rc;
    if (flowpaths)
        *flowpaths = out ? 0 : s->flowpaths;
    free(s->open);
    sqlite3_finalize(s->st_net);
    sqlite3_finalize(s->st_fp);
    sqlite3_finalize(s->st_lake);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->more);
    pthread_cond_destroy(&s->room);
    free(s);
    return out;
}
