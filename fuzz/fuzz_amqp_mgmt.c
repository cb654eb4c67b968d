/* fuzz_amqp_mgmt.c - JSON rnr reads for RabbitMQ: a management API queue
 * reply (/api/queues/VHOST/NAME) and the broker secret
 * ({"username": ..., "password": ...}) the URL is built from. */
#include "adapters/amqp_internal.h"
#include "adapters/amqp_queue.h"
#include "core/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    rnr_error err = {0};
    int64_t unacked = 0;
    if (amqp_mgmt_parse_unacked((const char *)data, size, &unacked, &err) == RNR_OK) {
        if (unacked < -1)
            abort();
    } else if (!err.msg[0] || unacked != -1) {
        abort();
    }
    char *json = malloc(size + 1);
    if (!json)
        return 0;
    memcpy(json, data, size);
    json[size] = '\0';
    amqp_credentials cred;
    if (amqp_credentials_from_json(json, &cred, &err) == RNR_OK) {
        char *url = NULL;
        if (amqp_url_build("amqps://b-1234.mq.us-east-1.amazonaws.com:5671", &cred, &url, &err) ==
            RNR_OK) {
            char *red = amqp_url_redact(url);
            if (red && cred.password[0] && !strstr(red, "***"))
                abort(); /* a password is always masked */
            free(red);
            free(url);
        }
        amqp_credentials_clear(&cred);
    } else if (!err.msg[0]) {
        abort();
    }
    free(json);
    return 0;
}
