/* redis_url.h - the Redis cache URL from the reference deployment's
 * environment (REDIS_HOST, REDIS_PORT, REDIS_TLS) and the AUTH token from
 * a Secrets Manager secret value. */
#ifndef RNR_ADAPTERS_REDIS_URL_H
#define RNR_ADAPTERS_REDIS_URL_H

#include "core/error.h"

/* REDIS_HOST (required), REDIS_PORT (default 6379) and REDIS_TLS (true /
 * false, default false) -> a malloc'd redis[s]://host:port/0 URL. */
RNR_WARN_UNUSED int redis_url_from_env(char **url, rnr_error *err);

/* 1 when url is a redis[s]:// URL that would send no password: it has none
 * and REDIS_PASSWORD is unset, so a secret should supply one. */
int redis_url_wants_secret(const char *url);

/* url with the password (and user) of a secret value put in its userinfo,
 * percent-encoded, into a malloc'd *out. The secret is the AUTH token as
 * plain text, or a JSON object {"password": ..., "username": ...}. */
RNR_WARN_UNUSED int redis_url_add_secret(const char *url, const char *secret, char **out, rnr_error *err);

#endif
