#!/usr/bin/env bash
# Run the libFuzzer targets (fuzz/fuzz_<name>.c) for longer than test.sh
# does, each from its seed corpus fuzz/corpus/<name>/ (docs/fuzzing.md).
#   scripts/fuzz.sh [SECONDS] [TARGET...]   default 300 s, every target
#   scripts/fuzz.sh --merge TARGET          after a run: fold the new inputs
#                                           that add coverage into the seeds
# Builds build-fuzz with clang first. New inputs of a run are kept in
# build-fuzz/corpus/<name>/ (reused by the next run); a crash is written to
# build-fuzz/<target>-crash-* and the run stops with exit 1.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
merge=0
if [ "${1:-}" = --merge ]; then merge=1; shift; fi
seconds=300
if [ $merge = 0 ] && [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DRNR_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target rnr_fuzzers >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/fuzz_*.c; do t=$(basename "$f" .c); targets+=("${t#fuzz_}"); done
fi
rc=0
for t in "${targets[@]}"; do
  t=${t#fuzz_}
  bin=build-fuzz/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "no fuzz target '$t' (fuzz/fuzz_$t.c)" >&2; exit 2; }
  work=build-fuzz/corpus/$t
  mkdir -p "$work"
  if [ $merge = 1 ]; then
    "$bin" -merge=1 "fuzz/corpus/$t" "$work" >/dev/null 2>&1
    echo "fuzz $t: fuzz/corpus/$t now has $(find "fuzz/corpus/$t" -type f | wc -l) inputs"
    continue
  fi
  echo "== fuzz $t for ${seconds}s"
  if "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=25 -print_final_stats=1 \
      -artifact_prefix="build-fuzz/fuzz_$t-" "$work" "fuzz/corpus/$t" > "build-fuzz/fuzz_$t.log" 2>&1; then
    echo "fuzz $t: $(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "build-fuzz/fuzz_$t.log" | grep -Eo '[0-9]+$') runs, no findings"
  else
    echo "FUZZ FAILURE: $t (log build-fuzz/fuzz_$t.log)"; tail -30 "build-fuzz/fuzz_$t.log"; rc=1
  fi
done
exit $rc
