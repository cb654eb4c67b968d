/* schedule.h - EventBridge schedule expressions: rate(), cron() and at().
 *
 * The same syntax the reference's EventBridge rules use, so `rnr up` and
 * the Terraform check accept exactly what AWS accepts: `rate(5 minutes)`
 * (singular unit only for 1: `rate(2 minute)` is invalid), six-field
 * `cron(min hour day-of-month month day-of-week year)` where one of the two
 * day fields must be `?`, and `at(yyyy-mm-ddThh:mm:ss)`. Times are UTC. */
#ifndef RNR_SERVICES_SCHEDULE_H
#define RNR_SERVICES_SCHEDULE_H

#include <stdint.h>

#include "core/error.h"

typedef struct schedule schedule;

int schedule_parse(const char *expr, schedule **out, rnr_error *err);
void schedule_free(schedule *s);
/* The first fire time strictly after `after` (epoch seconds, UTC).
 * rate() schedules fire at start + k*period; RNR_ERR_NOTFOUND when the
 * schedule never fires again (a past at(), or a cron year range that ended). */
int schedule_next(const schedule *s, int64_t start, int64_t after, int64_t *next, rnr_error *err);
/* Seconds between firings for rate(), 0 for cron()/at(). */
int64_t schedule_period(const schedule *s);

#endif
