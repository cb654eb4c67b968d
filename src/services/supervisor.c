/* supervisor.c - the worker process pool behind `rnr up` and the embedded
 * rnr_fleet port. See supervisor.h. */
#include "services/supervisor.h"

#include "core/log.h"
#include "core/timeutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum slot_state { SLOT_EMPTY = 0, SLOT_RUNNING, SLOT_STOPPING, SLOT_BACKOFF };

typedef struct slot {
    int state;
    pid_t pid;
    int64_t started_ms;
    int64_t deadline_ms; /* STOPPING: SIGKILL after; BACKOFF: start after */
    int failures;        /* consecutive early exits, for the backoff */
    int killed;          /* SIGKILL sent */
} slot;

struct supervisor {
    char **argv; /* copy of the command line */
    int argc;
    char *stats_dir;
    char **stats_files; /* one per start */
    int nstats, capstats;
    int min, max, desired;
    int grace_ms, backoff_initial_ms, backoff_max_ms, stable_ms;
    const volatile sig_atomic_t *signals;
    slot *slots; /* 2 * max: draining workers keep their slot */
    int nslots;
    supervisor_counts counts;
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int supervisor_new(const supervisor_opts *o, supervisor **out, rnr_error *err)
{
    *out = NULL;
    if (!o->argv || !o->argv[0])
        return rnr_error_set(err, RNR_ERR_INVALID, "supervisor: no worker command line");
    if (o->min_workers < 0 || o->max_workers < 1 || o->min_workers > o->max_workers)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "supervisor: workers min %d max %d: need 0 <= min <= max, max >= 1",
                             o->min_workers, o->max_workers);
    supervisor *s = calloc(1, sizeof *s);
    if (!s)
        return rnr_error_set(err, RNR_ERR_NOMEM, "supervisor: out of memory");
    while (o->argv[s->argc])
        s->argc++;
    s->argv = calloc((size_t)s->argc + 1, sizeof *s->argv);
    s->nslots = 2 * o->max_workers;
    s->slots = calloc((size_t)s->nslots, sizeof *s->slots);
    int bad = !s->argv || !s->slots;
    for (int i = 0; !bad && i < s->argc; i++)
        bad = !(s->argv[i] = strdup(o->argv[i]));
    if (!bad && o->stats_dir)
        bad = !(s->stats_dir = dup_or_null(o->stats_dir));
    if (bad) {
        supervisor_free(s);
        return rnr_error_set(err, RNR_ERR_NOMEM, "supervisor: out of memory");
    }
    s->min = o->min_workers;
    s->max = o->max_workers;
    s->desired = o->min_workers;
    s->grace_ms = o->grace_ms > 0 ? o->grace_ms : 30000;
    s->backoff_initial_ms = o->backoff_initial_ms > 0 ? o->backoff_initial_ms : 500;
    s->backoff_max_ms = o->backoff_max_ms > 0 ? o->backoff_max_ms : 30000;
    s->stable_ms = o->stable_ms > 0 ? o->stable_ms : 30000;
    s->signals = o->signals;
    *out = s;
    return RNR_OK;
}

void supervisor_free(supervisor *s)
{
    if (!s)
        return;
    if (s->slots)
        supervisor_stop_all(s, s->grace_ms);
    for (int i = 0; s->argv && i < s->argc; i++)
        free(s->argv[i]);
    free(s->argv);
    for (int i = 0; i < s->nstats; i++)
        free(s->stats_files[i]);
    free(s->stats_files);
    free(s->stats_dir);
    free(s->slots);
    free(s);
}

void supervisor_set_desired(supervisor *s, int n)
{
    s->desired = n < s->min ? s->min : n > s->max ? s->max : n;
}

int supervisor_desired(const supervisor *s)
{
    return s->desired;
}

static int count_state(const supervisor *s, int state)
{
    int n = 0;
    for (int i = 0; i < s->nslots; i++)
        n += s->slots[i].state == state;
    return n;
}

int supervisor_running(const supervisor *s)
{
    return count_state(s, SLOT_RUNNING);
}
int supervisor_stopping(const supervisor *s)
{
    return count_state(s, SLOT_STOPPING);
}

void supervisor_get_counts(const supervisor *s, supervisor_counts *out)
{
    *out = s->counts;
}

int supervisor_pids(const supervisor *s, int *pids, int n)
{
    int k = 0;
    for (int i = 0; i < s->nslots && k < n; i++)
        if (s->slots[i].state == SLOT_RUNNING)
            pids[k++] = (int)s->slots[i].pid;
    return k;
}

const char *supervisor_stats_file(const supervisor *s, int i)
{
    return i >= 0 && i < s->nstats ? s->stats_files[i] : NULL;
}

