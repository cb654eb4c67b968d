#!/usr/bin/env bash
# An NWPS request that times out: the fixture holds RNRC1's series
# (GET /stageflow, both at once) for 5 s once, past the HTTP client's transfer timeout (set to 3 s here
# with RNR_HTTP_TIMEOUT_MS; 30 s by default); the request is retried and
# the cycle completes with every output.
. "$(dirname "$0")/up_env.sh"
export RNR_HTTP_TIMEOUT_MS=3000
fixture_start
fault '{"path": "/nwps/v1/gauges/RNRC1/stageflow", "times": 1, "latency_ms": 5000}'

up_once timeout --workers 1
[ "$RC" -eq 0 ] || { cat "$WORK/timeout.out" "$WORK/timeout.err" >&2; fail "exit $RC"; }
grep -q "GET $BASE/nwps/v1/gauges/RNRC1/stageflow: attempt 1 failed (.*timed out" "$WORK/timeout.err" ||
  { grep -i "rnrc1" "$WORK/timeout.err" >&2; fail "no timed-out attempt logged"; }
expect_summary timeout "sites routed" 3
expect_summary timeout "outputs written" 3
expect_summary timeout "dead letters (this run)" 0
[ "$(nc_keys)" = "$EXPECTED_NC" ] || { nc_keys >&2; fail "outputs differ"; }
[ "$(check_nc_complete)" = 3 ] || fail "an output does not open"
echo "ok: timed-out request retried"
