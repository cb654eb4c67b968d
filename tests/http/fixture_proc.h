/* fixture_proc.h - start and stop rnr-fixture-server for a test process.
 *
 * Header-only (static functions) because each test file is its own
 * executable. The server writes its port file and request log into the
 * caller's scratch directory. */
#ifndef RNR_TESTS_FIXTURE_PROC_H
#define RNR_TESTS_FIXTURE_PROC_H

#include <sys/prctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/timeutil.h"

typedef struct fixture_proc {
    pid_t pid;
    char base[64];    /* http://127.0.0.1:PORT */
    char nwps[80];    /* base + /nwps/v1 */
    char log[512];    /* request log */
} fixture_proc;

/* Serve data_dir; scratch holds the port file and log. 0 or -1. */
static int fixture_start(fixture_proc *fp, const char *data_dir, const char *scratch)
{
    memset(fp, 0, sizeof *fp);
    const char *bd = getenv("RNR_BUILD_DIR");
    if (!bd) {
        fprintf(stderr, "RNR_BUILD_DIR is not set\n");
        return -1;
    }
    char bin[512], pf[512];
    snprintf(bin, sizeof bin, "%s/tools/fixture_server/rnr-fixture-server", bd);
    snprintf(pf, sizeof pf, "%s/port", scratch);
    snprintf(fp->log, sizeof fp->log, "%s/requests.log", scratch);
    unlink(pf);
    fp->pid = fork();
    if (fp->pid < 0) return -1;
    if (fp->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a failed test */
        execl(bin, bin, "--dir", data_dir, "--port", "0", "--port-file", pf, "--log", fp->log,
              (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(pf, "r");
        int port = 0;
        if (f) {
            int ok = fscanf(f, "%d", &port) == 1;
            fclose(f);
            if (ok && port > 0) {
                snprintf(fp->base, sizeof fp->base, "http://127.0.0.1:%d", port);
                snprintf(fp->nwps, sizeof fp->nwps, "%s/nwps/v1", fp->base);
                return 0;
            }
        }
        time_sleep_ms(50);
    }
    fprintf(stderr, "fixture server did not start (%s)\n", bin);
    kill(fp->pid, SIGKILL);
    waitpid(fp->pid, NULL, 0);
    fp->pid = 0;
    return -1;
}

/* SIGTERM and wait; 0 when the server exited cleanly with status 0. */
static int fixture_stop(fixture_proc *fp)
{
    int st = 0;
    if (fp->pid <= 0) return -1;
    kill(fp->pid, SIGTERM);
    waitpid(fp->pid, &st, 0);
    fp->pid = 0;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* rm -rf dir (a mkdtemp path under /tmp). */
static int fixture_rmtree(const char *dir)
{
    char cmd[600];
    if (strncmp(dir, "/tmp/", 5) != 0 || strchr(dir, '\'')) return -1;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
