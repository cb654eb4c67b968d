/* worker_stats.c - the worker's stats file (JSON, written atomically), its
 * health file and its strict environment integers. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/durable.h"
#include "core/log.h"
#include "services/worker.h"
#include "services/worker_internal.h"

void worker_health_touch(const char *path)
{
    if (!path || !*path)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || futimens(fd, NULL) != 0)
        log_warn("worker", "cannot touch health file %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
}

void worker_test_fault(const char *body)
{
    const char *f = getenv("RNR_TEST_FAULT");
    if (!f || strncmp(f, "abort:", 6) != 0 || !f[6] || !body || !strstr(body, f + 6))
        return;
    log_error("worker", "RNR_TEST_FAULT: aborting on this message");
    abort();
}

static uint64_t body_hash(const char *body, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)body[i];
        h *= 1099511628211ULL;
    }
    return h ? h : 1; /* 0 marks a free slot */
}

static int attempts_slot(const worker_attempts *a, uint64_t h)
{
    for (int i = 0; i < WORKER_ATTEMPTS_SLOTS; i++)
        if (a->key[i] == h)
            return i;
    return -1;
}

int worker_attempts_fail(worker_attempts *a, const char *body, size_t len, int delivery_count)
{
    uint64_t h = body_hash(body, len);
    int i = attempts_slot(a, h);
    if (i < 0) {
        i = (int)(a->next++ % WORKER_ATTEMPTS_SLOTS);
        a->key[i] = h;
        a->failures[i] = 0;
    }
    a->failures[i]++;
    return delivery_count > 0 ? delivery_count : a->failures[i];
}

void worker_attempts_forget(worker_attempts *a, const char *body, size_t len)
{
    int i = attempts_slot(a, body_hash(body, len));
    if (i >= 0) {
        a->key[i] = 0;
        a->failures[i] = 0;
    }
}

typedef struct stat_field {
    const char *name;
    size_t off;
} stat_field;

static const stat_field stat_fields[] = {
    {"messages", offsetof(worker_stats, messages)},
    {"acked", offsetof(worker_stats, acked)},
    {"retried", offsetof(worker_stats, retried)},
    {"dead", offsetof(worker_stats, dead)},
    {"sites", offsetof(worker_stats, sites)},
    {"routed", offsetof(worker_stats, routed)},
    {"failed_sites", offsetof(worker_stats, failed_sites)},
    {"outputs", offsetof(worker_stats, outputs)},
    {"sites_deferred", offsetof(worker_stats, sites_deferred)},
    {"sites_retried", offsetof(worker_stats, sites_retried)},
    {"sites_dead", offsetof(worker_stats, sites_dead)},
    {"busy", offsetof(worker_stats, busy)},
    {"pid", offsetof(worker_stats, pid)},
};
#define NFIELDS (sizeof stat_fields / sizeof stat_fields[0])

static int *field_ptr(worker_stats *st, size_t i)
{
    return (int *)((char *)st + stat_fields[i].off);
}

const char *worker_step_name(int step)
{
    static const char *const names[WORKER_STEP_COUNT] = {"fetch", "cut", "route", "netcdf",
                                                         "store"};
    return step >= 0 && step < WORKER_STEP_COUNT ? names[step] : "?";
}

void worker_stats_add(worker_stats *into, const worker_stats *st)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (strcmp(stat_fields[i].name, "busy") != 0 && strcmp(stat_fields[i].name, "pid") != 0)
            *field_ptr(into, i) += *field_ptr((worker_stats *)st, i);
    for (int r = 0; r < NWS_SKIP_COUNT; r++)
        into->skipped[r] += st->skipped[r];
    for (int k = 0; k < WORKER_STEP_COUNT; k++)
        prom_hist_add(&into->steps[k], &st->steps[k]);
}

/* {"fetch": {"count": n, "sum": s, "buckets": [...]}, ...}; steps never
 * run are left out. */
static json_t *steps_json(const worker_stats *st)
{
    json_t *o = json_object();
    for (int k = 0; o && k < WORKER_STEP_COUNT; k++) {
        const prom_hist *h = &st->steps[k];
        if (!h->count)
            continue;
        json_t *b = json_array();
        for (int i = 0; i < PROM_NBUCKETS; i++)
            json_array_append_new(b, json_integer((json_int_t)h->bucket[i]));
        json_object_set_new(
            o, worker_step_name(k),
            json_pack("{s:I,s:f,s:o}", "count", (json_int_t)h->count, "sum", h->sum, "buckets", b));
    }
    return o;
}

