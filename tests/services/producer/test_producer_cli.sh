#!/usr/bin/env bash
# test_producer_cli.sh - `rnr producer`, `rnr autoscaler` and `rnr postprocess`
# end to end on the embedded backends and the NWS fixture server.
set -u
fail() { echo "FAIL: $*"; exit 1; }
D=$(mktemp -d /tmp/rnr-test-pcli-XXXXXX)
FX=""
AWS=""
cleanup() {
    [ -n "$FX" ] && kill "$FX" 2>/dev/null
    [ -n "$AWS" ] && kill "$AWS" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$D"
}
trap cleanup EXIT
"$RNR_BUILD_DIR/tools/fixture_server/rnr-fixture-server" --dir "$RNR_SOURCE_DIR/data/sample/nws" \
    --port 0 --port-file "$D/port" >/dev/null 2>&1 &
FX=$!
for _ in $(seq 100); do [ -s "$D/port" ] && break; sleep 0.05; done
[ -s "$D/port" ] || fail "fixture server did not start"
export NWS_API_URL="http://127.0.0.1:$(cat "$D/port")"
export RNR_METRICS_URL="file://$D/m.jsonl"
unset ECS_CLUSTER_NAME ECS_SERVICE_NAME RNR_QUEUE_URL RNR_CACHE_URL RNR_STORE_URL RABBITMQ_ENDPOINT \
      REDIS_HOST APP_BUCKET_NAME HYDROFABRIC_S3_KEY RNR_HYDROFABRIC

out=$("$RNR_BIN" producer --once --state-dir "$D/s" 2>"$D/err") || fail "producer exit $?: $(cat "$D/err")"
[ "$out" = "seen=3 new=3 published=3 failed=0 deferred=0" ] || fail "first cycle: $out"
grep -q "cycle: seen=3 new=3 published=3 failed=0" "$D/err" || fail "no summary log line"
out=$("$RNR_BIN" producer --state-dir "$D/s" 2>/dev/null) || fail "second cycle exit $?"
[ "$out" = "seen=3 new=0 published=0 failed=0 deferred=0" ] || fail "second cycle: $out"

echo "not a directory" > "$D/plain"
"$RNR_BIN" producer --state-dir "$D/s2" --cache "sqlite://$D/plain/cache.db" >"$D/out" 2>"$D/err"
[ $? -eq 1 ] || fail "unopenable cache should exit 1"
grep -q "rnr producer: " "$D/err" || fail "no error line: $(cat "$D/err")"
"$RNR_BIN" producer --bogus >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown flag should exit 2"

out=$("$RNR_BIN" autoscaler --once --state-dir "$D/s" --running 1 2>/dev/null) || fail "autoscaler exit $?"
[ "$out" = "depth=3 dead=0 running=1 backlog_per_task=3.00 desired=1 reason=steady applied=0" ] \
    || fail "autoscaler: $out"
grep -q '"name":"BacklogPerTask"' "$D/m.jsonl" || fail "no BacklogPerTask in m.jsonl"
grep -q '"ClusterName"' "$D/m.jsonl" || fail "no ClusterName dimension"
grep -q '"low_streak":1' "$D/s/autoscaler-state.json" || fail "state not persisted"
"$RNR_BIN" autoscaler --state-dir "$D/s" >/dev/null 2>"$D/err"
[ $? -eq 1 ] || fail "autoscaler without a fleet should exit 1"
grep -q "give --running N" "$D/err" || fail "no fleet message: $(cat "$D/err")"

# ECS fleet + CloudWatch through rnr-aws-fake: the second low period asks
# for a scale-in, which the ECS service's alarms do (not applied here).
"$RNR_BUILD_DIR/tools/aws_fake/rnr-aws-fake" --access-key AKIDPRODUCERTEST --secret-key SKTEST \
    --log "$D/aws.log" --service 'rnr-cluster/rnr-worker=2/2' >"$D/aws.out" 2>&1 &
AWS=$!
for _ in $(seq 100); do grep -q '^port ' "$D/aws.out" && break; sleep 0.05; done
aport=$(sed -n 's/^port //p' "$D/aws.out")
[ -n "$aport" ] || fail "aws fake did not start"
out=$(env -u AWS_SESSION_TOKEN -u AWS_PROFILE AWS_ACCESS_KEY_ID=AKIDPRODUCERTEST \
      AWS_SECRET_ACCESS_KEY=SKTEST AWS_REGION=us-east-1 AWS_ENDPOINT_URL="http://127.0.0.1:$aport" \
      ECS_CLUSTER_NAME=rnr-cluster ECS_SERVICE_NAME=rnr-worker RNR_METRICS_URL=cloudwatch: \
      "$RNR_BIN" autoscaler --state-dir "$D/s" 2>"$D/err") || fail "ecs autoscaler: $(cat "$D/err")"
[ "$out" = "depth=3 dead=0 running=2 backlog_per_task=1.50 desired=1 reason=scale-in applied=0" ] \
    || fail "ecs autoscaler: $out"
grep -q '"action":"DescribeServices","cluster":"rnr-cluster"' "$D/aws.log" || fail "no DescribeServices"
grep -q '"MetricData.member.1.MetricName":"BacklogPerTask","MetricData.member.1.Value":"1.5"' \
    "$D/aws.log" || fail "no BacklogPerTask=1.5 PutMetricData: $(cat "$D/aws.log")"
grep -q '"Namespace":"ECS/Service/RabbitMQ"' "$D/aws.log" || fail "wrong namespace"

out=$("$RNR_BIN" postprocess --once --state-dir "$D/s" \
      --hydrofabric "$RNR_SOURCE_DIR/data/sample/domain.gpkg" 2>/dev/null) || fail "postprocess exit $?"
echo "$out" | grep -q "^listed=0 new=0 rows=0$" || fail "postprocess: $out"
echo "$out" | grep -q "no new outputs since the last run" || fail "postprocess: $out"
echo ok
