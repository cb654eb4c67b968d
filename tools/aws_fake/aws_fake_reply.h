/* aws_fake_reply.h - what rnr-aws-fake's parts share: its configuration
 * and state, the request being answered, the reply being built, and the
 * helpers that fill a reply (aws_fake_reply.c). */
#ifndef RNR_AWS_FAKE_REPLY_H
#define RNR_AWS_FAKE_REPLY_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "adapters/aws_sigv4.h"

#define FAKE_MAX_ITEMS 64
#define FAKE_MAX_OBJECTS 4096

typedef struct fake_object {
    char *key; /* "bucket/key" */
    char *data;
    size_t len;
    long long mtime;
} fake_object;

typedef struct fake_config {
    const char *access_key, *secret_key, *session_token, *region;
    const char *secrets[FAKE_MAX_ITEMS]; /* "NAME=VALUE" */
    size_t nsecrets;
    const char *services[FAKE_MAX_ITEMS]; /* "CLUSTER/SERVICE=RUNNING/DESIRED" */
    size_t nservices;
    const char *creds_path, *creds_auth;
    long creds_ttl;
    int fail_next; /* answer this many verified requests with a 5xx */
    const char *log_path;
} fake_config;

typedef struct fake_state {
    fake_config cfg;
    pthread_mutex_t mu; /* guards everything below */
    FILE *log;
    long seq;
    fake_object objects[FAKE_MAX_OBJECTS];
    size_t nobjects;
} fake_state;

typedef struct fake_request {
    char *raw_uri;
    const char *method;
    char *path, *query; /* raw, still percent-encoded */
    aws_header headers[128];
    size_t nheaders;
    char *body;
    size_t len, cap;
    int started, too_big;
} fake_request;

typedef struct fake_reply {
    int status;
    const char *content_type;
    char *body; /* malloc'd */
    size_t len;
    json_t *record; /* fields added to the request's log line */
} fake_reply;

const char *fake_header(const fake_request *r, const char *name);
void fake_reply_set(fake_reply *rep, int status, const char *ctype, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void fake_reply_json(fake_reply *rep, int status, json_t *j);
/* The AWS error shape of each protocol. */
void fake_json_error(fake_reply *rep, int status, const char *code, const char *msg);
void fake_query_error(fake_reply *rep, int status, const char *code, const char *msg);
void fake_s3_error(fake_reply *rep, int status, const char *code, const char *msg);

#endif
