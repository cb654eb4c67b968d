/* embedded_testutil.h - scratch directories for the embedded-backend tests
 * (under TMPDIR, unlike tu_tempdir); removal and reads are testutil.h's. */
#ifndef RNR_TESTS_EMBEDDED_TESTUTIL_H
#define RNR_TESTS_EMBEDDED_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "testutil.h"

/* A fresh directory under TMPDIR (or /tmp) in buf. */
static inline int testutil_mkdtemp(char *buf, size_t n)
{
    const char *t = getenv("TMPDIR");
    snprintf(buf, n, "%s/rnr-adapters-XXXXXX", t && *t ? t : "/tmp");
    return mkdtemp(buf) ? 0 : -1;
}

static inline void testutil_rmtree(const char *dir)
{
    tu_rmtree(dir);
}

/* Read a whole file into a malloc'd string (NULL on error). */
static inline char *testutil_slurp(const char *path)
{
    return tu_read_file(path, NULL);
}

#endif
