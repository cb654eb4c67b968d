/* aws_sigv4.h - AWS Signature Version 4 arithmetic: hashes, RFC 3986
 * encoding, the canonical request and the signature.
 *
 * The clients sign through libcurl (CURLOPT_AWS_SIGV4); this module is the
 * independent implementation the test fake uses to VERIFY what curl sent,
 * checked against AWS's published examples. It also supplies the body
 * hashes the clients must add as x-amz-content-sha256. */
#ifndef RNR_ADAPTERS_AWS_SIGV4_H
#define RNR_ADAPTERS_AWS_SIGV4_H

#include <stddef.h>

#include "core/error.h"

#define AWS_SHA256_HEX_LEN 64
/* Hash of the empty payload (GET, HEAD, DELETE). */
#define AWS_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct aws_header {
    const char *name; /* lower case */
    const char *value;
} aws_header;

/* Parsed "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request,
 * SignedHeaders=a;b, Signature=hex". */
typedef struct aws_sigv4_auth {
    char access_key[128];
    char date[9];
    char region[32];
    char service[32];
    char signed_headers[1024];
    char signature[65];
} aws_sigv4_auth;

void aws_sha256_hex(const void *data, size_t len, char out[AWS_SHA256_HEX_LEN + 1]);
/* SHA-256 hex and base64 MD5 of a whole file, read in chunks. */
int aws_file_digests(const char *path, char sha256_hex[AWS_SHA256_HEX_LEN + 1], char md5_b64[25],
                     long long *size, rnr_error *err);
void aws_md5_b64(const void *data, size_t len, char out[25]);

/* Percent-encode per SigV4: unreserved A-Za-z0-9-_.~ kept, the rest %XX
 * upper case; keep_slash keeps '/'. Returns malloc'd string or NULL. */
char *aws_uri_encode(const char *s, size_t len, int keep_slash);
/* Decode %XX (and '+' as space when plus_space). malloc'd and
 * NUL-terminated, or NULL; *out_len (if non-NULL) gets the decoded length,
 * which counts a decoded %00 that strlen would stop at. */
char *aws_uri_decode(const char *s, size_t len, int plus_space, size_t *out_len);

/* Canonical request from the raw request line: the path and query are
 * decoded and re-encoded, query pairs sorted. headers holds every received
 * header with lower-case names; signed is "a;b;c". *out is malloc'd. */
int aws_sigv4_canonical_request(const char *method, const char *raw_path, const char *raw_query,
                                const aws_header *headers, size_t nheaders, const char *signed_hdrs,
                                const char *payload_hash, char **out, rnr_error *err);
/* Hex signature of a canonical request. scope = DATE/REGION/SERVICE/aws4_request. */
void aws_sigv4_signature(const char *secret, const char *amz_date, const char *date,
                         const char *region, const char *service, const char *canonical,
                         char out[AWS_SHA256_HEX_LEN + 1]);
int aws_sigv4_parse_auth(const char *authorization, aws_sigv4_auth *out, rnr_error *err);

#endif
