/* test_amqp_tls.c - amqps:// verifies the broker: against a local TLS
 * server (openssl s_server, self-signed certificate for "localhost") the
 * adapter refuses an unknown CA and a host name the certificate does not
 * name, and gets past TLS when RNR_AMQP_CACERT names the certificate (the
 * server speaks no AMQP, so the login then fails - but not as a TLS error). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/amqp_queue.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];
static int port;
static pid_t server = -1;

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) ||
        getsockname(s, (struct sockaddr *)&a, &len))
        return -1;
    close(s);
    return ntohs(a.sin_port);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/rnr-tls-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
             "-addext subjectAltName=DNS:localhost -keyout %s/key.pem -out %s/cert.pem "
             ">/dev/null 2>&1",
             dir, dir);
    if (system(cmd) != 0)
        return -1;
    port = free_port();
    char ports[16], cert[300], key[300];
    snprintf(ports, sizeof ports, "%d", port);
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    server = fork();
    if (server == 0) {
        /* A failed assertion or a sanitizer abort skips the teardown: the
         * server must not outlive the test process. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execlp("openssl", "openssl", "s_server", "-quiet", "-accept", ports, "-cert", cert, "-key",
               key, (char *)NULL);
        _exit(127);
    }
    /* Wait (bounded) until it listens. */
    for (int i = 0; i < 100; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
        close(s);
        if (ok)
            return 0;
        usleep(50000);
    }
    return -1;
}

static int teardown(void **state)
{
    (void)state;
    if (server > 0) {
        kill(server, SIGTERM);
        waitpid(server, NULL, 0);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int try_open(const char *host, const char *cacert, rnr_error *e)
{
    char url[256];
    snprintf(url, sizeof url, "amqps://u:pw@%s:%d/?connect_timeout=1500", host, port);
    if (cacert)
        setenv("RNR_AMQP_CACERT", cacert, 1);
    else
        unsetenv("RNR_AMQP_CACERT");
    rnr_queue *q = NULL;
    int rc = amqp_queue_open(url, "rnrt-tls", &q, e);
    assert_null(q);
    return rc;
}

static void test_unknown_ca_refused(void **state)
{
    (void)state;
    rnr_error e = {0};
    /* The system bundle does not know our self-signed certificate. */
    assert_int_equal(try_open("localhost", NULL, &e), RNR_ERR_AUTH);
    assert_non_null(strstr(e.msg, "localhost"));
}

static void test_wrong_host_refused(void **state)
{
    (void)state;
    rnr_error e = {0};
    char cert[300];
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    assert_int_equal(try_open("127.0.0.1", cert, &e), RNR_ERR_AUTH);
}

static void test_trusted_ca_passes_tls(void **state)
{
    (void)state;
    rnr_error e = {0};
    char cert[300];
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    int rc = try_open("localhost", cert, &e);
    /* TLS succeeded; the AMQP handshake then finds no broker. */
    assert_true(rc == RNR_ERR_TIMEOUT || rc == RNR_ERR_TRANSIENT);
    assert_null(strstr(e.msg, "SSL"));
    assert_null(strstr(e.msg, "pw"));
}

int main(void)
{
    if (system("openssl version >/dev/null 2>&1") != 0) {
        printf("skipped: no openssl command\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_ca_refused),
        cmocka_unit_test(test_wrong_host_refused),
        cmocka_unit_test(test_trusted_ca_passes_tls),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
