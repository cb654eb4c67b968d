/* timeutil.c - UTC parsing/formatting without the process time zone. */
#include "core/timeutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Days from civil (proleptic Gregorian), after H. Hinnant's algorithm. */
int64_t time_from_civil(int y, int mon, int d, int h, int mi, int s)
{
    y -= mon <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + h * 3600 + mi * 60 + s;
}

static int take_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int expect(const char **p, char c)
{
    if (**p != c)
        return -1;
    (*p)++;
    return 0;
}

static int parse_offset(const char *p, int *off_s)
{
    *off_s = 0;
    if (*p == '\0' || ((*p == 'Z' || *p == 'z') && p[1] == '\0'))
        return 0;
    if (*p != '+' && *p != '-')
        return -1;
    int sign = *p == '-' ? -1 : 1, oh, om = 0;
    p++;
    if (take_digits(&p, 2, &oh))
        return -1;
    if (*p == ':')
        p++;
    if (*p && take_digits(&p, 2, &om))
        return -1;
    if (*p || oh > 23 || om > 59)
        return -1;
    *off_s = sign * (oh * 3600 + om * 60);
    return 0;
}

int time_parse_iso(const char *s, int64_t *out)
{
    if (!s)
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, off;
    if (take_digits(&p, 4, &y) || expect(&p, '-') || take_digits(&p, 2, &mo) || expect(&p, '-') ||
        take_digits(&p, 2, &d))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ' || *p == '_') {
        p++;
        if (take_digits(&p, 2, &h) || expect(&p, ':') || take_digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (take_digits(&p, 2, &sec))
                return -1;
            if (*p == '.' || *p == ',') {
                p++;
                if (!isdigit((unsigned char)*p))
                    return -1;
                while (isdigit((unsigned char)*p))
                    p++;
            }
        }
    }
    char tail[16];
    size_t tl = strlen(p);
    while (tl > 0 && isspace((unsigned char)p[tl - 1]))
        tl--;
    if (tl >= sizeof tail)
        return -1;
    memcpy(tail, p, tl);
    tail[tl] = '\0';
    if (parse_offset(tail, &off))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || sec > 60)
        return -1;
    if (y == 1 && mo == 1 && d == 1) {
        *out = RNR_TIME_MISSING;
        return 0;
    }
    *out = time_from_civil(y, mo, d, h, mi, sec) - off;
    return 0;
}

int time_format(int64_t t, const char *fmt, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        return -1;
    if (n == 0 || strftime(buf, n, fmt, &tm) == 0)
        return -1;
    return 0;
}

int time_format_iso(int64_t t, char *buf, size_t n)
{
    return time_format(t, "%Y-%m-%dT%H:%M:%SZ", buf, n);
}

int64_t time_now(void)
{
    return (int64_t)time(NULL);
}

int64_t time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double time_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void time_sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}
