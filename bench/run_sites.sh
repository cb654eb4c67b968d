#!/usr/bin/env bash
# One failing site among 14: requests, store writes, outputs and wall time
# of `rnr up --once` on one 14-site product whose gauge S07 always answers
# 503, for the rnr binaries given (e.g. main's and this branch's).
#   usage: bench/run_sites.sh RNR_BIN [RNR_BIN...]
# Same settings for every binary: 1 worker, RNR_MAX_DELIVERIES=5,
# RNR_RETRY_BACKOFF_MS=100, RNR_HTTP_ATTEMPTS=1, RNR_HTTP_RATE=0, the
# embedded backends. Needs python3 and build/ (the fixture server).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
fixture="$here/build/tools/fixture_server/rnr-fixture-server"
work=$(mktemp -d /tmp/rnr-bench-sites.XXXXXX)
fixture_pid=""
cleanup() {
  [ -z "$fixture_pid" ] || { kill "$fixture_pid" 2>/dev/null || true; wait "$fixture_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
python3 "$here/tests/services/up/gen_sites.py" "$here/data/sample/nws" "$work/nws" 14 >/dev/null
export NWS_USER_AGENT=rnr-bench RNR_HYDROFABRIC="$here/data/sample/domain.gpkg" RNR_LOG_LEVEL=info
export RNR_MAX_DELIVERIES=5 RNR_RETRY_BACKOFF_MS=100 RNR_HTTP_ATTEMPTS=1 RNR_HTTP_RATE=0
printf "%-40s %-9s %-8s %-7s %-8s %-5s %s\n" binary requests writes outputs seconds dead "S07 tries"
for bin in "$@"; do
  : >"$work/fixture.log"; rm -f "$work/port"
  "$fixture" --dir "$work/nws" --port 0 --port-file "$work/port" --log "$work/fixture.log" \
    --fault '{"path": "/nwps/v1/gauges/S07", "status": 503}' >/dev/null 2>&1 &
  fixture_pid=$!
  for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
  port=$(cat "$work/port")
  export NWS_API_URL="http://127.0.0.1:$port" NWPS_API_URL="http://127.0.0.1:$port/nwps/v1"
  state="$work/state-$(basename "$(dirname "$(dirname "$bin")")")-$RANDOM"
  t0=$(date +%s.%N)
  "$bin" up --once --no-status --workers 1 --timeout 300 --postprocess-time 2026-03-15T00:00:00Z \
    --state-dir "$state" >"$work/out" 2>"$work/err" || true
  t1=$(date +%s.%N)
  kill "$fixture_pid"; wait "$fixture_pid" 2>/dev/null || true; fixture_pid=""
  req=$(grep -c . "$work/fixture.log")
  writes=$(grep -c "stored lid=.*\.nc" "$work/err" || true)
  outs=$(find "$state/store" -name '*.nc' | wc -l)
  dead=$(sed -n 's/^ *dead letters (this run) *//p' "$work/out")
  tries=$(grep -c "S07 503" "$work/fixture.log" || true)
  awk -v b="$bin" -v r="$req" -v w="$writes" -v o="$outs" -v a="$t0" -v z="$t1" -v d="$dead" -v t="$tries" \
    'BEGIN { printf "%-40s %-9s %-8s %-7s %-8.2f %-5s %s\n", b, r, w, o, z - a, d, t }'
done
