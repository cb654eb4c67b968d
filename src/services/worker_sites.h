/* worker_sites.h - each site of a product is its own unit of work.
 *
 * A product message names many sites (lids). Their outcomes are kept in a
 * ledger in the cache, one key per (product, lid), so a redelivered
 * product never routes and stores a settled site again. A site whose NWPS
 * calls fail transiently is not retried with its whole product: it gets a
 * follow-up message of its own on "<queue>.sites" (product id and url, the
 * lid and the attempt number), published with a backoff delay; after the
 * delivery limit that message is dead-lettered by itself, naming the
 * product, the lid and the reason.
 *
 * Who counts what (so the worker's stats add up exactly once even when a
 * worker dies mid-message): every ledger entry records which delivery
 * settled it (origin 0 = the product's own delivery, k = follow-up
 * attempt k), and a delivery counts a settled site only when the entry is
 * its own (it is then the redelivery of a delivery that died before its
 * counts were written). These are pure functions; worker.c does the I/O. */
#ifndef RNR_SERVICES_WORKER_SITES_H
#define RNR_SERVICES_WORKER_SITES_H

#include <stddef.h>

#include "core/error.h"

typedef enum site_state {
    SITE_NONE = 0, /* no entry: never tried (or the entry expired) */
    SITE_ROUTED,
    SITE_SKIPPED,  /* reason: an nws_skip value */
    SITE_FAILED,   /* permanent: no route, bad parameters; never retried */
    SITE_DEFERRED, /* a follow-up message owns it */
    SITE_DEAD      /* its follow-up was dead-lettered */
} site_state;

typedef struct site_record {
    site_state state;
    int reason; /* SITE_SKIPPED: the nws_skip reason */
    int origin; /* 0: the product's delivery; k > 0: follow-up attempt k */
} site_record;

/* "routed 0", "skipped 3 0", ... into buf; 0, or -1 when it does not fit. */
int site_record_format(const site_record *r, char *buf, size_t n);
/* Parse what site_record_format wrote; anything else (or NULL) is
 * SITE_NONE, so an unreadable entry makes the site run again. */
void site_record_parse(const char *s, site_record *r);
/* The ledger key of (product id, lid) into buf; -1 when it does not fit. */
int site_record_key(const char *product_id, const char *lid, char *buf, size_t n);

/* What a delivery does with a site before any work. */
typedef enum site_plan {
    SITE_PLAN_RUN,   /* do the site's work */
    SITE_PLAN_COUNT, /* settled by this very delivery before it died: count it */
    SITE_PLAN_SKIP   /* someone else settled it or owns it: nothing */
} site_plan;

/* The plan for a site whose ledger entry is have, in a delivery of origin
 * (0 for the product, else the follow-up's attempt). *attempt is the
 * attempt this run makes; a replayed dead letter starts again at 1. */
site_plan site_plan_for(const site_record *have, int origin, int *attempt);

/* After attempt number `attempt` failed transiently: SITE_DEFERRED with
 * *next = attempt + 1 while attempt < max_attempts, else SITE_DEAD. */
site_state site_after_failure(int attempt, int max_attempts, int *next);

/* A follow-up message: {"id", "url", "lid", "attempt", "reason"}. */
typedef struct site_msg {
    char *product_id;
    char *product_url; /* "" when unknown */
    char *lid;
    int attempt;  /* the attempt this message makes, >= 1 */
    char *reason; /* why the previous attempt failed, "" */
} site_msg;

int site_msg_format(const site_msg *m, char **json, rnr_error *err);
/* Bad JSON or fields -> RNR_ERR_INVALID naming what is wrong. */
int site_msg_parse(const char *body, size_t len, site_msg *out, rnr_error *err);
void site_msg_clear(site_msg *m);

#endif
