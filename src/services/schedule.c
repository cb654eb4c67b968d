/* schedule.c - parse EventBridge schedule expressions and find the next
 * fire time. cron() fields are kept as bit sets plus the few day rules
 * (L, W, #) that cannot be expressed as a set. */
#include "services/schedule.h"

#include "core/timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { SCHED_RATE, SCHED_CRON, SCHED_AT };
enum { F_MIN, F_HOUR, F_DOM, F_MON, F_DOW, F_YEAR, F_COUNT };

#define YEAR_MIN 1970
#define YEAR_MAX 2199

typedef struct cron_field {
    uint64_t bits[4]; /* value v -> bit (v - lo) */
    int any;          /* '*' or '?' */
    int question;     /* '?' */
} cron_field;

struct schedule {
    int kind;
    int64_t period; /* rate */
    int64_t at;     /* at */
    cron_field f[F_COUNT];
    int dom_last;    /* L in day-of-month */
    int dom_weekday; /* nW: nearest weekday to day n (0 = none) */
    int dow_last;    /* nL: last weekday n of the month (0 = none) */
    int dow_nth_day; /* n#k */
    int dow_nth;
};

static const struct {
    int lo, hi;
    const char *name;
} field_range[F_COUNT] = {{0, 59, "minutes"}, {0, 23, "hours"},      {1, 31, "day-of-month"},
                          {1, 12, "month"},   {1, 7, "day-of-week"}, {YEAR_MIN, YEAR_MAX, "year"}};

static void bit_set(cron_field *f, int lo, int v)
{
    f->bits[(v - lo) / 64] |= 1ULL << ((v - lo) % 64);
}
static int bit_get(const cron_field *f, int lo, int v)
{
    return f->any || ((f->bits[(v - lo) / 64] >> ((v - lo) % 64)) & 1);
}

