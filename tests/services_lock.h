/* services_lock.h - a reader/writer lock on one shared test server, so a
 * test that restarts it never runs while another test uses it: users hold
 * flock(LOCK_SH) on $RNR_TEST_SERVICES_DIR/<server>.lock for their whole
 * run, a restart takes LOCK_EX. CTest runs tests in parallel (-j), and the
 * lock is released when the process exits. */
#ifndef RNR_TESTS_SERVICES_LOCK_H
#define RNR_TESTS_SERVICES_LOCK_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

/* server: "rabbit" or "redis". Returns the fd (kept open), or -1 when
 * there is no services directory (nothing to coordinate with). */
static inline int services_lock(const char *server, int exclusive)
{
    const char *dir = getenv("RNR_TEST_SERVICES_DIR");
    if (!dir || !*dir)
        return -1;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.lock", dir, server);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0 && flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Switch a held lock between shared and exclusive. */
static inline void services_relock(int fd, int exclusive)
{
    if (fd >= 0)
        flock(fd, exclusive ? LOCK_EX : LOCK_SH);
}

#endif
