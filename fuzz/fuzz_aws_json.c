/* fuzz_aws_json.c - replies of the AWS JSON APIs rnr calls: Secrets
 * Manager GetSecretValue, ECS DescribeServices, the ECS container
 * credentials endpoint, and the JSON error shape. */
#include "adapters/aws_api.h"
#include "adapters/aws_creds.h"
#include "core/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    char *body = malloc(size + 1);
    if (!body)
        return 0;
    memcpy(body, data, size);
    body[size] = '\0';
    rnr_error err = {0};
    char *secret = NULL;
    if (aws_secret_string_parse(body, size, "rnr/broker", &secret, &err) == RNR_OK) {
        if (!secret)
            abort();
        free(secret);
    } else if (secret || !err.msg[0]) {
        abort();
    }
    int running = -1, desired = -1;
    if (aws_ecs_service_parse(body, size, "rnr", "worker", &running, &desired, &err) == RNR_OK) {
        if (running < 0 || desired < 0)
            abort();
    } else if (!err.msg[0]) {
        abort();
    }
    aws_credentials cr;
    if (aws_creds_parse_container(body, &cr, &err) == RNR_OK) {
        if (!cr.access_key[0] || !cr.secret_key[0])
            abort();
        aws_credentials_wipe(&cr);
    } else if (!err.msg[0]) {
        abort();
    }
    char code[64], msg[256];
    aws_error_shape(body, size, code, sizeof code, msg, sizeof msg);
    free(body);
    return 0;
}
