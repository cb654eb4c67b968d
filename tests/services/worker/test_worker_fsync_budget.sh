#!/usr/bin/env bash
# test_worker_fsync_budget.sh - the worker's fsync budget (issue 12): one
# durable write per forecast, where the output lands in the store (the
# file's data, then its directory for the rename), none for the NetCDF
# scratch file it uploads and deletes, and none per acked message in the
# embedded queue or per ledger entry in the cache (WAL + synchronous =
# NORMAL: their only syncs are the WAL's creation and the checkpoint at
# close, per process). Every fsync-family call is logged with its path by
# an LD_PRELOAD library built with the tests (tools/fsync_count).
set -euo pipefail
: "${RNR_BIN:?}" "${RNR_SOURCE_DIR:?}" "${RNR_BUILD_DIR:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
SHIM="$RNR_BUILD_DIR/tools/fsync_count/librnr-fsync-count.so"
[ -f "$SHIM" ] || fail "$SHIM not built"
D=$(mktemp -d /tmp/rnr-test-fsync-XXXXXX)
FX=""
cleanup() { [ -z "$FX" ] || { kill "$FX" 2>/dev/null || true; wait "$FX" 2>/dev/null || true; }; rm -rf "$D"; }
trap cleanup EXIT
# The sample: 3 products (3 messages to claim and ack), 8 sites (8 ledger
# entries), 3 of them routed (data/sample/nws/README.md).
N=3
"$RNR_BUILD_DIR/tools/fixture_server/rnr-fixture-server" --dir "$RNR_SOURCE_DIR/data/sample/nws" --port 0 --port-file "$D/port" \
    >/dev/null 2>&1 &
FX=$!
for _ in $(seq 100); do [ -s "$D/port" ] && break; sleep 0.05; done
[ -s "$D/port" ] || fail "fixture server did not start"
P=$(cat "$D/port")
unset RNR_QUEUE_URL RNR_CACHE_URL RNR_STORE_URL RABBITMQ_ENDPOINT REDIS_HOST APP_BUCKET_NAME \
      HYDROFABRIC_S3_KEY APP_OUTPUT_S3_KEY RNR_PLOTS
export NWS_API_URL="http://127.0.0.1:$P" NWPS_API_URL="http://127.0.0.1:$P/nwps/v1" \
       NWS_USER_AGENT=rnr-test RNR_HTTP_RATE=0 RNR_LOG_LEVEL=warn TMPDIR="$D/tmp"
mkdir -p "$D/tmp"
S="$D/s"
out=$("$RNR_BIN" producer --state-dir "$S" 2>"$D/producer.err") || fail "producer: $(cat "$D/producer.err")"
[ "$out" = "seen=3 new=3 published=3 failed=0 deferred=0" ] || fail "producer: $out"

# The sanitizer runtime wants to be first in the library list; the shim
# only forwards calls, so its place does not matter.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" RNR_FSYNC_LOG="$D/fsync.log" \
  LD_PRELOAD="$SHIM" timeout 120 "$RNR_BIN" worker --once --state-dir "$S" \
  --hydrofabric "$RNR_SOURCE_DIR/data/sample/domain.gpkg" --stats-file "$D/stats.json" 2>"$D/worker.err" ||
  fail "worker: $(tail -3 "$D/worker.err")"
routed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["routed"])' "$D/stats.json")
[ "$routed" -eq "$N" ] || fail "routed $routed of $N: $(cat "$D/stats.json")"
[ -s "$D/fsync.log" ] || fail "no fsync logged at all: is the shim loaded?"

store="$S/store/replace_and_route"
count() { grep -cE "$1" "$D/fsync.log" || true; }
# the store's final files: synced as their temporary, just before the rename
data=$(count "^fsync $store/RNR[A-Z0-9]+/\.rnr-tmp-[A-Za-z0-9]+$")
dirs=$(count "^fsync $store/RNR[A-Z0-9]+$")
scratch=$(count " $D/tmp/")
queue=$(count " $S/queue\.db")
cache=$(count " $S/cache\.db")
statedir=$(count " $S$")
total=$(grep -c . "$D/fsync.log")
echo "forecasts=$N store-data=$data store-dir=$dirs scratch=$scratch queue=$queue cache=$cache" \
     "state-dir=$statedir total=$total"
[ "$data" -eq "$N" ] || { cat "$D/fsync.log" >&2; fail "one data fsync per forecast expected, got $data for $N"; }
[ "$dirs" -eq "$N" ] || { cat "$D/fsync.log" >&2; fail "one directory fsync per stored output expected, got $dirs"; }
[ "$scratch" -eq 0 ] || fail "the NetCDF scratch file was fsync'd $scratch times"
# 2 per database per process (the new WAL's header, the checkpoint of the
# WAL into the database at close) whatever the number of messages: with
# synchronous=FULL every claim, ack and ledger entry added one
for db in queue cache; do
  [ "${!db}" -le 3 ] || { cat "$D/fsync.log" >&2; fail "$db: ${!db} syncs for $N forecasts: per-commit fsync is back"; }
done
[ "$statedir" -le 2 ] || fail "the state directory was synced $statedir times"
[ "$total" -eq $((data + dirs + queue + cache + statedir)) ] ||
  { cat "$D/fsync.log" >&2; fail "an fsync outside the budget"; }
echo "ok: $N forecasts, one durable store write each, no scratch or per-message fsync"
