/* amqp_test_util.h - shared by the AMQP adapter tests: environment checks,
 * unique queue names, and a raw rabbitmq-c side channel for what the port
 * does not expose (dead-letter headers, deleting a queue). */
#ifndef RNR_TESTS_AMQP_TEST_UTIL_H
#define RNR_TESTS_AMQP_TEST_UTIL_H

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/timeutil.h"

static const char *amqp_test_url(void)
{
    const char *u = getenv("RNR_TEST_AMQP_URL");
    return u && *u ? u : NULL;
}

/* "rnrt-<tag>-<pid>-<n>": unique per run so parallel tests never meet. */
static inline void amqp_test_qname(char *buf, size_t cap, const char *tag)
{
    static int n;
    snprintf(buf, cap, "rnrt-%s-%ld-%d-%ld", tag, (long)getpid(), ++n, (long)time(NULL) % 100000);
}

/* The tests' deadline clock is core's monotonic clock. */
static inline int64_t amqp_test_now_ms(void)
{
    return time_mono_ms();
}

/* A plain connection from the test's side, on channel 1. */
static inline amqp_connection_state_t raw_open(void)
{
    struct amqp_connection_info ci;
    char *u = strdup(amqp_test_url());
    if (amqp_parse_url(u, &ci) != AMQP_STATUS_OK) {
        free(u);
        return NULL;
    }
    amqp_connection_state_t c = amqp_new_connection();
    amqp_socket_t *s = amqp_tcp_socket_new(c);
    int ok = amqp_socket_open(s, ci.host, ci.port) == AMQP_STATUS_OK &&
             amqp_login(c, ci.vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, ci.user, ci.password)
                     .reply_type == AMQP_RESPONSE_NORMAL;
    free(u);
    if (ok) {
        amqp_channel_open(c, 1);
        ok = amqp_get_rpc_reply(c).reply_type == AMQP_RESPONSE_NORMAL;
    }
    if (!ok) {
        amqp_destroy_connection(c);
        return NULL;
    }
    return c;
}

static inline void raw_close(amqp_connection_state_t c)
{
    amqp_channel_close(c, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(c, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(c);
}

static inline void raw_delete(const char *queue)
{
    amqp_connection_state_t c = raw_open();
    if (!c)
        return;
    amqp_queue_delete(c, 1, amqp_cstring_bytes(queue), 0, 0);
    raw_close(c);
}

typedef struct raw_msg {
    int found;
    char body[4096];
    char reason[256]; /* x-rnr-death-reason */
    char death[256];  /* x-death[0].reason (broker dead-lettering) */
    char trace[256];
    long delivery_count; /* x-rnr-delivery-count, -1 if absent */
} raw_msg;

static inline void raw_str(const amqp_field_value_t *v, char *out, size_t cap)
{
    if (v->kind == AMQP_FIELD_KIND_UTF8 || v->kind == AMQP_FIELD_KIND_BYTES)
        snprintf(out, cap, "%.*s", (int)v->value.bytes.len, (const char *)v->value.bytes.bytes);
}

static inline void raw_headers(const amqp_table_t *t, raw_msg *m)
{
    for (int i = 0; i < t->num_entries; i++) {
        const amqp_table_entry_t *e = &t->entries[i];
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)e->key.len, (const char *)e->key.bytes);
        if (!strcmp(key, "x-rnr-death-reason"))
            raw_str(&e->value, m->reason, sizeof m->reason);
        else if (!strcmp(key, "X-Amzn-Trace-Id"))
            raw_str(&e->value, m->trace, sizeof m->trace);
        else if (!strcmp(key, "x-rnr-delivery-count") && e->value.kind == AMQP_FIELD_KIND_I64)
            m->delivery_count = (long)e->value.value.i64;
        else if (!strcmp(key, "x-death") && e->value.kind == AMQP_FIELD_KIND_ARRAY &&
                 e->value.value.array.num_entries > 0 &&
                 e->value.value.array.entries[0].kind == AMQP_FIELD_KIND_TABLE) {
            const amqp_table_t *d = &e->value.value.array.entries[0].value.table;
            for (int j = 0; j < d->num_entries; j++)
                if (d->entries[j].key.len == 6 && !memcmp(d->entries[j].key.bytes, "reason", 6))
                    raw_str(&d->entries[j].value, m->death, sizeof m->death);
        }
    }
}

/* basic.get one message from queue (polling up to wait_ms) and ack it. */
static inline void raw_get(const char *queue, int wait_ms, raw_msg *m)
{
    memset(m, 0, sizeof *m);
    m->delivery_count = -1;
    amqp_connection_state_t c = raw_open();
    if (!c)
        return;
    int64_t end = amqp_test_now_ms() + wait_ms;
    do {
        amqp_rpc_reply_t r = amqp_basic_get(c, 1, amqp_cstring_bytes(queue), 0);
        if (r.reply_type != AMQP_RESPONSE_NORMAL)
            break;
        if (r.reply.id == AMQP_BASIC_GET_OK_METHOD) {
            amqp_basic_get_ok_t *ok = r.reply.decoded;
            uint64_t tag = ok->delivery_tag;
            amqp_message_t msg;
            if (amqp_read_message(c, 1, &msg, 0).reply_type == AMQP_RESPONSE_NORMAL) {
                m->found = 1;
                snprintf(m->body, sizeof m->body, "%.*s", (int)msg.body.len,
                         (const char *)msg.body.bytes);
                if (msg.properties._flags & AMQP_BASIC_HEADERS_FLAG)
                    raw_headers(&msg.properties.headers, m);
                amqp_destroy_message(&msg);
                amqp_basic_ack(c, 1, tag, 0);
            }
            break;
        }
        usleep(100000);
    } while (amqp_test_now_ms() < end);
    raw_close(c);
}

#endif
