#!/usr/bin/env bash
# A poison message: product P_B makes its worker abort (RNR_TEST_FAULT).
# The supervisor restarts the worker, the message comes back (on SQLite at
# once: the dead worker's lease is reclaimed), and after the delivery limit
# it is a dead letter naming the limit; the other products are routed. On
# RabbitMQ (when the test servers run) the same on a classic queue, whose
# redeliveries the worker counts in the cache.
. "$(dirname "$0")/up_env.sh"
. "$RNR_SOURCE_DIR/tests/services_lock.sh"
services_lock_shared  # test_prod_real_servers restarts the shared broker
fixture_start
export RNR_MAX_DELIVERIES=3 RNR_TEST_FAULT="abort:$P_B" RNR_HTTP_RATE=0

poison_cycle() {
  local tag=$1
  up_once "$tag" --workers 1 --timeout 60
  [ "$RC" -eq 1 ] || { cat "$WORK/$tag.out" "$WORK/$tag.err" >&2; fail "$tag: a dead letter should fail the cycle (exit $RC)"; }
  expect_summary "$tag" "sites routed" 3
  expect_summary "$tag" "dead letters (this run)" 1
  expect_summary "$tag" "worker restarts" 3
  grep -q "dead: $P_B: delivery limit 3 exceeded (delivered 4 times" "$WORK/$tag.out" ||
    { cat "$WORK/$tag.out" >&2; fail "$tag: the poison message is not the dead letter"; }
  [ "$(grep -c "RNR_TEST_FAULT: aborting" "$WORK/$tag.err")" -eq 3 ] || fail "$tag: expected 3 crashes"
}

poison_cycle sqlite
# the lease (300 s) was never waited for: each redelivery followed its crash
grep -q "the queue did not drain" "$WORK/sqlite.out" && fail "waited for a lease"

if [ -n "${RNR_TEST_AMQP_URL:-}" ]; then
  export RNR_STATE_DIR="$WORK/state-amqp" MQ_QUEUE_NAME="rnr-poison-$$-$RANDOM"
  export RNR_QUEUE_URL="$RNR_TEST_AMQP_URL"
  STORE="$RNR_STATE_DIR/store"
  poison_cycle amqp
fi
echo "ok: a poison message is dead-lettered after the limit"
