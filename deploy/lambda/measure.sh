#!/usr/bin/env bash
# measure.sh - the Lambda runtime's own costs, on the packaged zip, against
# the Runtime API emulator on loopback (figures for bench/README-prod.md).
#
# usage: measure.sh ZIP BUILD_DIR [N]
#   - cold start: wall time of `bootstrap` (exec, dynamic loading of the
#     zip's lib/, init, one echo invocation, exit), best and median of 10;
#   - init_ms (process start -> first /next, as the runtime logs it) for
#     echo and for producer (embedded backends: opens SQLite queue + cache);
#   - overhead_ms: mean per-invocation time outside the handler over N
#     (default 500, at most 1024) echo invocations in one process, logging
#     at info level (one line per invocation, as in production).
set -euo pipefail
zip=$(realpath "${1:?usage: measure.sh ZIP BUILD_DIR [N]}") build=$(realpath "${2:?}") n=${3:-500}
tmp=$(mktemp -d); emu=""
trap '[ -n "$emu" ] && kill $emu 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/task"; (cd "$tmp/task" && unzip -q "$zip")
start_emu() { # count
  for i in $(seq "$1"); do echo "{\"i\":$i}"; done > "$tmp/ev"
  rm -f "$tmp/port"
  "$build/tools/lambda_emulator/rnr-lambda-emulator" --events "$tmp/ev" --port-file "$tmp/port" --log /dev/null >/dev/null 2>&1 &
  emu=$!
  for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
  api=127.0.0.1:$(cat "$tmp/port")
}
stop_emu() { kill $emu; wait $emu 2>/dev/null || true; emu=""; }

start_emu 10
for i in $(seq 10); do
  t0=$(date +%s%N)
  (cd "$tmp/task" && env -i AWS_LAMBDA_RUNTIME_API=$api _HANDLER=echo ./bootstrap --max-invocations 1) > "$tmp/cold.$i" 2>&1
  echo $(( ($(date +%s%N) - t0) / 1000 ))
done > "$tmp/cold"
stop_emu
sort -n "$tmp/cold" | awk '{a[NR]=$1} END {printf "cold start (exec..exit, 1 echo invocation): best %.2f ms, median %.2f ms (10 runs)\n", a[1]/1000, a[int((NR+1)/2)]/1000}'
grep -ho 'init_ms=[0-9]*' "$tmp"/cold.* | sort -t= -k2 -n | awk -F= '{a[NR]=$2} END {printf "init_ms echo: min %d, median %d\n", a[1], a[int((NR+1)/2)]}'

start_emu 1
mkdir -p "$tmp/state"
(cd "$tmp/task" && env -i AWS_LAMBDA_RUNTIME_API=$api _HANDLER=producer RNR_STATE_DIR="$tmp/state" \
  RNR_QUEUE_URL="sqlite://$tmp/state/queue.db" RNR_CACHE_URL="sqlite://$tmp/state/cache.db" \
  NWS_API_URL=http://127.0.0.1:9 ./bootstrap --max-invocations 1) > "$tmp/prod.out" 2>&1 || true
stop_emu
echo "init_ms producer (embedded backends): $(grep -o 'init_ms=[0-9]*' "$tmp/prod.out" | cut -d= -f2)"

start_emu "$n"
(cd "$tmp/task" && env -i AWS_LAMBDA_RUNTIME_API=$api _HANDLER=echo ./bootstrap --max-invocations "$n") > "$tmp/many.out" 2>&1 || true
stop_emu
echo "loop over $n echo invocations: $(grep -o 'invocations=[0-9]* failures=[0-9]* overhead_ms=[0-9.]*' "$tmp/many.out")"
