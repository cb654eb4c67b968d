/* producer.h - one producer cycle: list HML products, skip the ones seen,
 * publish the new ones, remember them.
 *
 * Oldest first; for each product not in the dedup cache: publish
 * (persistent) and wait for the broker's confirmation, THEN set the cache
 * key (id -> message JSON, 7-day expiry), so a failed publish is retried
 * next cycle and a crash can at worst duplicate, never lose. One product's
 * failure does not stop the others. When the cache is unreachable the
 * cycle fails and publishes nothing. */
#ifndef RNR_SERVICES_PRODUCER_H
#define RNR_SERVICES_PRODUCER_H

#include <stdint.h>

#include "core/error.h"
#include "ports/cache.h"
#include "ports/queue.h"
#include "services/config.h"

typedef struct producer producer;

typedef struct producer_counts {
    int seen;         /* products in the list */
    int new_products; /* not in the cache */
    int published;    /* confirmed by the queue and cached */
    int failed;       /* publish or cache-set failed: retried next cycle */
    int deferred;     /* not attempted because the deadline was near */
} producer_counts;

int producer_new(const rnr_config *cfg, producer **out, rnr_error *err);
/* deadline_ms: epoch ms after which no new publish starts (0 = none). */
int producer_cycle(producer *p, int64_t deadline_ms, producer_counts *out, rnr_error *err);
void producer_free(producer *p);

/* Same as producer_new with the queue and cache given instead of opened
 * from cfg (tests, and `rnr up` sharing handles): both are borrowed and
 * must outlive the producer; NULL opens that one from cfg as usual. cfg
 * is borrowed by both constructors. */
int producer_new_ports(const rnr_config *cfg, rnr_queue *q, rnr_cache *c, producer **out,
                       rnr_error *err);

#endif
