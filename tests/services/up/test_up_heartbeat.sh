#!/usr/bin/env bash
# The worker's heartbeat: a product longer than the queue lease and the
# health check's max age keeps the health file fresh and its lease renewed
# (a second worker never gets it, every site is stored once), while a
# worker stuck without progress (a gauge that answers nothing for 8 s)
# lets the health file go stale.
. "$(dirname "$0")/up_env.sh"
FIXTURE_DIR="$WORK/nws"
PID14=$(python3 "$RNR_SOURCE_DIR/tests/services/up/gen_sites.py" "$RNR_SOURCE_DIR/data/sample/nws" "$FIXTURE_DIR" 14)
fixture_start
# every NWPS answer of the 14 sites takes 150 ms: the product takes ~6 s
fault '{"path": "/nwps/v1/gauges/S*", "latency_ms": 150}'
export RNR_HTTP_RATE=0 RNR_HEARTBEAT_MS=100 RNR_STALL_SECONDS=1 RNR_LEASE_RENEW_MS=300
export RNR_QUEUE_URL="sqlite://$STATE/queue.db?lease=2" RNR_HEALTH_FILE="$WORK/health"
mkdir -p "$STATE"
"$RNR_BIN" producer >"$WORK/producer.out" 2>&1 || { cat "$WORK/producer.out" >&2; fail "producer"; }

healthy() { "$RNR_BIN" health --file "$WORK/health" --max-age 3 >/dev/null 2>&1; }

"$RNR_BIN" worker --once >"$WORK/w1.out" 2>"$WORK/w1.err" &
w1=$!
watchdog "$w1" 60
# wait for w1 to hold the product, then start a rival that would take it
# if the 2 s lease ran out
for _ in $(seq 1 100); do grep -q "message id=$PID14" "$WORK/w1.err" && break; sleep 0.05; done
grep -q "message id=$PID14" "$WORK/w1.err" || fail "w1 did not take the product"
RNR_HEALTH_FILE="$WORK/health2" "$RNR_BIN" worker --idle-exit 3 >"$WORK/w2.out" 2>"$WORK/w2.err" &
w2=$!
samples=0
t_start=$(date +%s)
while kill -0 "$w1" 2>/dev/null; do
  if ! grep -q "stopped messages" "$WORK/w1.err"; then
    healthy || { cat "$WORK/w1.err" >&2; fail "health file went stale while the product made progress"; }
    samples=$((samples + 1))
  fi
  sleep 0.2
done
t_end=$(date +%s)
watchdog_stop
wait "$w1" || fail "w1 exit"
wait "$w2" || fail "w2 exit"
# a sanity check of the set-up, not of the worker: the product must have
# outlived both the health check's max age and the lease
[ $((t_end - t_start)) -ge 5 ] && [ "$samples" -ge 3 ] ||
  fail "the product took $((t_end - t_start)) s ($samples samples): too short to tell"
grep -q "renew" "$WORK/w1.err" && { grep renew "$WORK/w1.err" >&2; fail "a lease renewal failed"; }
grep -q "message id=$PID14" "$WORK/w2.err" && fail "the rival worker got the product: its lease was not renewed"
for s in $(seq -w 1 14); do
  [ "$(grep -c "stored lid=S$s key=.*\.nc" "$WORK/w1.err")" -eq 1 ] || fail "S$s not stored exactly once"
done

# A stall: S03's gauge answers nothing for 8 s. The health file must go
# stale while the worker waits (no bytes, no step done).
curl -sf -X DELETE "$BASE/_fault" >/dev/null
fault '{"path": "/nwps/v1/gauges/S03", "times": 1, "latency_ms": 8000}'
# a fresh product id: publish the same product again under a new state
export RNR_STATE_DIR="$WORK/state2" RNR_QUEUE_URL="sqlite://$WORK/state2/queue.db?lease=30"
mkdir -p "$WORK/state2"
"$RNR_BIN" producer >"$WORK/producer2.out" 2>&1 || fail "producer 2"
"$RNR_BIN" worker --once >"$WORK/w3.out" 2>"$WORK/w3.err" &
w3=$!
watchdog "$w3" 60
stale=0
for _ in $(seq 1 200); do
  if grep -q "stored lid=S02 key" "$WORK/w3.err" && ! grep -q "stored lid=S03" "$WORK/w3.err"; then
    healthy || { stale=1; break; }
  fi
  grep -q "stored lid=S03" "$WORK/w3.err" && break
  sleep 0.1
done
[ "$stale" -eq 1 ] || { cat "$WORK/w3.err" >&2; fail "the health file stayed fresh through an 8 s stall"; }
grep -q "stored lid=S03" "$WORK/w3.err" && fail "went stale only after the stall ended"
wait "$w3" || fail "w3 exit"
watchdog_stop
healthy || fail "health file not fresh again after the stall"
echo "ok: heartbeat while progressing ($samples samples), stale while stalled"
