/* cmd_schedule.c - `rnr schedule`: validate EventBridge schedule
 * expressions and show when they fire (used by the Terraform check). */
#include "command.h"
#include "core/timeutil.h"
#include "services/schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int schedule_check_all(int argc, char **argv)
{
    int bad = 0;
    for (int i = 0; i < argc; i++) {
        schedule *s;
        rnr_error err;
        if (schedule_parse(argv[i], &s, &err) != RNR_OK) {
            fprintf(stderr, "rnr schedule: %s\n", err.msg);
            bad = 1;
            continue;
        }
        /* A schedule that parses but has no firing left (a past at(), a
         * cron whose years are over) would make `rnr up` wait forever. */
        int64_t now = time_now(), next;
        if (schedule_next(s, now, now, &next, &err) != RNR_OK) {
            fprintf(stderr, "rnr schedule: %s: %s\n", argv[i], err.msg);
            bad = 1;
        } else {
            printf("ok %s\n", argv[i]);
        }
        schedule_free(s);
    }
    return bad;
}

static int schedule_show_next(const char *expr, int count)
{
    schedule *s;
    rnr_error err;
    if (schedule_parse(expr, &s, &err) != RNR_OK) {
        fprintf(stderr, "rnr schedule: %s\n", err.msg);
        return 1;
    }
    int64_t start = time_now(), t = start;
    for (int i = 0; i < count; i++) {
        if (schedule_next(s, start, t, &t, &err) != RNR_OK)
            break;
        char buf[32];
        time_format_iso(t, buf, sizeof buf);
        printf("%s\n", buf);
    }
    schedule_free(s);
    return 0;
}

static int schedule_run(int argc, char **argv)
{
    if (argc < 3)
        return cmd_usage_error("schedule", "expected 'check EXPR...' or 'next EXPR [COUNT]'");
    if (strcmp(argv[1], "check") == 0)
        return schedule_check_all(argc - 2, argv + 2);
    if (strcmp(argv[1], "next") == 0) {
        int count = 5;
        if (argc > 4)
            return cmd_usage_error("schedule", "next takes EXPR and an optional COUNT");
        if (argc == 4) {
            char *end;
            long c = strtol(argv[3], &end, 10);
            if (*end || c < 1 || c > 1000)
                return cmd_usage_error("schedule", "COUNT '%s' must be 1..1000", argv[3]);
            count = (int)c;
        }
        return schedule_show_next(argv[2], count);
    }
    return cmd_usage_error("schedule", "unknown subcommand '%s'", argv[1]);
}

const rnr_command cmd_schedule = {
    "schedule", "validate EventBridge schedule expressions and show their next firings",
    "usage: rnr schedule check EXPR...\n"
    "       rnr schedule next EXPR [COUNT]\n\n"
    "EXPR is an EventBridge expression: rate(5 minutes), cron(0/10 * * * ? *),\n"
    "at(2026-01-01T00:00:00). `check` exits 1 if any expression is invalid and\n"
    "says why; `next` prints the next COUNT (default 5) firing times in UTC.\n",
    schedule_run};
