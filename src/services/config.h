/* config.h - where every service finds its backends and inputs.
 *
 * Read from the environment with the reference deployment's names, so a
 * task definition written for the Python services works unchanged, plus
 * RNR_* names for the embedded defaults; command-line flags override. */
#ifndef RNR_SERVICES_CONFIG_H
#define RNR_SERVICES_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "hydrofabric/hf.h"
#include "ports/store.h"

typedef struct rnr_config {
    char *state_dir;          /* RNR_STATE_DIR, default ./rnr-state; under Lambda /tmp/rnr-state */
    char *queue_url;          /* RNR_QUEUE_URL; else RABBITMQ_ENDPOINT (+ credentials from
                                 RABBITMQ_USERNAME/PASSWORD or the RABBITMQ_SECRET_ARN secret);
                                 else sqlite:///{state_dir}/queue.db */
    char *queue_name;         /* MQ_QUEUE_NAME, default hml_files */
    char *cache_url;          /* RNR_CACHE_URL; else redis://REDIS_HOST:REDIS_PORT/0; else
                                 sqlite:///{state_dir}/cache.db */
    char *store_url;          /* RNR_STORE_URL; else s3://APP_BUCKET_NAME; else
                                 file:///{state_dir}/store */
    char *output_prefix;      /* APP_OUTPUT_S3_KEY, default replace_and_route */
    char *postprocess_prefix; /* POSTPROCESS_OUTPUT_S3_KEY, default rnr_postprocess */
    char *hydrofabric_path;   /* RNR_HYDROFABRIC: a local GeoPackage */
    char *hydrofabric_key;    /* HYDROFABRIC_S3_KEY: downloaded from the store when no path */
    char *nws_url;            /* NWS_API_URL, default https://api.weather.gov */
    char *nwps_url;           /* NWPS_API_URL, default https://api.water.noaa.gov/nwps/v1 */
    char *user_agent;         /* NWS_USER_AGENT */
    char *metrics_url;        /* RNR_METRICS_URL: log: (default), file:///..., cloudwatch: */
    char *ecs_cluster;        /* ECS_CLUSTER_NAME */
    char *ecs_service;        /* ECS_SERVICE_NAME */
    char *mq_broker_name;     /* MQ_BROKER_NAME */
    char *region;             /* AWS_REGION */
    char *health_file;        /* RNR_HEALTH_FILE: touched by a live worker */
    int64_t dedup_ttl_s;      /* RNR_DEDUP_TTL, default 604800 (7 days, as the reference) */
    int grace_s;              /* RNR_GRACE_SECONDS, default 30 */
    int forcing_mode;         /* RNR_FORCING: timecorrect (default) | troute */
    int write_plots;          /* RNR_PLOTS: 1 = an SVG hydrograph next to each NetCDF */
    int postprocess_window_s; /* RNR_POSTPROCESS_WINDOW, default 86400 */
    int postprocess_compat;   /* RNR_POSTPROCESS_COMPAT=reference: 1 = the reference's table */
    int postprocess_read_timeout_s; /* RNR_POSTPROCESS_READ_TIMEOUT, default 60; 0: none */
    int hydrofabric_whole;      /* RNR_HYDROFABRIC_FETCH=whole: 1 = whole files, not ranged reads */
    int hydrofabric_no_publish; /* RNR_HYDROFABRIC_PUBLISH=0: do not upload an index built here */
} rnr_config;

/* Fill c from the environment and defaults; RNR_ERR_CONFIG names the
 * variable that is wrong. Secrets are resolved here and never logged. */
int config_load(rnr_config *c, rnr_error *err);
/* Replace one string field (flags override the environment). */
int config_set(char **field, const char *value);
void config_clear(rnr_config *c);
/* Open the hydrofabric: the local path when given, else the store object
 * HYDROFABRIC_S3_KEY: a GeoPackage (".gpkg") downloaded once to
 * {state_dir}/hf-<name>, or a prefix of parquet layers read through a
 * cache in {state_dir}/hf-<prefix>/ (hf_fetch.h). The store must outlive
 * *out (geometry is fetched when first asked for). */
int config_open_hydrofabric(const rnr_config *c, rnr_store *store, hf_db **out, rnr_error *err);
/* A one-line description with passwords masked, for the startup log. */
void config_describe(const rnr_config *c, char *buf, size_t n);

#endif
