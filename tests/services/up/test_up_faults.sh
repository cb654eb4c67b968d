#!/usr/bin/env bash
# NWS and NWPS misbehaving on some paths for a while (5xx, 429 with
# Retry-After, dropped and truncated connections): the requests are retried
# and the cycle completes with every output. A real timeout (the HTTP
# client's 30 s) has its own test, test_up_timeout.sh.
. "$(dirname "$0")/up_env.sh"
fixture_start
fault '{"path": "/products", "times": 1, "status": 503, "retry_after": 1}'
fault "{\"path\": \"/products/$P_A\", \"times\": 2, \"status\": 502}"
fault '{"path": "/nwps/v1/gauges/RNRA1", "times": 1, "status": 429, "retry_after": 1}'
fault '{"path": "/nwps/v1/gauges/RNRB1/stageflow", "times": 1, "drop": true}'
fault '{"path": "/nwps/v1/gauges/RNRC1/stageflow*", "times": 2, "truncate": true}'
fault '{"path": "/nwps/v1/gauges/RNRD1", "times": 1, "status": 500}'

up_once faults --workers 2
[ "$RC" -eq 0 ] || { cat "$WORK/faults.out" "$WORK/faults.err" >&2; fail "exit $RC"; }
expect_summary faults "products published" 3
expect_summary faults "sites routed" 3
expect_summary faults "sites skipped" 5
expect_summary faults "outputs written" 3
expect_summary faults "dead letters (this run)" 0
[ "$(nc_keys)" = "$EXPECTED_NC" ] || { nc_keys >&2; fail "outputs differ"; }
[ "$(check_nc_complete)" = 3 ] || fail "an output does not open"
# every fault was hit: the log shows the faulted statuses and the retries
log="$WORK/fixture.log"
grep -q "^GET /products?type=HML 503" "$log" || fail "no 503 on the list"
[ "$(grep -c "^GET /products/$P_A 502" "$log")" -eq 2 ] || fail "product 502s"
grep -q "^GET /products/$P_A 200" "$log" || fail "product never served after the 502s"
grep -q "^GET /nwps/v1/gauges/RNRA1 429" "$log" || fail "no 429"
grep -q "^GET /nwps/v1/gauges/RNRB1/stageflow 0" "$log" || fail "no dropped connection"
[ "$(grep -c "^GET /nwps/v1/gauges/RNRC1/stageflow " "$log")" -ge 3 ] || fail "truncated answers not retried"
grep -q "^GET /nwps/v1/gauges/RNRD1 500" "$log" || fail "no 500 on RNRD1"
grep -q "^GET /nwps/v1/gauges/RNRD1 200" "$log" || fail "RNRD1 not retried"
echo "ok: transient NWS faults retried"
