/* pp_guard.c - the marker of the output being read and the read deadline
 * (see pp_guard.h). The marker is one page of text, so an operator can
 * read it:
 *   "rnr-pp-reading 1 <strikes> <hung> <size> <mtime> <key length>\n<key>\n"
 * and all NULs when no read is under way. */
#include "services/pp_guard.h"

#include "core/log.h"
#include "core/timeutil.h"

#include <assert.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUARD_PAGE 4096
#define GUARD_TAG "rnr-pp-reading 1"
#define GUARD_HUNG_EXIT 3 /* the process's exit status when a read hung */

typedef struct guard_entry {
    int strikes, hung;
    store_object o; /* o.key malloc'd; NULL: no entry */
} guard_entry;

struct pp_guard {
    char *map;        /* the marker, GUARD_PAGE bytes, MAP_SHARED */
    guard_entry prev; /* what the marker held at open */
    guard_entry cur;  /* being read now (key borrowed from the caller) */
    int64_t deadline_ms;
    _Atomic int64_t since_ms; /* when the current read began; 0: none, -1: hung */
    pthread_t watchdog;
    int watching, stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* Write e into the marker. Only one thread writes at a time: the reader
 * between reads, the watchdog while the reader is stuck in one. */
static void marker_put(pp_guard *g, const guard_entry *e)
{
    char head[160];
    int h = snprintf(head, sizeof head, GUARD_TAG " %d %d %lld %lld %zu\n", e->strikes, e->hung,
                     (long long)e->o.size, (long long)e->o.mtime, strlen(e->o.key));
    size_t k = strlen(e->o.key);
    assert(h > 0 && (size_t)h + k + 2 <= GUARD_PAGE);
    memcpy(g->map + h, e->o.key, k);
    g->map[h + k] = '\n';
    g->map[h + k + 1] = '\0';
    memcpy(g->map, head, (size_t)h); /* the header last: a torn write leaves no tag */
}

/* The entry the marker holds (prev.o.key NULL when none or unreadable). */
static void marker_get(pp_guard *g)
{
    char text[GUARD_PAGE + 1];
    memcpy(text, g->map, GUARD_PAGE);
    text[GUARD_PAGE] = '\0';
    int strikes, hung, used = 0;
    long long size, mtime;
    size_t klen;
    if (sscanf(text, GUARD_TAG " %d %d %lld %lld %zu\n%n", &strikes, &hung, &size, &mtime, &klen,
               &used) != 5 ||
        used <= 0 || klen == 0 || (size_t)used + klen > GUARD_PAGE || strikes < 1)
        return;
    g->prev.o.key = strndup(text + used, klen);
    g->prev.o.size = size;
    g->prev.o.mtime = mtime;
    g->prev.strikes = strikes;
    g->prev.hung = hung != 0;
}

static void hung(pp_guard *g, int64_t ms)
{
    g->cur.hung = 1;
    marker_put(g, &g->cur);
    log_event(LOG_ERROR, "postprocess", "input_hung",
              "{key}: reading it has taken {seconds} s, past the deadline "
              "(RNR_POSTPROCESS_READ_TIMEOUT); stopping this process, the next run takes "
              "the file as unreadable",
              LOG_STR("key", g->cur.o.key), LOG_INT("seconds", ms / 1000));
    /* The reader is stuck inside a library that cannot be interrupted;
     * nothing but ending the process frees it. */
    _exit(GUARD_HUNG_EXIT);
}

static void *watch(void *arg)
{
    pp_guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&g->cv, &g->mu, &ts);
        int64_t since = atomic_load(&g->since_ms), now = time_mono_ms();
        /* claimed (-1) only while that read is still under way: the reader
         * cannot move on to another output behind the watchdog's back */
        if (!g->stop && since > 0 && now - since > g->deadline_ms &&
            atomic_compare_exchange_strong(&g->since_ms, &since, -1))
            hung(g, now - since);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

static int start_watchdog(pp_guard *g)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
        pthread_cond_init(&g->cv, &ca) || pthread_mutex_init(&g->mu, NULL)) {
        pthread_condattr_destroy(&ca);
        return -1;
    }
    pthread_condattr_destroy(&ca);
    g->watching = pthread_create(&g->watchdog, NULL, watch, g) == 0;
    if (!g->watching) {
        pthread_cond_destroy(&g->cv);
        pthread_mutex_destroy(&g->mu);
    }
    return g->watching ? 0 : -1;
}

int pp_guard_open(const char *state_dir, unsigned deadline_s, pp_guard **out, rnr_error *err)
{
    *out = NULL;
    char path[1200];
    snprintf(path, sizeof path, "%s/postprocess.reading", state_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 || ftruncate(fd, GUARD_PAGE) != 0) {
        if (fd >= 0)
            close(fd);
        return rnr_error_set(err, RNR_ERR_IO, "postprocess: cannot make the read marker %s", path);
    }
    void *m = mmap(NULL, GUARD_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd); /* the mapping keeps the file */
    pp_guard *g = m == MAP_FAILED ? NULL : calloc(1, sizeof *g);
    if (!g) {
        if (m != MAP_FAILED)
            munmap(m, GUARD_PAGE);
        return rnr_error_set(err, RNR_ERR_NOMEM, "postprocess: cannot map the read marker %s",
                             path);
    }
    g->map = m;
    marker_get(g);
    g->deadline_ms = (int64_t)deadline_s * 1000;
    if (deadline_s > 0 && start_watchdog(g) != 0)
        log_warn("postprocess", "cannot start the read watchdog; reading without a deadline");
    *out = g;
    return RNR_OK;
}

int pp_guard_poisoned(const pp_guard *g, store_object *o, char *why, size_t n)
{
    if (!g->prev.o.key || (!g->prev.hung && g->prev.strikes < 2))
        return 0;
    *o = g->prev.o;
    snprintf(why, n,
             g->prev.hung ? "reading it hung a previous run past the deadline"
                          : "two runs in a row stopped while reading it (crashed or killed)");
    return 1;
}

static int same_object(const store_object *a, const store_object *b)
{
    return a->key && b->key && a->size == b->size && a->mtime == b->mtime &&
           strcmp(a->key, b->key) == 0;
}

void pp_guard_enter(pp_guard *g, const store_object *o)
{
    if (!g || strlen(o->key) + 200 > GUARD_PAGE)
        return;
    g->cur.o = *o;
    g->cur.hung = 0;
    g->cur.strikes = same_object(o, &g->prev.o) ? g->prev.strikes + 1 : 1;
    marker_put(g, &g->cur);
    atomic_store(&g->since_ms, time_mono_ms());
}

void pp_guard_leave(pp_guard *g)
{
    if (g && atomic_exchange(&g->since_ms, 0) == -1)
        for (;;) /* the read outlasted the deadline: the watchdog is ending the process */
            pause();
}

void pp_guard_close(pp_guard *g)
{
    if (!g)
        return;
    if (g->watching) {
        pthread_mutex_lock(&g->mu);
        g->stop = 1;
        pthread_cond_signal(&g->cv);
        pthread_mutex_unlock(&g->mu);
        pthread_join(g->watchdog, NULL);
        pthread_cond_destroy(&g->cv);
        pthread_mutex_destroy(&g->mu);
    }
    memset(g->map, 0, GUARD_PAGE); /* no read under way */
    munmap(g->map, GUARD_PAGE);
    free(g->prev.o.key);
    free(g);
}