/* The next stats file name, remembered so the caller can sum them. */
static const char *next_stats_file(supervisor *s)
{
    if (!s->stats_dir)
        return NULL;
    if (s->nstats == s->capstats) {
        int cap = s->capstats ? 2 * s->capstats : 8;
        char **f = realloc(s->stats_files, (size_t)cap * sizeof *f);
        if (!f)
            return NULL;
        s->stats_files = f;
        s->capstats = cap;
    }
    char buf[4096];
    snprintf(buf, sizeof buf, "%s/worker-%d.json", s->stats_dir, s->nstats + 1);
    char *p = strdup(buf);
    if (!p)
        return NULL;
    s->stats_files[s->nstats++] = p;
    return p;
}

/* In the child: default signal dispositions, an empty mask, die with the
 * parent, then exec. Only async-signal-safe calls after fork. */
static void child_exec(char *const *argv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    execv(argv[0], argv);
    static const char msg[] = "supervisor: exec of the worker failed\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    _exit(127);
}

static int slot_start(supervisor *s, slot *sl, rnr_error *err)
{
    const char *stats = next_stats_file(s);
    char **argv = calloc((size_t)s->argc + 3, sizeof *argv);
    if (!argv)
        return rnr_error_set(err, RNR_ERR_NOMEM, "supervisor: out of memory");
    memcpy(argv, s->argv, (size_t)s->argc * sizeof *argv);
    if (stats) {
        argv[s->argc] = "--stats-file";
        argv[s->argc + 1] = (char *)stats;
    }
    pid_t pid = fork();
    if (pid == 0)
        child_exec(argv);
    free(argv);
    if (pid < 0) {
        sl->state = SLOT_BACKOFF;
        sl->deadline_ms = time_mono_ms() + s->backoff_max_ms;
        return rnr_error_set(err, RNR_ERR_IO, "supervisor: fork: %s", strerror(errno));
    }
    sl->state = SLOT_RUNNING;
    sl->pid = pid;
    sl->started_ms = time_mono_ms();
    sl->killed = 0;
    s->counts.started++;
    log_event(LOG_INFO, "supervisor", "worker_started", "started worker pid={pid}",
              LOG_INT("pid", pid), LOG_INT("slot", sl - s->slots),
              LOG_INT("restarts", s->counts.restarts));
    return RNR_OK;
}

static slot *slot_by_pid(supervisor *s, pid_t pid)
{
    for (int i = 0; i < s->nslots; i++)
        if (s->slots[i].state != SLOT_EMPTY && s->slots[i].state != SLOT_BACKOFF &&
            s->slots[i].pid == pid)
            return &s->slots[i];
    return NULL;
}

static void describe_status(int status, char *buf, size_t n)
{
    if (WIFEXITED(status))
        snprintf(buf, n, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, n, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, n, "status 0x%x", status);
}

/* A child is gone: a requested stop frees the slot, anything else waits
 * for its restart with a delay doubling per consecutive early exit. */
static void on_exit_status(supervisor *s, slot *sl, int status)
{
    char why[96];
    describe_status(status, why, sizeof why);
    int64_t now = time_mono_ms();
    if (sl->state == SLOT_STOPPING) {
        if (sl->killed)
            s->counts.killed++;
        else
            s->counts.stopped++;
        log_event(LOG_INFO, "supervisor", "worker_stopped", "worker pid={pid} stopped: {status}",
                  LOG_INT("pid", sl->pid), LOG_STR("status", why), LOG_INT("killed", sl->killed));
        sl->state = SLOT_EMPTY;
        return;
    }
    s->counts.exited++;
    if (now - sl->started_ms >= s->stable_ms)
        sl->failures = 0;
    int64_t delay = s->backoff_initial_ms;
    for (int i = 0; i < sl->failures && delay < s->backoff_max_ms; i++)
        delay *= 2;
    if (delay > s->backoff_max_ms)
        delay = s->backoff_max_ms;
    sl->failures++;
    log_event(LOG_WARN, "supervisor", "worker_exited",
              "worker pid={pid} exited unexpectedly: {status}; restart in {delay_ms} ms",
              LOG_INT("pid", sl->pid), LOG_STR("status", why), LOG_INT("delay_ms", delay),
              LOG_INT("failures", sl->failures), LOG_INT("uptime_ms", now - sl->started_ms));
    sl->state = SLOT_BACKOFF;
    sl->deadline_ms = now + delay;
}

static void reap(supervisor *s)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            return;
        slot *sl = slot_by_pid(s, pid);
        if (sl)
            on_exit_status(s, sl, status);
    }
}

static void slot_stop(supervisor *s, slot *sl, int grace_ms)
{
    if (sl->state == SLOT_BACKOFF) {
        sl->state = SLOT_EMPTY;
        return;
    }
    kill(sl->pid, SIGTERM);
    sl->state = SLOT_STOPPING;
    sl->deadline_ms = time_mono_ms() + grace_ms;
    (void)s;
}

