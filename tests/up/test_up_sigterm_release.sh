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

"$RNR_BIN" up --no-status --workers 2 --max-workers 2 >"$WORK/up.out" 2>"$WORK/up.err" &
up_pid=$!
watchdog "$up_pid" 90
for _ in $(seq 1 300); do
  grep -q "stored lid=RNRA1 key=.*\.nc" "$WORK/up.err" 2>/dev/null && break
  sleep 0.1
done
grep -q "stored lid=RNRA1" "$WORK/up.err" || { cat "$WORK/up.err" >&2; fail "no work started"; }
grep -q "stored lid=RNRB1" "$WORK/up.err" && fail "RNRB1 done before the SIGTERM: nothing in flight"
kill -TERM "$up_pid"
RC=0; wait "$up_pid" || RC=$?
watchdog_stop
[ "$RC" -eq 0 ] || { cat "$WORK/up.out" "$WORK/up.err" >&2; fail "rnr up exit $RC after SIGTERM"; }
grep -q "stopping: SIGTERM to 2 workers" "$WORK/up.err" || fail "workers not stopped by SIGTERM"
[ -z "$(pgrep -f "$STATE" || true)" ] || fail "a worker outlived rnr up"
expect_summary up "worker restarts" 0
n1=$(check_nc_complete)
[ -z "$(find "$STORE" -type f \( -name '*.tmp*' -o -name '.*' \) | head -1)" ] || fail "temporary files in the store"
acked1=$(summary up "messages acked")

# The rest (if any) is still queued: a --once cycle finishes it.
up_once rest --workers 1
[ "$RC" -eq 0 ] || { cat "$WORK/rest.out" "$WORK/rest.err" >&2; fail "second cycle exit $RC"; }
expect_summary rest "products new" 0
acked2=$(summary rest "messages acked")
[ "$acked1" -lt 3 ] || fail "every message was acked before the stop: nothing went back"
[ $((acked1 + acked2)) -eq 3 ] || fail "acked $acked1 + $acked2 messages, expected 3"
expect_summary rest "dead letters (total)" 0
[ "$(nc_keys)" = "$EXPECTED_NC" ] || { nc_keys >&2; fail "outputs differ"; }
[ "$(check_nc_complete)" = 3 ] || fail "an output does not open"
echo "ok: SIGTERM released the held message ($n1 outputs before, acked $acked1 then $acked2)"
