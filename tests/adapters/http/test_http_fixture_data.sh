#!/usr/bin/env bash
# test_http_fixture_data.sh - rnr-fixture-server on data/sample/nws, read
# with curl: product list ({{BASE}} substituted), a product, gauges (any
# case), stageflow (per product and both at once), the 404 shapes of both APIs, faults.json, SIGTERM.
set -euo pipefail
bin="$RNR_BUILD_DIR/tools/fixture_server/rnr-fixture-server"
tmp=$(mktemp -d /tmp/rnr-fixture-sh.XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Command line: help, and one-line errors with exit 2 for bad input.
"$bin" --help | grep -q '^usage: rnr-fixture-server --dir DIR' || fail "--help"
set +e
"$bin" --dir "$tmp" --port 99999 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -qx "rnr-fixture-server: --port '99999' is not 0..65535" "$tmp/err" || fail "bad port: $rc"
set +e
"$bin" --dir "$tmp" --fault '{"status": 500}' 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q 'needs a "path"' "$tmp/err" || fail "bad fault: $rc"

cp -r "$RNR_SOURCE_DIR/data/sample/nws" "$tmp/data"
# A 503 for the first request of one gauge, from faults.json.
echo '[{"path": "/nwps/v1/gauges/RNRD1", "status": 503, "times": 1}]' > "$tmp/data/faults.json"
"$bin" --dir "$tmp/data" --port 0 --port-file "$tmp/port" --log "$tmp/log" > "$tmp/stdout" &
pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
[ -s "$tmp/port" ] || fail "server did not write its port file"
port=$(cat "$tmp/port")
base="http://127.0.0.1:$port"
grep -qx "listening on $base" "$tmp/stdout" || fail "no 'listening on' line"

get() { curl -sS -A "(rnr-test, test@example.org)" -o "$tmp/body" -w '%{http_code} %{content_type}' "$@"; }

out=$(get -H 'Accept: application/ld+json' "$base/products?type=HML")
[ "$out" = "200 application/ld+json" ] || fail "product list: $out"
[ "$(grep -c "\"@id\": \"$base/products/" "$tmp/body")" = 3 ] || fail "list @id not rewritten to $base"
grep -q '{{BASE}}' "$tmp/body" && fail "placeholder left in the list"

id=7c2e41a9-53b8-4d0e-b6f1-2a94c3d85e10
out=$(get --compressed "$base/products/$id")
[ "$out" = "200 application/ld+json" ] || fail "product: $out"
grep -q "\"id\": \"$id\"" "$tmp/body" || fail "product id"
grep -q '"productText": "\\u0001\\r\\r\\n231 \\r\\r\\nSRUS54 KRNR 140912' "$tmp/body" || fail "product envelope"
[ "$(grep -o 'id=\\"RNR[A-Z]1\\"' "$tmp/body" | wc -l)" = 5 ] || fail "product should hold 5 site documents"

out=$(get "$base/products/00000000-dead-beef-0000-000000000000")
[ "$out" = "404 application/problem+json" ] || fail "unknown product: $out"
grep -q '"title": "Not Found"' "$tmp/body" || fail "problem body"

out=$(get "$base/nwps/v1/gauges/rnra1")
[ "$out" = "200 application/json" ] || fail "gauge: $out"
grep -q '"reachId":  "91000001"' "$tmp/body" || fail "gauge reachId"
grep -q '"ForecastFloodCategory":  "minor"' "$tmp/body" || fail "gauge category"

out=$(get "$base/nwps/v1/gauges/RNRC1/stageflow/forecast")
[ "$out" = "200 application/json" ] || fail "stageflow: $out"
[ "$(grep -c '"validTime"' "$tmp/body")" = 17 ] || fail "RNRC1 forecast should have 17 rows"
grep -q '"secondaryUnits":  "kcfs"' "$tmp/body" || fail "RNRC1 units"

# Known gauge without observations: NWPS's empty 200.
out=$(get "$base/nwps/v1/gauges/RNRB1/stageflow/observed")
[ "$out" = "200 application/json" ] || fail "empty stageflow: $out"
grep -q '"data": \[\]' "$tmp/body" || fail "empty stageflow data"

# Both series in one answer, as NWPS gives GET /stageflow: each member is
# exactly what /stageflow/{product} serves (RNRB1: no observations).
out=$(get "$base/nwps/v1/gauges/rnrb1/stageflow")
[ "$out" = "200 application/json" ] || fail "combined stageflow: $out"
cp "$tmp/body" "$tmp/pair"
get "$base/nwps/v1/gauges/RNRB1/stageflow/forecast" >/dev/null; cp "$tmp/body" "$tmp/fc"
get "$base/nwps/v1/gauges/RNRB1/stageflow/observed" >/dev/null; cp "$tmp/body" "$tmp/ob"
python3 - "$tmp/pair" "$tmp/fc" "$tmp/ob" <<'PY' || fail "combined stageflow members"
import json, sys
pair, fc, ob = (json.load(open(p)) for p in sys.argv[1:])
assert sorted(pair) == ["forecast", "observed"], sorted(pair)
assert pair["forecast"] == fc and pair["observed"] == ob
assert len(fc["data"]) > 0 and ob["data"] == []
PY

out=$(get "$base/nwps/v1/gauges/RNRG1")
[ "$out" = "404 application/json" ] || fail "unknown gauge: $out"
grep -q '"code": 5' "$tmp/body" || fail "NWPS error body"

out=$(get "$base/nwps/v1/gauges/RNRD1")
[ "$out" = "503 application/problem+json" ] || fail "faults.json 503: $out"
out=$(get "$base/nwps/v1/gauges/RNRD1")
[ "$out" = "200 application/json" ] || fail "after the fault: $out"

grep -q '^GET /products?type=HML 200 ua="(rnr-test, test@example.org)" accept="application/ld+json"$' "$tmp/log" \
  || fail "log line for the product list"
[ "$(grep -c '^GET /nwps/v1/gauges/RNRD1 ' "$tmp/log")" = 2 ] || fail "log count for RNRD1"

kill -TERM "$pid"
wait "$pid" || fail "server exit status $? after SIGTERM"
pid=""
echo "ok"
