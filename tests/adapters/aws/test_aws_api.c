/* test_aws_api.c - Secrets Manager, CloudWatch and ECS clients and their
 * port backends against rnr-aws-fake, which verifies every signature. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/aws_api.h"
#include "adapters/aws/aws_fake_proc.h"

#include <string.h>

#define SECRET_ARN "arn:aws:secretsmanager:us-east-1:123456789012:secret:rabbitmq-AbCdEf"
#define SECRET_VAL "{\"username\":\"rnr\",\"password\":\"s3cr3t-pw\"}"

static char home[] = "/tmp/rnr-aws-home-XXXXXX";

static aws_creds *static_creds(const char *sk, const char *token)
{
    aws_creds *c = NULL;
    assert_int_equal(aws_creds_new_static(FAKE_AK, sk, token, &c, NULL), RNR_OK);
    return c;
}

static void start(fake_proc *f, const char *const *extra)
{
    assert_int_equal(fake_start(f, extra), 0);
}

static void test_secrets_get(void **state)
{
    (void)state;
    fake_proc f;
    const char *args[] = {"--secret", SECRET_ARN "=" SECRET_VAL, NULL};
    start(&f, args);
    aws_creds *cr = static_creds(FAKE_SK, NULL);
    aws_opts o = {NULL, f.url, cr, 0};
    rnr_secrets *s = NULL;
    rnr_error err = {0};
    assert_int_equal(aws_secrets_open(&o, &s, &err), RNR_OK);
    char *v = NULL;
    assert_int_equal(secrets_get(s, SECRET_ARN, &v, &err), RNR_OK);
    assert_string_equal(v, SECRET_VAL);
    free(v);
    json_t *last = fake_log_last(&f);
    assert_string_equal(json_string_value(json_object_get(last, "service")), "secretsmanager");
    assert_string_equal(json_string_value(json_object_get(last, "action")), "GetSecretValue");
    assert_string_equal(json_string_value(json_object_get(last, "secret_id")), SECRET_ARN);
    assert_string_equal(json_string_value(json_object_get(last, "sig")), "ok");
    assert_false(json_is_true(json_object_get(last, "security_token")));
    json_decref(last);

    /* Not found: the documented error shape maps to NOTFOUND. */
    assert_int_equal(secrets_get(s, "arn:missing", &v, &err), RNR_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "ResourceNotFoundException"));
    assert_non_null(strstr(err.msg, "arn:missing"));
    assert_int_equal(secrets_get(s, "", &v, &err), RNR_ERR_INVALID);
    secrets_free(s);
    aws_creds_free(cr);
    fake_stop(&f);
}

static void test_secrets_wrong_key(void **state)
{
    (void)state;
    fake_proc f;
    const char *args[] = {"--secret", SECRET_ARN "=" SECRET_VAL, NULL};
    start(&f, args);
    const char *wrong = "WRONGwrongWRONGwrongSECRETkey0123456789";
    aws_creds *cr = static_creds(wrong, NULL);
    aws_opts o = {NULL, f.url, cr, 0};
    rnr_secrets *s = NULL;
    rnr_error err = {0};
    assert_int_equal(aws_secrets_open(&o, &s, &err), RNR_OK);
    char *v = NULL;
    assert_int_equal(secrets_get(s, SECRET_ARN, &v, &err), RNR_ERR_AUTH);
    assert_non_null(strstr(err.msg, "HTTP 403 InvalidSignatureException"));
    assert_non_null(strstr(err.msg, SECRET_ARN));
    assert_null(strstr(err.msg, wrong));
    assert_null(strstr(err.msg, FAKE_SK));
    assert_null(strstr(err.msg, "s3cr3t-pw"));
    /* An auth failure is not retried: exactly one request reached the fake. */
    assert_int_equal(fake_log_count(&f, "sig", "signature mismatch"), 1);
    secrets_free(s);
    aws_creds_free(cr);
    fake_stop(&f);
}

