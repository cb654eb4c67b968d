#!/usr/bin/env bash
# kill -9 of a worker in the middle of a message: the supervisor restarts
# it, the queue's lease (3 s) hands the message out again, and its outputs
# end up written once and complete.
. "$(dirname "$0")/up_env.sh"
fixture_start
# RNRB1's gauge answers after 8 s once: the worker is stuck there, with
# RNRA1 already stored, when it is killed.
fault '{"path": "/nwps/v1/gauges/RNRB1", "times": 1, "latency_ms": 8000}'
export RNR_QUEUE_URL="sqlite://$STATE/queue.db?lease=3"

"$RNR_BIN" up --once --no-status --workers 1 >"$WORK/up.out" 2>"$WORK/up.err" &
up_pid=$!
watchdog "$up_pid" 90
worker=""
for _ in $(seq 1 300); do
  if grep -q "stored lid=RNRA1 key=.*\.nc" "$WORK/up.err" 2>/dev/null; then
    worker=$(pgrep -P "$up_pid" | head -1 || true)
    break
  fi
  sleep 0.1
done
[ -n "$worker" ] || { kill "$up_pid"; cat "$WORK/up.err" >&2; fail "no worker got to RNRA1"; }
sleep 0.5
kill -9 "$worker"
RC=0; wait "$up_pid" || RC=$?
watchdog_stop
[ "$RC" -eq 0 ] || { cat "$WORK/up.out" "$WORK/up.err" >&2; fail "exit $RC"; }
grep -q "worker pid=$worker exited unexpectedly: signal 9" "$WORK/up.err" || fail "the kill was not noticed"
grep -q "message id=$P_A delivery=2" "$WORK/up.err" || fail "the message was not redelivered"
expect_summary up "worker restarts" 1
expect_summary up "dead letters (this run)" 0
# the counts come from durable state, not from the workers' memory: the
# killed worker's stats file (rewritten when it takes and settles each
# message) still says it took two deliveries and settled one product; the
# redelivery counts RNRA1 from the site ledger without routing it again
expect_summary up "messages processed" 4
expect_summary up "messages acked" 3
expect_summary up "sites routed" 3
expect_summary up "outputs written" 3
[ "$(grep -c "stored lid=RNRA1 key=.*\.nc" "$WORK/up.err")" -eq 1 ] || fail "RNRA1 routed and stored again"
[ "$(nc_keys)" = "$EXPECTED_NC" ] || { nc_keys >&2; fail "outputs differ"; }
[ "$(check_nc_complete)" = 3 ] || fail "an output does not open"
# no temporary files left beside the outputs
[ -z "$(find "$STORE" -name '*.tmp*' -o -name '.*' -type f | head -1)" ] || fail "temporary files left in the store"
echo "ok: killed worker, message redelivered"
