/* trace.c - make and check trace ids (trace.h). */
#include "core/trace.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* 12 random bytes. getrandom() does not fail for so few bytes once the
 * pool is up; if it does, the clocks and the pid still keep ids apart (an
 * id is a correlation key, not a secret). */
static void random_bytes(unsigned char out[12])
{
    if (getrandom(out, 12, GRND_NONBLOCK) == 12)
        return;
    struct timespec ts, mono;
    clock_gettime(CLOCK_REALTIME, &ts);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    uint64_t a = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
    uint64_t b = (uint64_t)mono.tv_nsec ^ ((uint64_t)mono.tv_sec << 30);
    memcpy(out, &a, 8);
    memcpy(out + 8, &b, 4);
}

void trace_id_new(char *buf, size_t n)
{
    assert(n > TRACE_ID_NEW_LEN);
    unsigned char r[12];
    random_bytes(r);
    char hex[25];
    for (int i = 0; i < 12; i++)
        snprintf(hex + 2 * i, 3, "%02x", r[i]);
    snprintf(buf, n, "Root=1-%08x-%s", (unsigned)(time(NULL) & 0xffffffffu), hex);
}

int trace_id_valid(const char *s)
{
    if (!s || !*s)
        return 0;
    size_t n = 0;
    for (; s[n]; n++)
        if ((unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7f || n + 1 >= TRACE_ID_MAX)
            return 0;
    return 1;
}

const char *trace_id_or_new(const char *have, char buf[TRACE_ID_MAX])
{
    if (trace_id_valid(have))
        return have;
    trace_id_new(buf, TRACE_ID_MAX);
    return buf;
}

const char *trace_id_lambda(void)
{
    const char *t = getenv("_X_AMZN_TRACE_ID");
    return trace_id_valid(t) ? t : NULL;
}
