/* fuzz_s3_xml.c - S3 ListObjectsV2 pages and AWS error bodies (XML or
 * JSON) as the S3 store and the AWS clients read them. */
#include "adapters/aws_api.h"
#include "adapters/s3_store.h"
#include "core/error.h"
#include "ports/store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    const char *body = (const char *)data;
    const char *prefixes[] = {"", "replace_and_route/"};
    for (int p = 0; p < 2; p++) {
        store_list out = {0};
        char *token = NULL;
        rnr_error err = {0};
        int rc = s3_list_parse(body, size, "rnr-test", prefixes[p], &out, &token, &err);
        if (rc != RNR_OK && (token || !err.msg[0]))
            abort();
        if (token && !*token)
            abort();
        free(token);
        store_list_clear(&out);
    }
    char code[128], msg[512];
    aws_error_shape(body, size, code, sizeof code, msg, sizeof msg);
    if (strlen(code) >= sizeof code || strlen(msg) >= sizeof msg)
        abort();
    (void)aws_error_class(503, code);
    (void)aws_error_class(400, code);
    return 0;
}
