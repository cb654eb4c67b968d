/* test_adapters_http_server.c - the operator HTTP server: routing through
 * the handler, 405 and 404 JSON, listen-address parsing, and survival of
 * hostile clients (byte-by-byte senders, garbage, oversized headers, many
 * idle connections), each followed by a normal request that must work. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "adapters/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static void handler(void *ud, const char *path, http_reply *r)
{
    (void)ud;
    if (strcmp(path, "/hello") == 0)
        http_reply_text(r, 200, "text/plain", "hello\n");
    else
        http_reply_text(r, 404, "application/json", "{\"error\":\"not found\"}");
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    struct timeval tv = {.tv_sec = 15};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Read until the peer closes or 15 s pass; returns what arrived. */
static char *read_all(int fd)
{
    size_t cap = 65536, n = 0;
    char *buf = calloc(1, cap);
    ssize_t r;
    while (n + 1 < cap && (r = read(fd, buf + n, cap - n - 1)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    return buf;
}

static char *request(int port, const char *raw)
{
    int fd = connect_to(port);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, raw, strlen(raw)), (ssize_t)strlen(raw));
    char *out = read_all(fd);
    close(fd);
    return out;
}

static void expect_hello(int port)
{
    char *r = request(port, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    if (!strstr(r, "HTTP/1.1 200"))
        fprintf(stderr, "expect_hello: got [%s]\n", r);
    assert_non_null(strstr(r, "HTTP/1.1 200"));
    assert_non_null(strstr(r, "\r\n\r\nhello\n"));
    free(r);
}

static void test_routes(void **state)
{
    (void)state;
    http_server *s;
    assert_int_equal(http_server_start("127.0.0.1:0", handler, NULL, &s, NULL), 0);
    int port = http_server_port(s);
    assert_true(port > 0);
    expect_hello(port);
    char *r = request(port, "GET /nope?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 404"));
    assert_non_null(strstr(r, "application/json"));
    assert_non_null(strstr(r, "{\"error\":\"not found\"}"));
    free(r);
    r = request(
        port,
        "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
    assert_non_null(strstr(r, "HTTP/1.1 405"));
    free(r);
    r = request(port, "HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 200"));
    assert_null(strstr(r, "hello\n"));
    free(r);
    http_server_stop(s);
}

static void test_listen_addresses(void **state)
{
    (void)state;
    http_server *s;
    rnr_error err = {0};
    assert_int_equal(http_server_start("127.0.0.1", handler, NULL, &s, &err), RNR_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "not HOST:PORT"));
    assert_int_equal(http_server_start("127.0.0.1:99999", handler, NULL, &s, &err), RNR_ERR_CONFIG);
    assert_int_equal(http_server_start("example.org:80", handler, NULL, &s, &err), RNR_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "not an IP address"));
    /* ":PORT" means loopback, never every interface. */
    assert_int_equal(http_server_start(":0", handler, NULL, &s, NULL), 0);
    expect_hello(http_server_port(s));
    http_server *t;
    char busy[32];
    snprintf(busy, sizeof busy, "127.0.0.1:%d", http_server_port(s));
    assert_int_equal(http_server_start(busy, handler, NULL, &t, &err), RNR_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "cannot listen"));
    http_server_stop(s);
    assert_int_equal(http_server_start("[::1]:0", handler, NULL, &s, NULL), 0);
    http_server_stop(s);
}

static void test_hostile_clients(void **state)
{
    (void)state;
    http_server *s;
    assert_int_equal(http_server_start("127.0.0.1:0", handler, NULL, &s, NULL), 0);
    int port = http_server_port(s);

    /* Byte by byte, while normal clients are served in between. */
    const char *req = "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    int slow = connect_to(port);
    for (size_t i = 0; req[i]; i++) {
        assert_int_equal(write(slow, req + i, 1), 1);
        if (i % 10 == 0)
            expect_hello(port);
    }
    char *r = read_all(slow);
    close(slow);
    assert_non_null(strstr(r, "hello\n"));
    free(r);

    /* Garbage, a binary blob, an oversized header: refused, then still up. */
    r = request(port, "\x16\x03\x01garbage\r\n\r\n");
    assert_null(strstr(r, "200"));
    free(r);
    expect_hello(port);
    char *huge = malloc(40000);
    strcpy(huge, "GET /hello HTTP/1.1\r\nX-Big: ");
    memset(huge + strlen(huge), 'a', 30000);
    strcpy(huge + 30029, "\r\n\r\n");
    r = request(port, huge);
    assert_null(strstr(r, "hello\n"));
    free(r);
    free(huge);
    expect_hello(port);

    /* Idle connections beyond the per-client bound do not starve the
     * server for others once they are closed. */
    int idle[40];
    for (int i = 0; i < 40; i++)
        idle[i] = connect_to(port);
    for (int i = 0; i < 40; i++)
        if (idle[i] >= 0)
            close(idle[i]);
    expect_hello(port);
    http_server_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_listen_addresses),
        cmocka_unit_test(test_hostile_clients),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
