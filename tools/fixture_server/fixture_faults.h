/* fixture_faults.h - per-path fault rules of the fixture server.
 *
 * A rule matches a request path exactly, or by prefix when its path ends
 * in '*'. It applies to the next `times` matching requests (then the path
 * is healthy again) or to every request when times < 0. Rules are kept in
 * arrival order; the first active matching rule wins. */
#ifndef RNR_FIXTURE_FAULTS_H
#define RNR_FIXTURE_FAULTS_H

#include <pthread.h>
#include <stddef.h>

#define FAULT_MAX 64

typedef struct fault {
    char path[256];
    int times; /* remaining applications; < 0: always */
    int latency_ms;
    int status;      /* 0: serve the real resource */
    int retry_after; /* seconds; 0: no header */
    int truncate;    /* send half the body, then close */
    int drop;        /* close without any response */
    char content_type[96];
    char *body; /* NULL: a JSON error body */
} fault;

typedef struct fault_table {
    pthread_mutex_t mu;
    fault rules[FAULT_MAX];
    int n;
} fault_table;

void faults_init(fault_table *t);
void faults_clear(fault_table *t);
void faults_destroy(fault_table *t);
/* Add rules from JSON text: one object or an array of objects. Returns the
 * number added, or -1 with a message in msg. */
int faults_add_json(fault_table *t, const char *text, char *msg, size_t msgn);
/* Take the active rule for path (consuming one application) into *out;
 * returns 1 if one applied. out->body is a copy the caller frees. */
int faults_take(fault_table *t, const char *path, fault *out);

#endif