static int count_ok(json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) >= 0;
}

/* One step's histogram from the stats file; absent is empty. */
static int step_read(json_t *o, const char *path, int k, prom_hist *h, rnr_error *err)
{
    json_t *j = json_object_get(o, worker_step_name(k));
    if (!j)
        return RNR_OK;
    json_t *b = json_object_get(j, "buckets"), *sum = json_object_get(j, "sum");
    int ok = json_is_object(j) && count_ok(json_object_get(j, "count")) && json_is_number(sum) &&
             json_number_value(sum) >= 0 && json_is_array(b) && json_array_size(b) == PROM_NBUCKETS;
    for (size_t i = 0; ok && i < PROM_NBUCKETS; i++)
        ok = count_ok(json_array_get(b, i));
    if (!ok)
        return rnr_error_set(err, RNR_ERR_PARSE, "stats file %s: step \"%s\" is not a histogram",
                             path, worker_step_name(k));
    h->count = (unsigned long long)json_integer_value(json_object_get(j, "count"));
    h->sum = json_number_value(sum);
    for (size_t i = 0; i < PROM_NBUCKETS; i++)
        h->bucket[i] = (unsigned long long)json_integer_value(json_array_get(b, i));
    return RNR_OK;
}

int worker_stats_write(const worker_stats *st, const char *path, rnr_error *err)
{
    json_t *o = json_object(), *sk = json_object();
    if (!o || !sk) {
        json_decref(o);
        json_decref(sk);
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    }
    worker_stats copy = *st;
    for (size_t i = 0; i < NFIELDS; i++)
        json_object_set_new(o, stat_fields[i].name, json_integer(*field_ptr(&copy, i)));
    for (int r = 1; r < NWS_SKIP_COUNT; r++)
        json_object_set_new(sk, nws_skip_name(r), json_integer(st->skipped[r]));
    json_object_set_new(o, "skipped", sk);
    json_object_set_new(o, "steps", steps_json(st));
    /* Rewritten at every settle; a copy lost to a power cut only
     * undercounts one run: atomic, not fsync'd. */
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(o);
    if (!text)
        return rnr_error_set(err, RNR_ERR_NOMEM, "stats file %s: out of memory", path);
    int rc = durable_write_file(path, text, strlen(text), NULL, err);
    free(text);
    if (rc != RNR_OK)
        rnr_error_prefix(err, "cannot write stats file");
    return rc;
}

static int stat_int(json_t *v, const char *path, const char *name, int *out, rnr_error *err)
{
    if (!v) {
        *out = 0;
        return RNR_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 2147483647)
        return rnr_error_set(err, RNR_ERR_PARSE, "stats file %s: \"%s\" is not a count", path,
                             name);
    *out = (int)json_integer_value(v);
    return RNR_OK;
}

int worker_stats_read(const char *path, worker_stats *st, rnr_error *err)
{
    memset(st, 0, sizeof *st);
    json_error_t je;
    json_t *o = json_load_file(path, 0, &je);
    if (!o)
        return rnr_error_set(err, errno == ENOENT ? RNR_ERR_NOTFOUND : RNR_ERR_PARSE,
                             "stats file %s: %s", path, je.text);
    int rc = json_is_object(o)
                 ? RNR_OK
                 : rnr_error_set(err, RNR_ERR_PARSE, "stats file %s: not an object", path);
    for (size_t i = 0; !rc && i < NFIELDS; i++)
        rc = stat_int(json_object_get(o, stat_fields[i].name), path, stat_fields[i].name,
                      field_ptr(st, i), err);
    json_t *sk = json_object_get(o, "skipped");
    if (!rc && sk && !json_is_object(sk))
        rc = rnr_error_set(err, RNR_ERR_PARSE, "stats file %s: \"skipped\" is not an object", path);
    for (int r = 1; !rc && sk && r < NWS_SKIP_COUNT; r++)
        rc = stat_int(json_object_get(sk, nws_skip_name(r)), path, nws_skip_name(r),
                      &st->skipped[r], err);
    json_t *steps = json_object_get(o, "steps");
    if (!rc && steps && !json_is_object(steps))
        rc = rnr_error_set(err, RNR_ERR_PARSE, "stats file %s: \"steps\" is not an object", path);
    for (int k = 0; !rc && steps && k < WORKER_STEP_COUNT; k++)
        rc = step_read(steps, path, k, &st->steps[k], err);
    json_decref(o);
    if (rc)
        memset(st, 0, sizeof *st);
    return rc;
}
