/* test_prod_ca_bundle.c - which CA bundle the HTTP clients verify against:
 * SSL_CERT_FILE, then CURL_CA_BUNDLE, then libcurl's built-in default
 * while that file exists (the Lambda zip on Amazon Linux falls back to
 * /etc/pki/tls/certs/ca-bundle.crt, see http.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

#include "adapters/http.h"

static void test_ssl_cert_file_wins(void **state)
{
    (void)state;
    setenv("SSL_CERT_FILE", "/opt/certs/a.pem", 1);
    setenv("CURL_CA_BUNDLE", "/opt/certs/b.pem", 1);
    assert_string_equal(http_ca_bundle(), "/opt/certs/a.pem");
    unsetenv("SSL_CERT_FILE");
    assert_string_equal(http_ca_bundle(), "/opt/certs/b.pem");
    setenv("SSL_CERT_FILE", "", 1); /* empty means unset */
    assert_string_equal(http_ca_bundle(), "/opt/certs/b.pem");
    unsetenv("SSL_CERT_FILE");
    unsetenv("CURL_CA_BUNDLE");
}

static void test_default_is_curls_when_present(void **state)
{
    (void)state;
    unsetenv("SSL_CERT_FILE");
    unsetenv("CURL_CA_BUNDLE");
    const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
    const char *ca = http_ca_bundle();
    if (!vi->cainfo || access(vi->cainfo, R_OK) == 0) {
        assert_null(ca);
    } else {
        /* This machine's curl default is missing: a system bundle instead. */
        assert_non_null(ca);
        assert_int_equal(access(ca, R_OK), 0);
    }
}

static void test_apply_sets_cainfo(void **state)
{
    (void)state;
    CURL *h = curl_easy_init();
    assert_non_null(h);
    setenv("SSL_CERT_FILE", "/nonexistent/rnr-test-ca.pem", 1);
    http_apply_ca(h);
    /* A listener that never answers: the TCP connection completes from the
     * backlog, then curl loads the CA before its ClientHello. A bundle that
     * does not exist fails right there (without the option it would wait
     * for a handshake until the timeout). */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/", ntohs(sa.sin_port));
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 3000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    CURLcode cc = curl_easy_perform(h);
    assert_int_equal(cc, CURLE_SSL_CACERT_BADFILE);
    curl_easy_cleanup(h);
    close(fd);
    unsetenv("SSL_CERT_FILE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ssl_cert_file_wins),
        cmocka_unit_test(test_default_is_curls_when_present),
        cmocka_unit_test(test_apply_sets_cainfo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