static void test_session_token(void **state)
{
    (void)state;
    fake_proc f;
    const char *args[] = {"--session-token", "IQoJb3JpZ2luX2VjEFAKE//token+/=", "--secret",
                          "name=value", NULL};
    start(&f, args);
    aws_creds *cr = static_creds(FAKE_SK, "IQoJb3JpZ2luX2VjEFAKE//token+/=");
    aws_opts o = {NULL, f.url, cr, 0};
    rnr_secrets *s = NULL;
    rnr_error err = {0};
    char *v = NULL;
    assert_int_equal(aws_secrets_open(&o, &s, &err), RNR_OK);
    assert_int_equal(secrets_get(s, "name", &v, &err), RNR_OK);
    assert_string_equal(v, "value");
    free(v);
    json_t *last = fake_log_last(&f);
    assert_true(json_is_true(json_object_get(last, "security_token")));
    assert_string_equal(json_string_value(json_object_get(last, "sig")), "ok");
    json_decref(last);
    secrets_free(s);
    aws_creds_free(cr);

    /* Without the token the fake refuses, as AWS does for temporary keys. */
    cr = static_creds(FAKE_SK, NULL);
    o.creds = cr;
    assert_int_equal(aws_secrets_open(&o, &s, &err), RNR_OK);
    assert_int_equal(secrets_get(s, "name", &v, &err), RNR_ERR_AUTH);
    assert_non_null(strstr(err.msg, "UnrecognizedClientException"));
    secrets_free(s);
    aws_creds_free(cr);
    fake_stop(&f);
}

static const char *param(json_t *rec, const char *name)
{
    return json_string_value(json_object_get(json_object_get(rec, "params"), name));
}

static void test_cloudwatch_put(void **state)
{
    (void)state;
    fake_proc f;
    start(&f, NULL);
    aws_creds *cr = static_creds(FAKE_SK, NULL);
    aws_opts o = {NULL, f.url, cr, 0};
    rnr_metrics *m = NULL;
    rnr_error err = {0};
    assert_int_equal(aws_metrics_open(&o, &m, &err), RNR_OK);
    metric_dim dims[] = {{"ClusterName", "rnr-cluster"}, {"ServiceName", "rnr worker/1"}};
    assert_int_equal(
        metrics_put(m, "ECS/Service/RabbitMQ", "BacklogPerTask", 3.5, "Count", dims, 2, &err),
        RNR_OK);
    json_t *last = fake_log_last(&f);
    assert_string_equal(json_string_value(json_object_get(last, "service")), "monitoring");
    assert_string_equal(json_string_value(json_object_get(last, "sig")), "ok");
    assert_int_equal(json_integer_value(json_object_get(last, "status")), 200);
    assert_string_equal(param(last, "Action"), "PutMetricData");
    assert_string_equal(param(last, "Version"), "2010-08-01");
    assert_string_equal(param(last, "Namespace"), "ECS/Service/RabbitMQ");
    assert_string_equal(param(last, "MetricData.member.1.MetricName"), "BacklogPerTask");
    assert_string_equal(param(last, "MetricData.member.1.Value"), "3.5");
    assert_string_equal(param(last, "MetricData.member.1.Unit"), "Count");
    assert_string_equal(param(last, "MetricData.member.1.Dimensions.member.1.Name"), "ClusterName");
    assert_string_equal(param(last, "MetricData.member.1.Dimensions.member.1.Value"),
                        "rnr-cluster");
    assert_string_equal(param(last, "MetricData.member.1.Dimensions.member.2.Name"), "ServiceName");
    assert_string_equal(param(last, "MetricData.member.1.Dimensions.member.2.Value"),
                        "rnr worker/1");
    json_decref(last);

    /* CloudWatch's XML error shape: reserved namespace. */
    assert_int_equal(metrics_put(m, "AWS/ECS", "X", 1, NULL, NULL, 0, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, "HTTP 400 InvalidParameterValue"));
    /* Refused locally, no request. */
    assert_int_equal(metrics_put(m, "NS", "X", 0.0 / 0.0, NULL, NULL, 0, &err), RNR_ERR_INVALID);
    assert_int_equal(metrics_put(m, "", "X", 1, NULL, NULL, 0, &err), RNR_ERR_INVALID);
    json_t *all = fake_log(&f);
    assert_int_equal(json_array_size(all), 2);
    json_decref(all);
    metrics_free(m);
    aws_creds_free(cr);
    fake_stop(&f);
}

