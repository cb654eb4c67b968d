/* aws_api.h - signed calls to AWS control-plane APIs over libcurl, and the
 * secrets / metrics / fleet port backends built on them.
 *
 * Signing is libcurl's CURLOPT_AWS_SIGV4 ("aws:amz:REGION:SERVICE") plus
 * the headers curl 7.88 does not add itself: x-amz-content-sha256 (the body
 * hash, which curl then signs and uses as the payload hash) and
 * x-amz-security-token for temporary credentials.
 *
 * Endpoints, as the AWS SDKs name their overrides: opts.endpoint, else
 * AWS_ENDPOINT_URL_<SERVICE> (SECRETS_MANAGER, CLOUDWATCH, ECS, S3), else
 * AWS_ENDPOINT_URL, else https://<service>.<region>.amazonaws.com (the env
 * overrides are ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true).
 * Region: opts.region, else AWS_REGION, AWS_DEFAULT_REGION, us-east-1.
 * Throttling, 5xx and connection errors are retried with backoff. */
#ifndef RNR_ADAPTERS_AWS_API_H
#define RNR_ADAPTERS_AWS_API_H

#include <curl/curl.h>
#include <stddef.h>

#include "adapters/aws_creds.h"
#include "core/error.h"
#include "ports/telemetry.h"

typedef struct aws_opts {
    const char *region;   /* NULL: from the environment */
    const char *endpoint; /* NULL: from the environment or the AWS default */
    aws_creds *creds;     /* borrowed (must outlive the client); NULL: own default chain */
    int max_attempts;     /* 0: 4 */
} aws_opts;

typedef struct aws_client aws_client;

/* service: the signing name ("secretsmanager", "monitoring", "ecs", "s3");
 * env_id: the endpoint variable suffix ("SECRETS_MANAGER", "CLOUDWATCH",
 * "ECS", "S3"). o may be NULL. */
int aws_client_new(const char *service, const char *env_id, const aws_opts *o, aws_client **out,
                   rnr_error *err);
void aws_client_free(aws_client *c);
const char *aws_client_region(const aws_client *c);
/* Scheme://host[:port] without a trailing slash. */
const char *aws_client_endpoint(const aws_client *c);
int aws_client_max_attempts(const aws_client *c);
int aws_client_credentials(aws_client *c, aws_credentials *out, rnr_error *err);
/* Sleep before retry number attempt (1, 2, ...): exponential with jitter. */
void aws_client_backoff(aws_client *c, int attempt);

/* The region from AWS_REGION / AWS_DEFAULT_REGION / "us-east-1". */
const char *aws_env_region(void);

/* Configure SigV4 on h and append x-amz-content-sha256 (payload_hash) and,
 * with a session token, x-amz-security-token to *headers. The caller sets
 * CURLOPT_HTTPHEADER after adding its own headers. */
int aws_sign_curl(CURL *h, struct curl_slist **headers, const aws_credentials *cr,
                  const char *region, const char *service, const char *payload_hash,
                  rnr_error *err);

/* Error classification shared by the clients: HTTP status and the AWS
 * error code ("ResourceNotFoundException", "SlowDown", ...) to an RNR code. */
int aws_error_class(long status, const char *aws_code);

/* The AWS error code and message of an error body: JSON (__type, message;
 * a "ns#Code" type is cut to Code) or XML (Code, Message). "" if absent. */
void aws_error_shape(const char *body, size_t len, char *code, size_t code_cap, char *msg,
                     size_t msg_cap);

typedef struct aws_response {
    long status;
    char *body; /* NUL-terminated, may be NULL */
    size_t len;
} aws_response;

void aws_response_clear(aws_response *r);

/* POST / with body; retries transient failures. RNR_OK only for 2xx; on
 * other statuses the error is classified and named from the response (JSON
 * __type/message or XML Code/Message) and *resp still holds the body.
 * action names the operation in error messages. */
int aws_post(aws_client *c, const char *action, const char *target, const char *content_type,
             const char *body, size_t len, aws_response *resp, rnr_error *err);

/* Secrets Manager GetSecretValue(SecretId) -> SecretString (malloc'd). */
int aws_secrets_get_value(aws_client *c, const char *secret_id, char **value, rnr_error *err);
/* The SecretString of a GetSecretValue reply (malloc'd); pure (fuzzed). */
int aws_secret_string_parse(const char *body, size_t len, const char *secret_id, char **value,
                            rnr_error *err);
/* CloudWatch PutMetricData, one datum (unit NULL: "None"). */
int aws_cloudwatch_put(aws_client *c, const char *ns, const char *name, double value,
                       const char *unit, const metric_dim *dims, size_t ndims, rnr_error *err);
/* ECS DescribeServices for one service: runningCount and desiredCount. */
int aws_ecs_describe_service(aws_client *c, const char *cluster, const char *service, int *running,
                             int *desired, rnr_error *err);

/* runningCount and desiredCount (each 0..INT_MAX) of a DescribeServices
 * reply; RNR_ERR_NOTFOUND with the failure reason when the service is
 * missing. Pure (fuzzed). */
int aws_ecs_service_parse(const char *body, size_t len, const char *cluster, const char *service,
                          int *running, int *desired, rnr_error *err);
/* Port backends (o may be NULL). */
int aws_secrets_open(const aws_opts *o, rnr_secrets **out, rnr_error *err);
int aws_metrics_open(const aws_opts *o, rnr_metrics **out, rnr_error *err);
/* running = runningCount; set_desired is NULL: ECS scales the service. */
int ecs_fleet_open(const char *cluster, const char *service, const aws_opts *o, rnr_fleet **out,
                   rnr_error *err);

#endif
