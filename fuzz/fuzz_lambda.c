/* fuzz_lambda.c - what the Lambda Runtime API hands rnr with each
 * invocation: the /next response headers (request id, deadline, function
 * ARN, trace id; one per line in the input up to an empty line) and the
 * event body after it, checked as lambda_runtime_next and the handlers
 * check them. */
#include "adapters/lambda_runtime.h"
#include "core/error.h"
#include "services/lambda_loop.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    lambda_invocation inv;
    memset(&inv, 0, sizeof inv);
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        if (len <= 2 && (p[0] == '\n' || (p[0] == '\r' && len == 2))) {
            p += len; /* the blank line ends the headers */
            break;
        }
        lambda_invocation_take_header(&inv, p, len);
        p += len;
    }
    if (strnlen(inv.request_id, sizeof inv.request_id) == sizeof inv.request_id ||
        strnlen(inv.function_arn, sizeof inv.function_arn) == sizeof inv.function_arn ||
        strnlen(inv.trace_id, sizeof inv.trace_id) == sizeof inv.trace_id)
        abort();
    rnr_error err = {0};
    if (lambda_request_id_check(inv.request_id, &err) != RNR_OK && !err.msg[0])
        abort();
    (void)lambda_remaining_ms(&inv);
    /* the event: JSON of any type, as the echo handler loads it */
    json_error_t je;
    json_t *ev = json_loadb(p, (size_t)(end - p), JSON_DECODE_ANY, &je);
    if (ev) {
        char *back = json_dumps(ev, JSON_COMPACT | JSON_ENCODE_ANY);
        json_t *again = back ? json_loads(back, JSON_DECODE_ANY, &je) : NULL;
        if (back && (!again || !json_equal(ev, again)))
            abort(); /* what rnr answers back parses to the same event */
        json_decref(again);
        free(back);
        json_decref(ev);
    }
    return 0;
}