static void test_ecs_fleet(void **state)
{
    (void)state;
    fake_proc f;
    const char *args[] = {"--service", "rnr-cluster/rnr-worker=3/5", NULL};
    start(&f, args);
    aws_creds *cr = static_creds(FAKE_SK, NULL);
    aws_opts o = {NULL, f.url, cr, 0};
    rnr_fleet *fl = NULL;
    rnr_error err = {0};
    int running = -1, desired = -1;
    assert_int_equal(ecs_fleet_open("rnr-cluster", "rnr-worker", &o, &fl, &err), RNR_OK);
    assert_int_equal(fleet_running(fl, &running, &err), RNR_OK);
    assert_int_equal(running, 3);
    assert_int_equal(fleet_set_desired(fl, 4, &err), RNR_ERR_UNSUPPORTED);
    fleet_free(fl);
    json_t *last = fake_log_last(&f);
    assert_string_equal(json_string_value(json_object_get(last, "service")), "ecs");
    assert_string_equal(json_string_value(json_object_get(last, "cluster")), "rnr-cluster");
    assert_string_equal(json_string_value(json_array_get(json_object_get(last, "services"), 0)),
                        "rnr-worker");
    json_decref(last);

    aws_client *c = NULL;
    assert_int_equal(aws_client_new("ecs", "ECS", &o, &c, &err), RNR_OK);
    assert_int_equal(
        aws_ecs_describe_service(c, "rnr-cluster", "rnr-worker", &running, &desired, &err), RNR_OK);
    assert_int_equal(desired, 5);
    /* A missing service comes back in failures[]. */
    assert_int_equal(aws_ecs_describe_service(c, "rnr-cluster", "nope", &running, &desired, &err),
                     RNR_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "MISSING"));
    assert_int_equal(aws_ecs_describe_service(c, "other", "rnr-worker", &running, &desired, &err),
                     RNR_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "ClusterNotFoundException"));
    aws_client_free(c);
    assert_int_equal(ecs_fleet_open("", "x", &o, &fl, &err), RNR_ERR_CONFIG);
    aws_creds_free(cr);
    fake_stop(&f);
}

static void test_retry_transient(void **state)
{
    (void)state;
    fake_proc f;
    const char *args[] = {"--fail", "2", "--secret", "n=v", NULL};
    start(&f, args);
    aws_creds *cr = static_creds(FAKE_SK, NULL);
    aws_opts o = {NULL, f.url, cr, 4};
    rnr_secrets *s = NULL;
    rnr_error err = {0};
    char *v = NULL;
    assert_int_equal(aws_secrets_open(&o, &s, &err), RNR_OK);
    assert_int_equal(secrets_get(s, "n", &v, &err), RNR_OK);
    assert_string_equal(v, "v");
    free(v);
    json_t *all = fake_log(&f);
    assert_int_equal(json_array_size(all), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(all, 0), "status")), 500);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(all, 1), "status")), 500);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(all, 2), "status")), 200);
    json_decref(all);
    secrets_free(s);
    fake_stop(&f);

    /* Out of attempts: a transient error the caller may retry later. */
    const char *args1[] = {"--fail", "5", NULL};
    start(&f, args1);
    o.endpoint = f.url;
    o.max_attempts = 2;
    assert_int_equal(aws_secrets_open(&o, &s, &err), RNR_OK);
    assert_int_equal(secrets_get(s, "n", &v, &err), RNR_ERR_TRANSIENT);
    assert_non_null(strstr(err.msg, "InternalFailure"));
    secrets_free(s);
    fake_stop(&f);

    /* Nothing listening. */
    o.endpoint = "http://127.0.0.1:1";
    assert_int_equal(aws_secrets_open(&o, &s, &err), RNR_OK);
    assert_int_equal(secrets_get(s, "n", &v, &err), RNR_ERR_TRANSIENT);
    assert_non_null(strstr(err.msg, "127.0.0.1:1"));
    secrets_free(s);
    aws_creds_free(cr);
}

