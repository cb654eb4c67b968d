/* up.c - `rnr up`: the schedules loop, the --once cycle and the pool of
 * workers they share. See up.h for the split between in-process jobs and
 * worker processes. */
#include "services/up.h"

#include "ports/backends.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "services/autoscaler.h"
#include "services/schedule.h"
#include "services/up_http.h"
#include "services/up_status.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Beyond the workers' own grace period, before the supervisor SIGKILLs. */
#define UP_STOP_MARGIN_MS 5000
#define UP_TICK_MS 100
/* Counting outputs lists the store (a LIST request on S3): not every redraw. */
#define UP_LIST_EVERY_MS 3000
/* How often the HTTP view is refreshed between jobs (it is also refreshed
 * after each job): a queue depth and the workers' stats files. */
#define UP_PUBLISH_EVERY_MS 2000
#define UP_DEAD_SHOWN 5

typedef struct up_ctx {
    const rnr_config *cfg;
    const up_opts *o;
    up_summary *sum;
    rnr_queue *queue; /* depth and dead letters */
    rnr_queue *sites; /* "<queue>.sites": the per-site follow-ups */
    rnr_store *store; /* live output count */
    supervisor *pool;
    char stats_dir[4096];
    int64_t start_s;
    up_status status;
    int outputs;           /* last count, refreshed every UP_LIST_EVERY_MS */
    int64_t outputs_at_ms; /* monotonic time of that count, 0 = never */
    up_http *http;         /* NULL without --http */
    int64_t publish_at_ms; /* next HTTP view refresh (monotonic) */
    const char *cycle;     /* "running", "done", "stopping" */
    int collected;         /* the stats files are summed into sum->work and gone */
    int runs[UP_JOB_COUNT], failed[UP_JOB_COUNT];
    int64_t last_ok[UP_JOB_COUNT];
    int64_t dead_listed; /* the dead count the reasons below were listed at */
    char *dead[UP_DEAD_SHOWN];
    int ndead;
} up_ctx;

static void job_done(up_ctx *u, int job, int ok);

static void note_error(up_summary *sum, const char *job, const rnr_error *err)
{
    /* most messages already name their component */
    size_t n = strlen(job);
    const char *sep = strncmp(err->msg, job, n) == 0 && err->msg[n] == ':' ? "" : ": ";
    if (!*sep)
        job = "";
    log_error("up", "%s%s%s", job, sep, err->msg);
    if (!sum->error[0])
        snprintf(sum->error, sizeof sum->error, "%s%s%s", job, sep, err->msg);
}

static int open_pool(up_ctx *u, int min, int max, rnr_error *err)
{
    snprintf(u->stats_dir, sizeof u->stats_dir, "%s/up-workers.XXXXXX", u->cfg->state_dir);
    if (!mkdtemp(u->stats_dir))
        return rnr_error_set(err, RNR_ERR_IO, "%s: %s", u->stats_dir, strerror(errno));
    const char *argv[] = {u->o->exe, "worker", NULL};
    supervisor_opts so = {.argv = argv,
                          .stats_dir = u->stats_dir,
                          .min_workers = min,
                          .max_workers = max,
                          .grace_ms = u->cfg->grace_s * 1000 + UP_STOP_MARGIN_MS,
                          .signals = u->o->stop};
    return supervisor_new(&so, &u->pool, err);
}

/* Sum the stats files of every worker started so far (one per start, so
 * a restarted worker's counts stay in its predecessor's file). */
static void sum_stats(up_ctx *u, worker_stats *tot)
{
    memset(tot, 0, sizeof *tot);
    int pids[256];
    int n = u->pool ? supervisor_pids(u->pool, pids, 256) : 0;
    for (int i = 0; u->pool && supervisor_stats_file(u->pool, i); i++) {
        const char *f = supervisor_stats_file(u->pool, i);
        worker_stats st;
        rnr_error err;
        if (access(f, F_OK) != 0)
            continue; /* killed before it could write: its message was redelivered */
        if (worker_stats_read(f, &st, &err) != RNR_OK) {
            log_warn("up", "%s", err.msg);
            continue;
        }
        worker_stats_add(tot, &st);
        for (int k = 0; st.busy && k < n; k++)
            tot->busy += pids[k] == st.pid; /* a killed worker's file stays "busy" */
    }
}

