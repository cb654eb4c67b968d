#!/usr/bin/env bash
# The test suite: installs what it needs, builds rnr twice (release and
# AddressSanitizer+UndefinedBehaviorSanitizer), starts RabbitMQ, Redis and
# s3rver on 127.0.0.1, runs every CTest test in both builds, runs each
# libFuzzer target for a bounded time, and stops the servers.
#   RNR_FUZZ_SECONDS (default 20) bounds each fuzzer run; 0 skips fuzzing.
#   RNR_TEST_NO_SERVICES=1 skips starting the servers (their tests skip).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
jobs=$(nproc)

scripts/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRNR_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"

svc=""
cleanup() {
  if [ -n "$svc" ]; then scripts/services.sh stop "$svc" || true; rm -rf "$svc"; fi
}
trap cleanup EXIT
if [ "${RNR_TEST_NO_SERVICES:-0}" != 1 ]; then
  svc=$(mktemp -d /tmp/rnr-services.XXXXXX)
  scripts/services.sh start "$svc"
  # shellcheck disable=SC1091
  source "$svc/env"
fi

status=0
echo "== tests (release build)"
ctest --test-dir build --output-on-failure -j"$jobs" || status=1
echo "== tests (ASan + UBSan build)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" || status=1

fuzz_seconds=${RNR_FUZZ_SECONDS:-20}
if [ -d fuzz ] && [ "$fuzz_seconds" != 0 ]; then
  echo "== fuzzing (${fuzz_seconds}s per target)"
  CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DRNR_FUZZ=ON >/dev/null
  cmake --build build-fuzz -j"$jobs" --target rnr_fuzzers
  for f in build-fuzz/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    corpus=$(mktemp -d)
    cp -r "fuzz/corpus/${name#fuzz_}/." "$corpus/" 2>/dev/null || true
    if ! "$f" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -print_final_stats=1 \
         -artifact_prefix="build-fuzz/$name-" "$corpus" > "build-fuzz/$name.log" 2>&1; then
      echo "FUZZ FAILURE: $name (see build-fuzz/$name.log)"; tail -40 "build-fuzz/$name.log"; status=1
    else
      echo "fuzz $name: $(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "build-fuzz/$name.log" | grep -Eo '[0-9]+$') runs, no findings"
    fi
    rm -rf "$corpus"
  done
fi

if [ $status -eq 0 ]; then echo "== all tests passed"; else echo "== TESTS FAILED"; fi
exit $status
