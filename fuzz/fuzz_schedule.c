/* fuzz_schedule.c - EventBridge schedule expressions (rate/cron/at) and
 * the next-fire computation for what parses. */
#include "core/error.h"
#include "services/schedule.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *expr = malloc(size + 1);
    if (!expr)
        return 0;
    memcpy(expr, data, size);
    expr[size] = '\0';
    schedule *s = NULL;
    rnr_error err = {0};
    if (schedule_parse(expr, &s, &err) == RNR_OK) {
        /* start and after within the years the parser accepts (1970..2199) */
        const int64_t times[] = {0, 1773446400, 1773446459, 4102444800, 7258118399};
        for (size_t i = 0; i < sizeof times / sizeof *times; i++) {
            int64_t next = 0;
            if (schedule_next(s, times[0], times[i], &next, &err) == RNR_OK && next <= times[i])
                abort(); /* the next fire time is strictly after `after` */
        }
        if (schedule_period(s) < 0)
            abort();
        schedule_free(s);
    } else if (!err.msg[0]) {
        abort(); /* every rejection names what is wrong */
    }
    free(expr);
    return 0;
}
