#!/usr/bin/env bash
# test_worker_secrets.sh - no password ever leaves rnr. A distinct password
# is planted in every configurable URL (NWS and NWPS APIs, the rdf URL of
# each queued message, queue, cache, store, S3/AWS endpoint, RabbitMQ
# endpoint and password, management API, ECS credentials URI) and every
# command is run through its success and failure paths: a full
# `rnr up --once` (HTTP 500s retried into a dead letter, text and JSON
# logs), then worker, producer, postprocess, autoscaler, queue and nws
# against unreachable or refusing backends. Everything they print, log,
# store or leave in the state directory (dead letters, stats files,
# summaries, the stores) is then searched for the passwords.
. "$(dirname "$0")/../up/up_env.sh"
. "$RNR_SOURCE_DIR/tests/services_lock.sh"
services_lock_shared  # test_prod_real_servers restarts the shared broker
set +e
PWS="nwsPW1x nwpsPW2x rdfPW3x queuePW4x cachePW5x storePW6x awsPW7x rabbitPW8x rabbitEnvPW9x mgmtPW10x ecsPW11x"
OUT="$WORK/outputs"
mkdir -p "$OUT"
n=0
# run TAG CMD...: stdout and stderr kept for the final search; bounded.
run() {
  local tag=$1; shift
  n=$((n + 1))
  timeout 120 "$@" >"$OUT/$n-$tag.out" 2>"$OUT/$n-$tag.err"
  echo $? >"$OUT/$n-$tag.rc"
}

