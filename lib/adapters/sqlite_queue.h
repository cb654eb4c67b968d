/* sqlite_queue.h - the embedded work queue: a SQLite database in WAL mode
 * that several processes may open at once.
 *
 * URL: sqlite:///abs/path/queue.db?queue=hml_files&lease=300&max_deliveries=5
 *   queue           queue name (default hml_files; queues may share a file)
 *   lease           seconds a delivery stays leased to its consumer before
 *                   it is handed out again (default 300, 1..86400). The
 *                   holder renews it with queue_extend while it works; a
 *                   lease whose holder process has exited is handed out
 *                   again at once (same machine and pid namespace).
 *   max_deliveries  a message due for delivery number max_deliveries+1 is
 *                   moved to the dead letters instead, with reason
 *                   "delivery limit N exceeded" (default 5, 1..1000000)
 *   busy_timeout    milliseconds to wait for another process's write lock
 *                   (default 10000)
 *
 * publish returns after the insert has committed (synchronous=FULL); with
 * delay_ms the message is not ready before then (depth counts it as
 * unacked meanwhile). A tag
 * encodes the row and its delivery number, so a consumer whose lease ran
 * out cannot ack, nack or dead-letter the message's next delivery
 * (RNR_ERR_NOTFOUND). depth counts a message whose lease ran out as ready.
 * Leases use the wall clock, shared by every process on the machine. get
 * polls (10..200 ms apart) until timeout_ms. A handle belongs to one
 * thread; open one per thread or process. */
#ifndef RNR_ADAPTERS_SQLITE_QUEUE_H
#define RNR_ADAPTERS_SQLITE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "ports/queue.h"

/* queue_name, when non-NULL, wins over the URL's queue= parameter. */
int sqlite_queue_open(const char *url, const char *queue_name, rnr_queue **out, rnr_error *err);

/* Dead letters are listed and replayed through the port (queue_list_dead,
 * queue_replay_dead); a replayed message starts with a fresh delivery
 * count. */

#endif