/* Sum the workers' stats files into the summary, then remove them and
 * their directory. */
static void collect_stats(up_ctx *u)
{
    worker_stats tot;
    sum_stats(u, &tot);
    worker_stats_add(&u->sum->work, &tot);
    for (int i = 0; u->pool && supervisor_stats_file(u->pool, i); i++)
        unlink(supervisor_stats_file(u->pool, i));
    if (u->stats_dir[0])
        rmdir(u->stats_dir);
    u->collected = 1;
}

static int64_t add_known(int64_t a, int64_t b)
{
    return a < 0 || b < 0 ? -1 : a + b;
}

/* The products' queue and the sites' follow-ups together: a cycle is done
 * only when both are, and a site's dead letter is a dead letter. */
static void read_depth(up_ctx *u, queue_depth *d)
{
    rnr_error err;
    queue_depth s = {0, 0, 0};
    if (queue_get_depth(u->queue, d, &err) != RNR_OK ||
        (u->sites && queue_get_depth(u->sites, &s, &err) != RNR_OK)) {
        log_warn("up", "queue depth: %s", err.msg);
        d->ready = d->unacked = d->dead = -1;
        return;
    }
    d->ready = add_known(d->ready, s.ready);
    /* a known count of messages in flight wins over the other queue's
     * unknown one: something is in flight either way */
    d->unacked = d->unacked > 0 || s.unacked > 0
                     ? (d->unacked > 0 ? d->unacked : 0) + (s.unacked > 0 ? s.unacked : 0)
                     : add_known(d->unacked, s.unacked);
    d->dead = add_known(d->dead, s.dead);
}

/* Outputs stored since this run started (a listing of the output prefix). */
static int count_outputs(up_ctx *u)
{
    store_list l = {0};
    rnr_error err;
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s/", u->cfg->output_prefix);
    if (store_list_prefix(u->store, prefix, &l, &err) != RNR_OK)
        return -1;
    int n = 0;
    for (size_t i = 0; i < l.n; i++) {
        size_t k = strlen(l.items[i].key);
        n += k > 3 && strcmp(l.items[i].key + k - 3, ".nc") == 0 && l.items[i].mtime >= u->start_s;
    }
    store_list_clear(&l);
    return n;
}

static void refresh_status(up_ctx *u, int force)
{
    if (!up_status_due(&u->status, force))
        return;
    int64_t now = time_mono_ms();
    if (force || !u->outputs_at_ms || now - u->outputs_at_ms >= UP_LIST_EVERY_MS) {
        u->outputs = count_outputs(u);
        u->outputs_at_ms = now;
    }
    queue_depth d;
    read_depth(u, &d);
    supervisor_counts c;
    supervisor_get_counts(u->pool, &c);
    up_status_view v = {
        .ready = d.ready,
        .unacked = d.unacked,
        .dead = d.dead >= 0 && u->sum->dead_before >= 0 ? d.dead - u->sum->dead_before : d.dead,
        .running = supervisor_running(u->pool),
        .desired = supervisor_desired(u->pool),
        .outputs = u->outputs,
        .errors = c.exited};
    up_status_show(&u->status, &v);
}

static void run_producer(up_ctx *u, producer *p)
{
    rnr_error err;
    producer_counts c = {0};
    u->sum->producer_ran++;
    int ok = producer_cycle(p, 0, &c, &err) == RNR_OK;
    if (!ok) {
        note_error(u->sum, "producer", &err);
        u->sum->producer_ok = 0;
    }
    u->sum->products.seen += c.seen;
    u->sum->products.new_products += c.new_products;
    u->sum->products.published += c.published;
    u->sum->products.failed += c.failed;
    u->sum->products.deferred += c.deferred;
    log_info("up", "producer: seen=%d new=%d published=%d failed=%d", c.seen, c.new_products,
             c.published, c.failed);
    job_done(u, UP_JOB_PRODUCER, ok);
}