static int name_value(const char **p, int field, int *v)
{
    static const char *const mon[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                      "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    static const char *const dow[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
    if (isdigit((unsigned char)**p)) {
        char *end;
        long x = strtol(*p, &end, 10);
        if (end - *p > 4)
            return -1;
        *p = end;
        *v = (int)x;
        return 0;
    }
    const char *const *names = field == F_MON ? mon : field == F_DOW ? dow : NULL;
    int count = field == F_MON ? 12 : 7;
    for (int i = 0; names && i < count; i++) {
        if (strncasecmp(*p, names[i], 3) == 0) {
            *p += 3;
            *v = i + 1;
            return 0;
        }
    }
    return -1;
}

/* Day rules that are not sets: L, nW (day-of-month), nL, n#k (day-of-week). */
static int parse_day_rule(schedule *s, int field, const char *tok)
{
    size_t n = strlen(tok);
    if (field == F_DOM && strcmp(tok, "L") == 0) {
        s->dom_last = 1;
        return 0;
    }
    if (field == F_DOM && n >= 2 && toupper((unsigned char)tok[n - 1]) == 'W') {
        int d = atoi(tok);
        if (d < 1 || d > 31 || strspn(tok, "0123456789") != n - 1)
            return -1;
        s->dom_weekday = d;
        return 0;
    }
    if (field == F_DOW && strcmp(tok, "L") == 0) {
        s->dow_last = 7;
        return 0;
    }
    if (field == F_DOW && n >= 2 && toupper((unsigned char)tok[n - 1]) == 'L') {
        const char *p = tok;
        int d;
        if (name_value(&p, F_DOW, &d) || toupper((unsigned char)*p) != 'L' || p[1] || d < 1 ||
            d > 7)
            return -1;
        s->dow_last = d;
        return 0;
    }
    const char *hash = strchr(tok, '#');
    if (field == F_DOW && hash) {
        const char *p = tok;
        int d;
        if (name_value(&p, F_DOW, &d) || p != hash || d < 1 || d > 7)
            return -1;
        char *end;
        long k = strtol(hash + 1, &end, 10);
        if (*end || k < 1 || k > 5)
            return -1;
        s->dow_nth_day = d;
        s->dow_nth = (int)k;
        return 0;
    }
    return 1; /* not a rule: parse as a set */
}

static int parse_set_item(cron_field *f, int field, const char *tok)
{
    int lo = field_range[field].lo, hi = field_range[field].hi;
    int a = lo, b = hi, step = 1;
    const char *p = tok;
    if (*p == '*') {
        p++;
    } else {
        if (name_value(&p, field, &a))
            return -1;
        b = a;
        if (*p == '-') {
            p++;
            if (name_value(&p, field, &b))
                return -1;
        } else if (*p == '/') {
            b = hi;
        }
    }
    if (*p == '/') {
        char *end;
        long st = strtol(p + 1, &end, 10);
        if (end == p + 1 || st < 1 || st > hi - lo + 1)
            return -1;
        step = (int)st;
        p = end;
    }
    if (*p || a < lo || a > hi || b < lo || b > hi || a > b)
        return -1;
    for (int v = a; v <= b; v += step)
        bit_set(f, lo, v);
    return 0;
}

static int parse_field(schedule *s, int field, const char *text, rnr_error *err)
{
    cron_field *f = &s->f[field];
    const char *name = field_range[field].name;
    if (strcmp(text, "?") == 0) {
        if (field != F_DOM && field != F_DOW)
            return rnr_error_set(err, RNR_ERR_INVALID, "cron %s field cannot be '?'", name);
        f->any = f->question = 1;
        return RNR_OK;
    }
    if (strcmp(text, "*") == 0) {
        f->any = 1;
        return RNR_OK;
    }
    char buf[128];
    if (strlen(text) >= sizeof buf)
        return rnr_error_set(err, RNR_ERR_INVALID, "cron %s field is too long", name);
    strcpy(buf, text);
    int had_rule = 0, had_set = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        int r = (field == F_DOM || field == F_DOW) ? parse_day_rule(s, field, tok) : 1;
        if (r == 1)
            r = parse_set_item(f, field, tok), had_set = 1;
        else
            had_rule = 1;
        if (r != 0)
            return rnr_error_set(err, RNR_ERR_INVALID, "cron %s field: '%s' is not valid", name,
                                 tok);
    }
    if (had_rule && had_set)
        return rnr_error_set(err, RNR_ERR_INVALID, "cron %s field mixes L/W/# with a list", name);
    return RNR_OK;
}

/* The longest rate() period accepted. EventBridge documents no maximum,
 * but a schedule that fires less than once a year is a mistake in this
 * pipeline, and the bound keeps start + k * period far from overflow. */
#define RATE_MAX_SECONDS (366LL * 86400)

static int parse_rate(schedule *s, const char *body, rnr_error *err)
{
    char unit[16];
    int used = 0;
    /* Digits are read by hand: sscanf("%ld") has undefined behaviour on
     * overflow, and 19 digits already overflow v * 86400. */
    size_t nd = strspn(body, "0123456789");
    if (nd == 0 || body[nd] != ' ' || sscanf(body + nd, " %15[a-z]%n", unit, &used) != 1 ||
        body[nd + (size_t)used] != '\0')
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "rate(%s): expected rate(VALUE UNIT) with a positive integer", body);
    long v = 0;
    for (size_t i = 0; i < nd; i++) {
        if (v > RATE_MAX_SECONDS / 60) /* larger than any valid value in any unit */
            break;
        v = v * 10 + (body[i] - '0');
    }
    if (v < 1)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "rate(%s): expected rate(VALUE UNIT) with a positive integer", body);
    static const struct {
        const char *one, *many;
        int64_t secs;
    } units[] = {{"minute", "minutes", 60}, {"hour", "hours", 3600}, {"day", "days", 86400}};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(unit, units[i].one) != 0 && strcmp(unit, units[i].many) != 0)
            continue;
        if (strcmp(unit, v == 1 ? units[i].one : units[i].many) != 0)
            return rnr_error_set(err, RNR_ERR_INVALID, "rate(%s): use '%s' with the value %.*s",
                                 body, v == 1 ? units[i].one : units[i].many, (int)nd, body);
        if (v > RATE_MAX_SECONDS / units[i].secs)
            return rnr_error_set(err, RNR_ERR_INVALID,
                                 "rate(%s): the period must be at most 366 days (%lld %s)", body,
                                 (long long)(RATE_MAX_SECONDS / units[i].secs), units[i].many);
        s->kind = SCHED_RATE;
        s->period = v * units[i].secs;
        return RNR_OK;
    }
    return rnr_error_set(err, RNR_ERR_INVALID,
                         "rate(%s): unit must be minute(s), hour(s) or day(s)", body);
}

