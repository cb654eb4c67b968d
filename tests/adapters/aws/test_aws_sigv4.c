/* test_aws_sigv4.c - the SigV4 arithmetic the fake verifies with, checked
 * against the examples published in AWS's S3 documentation ("Signature
 * Calculations for the Authorization Header"), plus encoding and parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/aws_sigv4.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EX_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define EX_DATE "20130524T000000Z"

static void check_sig(const char *method, const char *path, const char *query, const aws_header *h,
                      size_t nh, const char *signed_hdrs, const char *ph, const char *want)
{
    char *creq = NULL, sig[AWS_SHA256_HEX_LEN + 1];
    rnr_error err = {0};
    assert_int_equal(
        aws_sigv4_canonical_request(method, path, query, h, nh, signed_hdrs, ph, &creq, &err),
        RNR_OK);
    aws_sigv4_signature(EX_SECRET, EX_DATE, "20130524", "us-east-1", "s3", creq, sig);
    assert_string_equal(sig, want);
    free(creq);
}

static void test_aws_example_get_object(void **state)
{
    (void)state;
    aws_header h[] = {{"host", "examplebucket.s3.amazonaws.com"},
                      {"range", "bytes=0-9"},
                      {"x-amz-content-sha256", AWS_EMPTY_SHA256},
                      {"x-amz-date", EX_DATE}};
    /* The canonical request of the documented GET /test.txt example. */
    char *creq = NULL;
    assert_int_equal(aws_sigv4_canonical_request("GET", "/test.txt", "", h, 4,
                                                 "host;range;x-amz-content-sha256;x-amz-date",
                                                 AWS_EMPTY_SHA256, &creq, NULL),
                     RNR_OK);
    assert_string_equal(creq, "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\n"
                              "range:bytes=0-9\nx-amz-content-sha256:" AWS_EMPTY_SHA256 "\n"
                              "x-amz-date:20130524T000000Z\n\n"
                              "host;range;x-amz-content-sha256;x-amz-date\n" AWS_EMPTY_SHA256);
    char hash[AWS_SHA256_HEX_LEN + 1];
    aws_sha256_hex(creq, strlen(creq), hash);
    assert_string_equal(hash, "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    free(creq);
    check_sig("GET", "/test.txt", "", h, 4, "host;range;x-amz-content-sha256;x-amz-date",
              AWS_EMPTY_SHA256, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

static void test_aws_example_list_objects(void **state)
{
    (void)state;
    aws_header h[] = {{"host", "examplebucket.s3.amazonaws.com"},
                      {"x-amz-content-sha256", AWS_EMPTY_SHA256},
                      {"x-amz-date", EX_DATE}};
    const char *want = "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7";
    check_sig("GET", "/", "max-keys=2&prefix=J", h, 3, "host;x-amz-content-sha256;x-amz-date",
              AWS_EMPTY_SHA256, want);
    /* The verifier sorts the query itself: a client's order does not matter to it. */
    check_sig("GET", "/", "prefix=J&max-keys=2", h, 3, "host;x-amz-content-sha256;x-amz-date",
              AWS_EMPTY_SHA256, want);
}

static void test_aws_example_put_object(void **state)
{
    (void)state;
    char ph[AWS_SHA256_HEX_LEN + 1];
    aws_sha256_hex("Welcome to Amazon S3.", 21, ph);
    assert_string_equal(ph, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    aws_header h[] = {{"date", "Fri, 24 May 2013 00:00:00 GMT"},
                      {"host", "examplebucket.s3.amazonaws.com"},
                      {"x-amz-content-sha256", ph},
                      {"x-amz-date", EX_DATE},
                      {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
    check_sig("PUT", "/test$file.text", "", h, 5,
              "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class", ph,
              "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    /* Already-encoded paths canonicalise to the same request. */
    check_sig("PUT", "/test%24file.text", "", h, 5,
              "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class", ph,
              "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    /* A different secret gives a different signature. */
    char *creq = NULL, sig[AWS_SHA256_HEX_LEN + 1];
    aws_sigv4_canonical_request("PUT", "/test$file.text", "", h, 5,
                                "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class", ph,
                                &creq, NULL);
    aws_sigv4_signature("wrong", EX_DATE, "20130524", "us-east-1", "s3", creq, sig);
    assert_string_not_equal(sig,
                            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    free(creq);
}

static void test_aws_uri_encode(void **state)
{
    (void)state;
    char *e = aws_uri_encode("dir/a(1) b+c=ü~_.-", strlen("dir/a(1) b+c=ü~_.-"), 1);
    assert_string_equal(e, "dir/a%281%29%20b%2Bc%3D%C3%BC~_.-");
    free(e);
    e = aws_uri_encode("jobs/x", 6, 0);
    assert_string_equal(e, "jobs%2Fx");
    free(e);
    size_t n = 0;
    char *d = aws_uri_decode("a%2Fb+c%zz%4", strlen("a%2Fb+c%zz%4"), 1, &n);
    assert_string_equal(d, "a/b c%zz%4");
    assert_int_equal(n, strlen("a/b c%zz%4"));
    free(d);
    d = aws_uri_decode("a+b", 3, 0, NULL);
    assert_string_equal(d, "a+b");
    free(d);
    d = aws_uri_decode("a%00b", 5, 0, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(d, "a\0b", 4);
    free(d);
}

/* A decoded %00 is part of the path: the canonical form encodes it again
 * rather than cutting the path at it. */
static void test_aws_canonical_nul_in_path(void **state)
{
    (void)state;
    aws_header h[] = {{"host", "examplebucket.s3.amazonaws.com"}};
    char *creq = NULL;
    assert_int_equal(aws_sigv4_canonical_request("GET", "/a%00b", "k=x%00y", h, 1, "host",
                                                 AWS_EMPTY_SHA256, &creq, NULL),
                     RNR_OK);
    assert_string_equal(creq, "GET\n/a%00b\nk=x%00y\nhost:examplebucket.s3.amazonaws.com\n\n"
                              "host\n" AWS_EMPTY_SHA256);
    free(creq);
}

static void test_aws_parse_auth(void **state)
{
    (void)state;
    aws_sigv4_auth a;
    rnr_error err = {0};
    assert_int_equal(aws_sigv4_parse_auth(
                         "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                         "aws4_request, SignedHeaders=host;range;x-amz-date, Signature=fe5f80f77d5f"
                         "a3beca038a248ff027d0445342fe2855ddc963176630326f1024",
                         &a, &err),
                     RNR_OK);
    assert_string_equal(a.access_key, "AKIAIOSFODNN7EXAMPLE");
    assert_string_equal(a.date, "20130524");
    assert_string_equal(a.region, "us-east-1");
    assert_string_equal(a.service, "s3");
    assert_string_equal(a.signed_headers, "host;range;x-amz-date");
    assert_string_equal(a.signature,
                        "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024");
    assert_int_equal(aws_sigv4_parse_auth("AWS4-HMAC-SHA256 Credential=AK/2013/us-east-1/s3/"
                                          "aws4_request, SignedHeaders=host, Signature=00",
                                          &a, &err),
                     RNR_ERR_AUTH);
    assert_int_equal(aws_sigv4_parse_auth("Basic dXNlcjpwYXNz", &a, &err), RNR_ERR_AUTH);
    assert_int_equal(aws_sigv4_parse_auth("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/"
                                          "aws4_request, Signature=00",
                                          &a, &err),
                     RNR_ERR_AUTH);
}

static void test_aws_digests(void **state)
{
    (void)state;
    char md5[25], sha[AWS_SHA256_HEX_LEN + 1];
    aws_md5_b64("", 0, md5);
    assert_string_equal(md5, "1B2M2Y8AsgTpgAmY7PhCfg==");
    aws_sha256_hex("", 0, sha);
    assert_string_equal(sha, AWS_EMPTY_SHA256);
    char path[] = "/tmp/rnr-aws-digest-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "Welcome to Amazon S3.", 21), 21);
    close(fd);
    char md5f[25], shaf[AWS_SHA256_HEX_LEN + 1];
    long long size = 0;
    assert_int_equal(aws_file_digests(path, shaf, md5f, &size, NULL), RNR_OK);
    assert_int_equal(size, 21);
    assert_string_equal(shaf, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    aws_md5_b64("Welcome to Amazon S3.", 21, md5);
    assert_string_equal(md5f, md5);
    unlink(path);
    rnr_error err = {0};
    assert_int_equal(aws_file_digests("/nonexistent/x", shaf, md5f, &size, &err), RNR_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws_example_get_object),
        cmocka_unit_test(test_aws_example_list_objects),
        cmocka_unit_test(test_aws_example_put_object),
        cmocka_unit_test(test_aws_uri_encode),
        cmocka_unit_test(test_aws_canonical_nul_in_path),
        cmocka_unit_test(test_aws_parse_auth),
        cmocka_unit_test(test_aws_digests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