static void run_postprocess(up_ctx *u, postprocess *pp)
{
    int64_t now = u->o->postprocess_now > 0 ? u->o->postprocess_now : time_now();
    rnr_error err;
    postprocess_counts c;
    memset(&c, 0, sizeof c);
    u->sum->postprocess_ran++;
    int ok = postprocess_run(pp, now, &c, &err) == RNR_OK;
    if (!ok) {
        note_error(u->sum, "postprocess", &err);
        u->sum->postprocess_ok = 0;
    }
    u->sum->post.listed = c.listed;
    u->sum->post.new_files += c.new_files;
    u->sum->post.rows += c.rows;
    if (c.csv_key[0])
        memcpy(u->sum->post.csv_key, c.csv_key, sizeof c.csv_key);
    if (c.geojson_key[0])
        memcpy(u->sum->post.geojson_key, c.geojson_key, sizeof c.geojson_key);
    log_info("up", "postprocess: listed=%d new=%d rows=%d csv=%s", c.listed, c.new_files, c.rows,
             c.csv_key[0] ? c.csv_key : "(none)");
    job_done(u, UP_JOB_POSTPROCESS, ok);
}

/* The product id of a message, or the start of its body when it has none
 * (a malformed message is shown as what it is). */
static char *message_id(const char *body)
{
    json_error_t je;
    json_t *j = json_loads(body ? body : "", 0, &je);
    const char *id = j ? json_string_value(json_object_get(j, "id")) : NULL;
    char buf[64];
    if (id)
        snprintf(buf, sizeof buf, "%s", id);
    else {
        size_t n = 0;
        for (const char *p = body ? body : ""; *p && n < 40; p++)
            buf[n++] = (unsigned char)*p < 0x20 ? ' ' : *p;
        buf[n] = '\0';
    }
    json_decref(j);
    return strdup(buf);
}

/* The dead letters this run added, with their reasons (when the backend
 * lists them: a broker's dead-letter queue is read with its own tools). */
static void collect_dead_of(up_ctx *u, rnr_queue *q)
{
    queue_dead_list l = {0};
    rnr_error err;
    if (!q || queue_list_dead(q, 0, &l, &err) != RNR_OK)
        return;
    for (size_t i = 0; i < l.n; i++) {
        if (l.items[i].dead_at < u->start_s)
            continue;
        up_dead *d = realloc(u->sum->dead, (size_t)(u->sum->ndead + 1) * sizeof *d);
        if (!d)
            break;
        u->sum->dead = d;
        d[u->sum->ndead].id = message_id(l.items[i].body);
        d[u->sum->ndead].reason = strdup(l.items[i].reason ? l.items[i].reason : "");
        u->sum->ndead++;
    }
    queue_dead_list_clear(&l);
}

static void collect_dead(up_ctx *u)
{
    collect_dead_of(u, u->queue);
    collect_dead_of(u, u->sites);
}

/* The first dead letters of both queues as "id: reason", listed again
 * only when the dead count changed (browsing a broker's dead-letter queue
 * is not free). */
static void list_dead_reasons(up_ctx *u, int64_t dead)
{
    if (dead == u->dead_listed)
        return;
    for (int i = 0; i < u->ndead; i++)
        free(u->dead[i]);
    u->ndead = 0;
    u->dead_listed = dead;
    rnr_queue *qs[2] = {u->queue, u->sites};
    for (int k = 0; k < 2 && dead > 0; k++) {
        queue_dead_list l = {0};
        rnr_error err;
        if (!qs[k] || queue_list_dead(qs[k], UP_DEAD_SHOWN, &l, &err) != RNR_OK)
            continue;
        for (size_t i = 0; i < l.n && u->ndead < UP_DEAD_SHOWN; i++) {
            char *id = message_id(l.items[i].body), buf[700];
            snprintf(buf, sizeof buf, "%s: %s", id ? id : "?",
                     l.items[i].reason ? l.items[i].reason : "");
            free(id);
            if ((u->dead[u->ndead] = strdup(buf)))
                u->ndead++;
        }
        queue_dead_list_clear(&l);
    }
}

