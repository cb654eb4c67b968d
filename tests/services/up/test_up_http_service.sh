#!/usr/bin/env bash
# The long-running `rnr up --http`: while it runs, /metrics and
# /api/status follow the producer's first cycle and the workers' routing
# (the service's view: min/max workers, the autoscaler among the jobs,
# not run yet); SIGTERM stops it with exit 0 and the server with it.
. "$(dirname "$0")/up_env.sh"
fixture_start
"$RNR_BIN" up --no-status --http 127.0.0.1:0 --port-file "$WORK/http.port" --min-workers 1 --max-workers 2 \
  >"$WORK/up.out" 2>"$WORK/up.err" &
up_pid=$!
watchdog "$up_pid" 90
for _ in $(seq 1 300); do [ -s "$WORK/http.port" ] && break; sleep 0.1; done
[ -s "$WORK/http.port" ] || { cat "$WORK/up.err" >&2; fail "rnr up --http did not start serving"; }
H="http://127.0.0.1:$(cat "$WORK/http.port")"
grep -q "serving http://127.0.0.1:0 (port $(cat "$WORK/http.port"))" "$WORK/up.err" || fail "no serving line"

metric() { awk -v k="$1" '$1 == k { print $2 }' "$WORK/metrics.txt"; }
# bounded wait for the three forecasts to be routed and the queue empty
for _ in $(seq 1 600); do
  curl -fsS "$H/metrics" >"$WORK/metrics.txt" 2>/dev/null || true
  [ "$(metric rnr_worker_forecasts_routed_total)" = 3 ] && [ "$(metric rnr_queue_ready)" = 0 ] &&
    [ "$(metric rnr_queue_in_flight)" = 0 ] && break
  sleep 0.1
done
[ "$(metric rnr_worker_forecasts_routed_total)" = 3 ] || { grep -v '^#' "$WORK/metrics.txt" >&2; fail "3 forecasts not routed"; }
[ "$(metric rnr_products_published_total)" = 3 ] || fail "products published"
[ "$(metric rnr_workers_running)" -ge 1 ] || fail "no worker running"
[ "$(metric 'rnr_job_runs_total{job="producer",result="ok"}')" = 1 ] || fail "producer runs"
[ "$(metric 'rnr_job_last_success_timestamp_seconds{job="producer"}')" -gt 1700000000 ] || fail "producer last success"
curl -fsS "$H/api/status" >"$WORK/status.json"
node -e '
const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const want = (c, m) => { if (!c) throw new Error(m + ": " + JSON.stringify(s)); };
want(s.mode === "service" && s.cycle === "running", "mode and cycle");
want(s.workers.min === 1 && s.workers.max === 2 && s.workers.running >= 1, "workers");
want(/^2\d{3}-/.test(s.last_cycles.producer), "producer cycle");
want("autoscaler" in s.last_cycles && "postprocess" in s.last_cycles, "every job listed");
want(s.forecasts_routed === 3, "routed");
' "$WORK/status.json" || fail "/api/status"
curl -fsS "$H/readyz" >/dev/null || fail "/readyz while running"
curl -fsS "$H/api/forecasts" | grep -q '"lid":"RNRC1"' || fail "/api/forecasts"

kill -TERM "$up_pid"
RC=0; wait "$up_pid" || RC=$?
watchdog_stop
[ "$RC" -eq 0 ] || { cat "$WORK/up.err" >&2; fail "exit $RC after SIGTERM"; }
curl -fsS --max-time 5 "$H/healthz" >/dev/null 2>&1 && fail "still serving after exit"
[ -z "$(pgrep -f "$STATE" || true)" ] || fail "a worker outlived rnr up"
echo "ok: the service's live metrics and status"
