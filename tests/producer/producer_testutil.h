/* producer_testutil.h - scratch state and an rnr_config filled by hand for
 * the service tests (config_load is not needed: the services take a
 * const rnr_config*), and the fixture server started with extra faults. */
#ifndef RNR_TESTS_PRODUCER_TESTUTIL_H
#define RNR_TESTS_PRODUCER_TESTUTIL_H

#include <sys/prctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/timeutil.h"
#include "services/config.h"
#include "testutil.h"

static inline char *pt_dup_printf(const char *fmt, const char *a)
{
    char buf[1024];
    snprintf(buf, sizeof buf, fmt, a);
    return strdup(buf);
}

/* Embedded backends under dir. Free with config_clear_test. */
static inline void pt_config(rnr_config *c, const char *dir)
{
    memset(c, 0, sizeof *c);
    c->state_dir = strdup(dir);
    c->queue_url = pt_dup_printf("sqlite://%s/queue.db", dir);
    c->queue_name = strdup("hml_files");
    c->cache_url = pt_dup_printf("sqlite://%s/cache.db", dir);
    c->store_url = pt_dup_printf("file://%s/store", dir);
    c->output_prefix = strdup("replace_and_route");
    c->postprocess_prefix = strdup("rnr_postprocess");
    c->user_agent = strdup("(rnr-test, test@example.com)");
    c->metrics_url = strdup("log:");
    c->ecs_cluster = strdup("rnr-cluster");
    c->ecs_service = strdup("rnr-worker");
    c->dedup_ttl_s = 604800;
    c->postprocess_window_s = 86400;
}

static inline void pt_config_clear(rnr_config *c)
{
    char **f[] = {&c->state_dir, &c->queue_url, &c->queue_name, &c->cache_url, &c->store_url,
                  &c->output_prefix, &c->postprocess_prefix, &c->hydrofabric_path,
                  &c->hydrofabric_key, &c->nws_url, &c->nwps_url, &c->user_agent,
                  &c->metrics_url, &c->ecs_cluster, &c->ecs_service, &c->mq_broker_name,
                  &c->region, &c->health_file};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        free(*f[i]);
        *f[i] = NULL;
    }
}

typedef struct pt_server {
    pid_t pid;
    char base[64];
    char log[512];
} pt_server;

/* rnr-fixture-server on data_dir with an optional --fault rule. */
static inline int pt_server_start(pt_server *s, const char *data_dir, const char *scratch,
                                  const char *fault)
{
    memset(s, 0, sizeof *s);
    const char *bd = getenv("RNR_BUILD_DIR");
    if (!bd)
        return -1;
    char bin[512], pf[512];
    snprintf(bin, sizeof bin, "%s/tools/fixture_server/rnr-fixture-server", bd);
    snprintf(pf, sizeof pf, "%s/port", scratch);
    snprintf(s->log, sizeof s->log, "%s/requests.log", scratch);
    unlink(pf);
    unlink(s->log);
    s->pid = fork();
    if (s->pid < 0)
        return -1;
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a failed test */
        if (fault)
            execl(bin, bin, "--dir", data_dir, "--port", "0", "--port-file", pf, "--log", s->log,
                  "--fault", fault, (char *)NULL);
        else
            execl(bin, bin, "--dir", data_dir, "--port", "0", "--port-file", pf, "--log", s->log,
                  (char *)NULL);
        _exit(127);
    }
    int port = tu_wait_port_file(pf, 10000);
    if (port <= 0) {
        tu_stop(s->pid);
        s->pid = 0;
        return -1;
    }
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", port);
    return 0;
}

static inline void pt_server_stop(pt_server *s)
{
    if (s->pid > 0)
        tu_stop(s->pid);
    s->pid = 0;
}

#endif
