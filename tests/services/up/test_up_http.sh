#!/usr/bin/env bash
# rnr up with RNR_HTTP_LISTEN: the supervisor serves /metrics, /api/status,
# /healthz and /readyz of the whole pipeline. While a worker is stuck on a
# slow gauge the live view shows it running and busy; a byte-by-byte client
# and garbage requests do not stop other clients from being served; the
# worker is then killed, and after the cycle /metrics adds up every
# worker's counts (the killed one's included: no settled count is lost to
# the restart), the step histograms, the producer's and the post-process's
# counts and last successes.
. "$(dirname "$0")/up_env.sh"
fixture_start
# RNRB1's gauge answers after 8 s once: the worker is stuck there, with
# RNRA1 already stored, when it is killed.
fault '{"path": "/nwps/v1/gauges/RNRB1", "times": 1, "latency_ms": 8000}'
export RNR_QUEUE_URL="sqlite://$STATE/queue.db?lease=3"
# A fixed port through the environment: were it passed on to the workers,
# each would fail to bind it and exit (and restarts would not be 1 below).
HPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export RNR_HTTP_LISTEN="127.0.0.1:$HPORT"
H="http://127.0.0.1:$HPORT"

"$RNR_BIN" up --once --linger --no-status --workers 1 --postprocess-time "$SAMPLE_NOW" \
  --port-file "$WORK/http.port" >"$WORK/up.out" 2>"$WORK/up.err" &
up_pid=$!
watchdog "$up_pid" 120
for _ in $(seq 1 300); do [ -s "$WORK/http.port" ] && break; sleep 0.1; done
[ "$(cat "$WORK/http.port" 2>/dev/null)" = "$HPORT" ] || { cat "$WORK/up.err" >&2; fail "not serving on RNR_HTTP_LISTEN"; }
unset RNR_HTTP_LISTEN

