/* test_aws_creds.c - the credential chain: environment beats the shared
 * file, profile selection, the ECS container endpoint (relative URI through
 * RNR_ECS_CREDENTIALS_HOST, full URI with a token file) served by
 * rnr-aws-fake, refresh before expiry, and secrets kept out of messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/aws_api.h"
#include "adapters/aws_creds.h"
#include "adapters/aws/aws_fake_proc.h"
#include "core/timeutil.h"

#include <pthread.h>
#include <sys/stat.h>
#include <string.h>

static char home[] = "/tmp/rnr-aws-creds-XXXXXX";
static char credfile[300], tokfile[300];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int reset(void **state)
{
    (void)state;
    fake_clean_env(home);
    return 0;
}

static const char *const FILE_TEXT = "# test profiles\n"
                                     "[default]\n"
                                     "aws_access_key_id = AKIDFILEDEFAULT\n"
                                     "aws_secret_access_key = fileDefaultSecret/abc\n"
                                     "\n"
                                     "[other]\n"
                                     "  aws_access_key_id=AKIDFILEOTHER  \n"
                                     "; comment\n"
                                     "aws_secret_access_key=fileOtherSecret+xyz\n"
                                     "aws_session_token = otherToken==\n"
                                     "[roleonly]\n"
                                     "role_arn = arn:aws:iam::123456789012:role/x\n";

static void get(aws_creds *c, aws_credentials *out)
{
    rnr_error err = {0};
    int rc = aws_creds_get(c, out, &err);
    if (rc != RNR_OK)
        fail_msg("aws_creds_get: %s", err.msg);
}

static void test_env_beats_file(void **state)
{
    (void)state;
    write_file(credfile, FILE_TEXT);
    setenv("AWS_SHARED_CREDENTIALS_FILE", credfile, 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envSecret", 1);
    setenv("AWS_SESSION_TOKEN", "envToken", 1);
    aws_creds *c = NULL;
    aws_credentials cr;
    assert_int_equal(aws_creds_new(&c, NULL), RNR_OK);
    get(c, &cr);
    assert_string_equal(cr.access_key, "AKIDENV");
    assert_string_equal(cr.secret_key, "envSecret");
    assert_string_equal(cr.session_token, "envToken");
    assert_string_equal(cr.source, "environment");
    assert_int_equal(cr.expiration, 0);
    aws_creds_free(c);

    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");
    assert_int_equal(aws_creds_new(&c, NULL), RNR_OK);
    get(c, &cr);
    assert_string_equal(cr.access_key, "AKIDFILEDEFAULT");
    assert_string_equal(cr.secret_key, "fileDefaultSecret/abc");
    assert_string_equal(cr.session_token, "");
    assert_string_equal(cr.source, "profile");
    get(c, &cr);
    assert_int_equal(aws_creds_resolve_count(c), 1);
    aws_creds_free(c);
}

static void test_profile_selection(void **state)
{
    (void)state;
    write_file(credfile, FILE_TEXT);
    setenv("AWS_SHARED_CREDENTIALS_FILE", credfile, 1);
    setenv("AWS_PROFILE", "other", 1);
    aws_creds *c = NULL;
    aws_credentials cr;
    rnr_error err = {0};
    assert_int_equal(aws_creds_new(&c, NULL), RNR_OK);
    get(c, &cr);
    assert_string_equal(cr.access_key, "AKIDFILEOTHER");
    assert_string_equal(cr.secret_key, "fileOtherSecret+xyz");
    assert_string_equal(cr.session_token, "otherToken==");
    aws_creds_free(c);

    setenv("AWS_PROFILE", "missing", 1);
    assert_int_equal(aws_creds_new(&c, NULL), RNR_OK);
    assert_int_equal(aws_creds_get(c, &cr, &err), RNR_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "profile missing not found"));
    assert_null(strstr(err.msg, "Secret"));
    aws_creds_free(c);

    setenv("AWS_PROFILE", "roleonly", 1);
    assert_int_equal(aws_creds_new(&c, NULL), RNR_OK);
    assert_int_equal(aws_creds_get(c, &cr, &err), RNR_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "has no aws_access_key_id"));
    aws_creds_free(c);

    /* ~/.aws/credentials is the default file. */
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    char dir[400], path[420];
    snprintf(dir, sizeof dir, "%s/.aws", home);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/credentials", dir);
    write_file(path, FILE_TEXT);
    assert_int_equal(aws_creds_new(&c, NULL), RNR_OK);
    get(c, &cr);
    assert_string_equal(cr.access_key, "AKIDFILEDEFAULT");
    aws_creds_free(c);
    unlink(path);
    rmdir(dir);
}

