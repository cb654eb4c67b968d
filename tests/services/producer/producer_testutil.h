/* producer_testutil.h - scratch state and an rnr_config filled by hand for
 * the service tests (config_load is not needed: the services take a
 * const rnr_config*), and the fixture server started with extra faults. */
#ifndef RNR_TESTS_PRODUCER_TESTUTIL_H
#define RNR_TESTS_PRODUCER_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "adapters/http/fixture_proc.h"
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
    char **f[] = {
        &c->state_dir,       &c->queue_url,     &c->queue_name,         &c->cache_url,
        &c->store_url,       &c->output_prefix, &c->postprocess_prefix, &c->hydrofabric_path,
        &c->hydrofabric_key, &c->nws_url,       &c->nwps_url,           &c->user_agent,
        &c->metrics_url,     &c->ecs_cluster,   &c->ecs_service,        &c->mq_broker_name,
        &c->region,          &c->health_file};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        free(*f[i]);
        *f[i] = NULL;
    }
}

/* rnr-fixture-server on data_dir with an optional --fault rule. */
typedef fixture_proc pt_server;

static inline int pt_server_start(pt_server *s, const char *data_dir, const char *scratch,
                                  const char *fault)
{
    return fixture_start_fault(s, data_dir, scratch, fault);
}

static inline void pt_server_stop(pt_server *s)
{
    if (s->pid > 0)
        fixture_stop(s);
}

#endif