/* Refresh what --http shows, every UP_PUBLISH_EVERY_MS or when forced. */
static void publish(up_ctx *u, int force)
{
    int64_t now = time_mono_ms();
    if (!u->http || (!force && now < u->publish_at_ms))
        return;
    u->publish_at_ms = now + UP_PUBLISH_EVERY_MS;
    worker_stats work;
    if (u->collected)
        work = u->sum->work;
    else
        sum_stats(u, &work);
    up_http_view v = {.mode = u->o->once ? "once" : "service",
                      .cycle = u->cycle,
                      .work = &work,
                      .products = &u->sum->products,
                      .postprocess_rows = u->sum->post.rows,
                      .min_workers = u->o->once ? 0 : u->o->min_workers,
                      .max_workers = u->o->once ? u->o->workers : u->o->max_workers,
                      .has_job = {1, 1, !u->o->once},
                      .dead = (const char *const *)u->dead};
    read_depth(u, &v.depth);
    list_dead_reasons(u, v.depth.dead);
    v.ndead = u->ndead;
    if (u->pool) {
        v.running = supervisor_running(u->pool);
        v.desired = supervisor_desired(u->pool);
        supervisor_get_counts(u->pool, &v.pool);
    }
    memcpy(v.runs, u->runs, sizeof v.runs);
    memcpy(v.failed, u->failed, sizeof v.failed);
    memcpy(v.last_ok, u->last_ok, sizeof v.last_ok);
    up_http_publish(u->http, &v);
}

/* A scheduled job ran: count it for /metrics and show it at once. */
static void job_done(up_ctx *u, int job, int ok)
{
    u->runs[job]++;
    if (ok)
        u->last_ok[job] = time_now();
    else
        u->failed[job]++;
    publish(u, 1);
}

static int queue_drained(const queue_depth *d)
{
    if (d->ready < 0)
        return 0;
    return d->ready == 0 && d->unacked <= 0;
}

/* Does a running worker hold a delivery? Its stats file says so (a
 * broker's unacked count lags by seconds, and a delivery may still hand
 * work on to a follow-up). A killed worker's stale file does not count. */
static int workers_busy(up_ctx *u)
{
    int pids[256];
    int n = supervisor_pids(u->pool, pids, 256);
    for (int i = 0; u->pool && supervisor_stats_file(u->pool, i); i++) {
        worker_stats st;
        rnr_error err;
        if (worker_stats_read(supervisor_stats_file(u->pool, i), &st, &err) != RNR_OK || !st.busy)
            continue;
        for (int k = 0; k < n; k++)
            if (pids[k] == st.pid)
                return 1;
    }
    return 0;
}

/* --once: drain the queue with a fixed pool; stop it when nothing is ready
 * or leased, when the time is up, or on a signal. */
