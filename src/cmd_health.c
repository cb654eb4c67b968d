/* cmd_health.c - `rnr health`: is the worker alive? (the container
 * HEALTHCHECK). Alive means its health file was touched recently. */
#include "command.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int health_main(int argc, char **argv)
{
    const char *file = NULL, *age = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--file") && v)
            file = argv[++i];
        else if (!strcmp(argv[i], "--max-age") && v)
            age = argv[++i];
        else
            return cmd_usage_error("health", "unknown or incomplete argument \"%s\"", argv[i]);
    }
    if (!file || !age)
        return cmd_usage_error("health", "--file and --max-age are required");
    char *end = NULL;
    errno = 0;
    long max_age = strtol(age, &end, 10);
    if (errno || end == age || *end || max_age < 0 || max_age > INT_MAX)
        return cmd_usage_error("health", "--max-age needs seconds, got \"%s\"", age);
    struct stat sb;
    if (stat(file, &sb) != 0) {
        printf("unhealthy: %s: %s\n", file, strerror(errno));
        return 1;
    }
    long long old = (long long)(time(NULL) - sb.st_mtime);
    if (old > max_age) {
        printf("unhealthy: %s last touched %llds ago (max %lds)\n", file, old, max_age);
        return 1;
    }
    printf("healthy: %s touched %llds ago\n", file, old < 0 ? 0 : old);
    return 0;
}

const rnr_command cmd_health = {
    "health", "exit 0 when a worker's health file is fresh (container HEALTHCHECK)",
    "usage: rnr health --file F --max-age SECONDS\n\n"
    "Exits 0 when F was modified within the last SECONDS seconds, else 1 with a\n"
    "one-line reason. A running worker touches its RNR_HEALTH_FILE every loop.\n",
    health_main};
