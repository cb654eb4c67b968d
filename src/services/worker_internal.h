/* worker_internal.h - helpers shared by the worker's files: strict
 * environment integers, the health file and the stats JSON. */
#ifndef RNR_SERVICES_WORKER_INTERNAL_H
#define RNR_SERVICES_WORKER_INTERNAL_H

#include "core/error.h"

/* Integer variable name in [min, max], def when unset or empty;
 * RNR_ERR_CONFIG naming the variable otherwise. */
int worker_env_int(const char *name, int def, int min, int max, int *out, rnr_error *err);
/* Create path or update its modification time (NULL or "": nothing). */
void worker_health_touch(const char *path);

#endif
