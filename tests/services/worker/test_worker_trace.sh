#!/usr/bin/env bash
# One product's trace id, end to end on the embedded backends: `rnr up
# --once` with JSON logs on the sample data, where product A routes RNRA1
# and RNRC1 while its site RNRB1 keeps failing (follow-ups on
# <queue>.sites, then the site's dead letter) and product C cannot be
# fetched (its own dead letter). The id the producer gave A is on every
# worker line about A, in the NetCDF outputs' trace_id attribute, on the
# post-process lines of the outputs it read, and in both dead letters; on
# RabbitMQ as well when the test services run (RNR_TEST_AMQP_URL). Then in
# text format every line about A names its trace.
. "$(dirname "$0")/../up/up_env.sh"
fixture_start
fault '{"path": "/nwps/v1/gauges/RNRB1", "times": 1000, "status": 500}'
fault "{\"path\": \"/products/$P_C\", \"times\": 1000, \"status\": 500}"
export RNR_MAX_DELIVERIES=2 RNR_HTTP_ATTEMPTS=1 RNR_RETRY_BACKOFF_MS=10 RNR_HTTP_RATE=0

# The JSON scenario with the queue in $RNR_QUEUE_URL (unset: embedded).
trace_scenario() {
  local tag=$1
  rm -rf "$STATE"
  RNR_LOG_FORMAT=json up_once "$tag" --workers 2
  [ "$RC" -eq 0 ] || [ "$RC" -eq 1 ] || { cat "$WORK/$tag.err" >&2; fail "$tag: rnr up exit $RC"; }
  expect_summary "$tag" "sites routed" 2
  expect_summary "$tag" "dead letters (this run)" 2
  python3 "$(dirname "$0")/trace_check.py" "$WORK/$tag.err" "$P_A" "$P_C" RNRB1 >"$WORK/traces" ||
    fail "$tag: trace check"
  T_A=$(sed -n 's/^ok //p' "$WORK/traces")
  T_C=$(sed -n 's/^dead //p' "$WORK/traces")
  echo "$tag: product A $T_A; product C $T_C"

  # the outputs name the trace of the message that made them
  for lid in RNRA1 RNRC1; do
    f="$STORE/replace_and_route/$lid/troute_output_202603141200.nc"
    ncdump -h "$f" >"$WORK/hdr" || fail "ncdump $f"
    grep -qF ":trace_id = \"$T_A\" ;" "$WORK/hdr" || { cat "$WORK/hdr" >&2; fail "$tag: $lid has no trace_id attribute"; }
  done

  # both dead letters keep their message's trace id
  "$RNR_BIN" queue dead >"$WORK/dead.out" 2>"$WORK/dead.err" || { cat "$WORK/dead.err" >&2; fail "$tag: queue dead"; }
  grep -F "trace=$T_C" "$WORK/dead.out" | grep -qF "$P_C" || { cat "$WORK/dead.out" >&2; fail "$tag: product C's dead letter lacks its trace"; }
  grep -F "trace=$T_A" "$WORK/dead.out" | grep -q "site RNRB1" || { cat "$WORK/dead.out" >&2; fail "$tag: site RNRB1's dead letter lacks A's trace"; }
}

trace_scenario sqlite
if [ -n "${RNR_TEST_AMQP_URL:-}" ]; then
  . "$RNR_SOURCE_DIR/tests/services_lock.sh"
  services_lock_shared  # test_prod_real_servers restarts the shared broker
  export RNR_QUEUE_URL="$RNR_TEST_AMQP_URL" MQ_QUEUE_NAME="rnr-trace-$$-$RANDOM"
  [ -z "${RNR_TEST_AMQP_MGMT_URL:-}" ] || export RNR_AMQP_MGMT_URL="$RNR_TEST_AMQP_MGMT_URL"
  trace_scenario rabbitmq
  unset RNR_QUEUE_URL MQ_QUEUE_NAME
else
  echo "RabbitMQ leg not run: RNR_TEST_AMQP_URL is not set"
fi

# text lines: the same product, the same trace on each of its lines
rm -rf "$STATE"
up_once text --workers 1
expect_summary text "sites routed" 2
lines=$(grep -F "product=$P_A" "$WORK/text.err" | grep -c '\[worker\]')
[ "$lines" -gt 5 ] || fail "only $lines text lines name product A"
t=$(grep -F "product=$P_A" "$WORK/text.err" | grep '\[worker\]' | sed -n 's/.* trace_id=\(Root=1-[0-9a-f-]*\)$/\1/p' | sort -u)
[ "$(echo "$t" | wc -l)" -eq 1 ] && [ -n "$t" ] || fail "product A's text lines carry traces '$t'"
grep -F "[postprocess] read " "$WORK/text.err" | grep -qF "trace_id=$t" || fail "post-process text line lacks A's trace"
grep -F "[producer] published product $P_A" "$WORK/text.err" | grep -qF "trace_id=$t" || fail "producer text line"
echo "ok: one trace id from the producer through the worker, outputs, post-process and dead letters"
