#!/usr/bin/env bash
# test_worker_http.sh - `rnr worker --http`: /readyz once the worker is up,
# /healthz fresh while it works, /metrics counting the demo's sites and
# outputs from its stats file, 404 JSON elsewhere, and a clean exit on
# SIGTERM.
set -u
fail() { echo "FAIL: $*"; exit 1; }
RNR=${RNR_BIN:?}
SRC=${RNR_SOURCE_DIR:?}
BUILD=${RNR_BUILD_DIR:?}
tmp=$(mktemp -d /tmp/rnr_worker_http.XXXXXX)
fx=; wk=
cleanup() { for p in $wk $fx; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT

"$BUILD/tools/fixture_server/rnr-fixture-server" --dir "$SRC/data/sample/nws" --port 0 --port-file "$tmp/fx.port" >/dev/null 2>&1 &
fx=$!
for _ in $(seq 1 200); do [ -s "$tmp/fx.port" ] && break; sleep 0.05; done
[ -s "$tmp/fx.port" ] || fail "fixture server did not start"
fport=$(cat "$tmp/fx.port")
export NWS_API_URL=http://127.0.0.1:$fport NWPS_API_URL=http://127.0.0.1:$fport/nwps/v1 NWS_USER_AGENT=rnr-test
export RNR_STATE_DIR=$tmp/state RNR_LOG_LEVEL=warn
"$RNR" producer >"$tmp/producer.txt" 2>&1 || { cat "$tmp/producer.txt"; fail "producer"; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$RNR" worker --http "127.0.0.1:$port" --hydrofabric "$SRC/data/sample/domain.gpkg" >"$tmp/worker.log" 2>&1 &
wk=$!
base=http://127.0.0.1:$port
ready=
for _ in $(seq 1 300); do
  curl -fs "$base/readyz" >/dev/null 2>&1 && { ready=1; break; }
  kill -0 "$wk" 2>/dev/null || break
  sleep 0.1
done
[ -n "$ready" ] || { cat "$tmp/worker.log"; fail "/readyz never became ready"; }
# The sample's three products: 3 routed and 5 skipped sites (README).
routed=0
for _ in $(seq 1 600); do
  curl -fs "$base/metrics" >"$tmp/metrics" 2>/dev/null
  routed=$(sed -n 's/^rnr_worker_forecasts_routed_total \([0-9]*\)$/\1/p' "$tmp/metrics")
  skipped=$(awk '/^rnr_worker_sites_skipped_total/ {s += $2} END {print s + 0}' "$tmp/metrics")
  [ "${routed:-0}" -ge 3 ] && [ "$skipped" -ge 5 ] && break
  sleep 0.1
done
[ "${routed:-0}" -eq 3 ] || { cat "$tmp/worker.log"; fail "want 3 forecasts routed in /metrics, got '${routed}'"; }
curl -fs "$base/metrics" >"$tmp/metrics"
grep -q '^# TYPE rnr_worker_sites_total counter$' "$tmp/metrics" || fail "sites family"
grep -q '^rnr_worker_sites_total{outcome="routed"} 3$' "$tmp/metrics" || fail "3 sites routed"
grep -q '^rnr_worker_sites_skipped_total{reason="not_flooding"} [1-9]' "$tmp/metrics" || fail "skip reasons"
curl -fs "$base/healthz" | grep -q '"status":"ok"' || fail "/healthz"
code=$(curl -s -o "$tmp/nf" -w '%{http_code}' "$base/api/forecasts"); [ "$code" = 404 ] || fail "worker serves no API: $code"
grep -q '"error"' "$tmp/nf" || fail "404 JSON"
kill -TERM "$wk"; wait "$wk"; rc=$?; wk=
[ $rc -eq 0 ] || fail "worker exit $rc on SIGTERM"
# the health and stats files it named after its pid went with it
left=$(ls "$RNR_STATE_DIR" | grep -E '^worker-[0-9]+\.(health|stats\.json)$' || true)
[ -z "$left" ] || fail "per-process files left in the state directory: $left"
echo "ok"
