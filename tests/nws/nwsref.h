/* nwsref.h - helpers for the nws tests: reading reference files. */
#ifndef RNR_TESTS_NWSREF_H
#define RNR_TESTS_NWSREF_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* The reference directory, or NULL when it does not exist. */
static inline const char *nwsref_dir(void)
{
    return tu_ref_dir();
}

/* Read reference file sub/name whole; NULL (test fails) when unreadable. */
static inline char *nwsref_read(const char *sub, const char *name, size_t *len)
{
    const char *d = nwsref_dir();
    char path[1024];
    *len = 0;
    if (!d)
        return NULL;
    snprintf(path, sizeof path, "%s/%s/%s", d, sub, name);
    return tu_read_file(path, len);
}

/* cmocka 1.1 has no double comparison; exact unless eps > 0. */
#ifndef assert_double_equal
#include <math.h>
#define assert_double_equal(a, b, eps)                                                             \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (eps)))                                                             \
            fail_msg("%s = %.17g, expected %.17g", #a, a_, b_);                                    \
    } while (0)
#endif

/* In a reference test: print the skip line and skip when data is absent. */
#define NWSREF_REQUIRE()                                                                                    \
    do {                                                                                                    \
        if (!nwsref_dir()) {                                                                                \
            fail_msg(                                                                                       \
                "missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by cmake)"); \
        }                                                                                                   \
    } while (0)

#endif
