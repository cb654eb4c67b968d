/* worker_internal.h - helpers shared by the worker's files: strict
 * environment integers, the health file and the stats JSON. */
#ifndef RNR_SERVICES_WORKER_INTERNAL_H
#define RNR_SERVICES_WORKER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Create path or update its modification time (NULL or "": nothing). */
void worker_health_touch(const char *path);

/* Per-message work directories (see worker_workdir.c). make: 0, or -1
 * with buf "" and errno set; sweep returns how many it removed. */
int worker_workdir_make(const char *state_dir, char *buf, size_t n);
void worker_workdir_remove(const char *dir);
int worker_workdir_sweep(const char *state_dir);

/* Failures this worker saw per message body, for backends that cannot
 * count deliveries (a classic RabbitMQ queue reports 0 on a redelivery):
 * a small table keyed by a hash of the body, oldest entry evicted. */
#define WORKER_ATTEMPTS_SLOTS 64
typedef struct worker_attempts {
    uint64_t key[WORKER_ATTEMPTS_SLOTS];
    int failures[WORKER_ATTEMPTS_SLOTS];
    size_t next; /* slot the next new key takes */
} worker_attempts;

/* Record one more failed delivery of body; returns the attempts so far:
 * delivery_count when the backend knows it (> 0), else this worker's count. */
int worker_attempts_fail(worker_attempts *a, const char *body, size_t len, int delivery_count);
/* The message was settled for good: forget it. */
void worker_attempts_forget(worker_attempts *a, const char *body, size_t len);

#endif
