/* test_adapters_parsers.c - the pure parsers split out of the adapters for
 * fuzzing (fuzz/fuzz_*.c): S3 listings, AWS JSON replies, credential
 * files, the RabbitMQ management reply and Lambda /next headers. Includes
 * the regression cases for what fuzzing and review found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/amqp_internal.h"
#include "adapters/aws_api.h"
#include "adapters/aws_creds.h"
#include "adapters/lambda_runtime.h"
#include "adapters/s3_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_s3_list_parse(void **state)
{
    (void)state;
    const char *page =
        "<ListBucketResult><IsTruncated>true</IsTruncated>"
        "<NextContinuationToken>tok/1=</NextContinuationToken>"
        "<Contents><Key>p/a.nc</Key><Size>12</Size>"
        "<LastModified>2026-03-14T12:05:01.000Z</LastModified></Contents></ListBucketResult>";
    store_list l = {0};
    char *token = NULL;
    rnr_error err = {0};
    assert_int_equal(s3_list_parse(page, strlen(page), "b", "p/", &l, &token, &err), RNR_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(token, "tok/1=");
    free(token);
    store_list_clear(&l);
    /* a key outside the prefix, or an error document: a parse error, no token */
    const char *outside = "<ListBucketResult><Contents><Key>q/a.nc</Key><Size>1</Size>"
                          "<LastModified>2026-03-14T12:05:01Z</LastModified></Contents>"
                          "</ListBucketResult>";
    assert_int_equal(s3_list_parse(outside, strlen(outside), "b", "p/", &l, &token, &err),
                     RNR_ERR_PARSE);
    assert_null(token);
    store_list_clear(&l);
    const char *error = "<Error><Code>SlowDown</Code></Error>";
    assert_int_equal(s3_list_parse(error, strlen(error), "b", "", &l, &token, &err), RNR_ERR_PARSE);
    assert_non_null(strstr(err.msg, "s3://b"));
    assert_int_equal(s3_list_parse(NULL, 0, "b", "", &l, &token, &err), RNR_ERR_PARSE);
}

static void test_ecs_counts(void **state)
{
    (void)state;
    int run = -1, des = -1;
    rnr_error err = {0};
    const char *ok = "{\"services\":[{\"runningCount\":3,\"desiredCount\":4}]}";
    assert_int_equal(aws_ecs_service_parse(ok, strlen(ok), "c", "s", &run, &des, &err), RNR_OK);
    assert_int_equal(run, 3);
    assert_int_equal(des, 4);
    /* counts outside 0..INT_MAX were cast to int before */
    const char *big = "{\"services\":[{\"runningCount\":4294967297,\"desiredCount\":1}]}";
    assert_int_equal(aws_ecs_service_parse(big, strlen(big), "c", "s", &run, &des, &err),
                     RNR_ERR_PARSE);
    const char *neg = "{\"services\":[{\"runningCount\":-1,\"desiredCount\":1}]}";
    assert_int_equal(aws_ecs_service_parse(neg, strlen(neg), "c", "s", &run, &des, &err),
                     RNR_ERR_PARSE);
    const char *missing = "{\"services\":[],\"failures\":[{\"reason\":\"MISSING\"}]}";
    assert_int_equal(aws_ecs_service_parse(missing, strlen(missing), "c", "s", &run, &des, &err),
                     RNR_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "MISSING"));
    assert_int_equal(aws_ecs_service_parse("[", 1, "c", "s", &run, &des, &err), RNR_ERR_PARSE);
}

static void test_secret_string(void **state)
{
    (void)state;
    char *v = NULL;
    rnr_error err = {0};
    const char *ok = "{\"SecretString\":\"{\\\"username\\\":\\\"u\\\"}\"}";
    assert_int_equal(aws_secret_string_parse(ok, strlen(ok), "id", &v, &err), RNR_OK);
    assert_string_equal(v, "{\"username\":\"u\"}");
    free(v);
    const char *bin = "{\"SecretBinary\":\"AAE=\"}";
    assert_int_equal(aws_secret_string_parse(bin, strlen(bin), "id", &v, &err),
                     RNR_ERR_UNSUPPORTED);
    assert_null(v);
    assert_int_equal(aws_secret_string_parse("no", 2, "id", &v, &err), RNR_ERR_PARSE);
}

static void test_mgmt_unacked(void **state)
{
    (void)state;
    int64_t n = 0;
    rnr_error err = {0};
    const char *ok = "{\"messages_unacknowledged\":2}";
    assert_int_equal(amqp_mgmt_parse_unacked(ok, strlen(ok), &n, &err), RNR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(amqp_mgmt_parse_unacked("{}", 2, &n, &err), RNR_OK);
    assert_int_equal(n, -1); /* unknown, never 0 */
    /* a negative count came through as a count before */
    const char *neg = "{\"messages_unacknowledged\":-7}";
    assert_int_equal(amqp_mgmt_parse_unacked(neg, strlen(neg), &n, &err), RNR_ERR_PARSE);
    assert_int_equal(n, -1);
    assert_int_equal(amqp_mgmt_parse_unacked("<html>", 6, &n, &err), RNR_ERR_PARSE);
}

static void test_profile_file(void **state)
{
    (void)state;
    char text[] = "[default]\naws_access_key_id=AKID1\naws_secret_access_key = s1\n"
                  "[ prod ]\r\nAWS_ACCESS_KEY_ID=AKID2\r\n";
    aws_credentials cr;
    int found, seen;
    rnr_error err = {0};
    FILE *f = fmemopen(text, strlen(text), "r");
    assert_int_equal(aws_creds_read_profile(f, "default", &cr, &found, &seen, &err), RNR_OK);
    assert_true(found && seen);
    assert_string_equal(cr.access_key, "AKID1");
    assert_string_equal(cr.secret_key, "s1");
    rewind(f);
    assert_int_equal(aws_creds_read_profile(f, "prod", &cr, &found, &seen, &err), RNR_OK);
    assert_true(!found && seen); /* no secret key in [prod] */
    rewind(f);
    assert_int_equal(aws_creds_read_profile(f, "none", &cr, &found, &seen, &err), RNR_OK);
    assert_true(!found && !seen);
    fclose(f);
}

static void test_lambda_headers(void **state)
{
    (void)state;
    lambda_invocation inv;
    memset(&inv, 0, sizeof inv);
    const char *h[] = {"Lambda-Runtime-Aws-Request-Id: 8476a536-e9f4\r\n",
                       "lambda-runtime-deadline-ms:1773446460000\r\n",
                       "Lambda-Runtime-Trace-Id: Root=1-5bef4de7\r\n", "Other: x\r\n", "\r\n"};
    for (size_t i = 0; i < 5; i++)
        lambda_invocation_take_header(&inv, h[i], strlen(h[i]));
    assert_string_equal(inv.request_id, "8476a536-e9f4");
    assert_int_equal(inv.deadline_ms, 1773446460000LL);
    assert_string_equal(inv.trace_id, "Root=1-5bef4de7");
    rnr_error err = {0};
    assert_int_equal(lambda_request_id_check(inv.request_id, &err), RNR_OK);
    assert_int_equal(lambda_request_id_check("../x", &err), RNR_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s3_list_parse), cmocka_unit_test(test_ecs_counts),
        cmocka_unit_test(test_secret_string), cmocka_unit_test(test_mgmt_unacked),
        cmocka_unit_test(test_profile_file),  cmocka_unit_test(test_lambda_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