static void drain(up_ctx *u)
{
    const up_opts *o = u->o;
    supervisor_set_desired(u->pool, o->workers);
    int64_t deadline = time_mono_ms() + (int64_t)o->timeout_s * 1000;
    int64_t next_depth = 0;
    /* Drained means drained for a while: a worker that just took a message
     * marks itself busy a moment later, and RabbitMQ's management counts
     * (the delay queues of site retries included) lag by up to its 1 s
     * statistics interval, so a follow-up published a moment ago may not
     * show yet. SQLite's counts are exact. */
    const char *qurl = u->cfg->queue_url ? u->cfg->queue_url : "";
    int64_t settle_ms = strncmp(qurl, "amqp", 4) == 0 ? 2500 : 500;
    int64_t quiet_since = -1;
    rnr_error err;
    for (;;) {
        /* depth first: a cycle with nothing queued starts no worker */
        if (time_mono_ms() >= next_depth) {
            queue_depth d;
            read_depth(u, &d);
            int64_t now = time_mono_ms();
            if (!queue_drained(&d) || workers_busy(u))
                quiet_since = -1;
            else if (quiet_since < 0)
                quiet_since = now;
            if (quiet_since >= 0 && now - quiet_since >= settle_ms)
                break;
            next_depth = time_mono_ms() + 250;
        }
        if (supervisor_poll(u->pool, &err) != RNR_OK)
            log_warn("up", "%s", err.msg);
        if (o->stop && *o->stop) {
            u->sum->interrupted = 1;
            break;
        }
        if (time_mono_ms() >= deadline) {
            u->sum->timed_out = 1;
            log_error("up", "the queue did not drain within %d s", o->timeout_s);
            break;
        }
        supervisor_counts c;
        supervisor_get_counts(u->pool, &c);
        if (c.exited >= 5 * o->workers) {
            rnr_error e;
            rnr_error_set(&e, RNR_ERR_INTERNAL, "workers exited %d times; giving up", c.exited);
            note_error(u->sum, "workers", &e);
            break;
        }
        refresh_status(u, 0);
        publish(u, 0);
        time_sleep_ms(UP_TICK_MS);
    }
}

/* A job that cannot even start fails the cycle but not the summary: the
 * rest of the cycle still runs and the table says what went wrong. */
static int run_once(up_ctx *u, rnr_error *err)
{
    (void)err;
    producer *p = NULL;
    postprocess *pp = NULL;
    rnr_error e;
    if (producer_new(u->cfg, &p, &e) == RNR_OK) {
        run_producer(u, p);
        producer_free(p);
    } else {
        note_error(u->sum, "producer", &e);
        u->sum->producer_ok = 0;
    }
    drain(u);
    refresh_status(u, 1);
    u->cycle = "stopping";
    up_http_set_ready(u->http, 0);
    publish(u, 1);
    supervisor_stop_all(u->pool, u->cfg->grace_s * 1000 + UP_STOP_MARGIN_MS);
    up_status_end(&u->status);
    supervisor_get_counts(u->pool, &u->sum->pool);
    collect_stats(u);
    if (u->sum->interrupted)
        return RNR_OK;
    if (postprocess_new(u->cfg, &pp, &e) == RNR_OK) {
        run_postprocess(u, pp);
        postprocess_free(pp);
    } else {
        note_error(u->sum, "postprocess", &e);
        u->sum->postprocess_ok = 0;
    }
    return RNR_OK;
}

typedef struct up_job {
    const char *name;
    schedule *sched;
    int64_t next;
} up_job;

static int job_init(up_job *j, const char *name, const char *expr, int64_t start, rnr_error *err)
{
    j->name = name;
    if (schedule_parse(expr, &j->sched, err) != RNR_OK) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return rnr_error_set(err, RNR_ERR_CONFIG, "%s schedule: %s", name, msg);
    }
    if (schedule_next(j->sched, start, start, &j->next, err) != RNR_OK)
        j->next = INT64_MAX; /* never fires again (a past at()) */
    return RNR_OK;
}

/* Due now? Then advance to the next firing after now. */
static int job_due(up_job *j, int64_t start, int64_t now)
{
    if (now < j->next)
        return 0;
    rnr_error err;
    if (schedule_next(j->sched, start, now, &j->next, &err) != RNR_OK)
        j->next = INT64_MAX;
    return 1;
}

typedef struct up_services {
    producer *prod;
    postprocess *post;
    rnr_fleet *fleet;
    rnr_metrics *metrics;
    autoscaler *scaler;
    up_job jobs[3];
} up_services;

static void services_close(up_services *s)
{
    if (s->scaler)
        autoscaler_free(s->scaler);
    metrics_free(s->metrics);
    fleet_free(s->fleet);
    if (s->post)
        postprocess_free(s->post);
    if (s->prod)
        producer_free(s->prod);
    for (int i = 0; i < 3; i++)
        if (s->jobs[i].sched)
            schedule_free(s->jobs[i].sched);
}

