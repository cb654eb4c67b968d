/* redis_url.h - the Redis cache URL from the reference deployment's
 * environment (REDIS_HOST, REDIS_PORT, REDIS_TLS) and the AUTH token from
 * a Secrets Manager secret value. */
#ifndef RNR_ADAPTERS_REDIS_URL_H
#define RNR_ADAPTERS_REDIS_URL_H

#include "core/error.h"
#include "ports/telemetry.h"

/* REDIS_HOST (required), REDIS_PORT (default 6379) and REDIS_TLS (true /
 * false, default false) -> a malloc'd redis[s]://host:port/0 URL. */
RNR_WARN_UNUSED int redis_url_from_env(char **url, rnr_error *err);

/* 1 when url is a redis[s]:// URL that would send no password: it has none
 * and REDIS_PASSWORD is unset, so a secret should supply one. */
int redis_url_wants_secret(const char *url);

/* url with the password (and user) of a secret value put in its userinfo,
 * percent-encoded, into a malloc'd *out. The secret is the AUTH token as
 * plain text, or a JSON object {"password": ..., "username": ...}. */
RNR_WARN_UNUSED int redis_url_add_secret(const char *url, const char *secret, char **out,
                                         rnr_error *err);

/* The cache URL a deployment's environment names: given (RNR_CACHE_URL,
 * may be NULL), else redis_url_from_env when REDIS_HOST is set; a Redis
 * URL that wants a secret takes the REDIS_SECRET_ARN secret's password
 * (fetched through open_secrets). RNR_OK with *url NULL when neither is
 * given; RNR_ERR_CONFIG naming the variable, except that a secret that
 * cannot be fetched right now keeps its transient code. */
RNR_WARN_UNUSED int redis_url_resolve_env(const char *given, secrets_open_fn open_secrets,
                                          char **url, rnr_error *err);

#endif
