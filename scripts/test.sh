#!/usr/bin/env bash
# The test suite: installs what it needs, builds rnr twice (release and
# AddressSanitizer+UndefinedBehaviorSanitizer), starts RabbitMQ, Redis and
# s3rver on 127.0.0.1, runs every CTest test in both builds, runs each
# libFuzzer target for a bounded time, and stops the servers.
#   RNR_FUZZ_SECONDS (default 10) bounds each fuzzer run (about 14 targets,
#   so about 2.5 min in all); 0 skips fuzzing. Longer runs: scripts/fuzz.sh.
#   RNR_TEST_NO_SERVICES=1 skips starting the servers (their tests skip).
# Whatever fails, the last line is "== all tests passed" or "== TESTS
# FAILED: <the steps that failed>".
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
jobs=$(nproc)
failed=()

# step NAME CMD...: run one step, keep going on failure, remember it.
step() {
  local name=$1; shift
  if ! "$@"; then
    echo "== step failed: $name"
    failed+=("$name")
    return 1
  fi
}

finish() {
  if [ ${#failed[@]} -eq 0 ]; then
    echo "== all tests passed"; exit 0
  fi
  local IFS=','
  echo "== TESTS FAILED: ${failed[*]}"; exit 1
}

build() { # build DIR CMAKE-ARGS...
  local dir=$1; shift
  cmake -S . -B "$dir" "$@" >/dev/null && cmake --build "$dir" -j"$jobs"
}

svc=""
cleanup() {
  if [ -n "$svc" ]; then scripts/services.sh stop "$svc" || true; rm -rf "$svc"; fi
}
trap cleanup EXIT

step install-deps scripts/install-deps.sh || finish
release_ok=1; asan_ok=1
step "build (release)" build build -DCMAKE_BUILD_TYPE=RelWithDebInfo || release_ok=0
step "build (asan)" build build-asan -DCMAKE_BUILD_TYPE=Debug -DRNR_SANITIZE=ON || asan_ok=0

if [ "${RNR_TEST_NO_SERVICES:-0}" != 1 ]; then
  svc=$(mktemp -d /tmp/rnr-services.XXXXXX)
  if step "start services" scripts/services.sh start "$svc"; then
    # shellcheck disable=SC1091
    source "$svc/env"
  fi
fi

if [ $release_ok = 1 ]; then
  echo "== tests (release build)"
  step "tests (release)" ctest --test-dir build --output-on-failure -j"$jobs"
fi
if [ $asan_ok = 1 ]; then
  echo "== tests (ASan + UBSan build)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    step "tests (asan)" ctest --test-dir build-asan --output-on-failure -j"$jobs"
fi

fuzz_one() { # fuzz_one BINARY: run one fuzzer from its seed corpus
  local f=$1 name corpus rc
  name=$(basename "$f")
  corpus=$(mktemp -d)
  cp -r "fuzz/corpus/${name#fuzz_}/." "$corpus/" 2>/dev/null || true
  "$f" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -timeout=25 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/$name-" "$corpus" > "build-fuzz/$name.log" 2>&1
  rc=$?
  rm -rf "$corpus"
  if [ $rc -ne 0 ]; then
    echo "FUZZ FAILURE: $name (see build-fuzz/$name.log)"; tail -40 "build-fuzz/$name.log"; return 1
  fi
  echo "fuzz $name: $(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "build-fuzz/$name.log" | grep -Eo '[0-9]+$') runs, no findings"
}

fuzz_seconds=${RNR_FUZZ_SECONDS:-10}
if [ -d fuzz ] && [ "$fuzz_seconds" != 0 ]; then
  echo "== fuzzing (${fuzz_seconds}s per target)"
  if step "build (fuzz)" env CC=clang bash -c 'cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DRNR_FUZZ=ON >/dev/null && cmake --build build-fuzz -j"$0" --target rnr_fuzzers' "$jobs"; then
    for f in build-fuzz/fuzz/fuzz_*; do
      [ -x "$f" ] || continue
      step "fuzz $(basename "$f")" fuzz_one "$f"
    done
  fi
fi

finish