static int services_open(up_ctx *u, up_services *s, rnr_error *err)
{
    const up_opts *o = u->o;
    scaling_policy pol;
    char msg[160];
    if (scaling_policy_from_env(&pol, msg, sizeof msg) != 0)
        return rnr_error_set(err, RNR_ERR_CONFIG, "up: scaling policy: %s", msg);
    pol.min_workers = o->min_workers;
    pol.max_workers = o->max_workers;
    if (job_init(&s->jobs[0], "producer", o->producer_schedule, u->start_s, err) ||
        job_init(&s->jobs[1], "postprocess", o->postprocess_schedule, u->start_s, err) ||
        job_init(&s->jobs[2], "autoscaler", o->autoscaler_schedule, u->start_s, err) ||
        producer_new(u->cfg, &s->prod, err) || postprocess_new(u->cfg, &s->post, err) ||
        supervisor_fleet_new(u->pool, &s->fleet, err) ||
        backend_open_metrics(u->cfg->metrics_url ? u->cfg->metrics_url : "log:", &s->metrics,
                             err) ||
        autoscaler_new(u->queue, s->fleet, s->metrics, u->cfg, &pol, &s->scaler, err))
        return err->code;
    return RNR_OK;
}

static void run_autoscaler(up_ctx *u, autoscaler *a)
{
    autoscaler_result r;
    rnr_error err;
    if (autoscaler_evaluate(a, time_now(), &r, &err) != RNR_OK) {
        log_warn("up", "autoscaler: %s", err.msg);
        job_done(u, UP_JOB_AUTOSCALER, 0);
        return;
    }
    job_done(u, UP_JOB_AUTOSCALER, 1);
    log_info("up", "autoscaler: depth=%lld running=%d desired=%d (%s)", (long long)r.depth,
             r.running, r.decision.desired, r.decision.reason);
}

/* The long-running loop: the producer once at start, then every job on its
 * schedule, the pool polled every tick, until a signal. */
static int run_forever(up_ctx *u, rnr_error *err)
{
    up_services s;
    memset(&s, 0, sizeof s);
    int rc = services_open(u, &s, err);
    if (rc == RNR_OK) {
        supervisor_set_desired(u->pool, u->o->workers > 0 ? u->o->workers : u->o->min_workers);
        run_producer(u, s.prod);
        while (!(u->o->stop && *u->o->stop)) {
            rnr_error perr;
            if (supervisor_poll(u->pool, &perr) != RNR_OK)
                log_warn("up", "%s", perr.msg);
            int64_t now = time_now();
            if (job_due(&s.jobs[0], u->start_s, now))
                run_producer(u, s.prod);
            if (job_due(&s.jobs[2], u->start_s, now))
                run_autoscaler(u, s.scaler);
            if (job_due(&s.jobs[1], u->start_s, now))
                run_postprocess(u, s.post);
            refresh_status(u, 0);
            publish(u, 0);
            time_sleep_ms(UP_TICK_MS);
        }
        u->sum->interrupted = 1;
        log_info("up", "stopping: SIGTERM to %d workers", supervisor_running(u->pool));
    }
    u->cycle = "stopping";
    up_http_set_ready(u->http, 0);
    publish(u, 1);
    supervisor_stop_all(u->pool, u->cfg->grace_s * 1000 + UP_STOP_MARGIN_MS);
    up_status_end(&u->status);
    supervisor_get_counts(u->pool, &u->sum->pool);
    collect_stats(u);
    services_close(&s);
    return rc;
}

