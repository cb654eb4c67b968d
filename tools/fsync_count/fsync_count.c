/* fsync_count.c - an LD_PRELOAD shim: each fsync, fdatasync, syncfs and
 * sync call appends one line "CALL PATH" to the file named by
 * RNR_FSYNC_LOG (PATH is what /proc/self/fd says the descriptor is), then
 * does the real call. One write(2) per line with O_APPEND, so threads and
 * processes never interleave lines. Without RNR_FSYNC_LOG it only
 * forwards. Test tooling: never linked into rnr. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fsync_log(const char *call, int fd)
{
    const char *log = getenv("RNR_FSYNC_LOG");
    if (!log || !*log)
        return;
    char link[64], target[4096], line[4200];
    ssize_t n = -1;
    if (fd >= 0) {
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        n = readlink(link, target, sizeof target - 1);
    }
    target[n > 0 ? n : 0] = '\0';
    int len = snprintf(line, sizeof line, "%s %s\n", call, n > 0 ? target : "-");
    int out = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (out < 0)
        return;
    /* a lost line makes the count short, which the test reports */
    ssize_t w = len > 0 ? write(out, line, (size_t)len) : 0;
    (void)w;
    close(out);
}

#define NEXT(type, name) ((type)dlsym(RTLD_NEXT, name))

int fsync(int fd)
{
    fsync_log("fsync", fd);
    return NEXT(int (*)(int), "fsync")(fd);
}

int fdatasync(int fd)
{
    fsync_log("fdatasync", fd);
    return NEXT(int (*)(int), "fdatasync")(fd);
}

int syncfs(int fd)
{
    fsync_log("syncfs", fd);
    return NEXT(int (*)(int), "syncfs")(fd);
}

void sync(void)
{
    fsync_log("sync", -1);
    NEXT(void (*)(void), "sync")();
}
