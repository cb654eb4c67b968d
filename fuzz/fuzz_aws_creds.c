/* fuzz_aws_creds.c - the shared credentials file (~/.aws/credentials, an
 * INI file): the default profile and a named one. */
#include "adapters/aws_creds.h"
#include "core/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void one(const uint8_t *data, size_t size, const char *profile)
{
    FILE *f = fmemopen(size ? (void *)data : (void *)"", size ? size : 1, "r");
    if (!f)
        return;
    aws_credentials cr;
    int found = -1, seen = -1;
    rnr_error err = {0};
    int rc = aws_creds_read_profile(f, profile, &cr, &found, &seen, &err);
    if (rc == RNR_OK && found) {
        if (!cr.access_key[0] || !cr.secret_key[0] || !seen)
            abort();
        aws_credentials_wipe(&cr);
    } else if (rc != RNR_OK && !err.msg[0]) {
        abort();
    }
    if (found < 0 || seen < 0)
        abort();
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    one(data, size, "default");
    one(data, size, "rnr-prod");
    return 0;
}