static void normalize_opts(const up_opts *in, up_opts *o)
{
    *o = *in;
    if (!o->producer_schedule)
        o->producer_schedule = UP_DEFAULT_PRODUCER_SCHEDULE;
    if (!o->postprocess_schedule)
        o->postprocess_schedule = UP_DEFAULT_POSTPROCESS_SCHEDULE;
    if (!o->autoscaler_schedule)
        o->autoscaler_schedule = UP_DEFAULT_AUTOSCALER_SCHEDULE;
    /* Bounds not given as flags come from RNR_MIN_WORKERS / RNR_MAX_WORKERS
     * (a bad value is reported when the policy is built). */
    scaling_policy env;
    char msg[160];
    if (scaling_policy_from_env(&env, msg, sizeof msg) != 0)
        scaling_policy_defaults(&env);
    if (o->min_workers <= 0)
        o->min_workers = env.min_workers > 0 ? env.min_workers : 1;
    if (o->max_workers <= 0)
        o->max_workers = o->min_workers > env.max_workers ? o->min_workers : env.max_workers;
    if (o->once && o->workers <= 0)
        o->workers = 1;
    if (o->timeout_s <= 0)
        o->timeout_s = 600;
}

static int start_http(up_ctx *u, rnr_error *err)
{
    if (!u->o->http_listen)
        return RNR_OK;
    up_http_opts ho = {.listen = u->o->http_listen, .map_tiles = u->o->map_tiles};
    int rc = up_http_start(u->cfg, &ho, &u->http, err);
    if (rc != RNR_OK)
        return rc;
    log_info("up", "serving http://%s (port %d)", u->o->http_listen, up_http_port(u->http));
    publish(u, 1);
    up_http_set_ready(u->http, 1);
    if (u->o->on_http)
        u->o->on_http(up_http_port(u->http), u->o->ud);
    return RNR_OK;
}

/* The cycle is over: show it, hand the summary over, and with --linger
 * keep serving it until a signal. */
static void finish(up_ctx *u)
{
    u->cycle = "done";
    publish(u, 1);
    if (u->o->once && u->o->on_summary)
        u->o->on_summary(u->sum, u->o->ud);
    if (!u->o->once || !u->o->linger || !u->http || !u->o->stop)
        return;
    log_info("up", "cycle done; serving its results until SIGTERM or SIGINT");
    while (!*u->o->stop) {
        publish(u, 0);
        time_sleep_ms(UP_TICK_MS);
    }
}

int up_run(const rnr_config *cfg, const up_opts *in, up_summary *sum, rnr_error *err)
{
    up_opts o;
    normalize_opts(in, &o);
    memset(sum, 0, sizeof *sum);
    sum->producer_ok = sum->postprocess_ok = 1;
    sum->dead_before = sum->dead_after = -1;
    sum->once = o.once;
    if (o.once ? o.workers < 1 : o.min_workers > o.max_workers)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "workers: need --workers >= 1 and --min-workers <= --max-workers");
    up_ctx u = {.cfg = cfg,
                .o = &o,
                .sum = sum,
                .start_s = time_now(),
                .cycle = "running",
                .dead_listed = -2};
    up_status_init(&u.status, o.status_line);
    /* config_load made cfg->state_dir (mkdir -p, then its absolute path) */
    int rc = backend_open_queue(cfg->queue_url, cfg->queue_name, &u.queue, err);
    if (!rc) {
        char sites[300];
        snprintf(sites, sizeof sites, "%s.sites", cfg->queue_name ? cfg->queue_name : "hml_files");
        rc = backend_open_queue(cfg->queue_url, sites, &u.sites, err);
    }
    if (!rc)
        rc = backend_open_store(cfg->store_url, &u.store, err);
    if (!rc)
        rc = o.once ? open_pool(&u, 0, o.workers, err)
                    : open_pool(&u, o.min_workers, o.max_workers, err);
    if (!rc)
        rc = start_http(&u, err);
    if (!rc) {
        queue_depth d;
        read_depth(&u, &d);
        sum->dead_before = d.dead;
        rc = o.once ? run_once(&u, err) : run_forever(&u, err);
        read_depth(&u, &d);
        sum->dead_after = d.dead;
        collect_dead(&u);
        if (!rc)
            finish(&u);
    }
    up_http_stop(u.http);
    for (int i = 0; i < u.ndead; i++)
        free(u.dead[i]);
    supervisor_free(u.pool);
    store_free(u.store);
    queue_free(u.sites);
    queue_free(u.queue);
    return rc;
}