# metric NAME_WITH_LABELS: its value in a fresh scrape ("" when absent)
metric() { curl -fsS "$H/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
worker=""
for _ in $(seq 1 300); do
  if grep -q "stored lid=RNRA1 key=.*\.nc" "$WORK/up.err" 2>/dev/null && [ "$(metric rnr_worker_busy)" = 1 ]; then
    worker=$(pgrep -P "$up_pid" | head -1 || true)
    break
  fi
  sleep 0.1
done
[ -n "$worker" ] || { cat "$WORK/up.err" >&2; fail "no worker got to RNRB1 while busy"; }
grep -q "stored lid=RNRB1" "$WORK/up.err" && fail "RNRB1 done already: nothing in flight"
# the live view, while the worker holds its delivery
[ "$(metric rnr_workers_running)" = 1 ] || fail "live: rnr_workers_running is not 1"
# every product is settled, ready, or in flight (the stuck worker's lease
# may have run out: its heartbeat renews it only on progress), in one scrape
curl -fsS "$H/metrics" >"$WORK/live.txt"
products=$(awk '$1 == "rnr_queue_ready" || $1 == "rnr_queue_in_flight" || $1 == "rnr_worker_settled_total{result=\"acked\"}" { n += $2 } END { print n + 0 }' "$WORK/live.txt")
[ "$products" = 3 ] || { grep -v '^#' "$WORK/live.txt" >&2; fail "live: $products products queued or acked, expected 3"; }
[ "$(metric rnr_products_published_total)" = 3 ] || fail "live: products published"
curl -fsS "$H/api/status" | grep -q '"cycle":"running"' || fail "live: /api/status cycle"
curl -fsS "$H/readyz" >/dev/null || fail "live: /readyz"
curl -fsS "$H/healthz" | grep -q '"status":"ok"' || fail "live: /healthz"

kill -9 "$worker" || fail "the worker finished RNRB1 before it could be killed"
for _ in $(seq 1 900); do grep -q '^result:' "$WORK/up.out" && break; sleep 0.1; done
grep -q '^result: ok' "$WORK/up.out" || { cat "$WORK/up.out" "$WORK/up.err" >&2; fail "the cycle did not succeed"; }
grep -q "worker pid=$worker exited unexpectedly: signal 9" "$WORK/up.err" || fail "the kill was not noticed"
curl -fsS "$H/metrics" >"$WORK/metrics.txt" || fail "/metrics after the cycle"
m() { awk -v k="$1" '$1 == k { print $2 }' "$WORK/metrics.txt"; }
expect_metric() { [ "$(m "$1")" = "$2" ] || { grep -v '^#' "$WORK/metrics.txt" >&2; fail "$1 is '$(m "$1")', expected '$2'"; }; }
# the same numbers as the summary (test_up_crash.sh explains them)
expect_metric rnr_worker_restarts_total 1
expect_metric rnr_worker_exits_total 1
expect_metric rnr_workers_running 0
expect_metric rnr_worker_messages_total 4
expect_metric 'rnr_worker_settled_total{result="acked"}' 3
expect_metric 'rnr_worker_sites_total{outcome="routed"}' 3
expect_metric 'rnr_worker_sites_total{outcome="skipped"}' 5
expect_metric 'rnr_worker_sites_skipped_total{reason="not_flooding"}' 1
expect_metric 'rnr_worker_sites_skipped_total{reason="gauge_not_found"}' 1
expect_metric rnr_worker_forecasts_routed_total 3
expect_metric rnr_products_seen_total 3
expect_metric rnr_products_new_total 3
expect_metric rnr_products_published_total 3
expect_metric rnr_queue_ready 0
expect_metric rnr_queue_in_flight 0
expect_metric rnr_queue_dead 0
expect_metric rnr_postprocess_runs_total 1
[ "$(m rnr_postprocess_rows_total)" -gt 0 ] || fail "no post-process rows"
for job in producer postprocess; do
  [ "$(m "rnr_job_last_success_timestamp_seconds{job=\"$job\"}")" -gt 1700000000 ] || fail "no last success of $job"
done
# Step durations count once their delivery is settled: the killed
# worker's RNRA1 routing was in a delivery it never settled, and the
# redelivery takes RNRA1 from the site ledger, so exactly RNRB1 and RNRC1
# were cut, routed, written and stored; fetches happened in both.
for step in fetch cut route netcdf store; do
  n=$(m "rnr_worker_step_duration_seconds_count{step=\"$step\"}")
  if [ "$step" = fetch ]; then [ "${n:-0}" -ge 8 ] || fail "fetch observed ${n:-0} times"
  else [ "${n:-0}" = 2 ] || fail "step $step observed ${n:-0} times, expected 2"; fi
  [ "$(m "rnr_worker_step_duration_seconds_bucket{step=\"$step\",le=\"+Inf\"}")" = "$n" ] || fail "step $step: +Inf bucket"
done
curl -fsS "$H/api/status" >"$WORK/status.json"
grep -q '"cycle":"done"' "$WORK/status.json" && grep -q '"restarts":1' "$WORK/status.json" ||
  { cat "$WORK/status.json" >&2; fail "/api/status after the cycle"; }
code=$(curl -s -o /dev/null -w '%{http_code}' "$H/readyz"); [ "$code" = 503 ] || fail "/readyz after the cycle: $code"

# While it lingers: a client sending one byte at a time (half-way, other
# clients are served), then garbage.
python3 - "$HPORT" "$WORK" <<'EOF' || fail "slow and garbage clients"
import os, socket, subprocess, sys
port, work = int(sys.argv[1]), sys.argv[2]
def served():
    return subprocess.run(["curl", "-fsS", "-o", "/dev/null", "--max-time", "10",
                           f"http://127.0.0.1:{port}/metrics"]).returncode == 0
req = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
slow = socket.create_connection(("127.0.0.1", port), timeout=10)
for i, b in enumerate(req):
    slow.send(bytes([b]))
    if i == len(req) // 2 and not served():
        sys.exit("a half-sent request blocks the server")
reply = b""
while chunk := slow.recv(4096):
    reply += chunk
if not reply.startswith(b"HTTP/1.1 200"):
    sys.exit("the slow client got: %r" % reply[:80])
# Garbage: a TLS hello, binary noise, an oversized request line, a header
# without end, a request cut short. Each gets an error or a close.
for junk in [b"\x16\x03\x01\x02\x00garbage\r\n\r\n", os.urandom(4096), b"GET /" + b"A" * 100000 + b" HTTP/1.1\r\n\r\n",
             b"GET / HTTP/1.1\r\nX: " + b"B" * 50000, b"GET /met"]:
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    try:
        s.sendall(junk)
        s.shutdown(socket.SHUT_WR)
        got = s.recv(200)
        if got and not got.startswith(b"HTTP/1.1 4"):
            sys.exit("garbage %r got %r" % (junk[:16], got[:40]))
    except OSError:
        pass  # the server hung up on it (reset, not connected): also fine
    s.close()
    if not served():
        sys.exit("garbage %r stopped the server" % junk[:16])
EOF

kill -TERM "$up_pid"
RC=0; wait "$up_pid" || RC=$?
watchdog_stop
[ "$RC" -eq 0 ] || { cat "$WORK/up.err" >&2; fail "exit $RC after SIGTERM"; }
[ -z "$(pgrep -f "$STATE" || true)" ] || fail "a worker outlived rnr up"
echo "ok: live and final metrics, slow and garbage clients, restart counted"
