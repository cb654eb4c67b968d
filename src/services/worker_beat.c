/* worker_beat.c - the worker's heartbeat thread.
 *
 * The health file used to be touched only between messages, so a worker
 * busy with a long product (or downloading the hydrofabric at start) was
 * killed as unhealthy, and its lease ran out under it. The beat touches
 * the file and renews the lease while the worker makes progress: the
 * worker's progress counter moved (HTTP bytes arriving, a site step done)
 * or a watched download grew within the stall window. A worker stuck
 * without progress lets both lapse, so the container is replaced and the
 * message handed to another worker. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "services/worker_internal.h"

struct worker_beat {
    worker_beat_opts o;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;           /* under mu */
    rnr_queue *lease_q; /* under mu: the delivery to renew */
    uint64_t lease_tag;
    int64_t renewed_at; /* monotonic ms of the last renewal (or hold) */
    unsigned long seen; /* progress at the last beat */
    long long watched;  /* bytes in the watched files at the last beat */
    int64_t moved_at;   /* monotonic ms progress was last seen */
};

/* Total size of watch_dir/watch_prefix*, or -1 when nothing is watched. */
static long long watched_bytes(const worker_beat_opts *o)
{
    if (!o->watch_dir || !o->watch_prefix)
        return -1;
    DIR *d = opendir(o->watch_dir);
    if (!d)
        return -1;
    long long total = 0;
    size_t n = strlen(o->watch_prefix);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, o->watch_prefix, n) != 0)
            continue;
        struct stat st;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", o->watch_dir, de->d_name);
        if (stat(path, &st) == 0)
            total += (long long)st.st_size;
    }
    closedir(d);
    return total;
}

static void beat_once(worker_beat *b)
{
    int64_t now = time_mono_ms();
    unsigned long p = __atomic_load_n(b->o.progress, __ATOMIC_RELAXED);
    long long bytes = watched_bytes(&b->o);
    if (p != b->seen || bytes != b->watched) {
        b->seen = p;
        b->watched = bytes;
        b->moved_at = now;
    }
    if (now - b->moved_at > b->o.stall_ms) {
        log_debug("worker", "no progress for %lld ms: heartbeat withheld",
                  (long long)(now - b->moved_at));
        return;
    }
    worker_health_touch(b->o.health_file);
    pthread_mutex_lock(&b->mu);
    if (b->lease_q && now - b->renewed_at >= b->o.renew_ms) {
        rnr_error e = {0};
        if (queue_extend(b->lease_q, b->lease_tag, &e) == RNR_OK)
            b->renewed_at = now;
        else
            log_warn("worker", "cannot renew the lease: %s", e.msg);
    }
    pthread_mutex_unlock(&b->mu);
}

static void *beat_main(void *arg)
{
    worker_beat *b = arg;
    pthread_mutex_lock(&b->mu);
    while (!b->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t ns = ts.tv_nsec + (b->o.beat_ms % 1000) * 1000000;
        ts.tv_sec += b->o.beat_ms / 1000 + ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        int rc = 0;
        while (!b->stop && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&b->cv, &b->mu, &ts);
        if (b->stop)
            break;
        pthread_mutex_unlock(&b->mu);
        beat_once(b);
        pthread_mutex_lock(&b->mu);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

int worker_beat_start(const worker_beat_opts *o, worker_beat **out, rnr_error *err)
{
    *out = NULL;
    worker_beat *b = calloc(1, sizeof *b);
    if (!b)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    b->o = *o;
    b->seen = __atomic_load_n(o->progress, __ATOMIC_RELAXED);
    b->watched = watched_bytes(o);
    b->moved_at = time_mono_ms();
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int bad = pthread_mutex_init(&b->mu, NULL) | pthread_cond_init(&b->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (bad || pthread_create(&b->th, NULL, beat_main, b) != 0) {
        free(b);
        return rnr_error_set(err, RNR_ERR_INTERNAL, "cannot start the worker's heartbeat");
    }
    *out = b;
    return RNR_OK;
}

void worker_beat_hold(worker_beat *b, rnr_queue *q, uint64_t tag)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->lease_q = q;
    b->lease_tag = tag;
    b->renewed_at = time_mono_ms();
    pthread_mutex_unlock(&b->mu);
}

void worker_beat_release(worker_beat *b)
{
    worker_beat_hold(b, NULL, 0);
}

void worker_beat_stop(worker_beat *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->stop = 1;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->th, NULL);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    free(b);
}
