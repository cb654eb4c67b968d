/* embedded_testutil.h - scratch directories for the embedded-backend tests. */
#ifndef RNR_TESTS_EMBEDDED_TESTUTIL_H
#define RNR_TESTS_EMBEDDED_TESTUTIL_H

#include <dirent.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fresh directory under TMPDIR (or /tmp) in buf. */
static inline int testutil_mkdtemp(char *buf, size_t n)
{
    const char *t = getenv("TMPDIR");
    snprintf(buf, n, "%s/rnr-adapters-XXXXXX", t && *t ? t : "/tmp");
    return mkdtemp(buf) ? 0 : -1;
}

/* rm -rf dir (bounded depth; test trees are shallow). */
static inline void testutil_rmtree_depth(const char *dir, int depth)
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
            testutil_rmtree_depth(path, depth + 1);
        else
            unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static inline void testutil_rmtree(const char *dir) { testutil_rmtree_depth(dir, 0); }

/* Read a whole small file into a malloc'd string (NULL on error). */
static inline char *testutil_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

#endif