static void test_bad_config_hides_secret(void **state)
{
    (void)state;
    aws_creds *c = NULL;
    aws_credentials cr;
    rnr_error err = {0};
    setenv("AWS_ACCESS_KEY_ID", "AKIDONLY", 1);
    assert_int_equal(aws_creds_new(&c, NULL), RNR_OK);
    assert_int_equal(aws_creds_get(c, &cr, &err), RNR_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "AWS_SECRET_ACCESS_KEY"));
    aws_creds_free(c);
    unsetenv("AWS_ACCESS_KEY_ID");

    write_file(credfile, "[default]\naws_access_key_id = AKID-not/valid\n"
                         "aws_secret_access_key = VerySecretValue123\n");
    setenv("AWS_SHARED_CREDENTIALS_FILE", credfile, 1);
    assert_int_equal(aws_creds_new(&c, NULL), RNR_OK);
    assert_int_equal(aws_creds_get(c, &cr, &err), RNR_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "access key id"));
    assert_null(strstr(err.msg, "VerySecretValue123"));
    aws_creds_free(c);
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");

    /* Nothing anywhere. */
    assert_int_equal(aws_creds_new(&c, NULL), RNR_OK);
    assert_int_equal(aws_creds_get(c, &cr, &err), RNR_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "no AWS credentials"));
    aws_creds_free(c);
}

static void use_relative_uri(const fake_proc *f, const char *path)
{
    char host[64];
    snprintf(host, sizeof host, "127.0.0.1:%d", f->port);
    setenv("RNR_ECS_CREDENTIALS_HOST", host, 1);
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", path, 1);
}

static void test_container_relative_uri(void **state)
{
    (void)state;
    fake_proc f;
    const char *args[] = {"--creds-path",
                          "/v2/credentials/7c1e-task",
                          "--session-token",
                          "TaskRoleToken/abc+=",
                          "--secret",
                          "n=v",
                          NULL};
    assert_int_equal(fake_start(&f, args), 0);
    use_relative_uri(&f, "/v2/credentials/7c1e-task");
    aws_creds *c = NULL;
    aws_credentials cr;
    assert_int_equal(aws_creds_new(&c, NULL), RNR_OK);
    get(c, &cr);
    assert_string_equal(cr.access_key, FAKE_AK);
    assert_string_equal(cr.secret_key, FAKE_SK);
    assert_string_equal(cr.session_token, "TaskRoleToken/abc+=");
    assert_string_equal(cr.source, "container");
    int64_t now = time_now();
    assert_true(cr.expiration > now + 3000 && cr.expiration <= now + 3601);
    get(c, &cr);
    assert_int_equal(aws_creds_resolve_count(c), 1);
    assert_int_equal(fake_log_count(&f, "service", "container-credentials"), 1);
    json_t *last = fake_log_last(&f);
    assert_false(json_is_true(json_object_get(last, "authorization_present")));
    json_decref(last);

    /* End to end: the container's temporary credentials sign an API call. */
    aws_opts o = {NULL, f.url, c, 0};
    rnr_secrets *s = NULL;
    rnr_error err = {0};
    char *v = NULL;
    assert_int_equal(aws_secrets_open(&o, &s, &err), RNR_OK);
    assert_int_equal(secrets_get(s, "n", &v, &err), RNR_OK);
    assert_string_equal(v, "v");
    free(v);
    last = fake_log_last(&f);
    assert_true(json_is_true(json_object_get(last, "security_token")));
    assert_string_equal(json_string_value(json_object_get(last, "sig")), "ok");
    json_decref(last);
    secrets_free(s);
    aws_creds_free(c);

    /* Environment credentials come first even inside ECS. */
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envSecret", 1);
    assert_int_equal(aws_creds_new(&c, NULL), RNR_OK);
    get(c, &cr);
    assert_string_equal(cr.source, "environment");
    aws_creds_free(c);
    assert_int_equal(fake_log_count(&f, "service", "container-credentials"), 1);
    fake_stop(&f);
}

typedef struct hammer {
    aws_creds *c;
    int ok;
} hammer;

static void *hammer_run(void *arg)
{
    hammer *h = arg;
    for (int i = 0; i < 5; i++) {
        aws_credentials cr;
        if (aws_creds_get(h->c, &cr, NULL) == RNR_OK && strcmp(cr.access_key, FAKE_AK) == 0)
            h->ok++;
    }
    return NULL;
}