static int day_matches(const schedule *s, int y, int m, int d);
static int days_in_month(int y, int m);

/* Whether any calendar day in the year range matches the day, month and
 * year fields (hours and minutes always have a value once parsed). A cron
 * like "31 February" parses but would never fire; this walks at most
 * 230 years x 366 days, a few milliseconds, once per parse. */
static int cron_has_day(const schedule *s)
{
    for (int y = YEAR_MIN; y <= YEAR_MAX; y++) {
        if (!bit_get(&s->f[F_YEAR], YEAR_MIN, y))
            continue;
        for (int m = 1; m <= 12; m++) {
            if (!bit_get(&s->f[F_MON], 1, m))
                continue;
            for (int d = 1, dim = days_in_month(y, m); d <= dim; d++)
                if (day_matches(s, y, m, d))
                    return 1;
        }
    }
    return 0;
}

static int parse_cron(schedule *s, const char *body, rnr_error *err)
{
    char buf[256];
    if (strlen(body) >= sizeof buf)
        return rnr_error_set(err, RNR_ERR_INVALID, "cron(...) expression is too long");
    strcpy(buf, body);
    char *fields[F_COUNT + 1];
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok && n <= F_COUNT;
         tok = strtok_r(NULL, " ", &save))
        fields[n++] = tok;
    if (n != F_COUNT)
        return rnr_error_set(
            err, RNR_ERR_INVALID,
            "cron(%s): needs 6 fields (minutes hours day-of-month month day-of-week year), got %d",
            body, n);
    s->kind = SCHED_CRON;
    for (int i = 0; i < F_COUNT; i++) {
        int rc = parse_field(s, i, fields[i], err);
        if (rc != RNR_OK)
            return rnr_error_prefix(err, "cron(%s)", body);
    }
    if (s->f[F_DOM].question == s->f[F_DOW].question)
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "cron(%s): exactly one of day-of-month and day-of-week must be '?'",
                             body);
    if (!cron_has_day(s))
        return rnr_error_set(
            err, RNR_ERR_INVALID,
            "cron(%s): no date in %d..%d matches the day, month and year fields, so it never fires",
            body, YEAR_MIN, YEAR_MAX);
    return RNR_OK;
}

int schedule_parse(const char *expr, schedule **out, rnr_error *err)
{
    *out = NULL;
    size_t n = expr ? strlen(expr) : 0;
    const char *open = expr ? strchr(expr, '(') : NULL;
    if (!open || n < 4 || expr[n - 1] != ')')
        return rnr_error_set(err, RNR_ERR_INVALID,
                             "schedule '%s': expected rate(...), cron(...) or at(...)",
                             expr ? expr : "");
    char body[256];
    size_t blen = (size_t)(expr + n - 1 - (open + 1));
    if (blen >= sizeof body)
        return rnr_error_set(err, RNR_ERR_INVALID, "schedule expression is too long");
    memcpy(body, open + 1, blen);
    body[blen] = '\0';
    schedule *s = calloc(1, sizeof *s);
    if (!s)
        return rnr_error_set(err, RNR_ERR_NOMEM, "out of memory");
    size_t kw = (size_t)(open - expr);
    int rc;
    if (kw == 4 && strncmp(expr, "rate", 4) == 0) {
        rc = parse_rate(s, body, err);
    } else if (kw == 4 && strncmp(expr, "cron", 4) == 0) {
        rc = parse_cron(s, body, err);
    } else if (kw == 2 && strncmp(expr, "at", 2) == 0) {
        s->kind = SCHED_AT;
        rc = strlen(body) == 19 && body[10] == 'T' && time_parse_iso(body, &s->at) == 0
                 ? RNR_OK
                 : rnr_error_set(err, RNR_ERR_INVALID, "at(%s): expected at(yyyy-mm-ddThh:mm:ss)",
                                 body);
    } else {
        rc = rnr_error_set(err, RNR_ERR_INVALID,
                           "schedule '%s': expected rate(...), cron(...) or at(...)", expr);
    }
    if (rc != RNR_OK) {
        free(s);
        return rc;
    }
    *out = s;
    return RNR_OK;
}

