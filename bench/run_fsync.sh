#!/usr/bin/env bash
# Wall time per forecast of `rnr worker --once` under disk contention, and
# the fsync calls it makes, for the rnr binaries given (e.g. main's and
# this branch's): the fsync budget of issue 12.
#   usage: bench/run_fsync.sh SITES ROUNDS RNR_BIN [RNR_BIN...]
# One product of SITES flooding sites (tests/services/up/gen_sites.py), published
# by the producer (not timed); then each binary's worker routes it, ROUNDS
# times, alternating binaries, while a background writer rewrites a 64 MiB
# file with fdatasync in a loop on the same file system (the state
# directory's): the contention a worker meets on a busy node. Embedded
# backends, RNR_HTTP_RATE=0 (no politeness wait), 1 worker. The fsync
# column comes from the LD_PRELOAD counter of tools/fsync_count.
# Needs python3 and build/ (fixture server, fsync counter).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
sites=${1:?usage: run_fsync.sh SITES ROUNDS RNR_BIN...}
rounds=${2:?}
shift 2
fixture="$here/build/tools/fixture_server/rnr-fixture-server"
shim="$here/build/tools/fsync_count/librnr-fsync-count.so"
work=$(mktemp -d /tmp/rnr-bench-fsync.XXXXXX)
fixture_pid="" load_pid=""
cleanup() {
  [ -z "$load_pid" ] || { kill "$load_pid" 2>/dev/null || true; wait "$load_pid" 2>/dev/null || true; }
  [ -z "$fixture_pid" ] || { kill "$fixture_pid" 2>/dev/null || true; wait "$fixture_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
python3 "$here/tests/services/up/gen_sites.py" "$here/data/sample/nws" "$work/nws" "$sites" >/dev/null
"$fixture" --dir "$work/nws" --port 0 --port-file "$work/port" >/dev/null 2>&1 &
fixture_pid=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
export NWS_API_URL="http://127.0.0.1:$port" NWPS_API_URL="http://127.0.0.1:$port/nwps/v1"
export NWS_USER_AGENT=rnr-bench RNR_HYDROFABRIC="$here/data/sample/domain.gpkg" RNR_LOG_LEVEL=warn
export RNR_HTTP_RATE=0 TMPDIR="$work"
unset RNR_QUEUE_URL RNR_CACHE_URL RNR_STORE_URL RABBITMQ_ENDPOINT REDIS_HOST APP_BUCKET_NAME RNR_PLOTS

# the contention: bounded (at most 100,000 rewrites), ended by cleanup
(for _ in $(seq 1 100000); do
   dd if=/dev/zero of="$work/load" bs=1M count=64 conv=fdatasync status=none || break
 done) &
load_pid=$!

run_one() { # run_one BIN TAG: prints seconds and fsync count of one worker run
  local bin=$1 state="$work/state-$2"
  rm -rf "$state"
  "$bin" producer --state-dir "$state" >/dev/null 2>&1
  : >"$work/fsync.log"
  local t0 t1
  t0=$(date +%s.%N)
  RNR_FSYNC_LOG="$work/fsync.log" LD_PRELOAD="$shim" \
    "$bin" worker --once --idle-exit 0 --state-dir "$state" --stats-file "$work/stats.json" 2>"$work/err" ||
    { tail -3 "$work/err" >&2; return 1; }
  t1=$(date +%s.%N)
  local routed; routed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["routed"])' "$work/stats.json")
  [ "$routed" -eq "$sites" ] || { echo "routed $routed of $sites" >&2; return 1; }
  awk -v a="$t0" -v z="$t1" -v f="$(grep -c . "$work/fsync.log")" 'BEGIN { printf "%.3f %d\n", z - a, f }'
}

printf "%-44s %6s %10s %12s %10s\n" binary round seconds "ms/forecast" fsyncs
for r in $(seq 1 "$rounds"); do
  for bin in "$@"; do
    if ! res=$(run_one "$bin" "$r-$RANDOM" 2>"$work/why"); then
      echo "$bin round $r: failed: $(tail -3 "$work/why" | tr '\n' ' ')"
      continue
    fi
    read -r secs fs <<<"$res"
    awk -v b="$bin" -v r="$r" -v s="$secs" -v n="$sites" -v f="$fs" \
      'BEGIN { printf "%-44s %6d %10.3f %12.1f %10d\n", b, r, s, 1000 * s / n, f }'
  done
done