static void kill_overdue(supervisor *s, int64_t now)
{
    for (int i = 0; i < s->nslots; i++) {
        slot *sl = &s->slots[i];
        if (sl->state == SLOT_STOPPING && !sl->killed && now >= sl->deadline_ms) {
            log_event(LOG_WARN, "supervisor", "worker_killed",
                      "worker pid={pid} still running after its grace period: SIGKILL",
                      LOG_INT("pid", sl->pid));
            kill(sl->pid, SIGKILL);
            sl->killed = 1;
        }
    }
}

/* Move the pool towards the desired count: stop the newest extras, start
 * into free slots, restart the slots whose backoff ran out. */
static int scale(supervisor *s, int64_t now, rnr_error *err)
{
    int active = count_state(s, SLOT_RUNNING) + count_state(s, SLOT_BACKOFF);
    for (int i = s->nslots - 1; i >= 0 && active > s->desired; i--) {
        slot *sl = &s->slots[i];
        if (sl->state == SLOT_BACKOFF || sl->state == SLOT_RUNNING) {
            if (sl->state == SLOT_RUNNING)
                log_event(LOG_INFO, "supervisor", "worker_stopping",
                          "stopping worker pid={pid} (scale to {desired})", LOG_INT("pid", sl->pid),
                          LOG_INT("desired", s->desired));
            slot_stop(s, sl, s->grace_ms);
            active--;
        }
    }
    int rc = RNR_OK;
    for (int i = 0; i < s->nslots; i++) {
        slot *sl = &s->slots[i];
        if (sl->state == SLOT_BACKOFF && now >= sl->deadline_ms) {
            s->counts.restarts++;
            if (slot_start(s, sl, err) != RNR_OK)
                rc = err->code;
        }
    }
    for (int i = 0; i < s->nslots && active < s->desired; i++) {
        slot *sl = &s->slots[i];
        if (sl->state != SLOT_EMPTY)
            continue;
        sl->failures = 0;
        if (slot_start(s, sl, err) != RNR_OK)
            rc = err->code;
        active++;
    }
    return rc;
}

int supervisor_poll(supervisor *s, rnr_error *err)
{
    reap(s);
    int64_t now = time_mono_ms();
    kill_overdue(s, now);
    return scale(s, now, err);
}

void supervisor_stop_all(supervisor *s, int grace_ms)
{
    s->desired = 0;
    reap(s);
    for (int i = 0; i < s->nslots; i++) {
        slot *sl = &s->slots[i];
        if (sl->state == SLOT_RUNNING || sl->state == SLOT_BACKOFF)
            slot_stop(s, sl, grace_ms);
        else if (sl->state == SLOT_STOPPING && sl->deadline_ms > time_mono_ms() + grace_ms)
            sl->deadline_ms = time_mono_ms() + grace_ms;
    }
    /* Bounded: every worker is SIGKILLed at its deadline, and a SIGKILLed
     * process is reaped within moments; 5 s more covers a stuck reap. */
    int64_t limit = time_mono_ms() + grace_ms + 5000;
    int hurried = 0;
    while (count_state(s, SLOT_STOPPING) > 0 && time_mono_ms() < limit) {
        reap(s);
        if (!hurried && s->signals && *s->signals >= 2) {
            log_warn("supervisor", "second signal: not waiting for the workers to drain");
            hurried = 1;
            for (int i = 0; i < s->nslots; i++)
                s->slots[i].deadline_ms = 0;
        }
        kill_overdue(s, time_mono_ms());
        if (count_state(s, SLOT_STOPPING) > 0)
            time_sleep_ms(20);
    }
    for (int i = 0; i < s->nslots; i++)
        if (s->slots[i].state == SLOT_STOPPING) {
            log_error("supervisor", "worker pid=%d did not exit after SIGKILL",
                      (int)s->slots[i].pid);
            s->slots[i].state = SLOT_EMPTY;
        }
}

/* rnr_fleet over the supervisor. */
static int fleet_sv_running(void *self, int *running, rnr_error *err)
{
    (void)err;
    *running = supervisor_running(self);
    return RNR_OK;
}

static int fleet_sv_set_desired(void *self, int n, rnr_error *err)
{
    (void)err;
    supervisor_set_desired(self, n);
    return RNR_OK;
}

static void fleet_sv_close(void *self)
{
    (void)self;
}

static const fleet_ops supervisor_fleet_ops = {fleet_sv_running, fleet_sv_set_desired,
                                               fleet_sv_close};

int supervisor_fleet_new(supervisor *s, rnr_fleet **out, rnr_error *err)
{
    rnr_fleet *f = calloc(1, sizeof *f);
    if (!f)
        return rnr_error_set(err, RNR_ERR_NOMEM, "supervisor: out of memory");
    f->ops = &supervisor_fleet_ops;
    f->self = s;
    *out = f;
    return RNR_OK;
}