void schedule_free(schedule *s)
{
    free(s);
}

int64_t schedule_period(const schedule *s)
{
    return s->kind == SCHED_RATE ? s->period : 0;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

/* 1 = Sunday ... 7 = Saturday, as EventBridge numbers them. */
static int weekday_of(int y, int m, int d)
{
    int64_t days = time_from_civil(y, m, d, 0, 0, 0) / 86400;
    return (int)(((days % 7) + 7 + 4) % 7) + 1; /* 1970-01-01 was a Thursday (5) */
}

static int day_matches(const schedule *s, int y, int m, int d)
{
    int dim = days_in_month(y, m), wd = weekday_of(y, m, d);
    if (!s->f[F_DOM].question) {
        if (s->dom_last)
            return d == dim;
        if (s->dom_weekday) {
            int target = s->dom_weekday > dim ? dim : s->dom_weekday;
            int twd = weekday_of(y, m, target);
            if (twd == 7) /* Saturday: Friday before, or Monday after on the 1st */
                target = target == 1 ? 3 : target - 1;
            else if (twd == 1) /* Sunday: Monday after, or Friday before at month end */
                target = target == dim ? target - 2 : target + 1;
            return d == target;
        }
        return bit_get(&s->f[F_DOM], 1, d);
    }
    if (s->dow_last)
        return wd == s->dow_last && d + 7 > dim;
    if (s->dow_nth)
        return wd == s->dow_nth_day && (d - 1) / 7 + 1 == s->dow_nth;
    return bit_get(&s->f[F_DOW], 1, wd);
}

static int cron_next(const schedule *s, int64_t after, int64_t *next)
{
    int64_t t = (after / 60 + 1) * 60; /* next whole minute */
    int64_t day0 = t / 86400 * 86400;
    /* Bounded by the year range: the loop returns once y passes YEAR_MAX. */
    for (int64_t day = day0;; day += 86400) {
        time_t tt = (time_t)day;
        struct tm tm;
        gmtime_r(&tt, &tm);
        int y = tm.tm_year + 1900, m = tm.tm_mon + 1, d = tm.tm_mday;
        if (y > YEAR_MAX)
            return -1;
        if (y < YEAR_MIN)
            continue;
        if (!bit_get(&s->f[F_YEAR], YEAR_MIN, y) || !bit_get(&s->f[F_MON], 1, m) ||
            !day_matches(s, y, m, d))
            continue;
        for (int h = 0; h < 24; h++) {
            if (!bit_get(&s->f[F_HOUR], 0, h) || day + h * 3600 + 3599 < t)
                continue;
            for (int mi = 0; mi < 60; mi++) {
                int64_t c = day + h * 3600 + mi * 60;
                if (c >= t && bit_get(&s->f[F_MIN], 0, mi)) {
                    *next = c;
                    return 0;
                }
            }
        }
    }
    return -1;
}

int schedule_next(const schedule *s, int64_t start, int64_t after, int64_t *next, rnr_error *err)
{
    switch (s->kind) {
    case SCHED_RATE: {
        int64_t k = after < start ? 0 : (after - start) / s->period + 1;
        *next = start + k * s->period;
        return RNR_OK;
    }
    case SCHED_AT:
        if (s->at <= after)
            return rnr_error_set(err, RNR_ERR_NOTFOUND, "at() schedule is in the past");
        *next = s->at;
        return RNR_OK;
    default:
        if (cron_next(s, after, next) != 0)
            return rnr_error_set(err, RNR_ERR_NOTFOUND, "cron schedule never fires again");
        return RNR_OK;
    }
}
