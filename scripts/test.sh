#!/usr/bin/env bash
# The test suite: installs what it needs, builds rnr twice (release and
# AddressSanitizer+UndefinedBehaviorSanitizer), starts RabbitMQ, Redis and
# s3rver on 127.0.0.1, runs every CTest test in both builds, runs each
# libFuzzer target for a bounded time, runs the clang static analyzer
# (scripts/analyze.sh: a new finding fails the run), and stops the servers.
#   RNR_FUZZ_SECONDS (default 10) bounds each fuzzer run (about 14 targets,
#   so about 2.5 min in all); 0 skips fuzzing. Longer runs: scripts/fuzz.sh.
#   RNR_TEST_NO_SERVICES=1 skips starting the servers (their tests skip).
# After each CTest run it fails the run if a process the tests started is
# still alive, naming it (and then ends it).
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
# Every process the tests start inherits RNR_TEST_RUN (unless it clears its
# environment) and gets TMPDIR=$run_tmp for its scratch files.
run_id="rnr-test-$$-$(date +%s%N)"
run_tmp=$(mktemp -d /tmp/rnr-testrun.XXXXXX)
cleanup() {
  if [ -n "$svc" ]; then scripts/services.sh stop "$svc" || true; rm -rf "$svc"; fi
  rm -rf "$run_tmp"
}
trap cleanup EXIT

# run_tests NAME BUILD-DIR: one CTest run, then the check for leftovers.
run_tests() {
  local name=$1 dir=$2
  step "tests ($name)" env RNR_TEST_RUN="$run_id" TMPDIR="$run_tmp" \
    ctest --test-dir "$dir" --output-on-failure -j"$jobs"
  step "no process left behind ($name)" no_leftovers
}

# leftovers: the processes of this test run that are still alive: those
# carrying our RNR_TEST_RUN, or whose command line, executable or working
# directory is under the build directories or the tests' TMPDIR; but not
# the servers this script started (their command line or environment names
# $svc: tests restart them, so a restarted server carries RNR_TEST_RUN too).
leftovers() {
  python3 - "$$" "$run_id" "$here/build" "$run_tmp" "$svc" <<'PY'
import os, sys
me, run, build, tmp, svc = sys.argv[1:]
mark = ("RNR_TEST_RUN=" + run).encode()
def read(pid, name):
    try:
        with open("/proc/%s/%s" % (pid, name), "rb") as f:
            return f.read()
    except OSError:
        return b""
def link(pid, name):
    try:
        return os.readlink("/proc/%s/%s" % (pid, name))
    except OSError:
        return ""
for pid in filter(str.isdigit, os.listdir("/proc")):
    if pid in (me, str(os.getpid()), str(os.getppid())):
        continue
    cmd = read(pid, "cmdline").replace(b"\0", b" ").decode(errors="replace").strip()
    if not cmd:
        continue                          # a kernel thread, or gone
    env = read(pid, "environ")
    if svc and (svc in cmd or svc.encode() in env):
        continue
    if (mark in env.split(b"\0") or build in cmd or tmp in cmd
            or link(pid, "exe").startswith(build)
            or (link(pid, "cwd") + "/").startswith(tmp + "/")):
        print(pid, cmd[:200])
PY
}

# no_leftovers: fail naming what the tests left running. A process on its
# way out (a worker draining after SIGTERM) gets up to 15 s to go.
no_leftovers() {
  local left=""
  for _ in $(seq 1 30); do
    left=$(leftovers)
    [ -n "$left" ] || return 0
    sleep 0.5
  done
  echo "== processes left behind by the tests:"
  echo "$left" | sed 's/^/   /'
  echo "$left" | awk '{print $1}' | xargs -r kill -KILL 2>/dev/null || true
  return 1
}

step install-deps scripts/install-deps.sh || finish
release_ok=1; asan_ok=1
step "build (release)" build build -DCMAKE_BUILD_TYPE=RelWithDebInfo || release_ok=0
# The benchmarks are outside ALL (nothing runs them here), but they must
# still compile: a struct gaining a field broke bench_route unnoticed.
[ $release_ok = 0 ] || step "build (benchmarks)" cmake --build build -j"$jobs" --target benches
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
  run_tests release build
fi
if [ $asan_ok = 1 ]; then
  echo "== tests (ASan + UBSan build)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS=suppressions=$here/tests/lsan.supp \
    run_tests asan build-asan
fi

echo "== style (clang-format)"
step "format" scripts/check_format.sh

echo "== static analysis (clang --analyze)"
step "static analysis" scripts/analyze.sh build-analyze

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
