#!/usr/bin/env bash
# test_route_nws_cli.sh - `rnr nws products|sites|gauge` against the fixture
# server serving data/sample/nws: the decision and reason for every sample
# gauge (data/sample/nws/README.md), in the table and in --json, and the
# one-line errors.
set -u
fail() { echo "FAIL: $*"; exit 1; }
RNR=${RNR_BIN:?RNR_BIN not set}
SRC=${RNR_SOURCE_DIR:?}
SERVER=${RNR_BUILD_DIR:?}/tools/fixture_server/rnr-fixture-server
tmp=$(mktemp -d /tmp/rnr_route_nws.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

"$SERVER" --dir "$SRC/data/sample/nws" --port 0 --port-file "$tmp/port" >"$tmp/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 250); do [ -s "$tmp/port" ] && break; sleep 0.02; done
[ -s "$tmp/port" ] || fail "fixture server did not start"
port=$(cat "$tmp/port")
export NWS_API_URL=http://127.0.0.1:$port NWPS_API_URL=http://127.0.0.1:$port/nwps/v1

A=7c2e41a9-53b8-4d0e-b6f1-2a94c3d85e10
B=e09d5f37-1c6a-4b82-9d4e-6f31b07a2c58
C=31b8a6d2-9e47-4f05-a3c1-d85e2f604b97

# products: oldest first, three of them.
"$RNR" nws products >"$tmp/p" || fail "products"
[ "$(grep -c 'AHPS XML' "$tmp/p")" -eq 3 ] || fail "products: want 3 rows"
[ "$(sed -n 2p "$tmp/p" | awk '{print $2}')" = "$C" ] || fail "products: oldest first"
[ "$(sed -n 4p "$tmp/p" | awk '{print $2}')" = "$B" ] || fail "products: newest last"
"$RNR" nws products --json >"$tmp/pj" || fail "products --json"
[ "$(grep -c '"rdf": "http://127.0.0.1:'"$port"'/products/' "$tmp/pj")" -eq 3 ] || fail "products --json: rdf"

# row LID -> its table line
row() { grep "^$1 " "$tmp/s"; }
"$RNR" nws sites "$A" >"$tmp/s" || fail "sites A"
row RNRA1 | grep -q 'route (17 forecast rows, peak 277.505 m3/s at 2026-03-15T18:00:00Z)' || fail "RNRA1: $(row RNRA1)"
row RNRB1 | grep -q 'route (33 forecast rows, peak 410.594 m3/s at 2026-03-16T00:00:00Z)' || fail "RNRB1: $(row RNRB1)"
row RNRC1 | grep -q 'route (17 forecast rows, peak 1373.367 m3/s at 2026-03-16T06:00:00Z)' || fail "RNRC1: $(row RNRC1)"
"$RNR" nws sites "http://127.0.0.1:$port/products/$B" >"$tmp/s" || fail "sites B by URL"
row RNRD1 | grep -q 'skip not_flooding: ' || fail "RNRD1: $(row RNRD1)"
row RNRE1 | grep -q 'skip stage_only: ' || fail "RNRE1: $(row RNRE1)"
row RNRF1 | grep -q 'skip missing_flows: gauge RNRF1: 17 of 17 forecast flows missing' || fail "RNRF1: $(row RNRF1)"
"$RNR" nws sites "$C" >"$tmp/s" || fail "sites C"
row RNRG1 | grep -q 'skip gauge_not_found: gauge RNRG1 not found' || fail "RNRG1: $(row RNRG1)"
row RNRH1 | grep -q 'skip no_reach_id: ' || fail "RNRH1: $(row RNRH1)"
[ "$(grep -c '^RNR' "$tmp/s")" -eq 2 ] || fail "C: the duplicate RNRH1 is one site"

# --json: split into one chunk per site and check each site's fields.
site_json() { awk -v lid="\"lid\": \"$1\"" 'index($0, "\"lid\":") { on = index($0, lid) > 0 } on' "$tmp/j"; }
expect_json() { # lid decision reason-or-rows
    site_json "$1" | grep -q "\"decision\": \"$2\"" || fail "$1 --json decision"
    site_json "$1" | grep -q "$3" || fail "$1 --json: want $3"
}
"$RNR" nws sites "$A" --json >"$tmp/j" || fail "sites A --json"
expect_json RNRA1 route '"forecast_rows": 17'
expect_json RNRB1 route '"forecast_rows": 33'
expect_json RNRC1 route '"peak_time": "2026-03-16T06:00:00Z"'
"$RNR" nws sites "$B" --json >"$tmp/j" || fail "sites B --json"
expect_json RNRD1 skip '"reason": "not_flooding"'
expect_json RNRE1 skip '"reason": "stage_only"'
expect_json RNRF1 skip '"reason": "missing_flows"'
"$RNR" nws sites "$C" --json >"$tmp/j" || fail "sites C --json"
expect_json RNRG1 skip '"reason": "gauge_not_found"'
expect_json RNRH1 skip '"reason": "no_reach_id"'

# gauge
"$RNR" nws gauge RNRA1 >"$tmp/g" || fail "gauge RNRA1"
grep -q '^reachId  *91000001$' "$tmp/g" || fail "gauge: reachId"
grep -q '^forecast category  *minor$' "$tmp/g" || fail "gauge: category"
"$RNR" nws gauge RNRD1 --json >"$tmp/g" || fail "gauge RNRD1 --json"
grep -q '"reason": "not_flooding"' "$tmp/g" || fail "gauge --json: reason"
grep -q '"reach_id": 91000004' "$tmp/g" || fail "gauge --json: reach_id"

# errors: one line, exit 1; usage: exit 2
"$RNR" nws gauge RNRG1 >/dev/null 2>"$tmp/e"; [ $? -eq 1 ] || fail "unknown gauge: exit 1"
[ "$(wc -l <"$tmp/e")" -eq 1 ] && grep -q RNRG1 "$tmp/e" || fail "unknown gauge: one line naming it"
"$RNR" nws sites 00000000-dead-beef >/dev/null 2>"$tmp/e"; [ $? -eq 1 ] || fail "unknown product: exit 1"
[ "$(wc -l <"$tmp/e")" -eq 1 ] && grep -q 00000000-dead-beef "$tmp/e" || fail "unknown product: one line naming it"
"$RNR" nws bogus 2>/dev/null; [ $? -eq 2 ] || fail "unknown subcommand: exit 2"
"$RNR" nws sites 2>/dev/null; [ $? -eq 2 ] || fail "sites without argument: exit 2"
NWPS_API_URL=ftp://nowhere "$RNR" nws gauge RNRA1 >/dev/null 2>"$tmp/e"; [ $? -eq 1 ] || fail "bad endpoint: exit 1"
[ "$(wc -l <"$tmp/e")" -eq 1 ] || fail "bad endpoint: one line"
echo "ok"
