# up_env.sh - sourced by the tests/services/up/test_up_*.sh end-to-end tests: a
# scratch directory, the fixture server on 127.0.0.1 serving
# data/sample/nws, and helpers to run `rnr up` against it with the
# embedded backends and check what it stored.
set -euo pipefail
: "${RNR_BIN:?RNR_BIN not set}" "${RNR_SOURCE_DIR:?}" "${RNR_BUILD_DIR:?}"
FIXTURE_BIN="$RNR_BUILD_DIR/tools/fixture_server/rnr-fixture-server"
DOMAIN="$RNR_SOURCE_DIR/data/sample/domain.gpkg"
P_A=7c2e41a9-53b8-4d0e-b6f1-2a94c3d85e10   # routes RNRA1 RNRB1 RNRC1
P_B=e09d5f37-1c6a-4b82-9d4e-6f31b07a2c58   # skips RNRD1 RNRE1 RNRF1
P_C=31b8a6d2-9e47-4f05-a3c1-d85e2f604b97   # skips RNRG1 RNRH1
# The sample forecasts are issued 2026-03-14: post-process as of then.
SAMPLE_NOW=2026-03-15T00:00:00Z
WORK=$(mktemp -d /tmp/rnr-test-up.XXXXXX)
STATE="$WORK/state"
STORE="$STATE/store"
fixture_pid=""
# UP_KEEP=1 keeps the scratch directory (logs, store, queue) for a look.
up_cleanup() {
  watchdog_stop
  # A test that failed half-way may leave `rnr up` running: stop it as a
  # user would (its workers follow it), so nothing outlives the test.
  if [ -n "$watched_pid" ] && kill -0 "$watched_pid" 2>/dev/null; then
    kill -TERM "$watched_pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$watched_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$watched_pid" 2>/dev/null || true
    wait "$watched_pid" 2>/dev/null || true
  fi
  if [ -n "$fixture_pid" ]; then kill "$fixture_pid" 2>/dev/null || true; wait "$fixture_pid" 2>/dev/null || true; fi
  if [ -n "${UP_KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap up_cleanup EXIT

# Bound a background process: SIGKILL it after $2 seconds. The watchdog
# is one bash process with no child: it waits with `read -t` on a FIFO that
# nobody writes (an external `sleep` would be orphaned, and outlive the
# test, when the watchdog is stopped).
watchdog_pid="" watched_pid=""
watchdog() {
  watched_pid=$1
  [ -p "$WORK/watchdog.fifo" ] || mkfifo "$WORK/watchdog.fifo"
  (exec >/dev/null 2>&1; read -r -t "$2" <>"$WORK/watchdog.fifo" || kill -9 "$1") &
  watchdog_pid=$!
}
watchdog_stop() {
  [ -z "$watchdog_pid" ] || { kill "$watchdog_pid" 2>/dev/null || true; wait "$watchdog_pid" 2>/dev/null || true; }
  watchdog_pid=""
}

fail() { echo "FAIL: $*" >&2; exit 1; }

fixture_start() {
  "$FIXTURE_BIN" --dir "${FIXTURE_DIR:-$RNR_SOURCE_DIR/data/sample/nws}" --port 0 --port-file "$WORK/port" \
    --log "$WORK/fixture.log" "$@" >"$WORK/fixture.out" 2>&1 &
  fixture_pid=$!
  for _ in $(seq 1 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
  [ -s "$WORK/port" ] || fail "fixture server did not start"
  PORT=$(cat "$WORK/port")
  BASE="http://127.0.0.1:$PORT"
  export NWS_API_URL="$BASE" NWPS_API_URL="$BASE/nwps/v1" NWS_USER_AGENT="rnr-test-up"
  export RNR_STATE_DIR="$STATE" RNR_HYDROFABRIC="$DOMAIN" RNR_LOG_LEVEL=info
}

fault() { curl -sf -X POST -d "$1" "$BASE/_fault" >/dev/null || fail "could not add fault $1"; }

# rnr up --once with a bound; stdout -> $WORK/<tag>.out, stderr -> <tag>.err;
# sets RC.
up_once() {
  local tag=$1; shift
  RC=0
  timeout 90 "$RNR_BIN" up --once --no-status --postprocess-time "$SAMPLE_NOW" "$@" >"$WORK/$tag.out" 2>"$WORK/$tag.err" || RC=$?
}

# The value of a summary row ("  products new    3").
summary() { sed -n "s/^ *$2  *\([^ ].*\)$/\1/p" "$WORK/$1.out" | head -1; }

expect_summary() {
  local got; got=$(summary "$1" "$2")
  [ "$got" = "$3" ] || { cat "$WORK/$1.out" >&2; fail "$1: '$2' is '$got', expected '$3'"; }
}

# The sorted list of stored NetCDF keys.
nc_keys() { (cd "$STORE" 2>/dev/null && find . -name '*.nc' | sed 's|^\./||' | sort); }

# Every stored NetCDF opens with nc_output_read (rnr plot reads it that way).
check_nc_complete() {
  local f n=0
  while IFS= read -r f; do
    "$RNR_BIN" plot "$STORE/$f" -o "$WORK/check.svg" >/dev/null 2>"$WORK/plot.err" ||
      { cat "$WORK/plot.err" >&2; fail "$f does not open as a NetCDF output"; }
    n=$((n + 1))
  done < <(nc_keys)
  echo "$n"
}

EXPECTED_NC="replace_and_route/RNRA1/troute_output_202603141200.nc
replace_and_route/RNRB1/troute_output_202603141200.nc
replace_and_route/RNRC1/troute_output_202603141200.nc"

# `rnr up` with 2 workers, stopped by SIGTERM once RNRA1 is stored while
# RNRB1 is still in flight (the caller delays its gauge with a fault):
# it must exit 0 with its workers stopped and every stored output whole.
# Sets n1 (outputs stored) and acked1 (messages acked).
up_sigterm_in_flight() {
  "$RNR_BIN" up --no-status --workers 2 --max-workers 2 >"$WORK/up.out" 2>"$WORK/up.err" &
  local up_pid=$!
  watchdog "$up_pid" 90
  for _ in $(seq 1 300); do
    grep -q "stored lid=RNRA1 key=.*\.nc" "$WORK/up.err" 2>/dev/null && break
    sleep 0.1
  done
  grep -q "stored lid=RNRA1" "$WORK/up.err" || { cat "$WORK/up.err" >&2; fail "no work started"; }
  grep -q "stored lid=RNRB1" "$WORK/up.err" && fail "RNRB1 done before the SIGTERM: nothing in flight"
  kill -TERM "$up_pid"
  RC=0; wait "$up_pid" || RC=$?
  watchdog_stop
  [ "$RC" -eq 0 ] || { cat "$WORK/up.out" "$WORK/up.err" >&2; fail "rnr up exit $RC after SIGTERM"; }
  grep -q "stopping: SIGTERM to 2 workers" "$WORK/up.err" || fail "workers not stopped by SIGTERM"
  [ -z "$(pgrep -f "$STATE" || true)" ] || fail "a worker outlived rnr up"
  expect_summary up "worker restarts" 0
  n1=$(check_nc_complete)
  [ -z "$(find "$STORE" -type f \( -name '*.tmp*' -o -name '.*' \) | head -1)" ] || fail "temporary files in the store"
  acked1=$(summary up "messages acked")
}

# After up_sigterm_in_flight: the rest (if any) is still queued and a
# --once cycle finishes it, every message acked exactly once over the two
# runs and the full set of outputs stored. Sets acked2.
up_once_finishes_rest() {
  up_once rest --workers 1
  [ "$RC" -eq 0 ] || { cat "$WORK/rest.out" "$WORK/rest.err" >&2; fail "second cycle exit $RC"; }
  expect_summary rest "products new" 0
  acked2=$(summary rest "messages acked")
  [ $((acked1 + acked2)) -eq 3 ] || fail "acked $acked1 + $acked2 messages, expected 3"
  expect_summary rest "dead letters (total)" 0
  [ "$(nc_keys)" = "$EXPECTED_NC" ] || { nc_keys >&2; fail "outputs differ"; }
  [ "$(check_nc_complete)" = 3 ] || fail "an output does not open"
}
