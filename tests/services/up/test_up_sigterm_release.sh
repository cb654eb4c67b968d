#!/usr/bin/env bash
# SIGTERM to a running `rnr up` while a worker holds a message it cannot
# finish within its grace period (1 s, the NWPS answer takes 6 s): the
# message goes back to the queue (released, or redelivered when its 5 s
# lease runs out), no half-written output is left, and a following --once
# cycle finishes it: every message acked exactly once over the two runs.
. "$(dirname "$0")/up_env.sh"
fixture_start
# RNRB1's gauge answers after 6 s once: a message is in flight then.
fault '{"path": "/nwps/v1/gauges/RNRB1", "times": 1, "latency_ms": 6000}'
export RNR_GRACE_SECONDS=1 RNR_QUEUE_URL="sqlite://$STATE/queue.db?lease=5"

up_sigterm_in_flight
[ "$acked1" -lt 3 ] || fail "every message was acked before the stop: nothing went back"
up_once_finishes_rest
echo "ok: SIGTERM released the held message ($n1 outputs before, acked $acked1 then $acked2)"
