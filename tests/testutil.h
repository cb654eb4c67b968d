/* testutil.h - helpers shared by the C tests: temporary directories,
 * child processes (servers started on loopback), whole-file reads and the
 * reference directory. The per-area headers (fixture_proc.h, nwsref.h, ...)
 * are thin wrappers over these.
 * Header-only so each test executable stays self-contained. */
#ifndef RNR_TESTUTIL_H
#define RNR_TESTUTIL_H

#include <dirent.h>
#include "core/fileutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* mkdtemp under /tmp; returns a malloc'd path. */
static inline char *tu_tempdir(const char *tag)
{
    char tmpl[256];
    snprintf(tmpl, sizeof tmpl, "/tmp/rnr-test-%s-XXXXXX", tag);
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

/* Remove dir and everything under it without a shell; 0 when it is gone.
 * Depth is bounded (test trees are shallow) and links are not followed. */
static inline int tu_rmtree_depth(const char *dir, int depth)
{
    DIR *d = depth < 32 ? opendir(dir) : NULL;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char path[4096];
        struct stat st;
        int n = snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (n < 0 || (size_t)n >= sizeof path)
            continue;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            tu_rmtree_depth(path, depth + 1);
        else
            unlink(path);
    }
    if (d)
        closedir(d);
    return rmdir(dir);
}

static inline int tu_rmtree(const char *dir)
{
    return tu_rmtree_depth(dir, 0);
}

/* tu_rmtree for a tu_tempdir path; anything else is left alone. */
static inline void tu_rmrf(const char *dir)
{
    if (!dir || strncmp(dir, "/tmp/rnr-test-", 14) != 0)
        return;
    if (tu_rmtree(dir) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* Whole file as a NUL-terminated malloc'd string, or NULL. */
static inline char *tu_read_file(const char *path, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    rnr_error e;
    if (file_read_all(path, &buf, &n, &e) != RNR_OK)
        return NULL;
    if (len)
        *len = n;
    return buf;
}

static inline int tu_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* Start argv[0] with argv; stdout/stderr to log_path when given. */
static inline pid_t tu_spawn(char *const argv[], const char *log_path)
{
    pid_t pid = fork();
    if (pid == 0) {
        /* A failed assertion longjmps past the test's cleanup: the server
         * must not outlive the test process. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (log_path) {
            FILE *f = freopen(log_path, "a", stdout);
            (void)f;
            dup2(STDOUT_FILENO, STDERR_FILENO);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* Wait (bounded) for a file to hold a port number; 0 on timeout. */
static inline int tu_wait_port_file(const char *path, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        char *s = tu_read_file(path, NULL);
        int port = s ? atoi(s) : 0;
        free(s);
        if (port > 0)
            return port;
        usleep(20000);
    }
    return 0;
}

static inline int tu_stop(pid_t pid)
{
    int status = 0;
    if (pid <= 0)
        return -1;
    kill(pid, SIGTERM);
    for (int i = 0; i < 250; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return status;
        usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return status;
}

/* RNR_REFERENCE_DIR when it names a directory, else NULL (the test then
 * fails: a clean clone carries the data in tests/data/reference). */
static inline const char *tu_ref_dir(void)
{
    const char *d = getenv("RNR_REFERENCE_DIR");
    struct stat st;
    if (!d || stat(d, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return d;
}

/* Path under the build tree (RNR_BUILD_DIR), malloc'd. */
static inline char *tu_build_path(const char *rel)
{
    const char *b = getenv("RNR_BUILD_DIR");
    char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", b ? b : ".", rel);
    return strdup(buf);
}

/* Count the (non-overlapping) occurrences of needle in text. */
static inline int tu_count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* The environment of a test against the s3rver the test command starts:
 * its fixed credentials, no session token or profile, and no proxy
 * between the test and 127.0.0.1. */
static inline void tu_s3rver_env(void)
{
    static const char *const unset[] = {"http_proxy",        "HTTP_PROXY", "https_proxy",
                                        "HTTPS_PROXY",       "all_proxy",  "ALL_PROXY",
                                        "AWS_SESSION_TOKEN", "AWS_PROFILE"};
    for (size_t i = 0; i < sizeof unset / sizeof *unset; i++)
        unsetenv(unset[i]);
    setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
}

#endif
