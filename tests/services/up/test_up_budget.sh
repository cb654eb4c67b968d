#!/usr/bin/env bash
# A product that runs past RNR_PRODUCT_BUDGET_SECONDS (how the worker stays
# within RabbitMQ's consumer_timeout) hands its remaining sites to
# follow-up messages and is acked: every site is still routed exactly once.
. "$(dirname "$0")/up_env.sh"
FIXTURE_DIR="$WORK/nws"
PID14=$(python3 "$RNR_SOURCE_DIR/tests/services/up/gen_sites.py" "$RNR_SOURCE_DIR/data/sample/nws" "$FIXTURE_DIR" 14)
fixture_start
fault '{"path": "/nwps/v1/gauges/S*", "latency_ms": 100}'
export RNR_HTTP_RATE=0 RNR_PRODUCT_BUDGET_SECONDS=1
up_once budget --workers 1
[ "$RC" -eq 0 ] || { cat "$WORK/budget.out" "$WORK/budget.err" >&2; fail "exit $RC"; }
expect_summary budget "sites routed" 14
expect_summary budget "sites retried" 0
expect_summary budget "dead letters (this run)" 0
deferred=$(summary budget "sites deferred")
[ "$deferred" -ge 1 ] && [ "$deferred" -le 13 ] || fail "sites deferred: $deferred"
grep -q "product id=$PID14: $deferred site(s) handed to follow-ups" "$WORK/budget.err" || fail "no hand-over logged"
grep -q "message id=$PID14 delivery=2" "$WORK/budget.err" && fail "the product was redelivered"
for s in $(seq -w 1 14); do
  [ "$(grep -c "stored lid=S$s key=.*\.nc" "$WORK/budget.err")" -eq 1 ] || fail "S$s not stored exactly once"
done
echo "ok: a long product hands its rest to follow-ups ($deferred sites)"
