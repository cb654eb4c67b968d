/* s3_url.h - S3 URLs, bucket names and keys, for the S3 store only
 * (s3_store.c): the parsed form of "s3://bucket/prefix?options" and the
 * checks S3 puts on names. Not a public header. */
#ifndef RNR_ADAPTERS_S3_URL_H
#define RNR_ADAPTERS_S3_URL_H

#include "core/error.h"

#define S3_KEY_MAX 1024

typedef struct s3_url {
    char bucket[64];
    char prefix[S3_KEY_MAX + 2];
    int path_style; /* -1 unset */
    int max_keys;   /* 0 unset */
    char region[64];
} s3_url;

/* Parse "s3://bucket[/prefix][?path_style=0|1&max_keys=N&region=R]" into
 * u (the prefix ends with '/' unless empty); RNR_ERR_CONFIG naming what is
 * wrong. */
RNR_WARN_UNUSED int s3_url_parse(const char *url, s3_url *u, rnr_error *err);
/* RNR_OK when key (what names it in a message: "key", "prefix") is valid
 * UTF-8 within S3's length, without control characters; empty only when
 * allow_empty. */
RNR_WARN_UNUSED int s3_path_check(const char *what, const char *key, int allow_empty,
                                  rnr_error *err);
/* The S3 endpoint the environment names (AWS_ENDPOINT_URL_S3,
 * S3_ENDPOINT_URL, AWS_ENDPOINT_URL), NULL for AWS's own. */
const char *s3_env_endpoint(void);

#endif
