/* worker_workdir.c - the per-message work directories under the state
 * directory: "work-<pid>-XXXXXX", emptied and removed after each message.
 * A worker killed mid-message leaves its directory behind; the next worker
 * to start sweeps the directories whose process is gone. Outputs reach the
 * store only through atomic puts, so nothing here is ever half-published. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "services/worker_internal.h"

int worker_workdir_make(const char *state_dir, char *buf, size_t n)
{
    int w = snprintf(buf, n, "%s/work-%ld-XXXXXX", state_dir, (long)getpid());
    if (w < 0 || (size_t)w >= n || !mkdtemp(buf)) {
        if (n)
            buf[0] = '\0';
        return -1;
    }
    return 0;
}

void worker_workdir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (unlink(path) != 0)
            log_warn("worker", "cannot remove %s: %s", path, strerror(errno));
    }
    closedir(d);
    if (rmdir(dir) != 0 && errno != ENOENT)
        log_warn("worker", "cannot remove %s: %s", dir, strerror(errno));
}

/* The pid in "work-<pid>-XXXXXX", or 0 when the name is not ours. */
static long workdir_pid(const char *name)
{
    if (strncmp(name, "work-", 5) != 0)
        return 0;
    char *end = NULL;
    long pid = strtol(name + 5, &end, 10);
    return pid > 0 && end && *end == '-' && strlen(end) == 7 ? pid : 0;
}

int worker_workdir_sweep(const char *state_dir)
{
    DIR *d = opendir(state_dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        long pid = workdir_pid(de->d_name);
        if (pid <= 0 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* alive (or not ours to judge) */
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", state_dir, de->d_name);
        log_info("worker", "removing the work directory of stopped worker pid=%ld: %s", pid, path);
        worker_workdir_remove(path);
        removed++;
    }
    closedir(d);
    return removed;
}
