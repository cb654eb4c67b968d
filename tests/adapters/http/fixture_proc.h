/* fixture_proc.h - start and stop rnr-fixture-server for a test process.
 *
 * Header-only (static functions) because each test file is its own
 * executable. The server writes its port file and request log into the
 * caller's scratch directory. Spawning, the port-file wait and the bounded
 * stop are testutil.h's; this header only knows the server's arguments. */
#ifndef RNR_TESTS_FIXTURE_PROC_H
#define RNR_TESTS_FIXTURE_PROC_H

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

typedef struct fixture_proc {
    pid_t pid;
    char base[64]; /* http://127.0.0.1:PORT */
    char nwps[80]; /* base + /nwps/v1 */
    char log[512]; /* request log */
} fixture_proc;

/* Serve data_dir with an optional --fault rule; scratch holds the port
 * file and a fresh request log. 0 or -1. */
static inline int fixture_start_fault(fixture_proc *fp, const char *data_dir, const char *scratch,
                                      const char *fault)
{
    memset(fp, 0, sizeof *fp);
    if (!getenv("RNR_BUILD_DIR")) {
        fprintf(stderr, "RNR_BUILD_DIR is not set\n");
        return -1;
    }
    char *bin = tu_build_path("tools/fixture_server/rnr-fixture-server");
    char pf[512];
    snprintf(pf, sizeof pf, "%s/port", scratch);
    snprintf(fp->log, sizeof fp->log, "%s/requests.log", scratch);
    unlink(pf);
    unlink(fp->log);
    char *argv[] = {bin,           "--dir", (char *)data_dir, "--port", "0",
                    "--port-file", pf,      "--log",          fp->log,  fault ? "--fault" : NULL,
                    (char *)fault, NULL};
    fp->pid = tu_spawn(argv, NULL);
    int port = fp->pid > 0 ? tu_wait_port_file(pf, 10000) : 0;
    if (port <= 0) {
        fprintf(stderr, "fixture server did not start (%s)\n", bin);
        if (fp->pid > 0)
            tu_stop(fp->pid);
        fp->pid = 0;
        free(bin);
        return -1;
    }
    free(bin);
    snprintf(fp->base, sizeof fp->base, "http://127.0.0.1:%d", port);
    snprintf(fp->nwps, sizeof fp->nwps, "%s/nwps/v1", fp->base);
    return 0;
}

static inline int fixture_start(fixture_proc *fp, const char *data_dir, const char *scratch)
{
    return fixture_start_fault(fp, data_dir, scratch, NULL);
}

/* SIGTERM and wait (bounded); 0 when the server exited cleanly with
 * status 0. */
static inline int fixture_stop(fixture_proc *fp)
{
    if (fp->pid <= 0)
        return -1;
    int st = tu_stop(fp->pid);
    fp->pid = 0;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* rm -rf dir (a mkdtemp path under /tmp). */
static inline int fixture_rmtree(const char *dir)
{
    if (strncmp(dir, "/tmp/", 5) != 0)
        return -1;
    return tu_rmtree(dir);
}

#endif
