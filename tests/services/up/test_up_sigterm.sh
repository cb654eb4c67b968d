#!/usr/bin/env bash
# SIGTERM to a running `rnr up` while a worker holds a message: the workers
# drain, no half-written output is left (every .nc opens), and no message
# is lost: each was acked with its outputs or is back in the queue, which a
# following --once cycle drains to the full set of outputs.
. "$(dirname "$0")/up_env.sh"
fixture_start
# RNRB1's gauge answers after 4 s once: a message is in flight then.
fault '{"path": "/nwps/v1/gauges/RNRB1", "times": 1, "latency_ms": 4000}'
export RNR_GRACE_SECONDS=10

up_sigterm_in_flight
up_once_finishes_rest
echo "ok: SIGTERM drained ($n1 outputs before, acked $acked1 then $acked2)"