# 1. The whole pipeline on the fixture server with credentials in every
#    HTTP URL; one gauge's forecast fails with HTTP 500 until its product
#    is a dead letter.
fixture_start
HOSTPORT=${BASE#http://}
export NWS_API_URL="http://nwsuser:nwsPW1x@$HOSTPORT" NWPS_API_URL="http://nwpsuser:nwpsPW2x@$HOSTPORT/nwps/v1"
NWS="$WORK/nws"
cp -r "$RNR_SOURCE_DIR/data/sample/nws" "$NWS"
sed "s|{{BASE}}|http://rdfuser:rdfPW3x@$HOSTPORT|g" "$RNR_SOURCE_DIR/data/sample/nws/products.json" >"$NWS/products.json"
kill "$fixture_pid"; wait "$fixture_pid" 2>/dev/null
"$FIXTURE_BIN" --dir "$NWS" --port "${HOSTPORT#*:}" --log "$WORK/fixture.log" >"$WORK/fixture.out" 2>&1 &
fixture_pid=$!
for _ in $(seq 1 100); do curl -sf "$BASE/products?type=HML" >/dev/null && break; sleep 0.1; done
fault '{"path": "/nwps/v1/gauges/RNRB1/stageflow*", "times": 1000, "status": 500}'
export RNR_MAX_DELIVERIES=1 RNR_HTTP_ATTEMPTS=2 RNR_RETRY_BACKOFF_MS=0 RABBITMQ_PASSWORD=rabbitEnvPW9x
run up-text "$RNR_BIN" up --once --no-status --postprocess-time "$SAMPLE_NOW" --workers 1
grep -q "dead letters (this run) *1" "$OUT/$n-up-text.out" || { cat "$OUT/$n-up-text."*; fail "expected one dead letter"; }
grep -q "rdfuser:\*\*\*@" "$OUT/$n-up-text.err" || fail "the rdf URL should be logged, masked"
run queue-dead "$RNR_BIN" queue dead
grep -q "HTTP 500" "$OUT/$n-queue-dead.out" || { cat "$OUT/$n-queue-dead."*; fail "dead letter reason"; }
run queue-replay "$RNR_BIN" queue replay all
rm -rf "$STATE/cache.db"
RNR_LOG_FORMAT=json run up-json "$RNR_BIN" up --once --no-status --postprocess-time "$SAMPLE_NOW" --workers 1
grep -q '"level":"warn"' "$OUT/$n-up-json.err" || fail "JSON log expected"
run worker-stats "$RNR_BIN" worker --once --stats-file "$OUT/stats.json"
run nws-products "$RNR_BIN" nws products
run nws-gauge "$RNR_BIN" nws gauge RNRB1
kill "$fixture_pid"; wait "$fixture_pid" 2>/dev/null; fixture_pid=""
# The APIs gone: connection errors name the (masked) URLs.
run producer-down "$RNR_BIN" producer --once
run nws-down "$RNR_BIN" nws products

# 2. Backends that refuse, with credentials in their URLs.
for cmd in "worker --once" "producer --once" "postprocess" "queue depth" "queue dead"; do
  tag=$(echo "$cmd" | tr -d '-' | tr ' ' '_')
  RNR_QUEUE_URL="amqp://rnr:queuePW4x@127.0.0.1:1/?connect_timeout=2000" run "q-$tag" "$RNR_BIN" $cmd
  RNR_CACHE_URL="redis://:cachePW5x@127.0.0.1:1/0" run "c-$tag" "$RNR_BIN" $cmd
  RNR_STORE_URL="s3://key:storePW6x@Bad_Bucket!/x" run "s-$tag" "$RNR_BIN" $cmd
  RNR_STORE_URL="file://me:storePW6x@host/tmp/x" run "f-$tag" "$RNR_BIN" $cmd
  RNR_STORE_URL="s3://rnr-bucket/x" AWS_ENDPOINT_URL="http://k:awsPW7x@127.0.0.1:1" \
    AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secretexample run "a-$tag" "$RNR_BIN" $cmd
  RABBITMQ_ENDPOINT="amqps://u:rabbitPW8x@127.0.0.1:1" run "r-$tag" "$RNR_BIN" $cmd
  RABBITMQ_ENDPOINT="amqp://127.0.0.1:1" RABBITMQ_USERNAME=u run "e-$tag" "$RNR_BIN" $cmd
done
ECS_CLUSTER_NAME=c ECS_SERVICE_NAME=s AWS_REGION=us-east-1 AWS_ENDPOINT_URL="http://k:awsPW7x@127.0.0.1:1" \
  AWS_CONTAINER_CREDENTIALS_FULL_URI="http://u:ecsPW11x@127.0.0.1:1/creds" run autoscaler "$RNR_BIN" autoscaler
if [ -n "${RNR_TEST_AMQP_URL:-}" ]; then
  # A real broker: the management API with a password, and a wrong login.
  RNR_QUEUE_URL="$RNR_TEST_AMQP_URL" RNR_AMQP_MGMT_URL="http://guest:mgmtPW10x@127.0.0.1:1" \
    run mgmt-depth "$RNR_BIN" queue depth
  grep -q "unacked=unknown" "$OUT/$n-mgmt-depth.out" || { cat "$OUT/$n-mgmt-depth."*; fail "unacked not 'unknown'"; }
  bad=$(echo "$RNR_TEST_AMQP_URL" | sed -E 's|amqp://([^@/]*@)?|amqp://guest:queuePW4x@|')
  RNR_QUEUE_URL="$bad" run amqp-login "$RNR_BIN" queue depth
fi

# The failure paths failed (a command that does not use a backend may
# succeed: the postprocess has no queue, the worker no cache).
for t in q-worker_once c-producer_once s-worker_once f-worker_once a-postprocess r-worker_once \
         e-queue_depth producer-down; do
  rc=$(cat "$OUT"/*-"$t".rc)
  [ "$rc" != 0 ] || { cat "$OUT"/*-"$t".err; fail "$t should have failed"; }
done
grep -q "carries credentials" "$OUT"/*-s-worker_once.err || { cat "$OUT"/*-s-worker_once.err; fail "no bucket-name error"; }

# 3. Not one password anywhere: outputs, logs, stats, summaries, dead
#    letters as listed, the store. Only the queue and cache databases may
#    hold a message body as it was published (its rdf is the URL to fetch,
#    credentials included) and the fixture's own request log is the
#    server's, not rnr's.
leaks=0
for pw in $PWS; do
  if grep -ral --exclude='*.db' --exclude='*.db-wal' -- "$pw" "$OUT" "$STATE" >"$WORK/leak" 2>/dev/null; then
    echo "password $pw leaked into:" >&2; cat "$WORK/leak" >&2
    grep -rah -- "$pw" "$OUT" "$STATE" 2>/dev/null | head -3 >&2
    leaks=$((leaks + 1))
  fi
done
[ "$leaks" -eq 0 ] || fail "$leaks passwords leaked"
echo "ok: $n commands, no password in their output"
