/* aws_creds.h - AWS credentials: the SDKs' default provider chain, cached.
 *
 * Order (as the AWS SDKs): 1. environment AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; 2. the shared credentials file
 * (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials), profile AWS_PROFILE
 * (default "default"); 3. the ECS container endpoint:
 * http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or
 * $AWS_CONTAINER_CREDENTIALS_FULL_URI (http only to loopback or the ECS/EKS
 * link-local addresses), with Authorization from
 * AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN.
 * RNR_ECS_CREDENTIALS_HOST (host[:port]) replaces 169.254.170.2 for tests.
 *
 * Credentials that expire are fetched again when fewer than the refresh
 * margin (300 s) remain. All calls are thread-safe. Secrets never appear in
 * logs or error messages. */
#ifndef RNR_ADAPTERS_AWS_CREDS_H
#define RNR_ADAPTERS_AWS_CREDS_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

typedef struct aws_credentials {
    char access_key[128];
    char secret_key[128];
    char session_token[4096]; /* "" when none */
    int64_t expiration;       /* epoch seconds; 0 = never expires */
    const char *source;       /* "static", "environment", "profile", "container" */
} aws_credentials;

typedef struct aws_creds aws_creds;

/* The default chain; nothing is read until the first aws_creds_get. */
int aws_creds_new(aws_creds **out, rnr_error *err);
/* Fixed credentials (token may be NULL). */
int aws_creds_new_static(const char *access_key, const char *secret_key, const char *token,
                         aws_creds **out, rnr_error *err);
/* Copy the current credentials into *out, resolving or refreshing first
 * when needed. RNR_ERR_CONFIG when no source has credentials. */
int aws_creds_get(aws_creds *c, aws_credentials *out, rnr_error *err);
void aws_creds_set_refresh_margin(aws_creds *c, int seconds);
/* How many times the chain was resolved (initial fetch + refreshes). */
int aws_creds_resolve_count(aws_creds *c);
void aws_creds_free(aws_creds *c);
/* Read profile's keys from a shared credentials file (INI): *found = 1
 * and *o filled when it has both keys; *seen = 1 when the section exists.
 * Pure apart from reading f (fuzzed through fmemopen). */
int aws_creds_read_profile(FILE *f, const char *profile, aws_credentials *o, int *found, int *seen,
                           rnr_error *err);
/* Fill *o from the container endpoint's JSON reply (AccessKeyId,
 * SecretAccessKey, Token, Expiration); pure (fuzzed). */
int aws_creds_parse_container(const char *body, aws_credentials *o, rnr_error *err);
/* Wipe a copy obtained from aws_creds_get. */
void aws_credentials_wipe(aws_credentials *c);

#endif