static void test_endpoint_and_region_env(void **state)
{
    (void)state;
    rnr_error err = {0};
    aws_creds *cr = static_creds(FAKE_SK, NULL);
    aws_opts o = {NULL, NULL, cr, 0};
    aws_client *c = NULL;
    assert_int_equal(aws_client_new("secretsmanager", "SECRETS_MANAGER", &o, &c, &err), RNR_OK);
    assert_string_equal(aws_client_endpoint(c), "https://secretsmanager.us-east-1.amazonaws.com");
    assert_string_equal(aws_client_region(c), "us-east-1");
    aws_client_free(c);
    setenv("AWS_DEFAULT_REGION", "eu-west-1", 1);
    assert_int_equal(aws_client_new("monitoring", "CLOUDWATCH", &o, &c, &err), RNR_OK);
    assert_string_equal(aws_client_endpoint(c), "https://monitoring.eu-west-1.amazonaws.com");
    aws_client_free(c);
    setenv("AWS_REGION", "bad region!", 1);
    assert_int_equal(aws_client_new("ecs", "ECS", &o, &c, &err), RNR_ERR_CONFIG);

    fake_proc f;
    const char *args[] = {"--region", "eu-west-1", "--secret", "n=v", NULL};
    start(&f, args);
    setenv("AWS_REGION", "eu-west-1", 1);
    setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", f.url, 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
    rnr_secrets *s = NULL;
    char *v = NULL;
    assert_int_equal(aws_secrets_open(&o, &s, &err), RNR_OK);
    assert_int_equal(secrets_get(s, "n", &v, &err), RNR_OK);
    assert_string_equal(v, "v");
    free(v);
    secrets_free(s);
    /* The generic override serves services without their own. */
    unsetenv("AWS_ENDPOINT_URL_SECRETS_MANAGER");
    setenv("AWS_ENDPOINT_URL", f.url, 1);
    rnr_metrics *m = NULL;
    assert_int_equal(aws_metrics_open(&o, &m, &err), RNR_OK);
    assert_int_equal(metrics_put(m, "rnr", "x", 1, "Count", NULL, 0, &err), RNR_OK);
    metrics_free(m);
    /* A region mismatch is a signing error at the server. */
    setenv("AWS_REGION", "us-west-2", 1);
    assert_int_equal(aws_metrics_open(&o, &m, &err), RNR_OK);
    assert_int_equal(metrics_put(m, "rnr", "x", 1, "Count", NULL, 0, &err), RNR_ERR_AUTH);
    metrics_free(m);
    assert_int_equal(fake_log_count(&f, "sig", "ok"), 2);
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    unsetenv("AWS_ENDPOINT_URL");
    aws_creds_free(cr);
    fake_stop(&f);
}

int main(void)
{
    if (!mkdtemp(home))
        return 1;
    fake_clean_env(home);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secrets_get),
        cmocka_unit_test(test_secrets_wrong_key),
        cmocka_unit_test(test_session_token),
        cmocka_unit_test(test_cloudwatch_put),
        cmocka_unit_test(test_ecs_fleet),
        cmocka_unit_test(test_retry_transient),
        cmocka_unit_test(test_endpoint_and_region_env),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(home);
    return rc;
}
