/* s3_store.h - the object-store port on Amazon S3 (or any S3 API server).
 *
 * URL: s3://BUCKET[/PREFIX][?OPTION=VALUE&...]; keys are relative to
 * PREFIX (a '/' is inserted after a non-empty PREFIX). Options:
 *   path_style=0|1  (default: path style for a custom endpoint, virtual-host
 *                    style on AWS unless the bucket name has dots)
 *   max_keys=N      (ListObjectsV2 page size, 1..1000, default 1000)
 *   region=R
 * Endpoint: AWS_ENDPOINT_URL_S3, else S3_ENDPOINT_URL, else AWS_ENDPOINT_URL,
 * else https://s3.REGION.amazonaws.com. Region: AWS_REGION,
 * AWS_DEFAULT_REGION, us-east-1. Credentials: the aws_creds chain.
 *
 * Every PUT carries x-amz-content-sha256 and Content-MD5 of the body, so S3
 * rejects a corrupted upload; GETs stream into a temporary file renamed into
 * place. 5xx, 429, SlowDown and connection errors are retried with backoff.
 * Keys must be UTF-8 without control characters, "." or ".." segments or a
 * leading '/'. A missing key is RNR_ERR_NOTFOUND. */
#ifndef RNR_ADAPTERS_S3_STORE_H
#define RNR_ADAPTERS_S3_STORE_H

#include "adapters/aws_creds.h"
#include "core/error.h"
#include "ports/store.h"
#include <stddef.h>

typedef struct s3_store_opts {
    const char *endpoint; /* NULL: from the environment */
    const char *region;   /* NULL: URL option, then the environment */
    aws_creds *creds;     /* borrowed; NULL: own default chain */
    int path_style;       /* -1: URL option or automatic; 0 or 1 forces */
    int max_keys;         /* 0: URL option or 1000 */
    int max_attempts;     /* 0: 4 */
    const char *resolve;  /* "HOST:PORT:ADDRESS" pinned for curl (tests), or NULL */
} s3_store_opts;

#define S3_STORE_OPTS_INIT                                                                         \
    {                                                                                              \
        NULL, NULL, NULL, -1, 0, 0, NULL                                                           \
    }

int s3_store_open(const char *url, rnr_store **out, rnr_error *err);
int s3_store_open_opts(const char *url, const s3_store_opts *o, rnr_store **out, rnr_error *err);

/* The reference deployment's layout: s3://$APP_BUCKET_NAME/$<prefix_env>
 * (prefix_env e.g. "APP_OUTPUT_S3_KEY"; NULL or unset: the bucket root).
 * *url is malloc'd. RNR_ERR_CONFIG when APP_BUCKET_NAME is unset. */
int s3_url_from_env(const char *prefix_env, char **url, rnr_error *err);

/* The store URL a deployment's environment names: the bucket root
 * s3://$APP_BUCKET_NAME/ (output keys carry APP_OUTPUT_S3_KEY themselves);
 * RNR_OK with *url NULL when APP_BUCKET_NAME is unset. */
int s3_url_resolve_env(char **url, rnr_error *err);

/* Parse one ListObjectsV2 page: append its Contents (keys with prefix cut
 * off) to out, *token = NextContinuationToken (malloc'd) when truncated,
 * else NULL. RNR_ERR_PARSE naming the bucket on a malformed page. */
int s3_list_parse(const char *body, size_t len, const char *bucket, const char *prefix,
                  store_list *out, char **token, rnr_error *err);
/* 0 when key is acceptable as an S3 object key, else fills err. */
int s3_key_check(const char *key, rnr_error *err);

#endif