static void test_container_refresh(void **state)
{
    (void)state;
    fake_proc f;
    /* Expiration 60 s ahead is inside the 300 s refresh margin. */
    const char *args[] = {"--creds-path", "/creds", "--session-token", "T", "--creds-ttl",
                          "60",           NULL};
    assert_int_equal(fake_start(&f, args), 0);
    use_relative_uri(&f, "/creds");
    aws_creds *c = NULL;
    aws_credentials cr;
    assert_int_equal(aws_creds_new(&c, NULL), RNR_OK);
    get(c, &cr);
    get(c, &cr);
    assert_int_equal(aws_creds_resolve_count(c), 2);
    assert_int_equal(fake_log_count(&f, "service", "container-credentials"), 2);
    /* With a 10 s margin the same credentials are still good. */
    aws_creds_set_refresh_margin(c, 10);
    get(c, &cr);
    assert_int_equal(aws_creds_resolve_count(c), 2);

    /* Concurrent callers each see whole credentials; every call refreshes. */
    aws_creds_set_refresh_margin(c, 300);
    hammer hs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        hs[i] = (hammer){c, 0};
        assert_int_equal(pthread_create(&th[i], NULL, hammer_run, &hs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(hs[i].ok, 5);
    }
    assert_int_equal(aws_creds_resolve_count(c), 22);
    assert_int_equal(fake_log_count(&f, "service", "container-credentials"), 22);

    /* The endpoint going away keeps the still-valid credentials. */
    fake_stop(&f);
    get(c, &cr);
    assert_string_equal(cr.access_key, FAKE_AK);
    aws_creds_free(c);
}

static void test_container_full_uri_token(void **state)
{
    (void)state;
    fake_proc f;
    const char *args[] = {"--creds-path",
                          "/get-credentials",
                          "--creds-auth",
                          "Bearer tok-42/x",
                          "--session-token",
                          "T",
                          NULL};
    assert_int_equal(fake_start(&f, args), 0);
    char uri[128];
    snprintf(uri, sizeof uri, "%s/get-credentials", f.url);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri, 1);
    write_file(tokfile, "Bearer tok-42/x\n");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokfile, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer ignored-when-file-set", 1);
    aws_creds *c = NULL;
    aws_credentials cr;
    rnr_error err = {0};
    assert_int_equal(aws_creds_new(&c, NULL), RNR_OK);
    get(c, &cr);
    assert_string_equal(cr.access_key, FAKE_AK);
    assert_string_equal(cr.session_token, "T");
    json_t *last = fake_log_last(&f);
    assert_true(json_is_true(json_object_get(last, "authorization_present")));
    assert_int_equal(json_integer_value(json_object_get(last, "status")), 200);
    json_decref(last);
    aws_creds_free(c);

    /* The token from the variable when there is no file. */
    unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer tok-42/x", 1);
    assert_int_equal(aws_creds_new(&c, NULL), RNR_OK);
    get(c, &cr);
    assert_string_equal(cr.source, "container");
    aws_creds_free(c);

    /* A wrong token: a clear error that does not repeat the token. */
    write_file(tokfile, "Bearer WRONG-token-value\n");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokfile, 1);
    assert_int_equal(aws_creds_new(&c, NULL), RNR_OK);
    assert_int_equal(aws_creds_get(c, &cr, &err), RNR_ERR_AUTH);
    assert_non_null(strstr(err.msg, "HTTP 401"));
    assert_null(strstr(err.msg, "WRONG-token-value"));
    aws_creds_free(c);
    fake_stop(&f);

    /* Plain http only to loopback or the ECS addresses; refused before any request. */
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
    assert_int_equal(aws_creds_new(&c, NULL), RNR_OK);
    assert_int_equal(aws_creds_get(c, &cr, &err), RNR_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "example.com"));
    aws_creds_free(c);
}

int main(void)
{
    if (!mkdtemp(home))
        return 1;
    snprintf(credfile, sizeof credfile, "%s/credentials.ini", home);
    snprintf(tokfile, sizeof tokfile, "%s/token", home);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_env_beats_file, reset),
        cmocka_unit_test_setup(test_profile_selection, reset),
        cmocka_unit_test_setup(test_bad_config_hides_secret, reset),
        cmocka_unit_test_setup(test_container_relative_uri, reset),
        cmocka_unit_test_setup(test_container_refresh, reset),
        cmocka_unit_test_setup(test_container_full_uri_token, reset),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(credfile);
    unlink(tokfile);
    rmdir(home);
    return rc;
}
