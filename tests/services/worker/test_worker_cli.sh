#!/bin/bash
# test_worker_cli.sh - `rnr worker` and `rnr health` as the container runs
# them: flag and configuration errors (one line, exit 1 or 2), --once on an
# empty queue (exit 0, stats file, health file touched), and the health
# check's verdicts on a fresh, stale and missing file.
set -u
BIN=${RNR_BIN:?}
SRC=${RNR_SOURCE_DIR:?}
T=$(mktemp -d /tmp/rnr-test-worker-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
unset RNR_QUEUE_URL RABBITMQ_ENDPOINT RNR_STORE_URL APP_BUCKET_NAME HYDROFABRIC_S3_KEY \
      RNR_GRACE_SECONDS RNR_FORCING RNR_PLOTS RNR_MAX_DELIVERIES
export RNR_LOG_LEVEL=warn

# usage errors: exit 2
"$BIN" worker --bogus 2>"$T/err"; [ $? -eq 2 ] || fail "unknown flag should exit 2"
grep -q 'unknown argument "--bogus"' "$T/err" || fail "unknown flag message: $(cat "$T/err")"
"$BIN" worker --max-messages x 2>"$T/err"; [ $? -eq 2 ] || fail "bad --max-messages should exit 2"

# bad configuration: exit 1, one line naming the variable
RNR_GRACE_SECONDS=soon "$BIN" worker --state-dir "$T/s0" --once 2>"$T/err"
[ $? -eq 1 ] || fail "bad RNR_GRACE_SECONDS should exit 1"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "expected one line: $(cat "$T/err")"
grep -q RNR_GRACE_SECONDS "$T/err" || fail "message should name the variable"

# no hydrofabric: exit 1, one line
"$BIN" worker --state-dir "$T/s1" --once 2>"$T/err"
[ $? -eq 1 ] || fail "no hydrofabric should exit 1"
[ "$(grep -c . "$T/err")" -eq 1 ] || fail "expected one line: $(cat "$T/err")"
grep -q "RNR_HYDROFABRIC" "$T/err" || fail "message should name RNR_HYDROFABRIC: $(cat "$T/err")"

# --once on an empty queue: exit 0, stats written, health file touched
RNR_HEALTH_FILE="$T/health" "$BIN" worker --state-dir "$T/s2" --once \
    --hydrofabric "$SRC/data/sample/domain.gpkg" --stats-file "$T/stats.json" 2>"$T/err" \
    || fail "--once on an empty queue: $(cat "$T/err")"
grep -q '"messages": 0' "$T/stats.json" || fail "stats: $(cat "$T/stats.json")"
[ -f "$T/s2/queue.db" ] || fail "the embedded queue should live in the state dir"
[ -f "$T/health" ] || fail "health file not touched"

# health verdicts
"$BIN" health --file "$T/health" --max-age 60 >"$T/out" || fail "fresh file should be healthy"
grep -q '^healthy' "$T/out" || fail "health output: $(cat "$T/out")"
touch -d '-120 seconds' "$T/health"
"$BIN" health --file "$T/health" --max-age 60 >"$T/out"; [ $? -eq 1 ] || fail "stale file should be unhealthy"
grep -q 'unhealthy: .*last touched 1[12][0-9]s ago (max 60s)' "$T/out" || fail "stale output: $(cat "$T/out")"
"$BIN" health --file "$T/none" --max-age 60 >"$T/out"; [ $? -eq 1 ] || fail "missing file should be unhealthy"
[ "$(wc -l < "$T/out")" -eq 1 ] || fail "one line expected"
"$BIN" health --file "$T/health" 2>/dev/null; [ $? -eq 2 ] || fail "missing --max-age should exit 2"
"$BIN" health --file "$T/health" --max-age -3 2>/dev/null; [ $? -eq 2 ] || fail "negative age should exit 2"
echo "ok"
