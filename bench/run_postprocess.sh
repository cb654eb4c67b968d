#!/usr/bin/env bash
# run_postprocess.sh - the post-process on a window of 300 NetCDF outputs
# against the reference-style Python baseline (bench/baseline_postprocess.py,
# xarray + pandas from Debian), both on the same files in one run, medians.
#
#   bench/run_postprocess.sh [BUILD_DIR] [REPS] [FILES]
#
# Figures (ms):
#   rnr in-process   bench_postprocess: post-process set-up + run, cold (a
#                    fresh state dir: every file new) and steady (a state
#                    that has read all but the 10 newest files)
#   rnr process      `rnr postprocess`, fork/exec to exit, cold and steady
#   python run       one post-process of the baseline (what a warm Lambda
#                    invocation does: imports already done); it keeps no
#                    memory, so its steady state is its cold run
#   python process   interpreter start + imports + one run
# Ratios: python run / rnr in-process, and python process / rnr process.
#
# The Python modules come from Debian (python3-xarray, python3-pandas,
# python3-netcdf4), installed by scripts/install-deps.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
reps=${2:-5}
files=${3:-300}
py=/usr/bin/python3 # Debian's interpreter: the python3-* packages live there
gpkg="$here/../data/sample/domain.gpkg"
now=2026-03-15T00:00:00Z

"$py" -c 'import xarray, pandas, netCDF4' 2>/dev/null ||
  { echo "run_postprocess: needs python3-xarray python3-pandas python3-netcdf4 (scripts/install-deps.sh)" >&2; exit 1; }

cmake --build "$build" --target bench_postprocess rnr -j2 >/dev/null

work=$(mktemp -d /tmp/rnr-bench-pp.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$build/bench/bench_postprocess" gen "$work" "$files" >/dev/null

median() { sort -n | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2]+v[NR/2+1])/2}'; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# rnr in process (its own medians)
inproc=$("$build/bench/bench_postprocess" run "$work" "$reps" 2>/dev/null)
cold_in=$(echo "$inproc" | sed -n 's/^cold: .*median \([0-9.]*\) ms.*/\1/p')
steady_in=$(echo "$inproc" | sed -n 's/^steady: .*median \([0-9.]*\) ms.*/\1/p')

# rnr as a process: cold (fresh state), steady (the snapshot bench_postprocess left)
rnr_pp() { "$build/rnr" postprocess --store "file://$work/store" --hydrofabric "$gpkg" --state-dir "$1" --now "$now" >/dev/null 2>&1; }
: >"$work/cold.txt"
: >"$work/steady.txt"
for _ in $(seq "$reps"); do
  rm -rf "$work/ps" && mkdir -p "$work/ps"
  t=$(date +%s%N); rnr_pp "$work/ps"; ms_since "$t" >>"$work/cold.txt"
  cp "$work/snapshot.db" "$work/ps/postprocess.db" && rm -f "$work/ps/postprocess.db-wal" "$work/ps/postprocess.db-shm"
  t=$(date +%s%N); rnr_pp "$work/ps"; ms_since "$t" >>"$work/steady.txt"
done
cold_proc=$(median <"$work/cold.txt")
steady_proc=$(median <"$work/steady.txt")

# the Python baseline: runs in one interpreter, then whole processes
base=$("$py" "$here/baseline_postprocess.py" "$work/store" "$gpkg" "$now" "$reps")
py_run=$(echo "$base" | sed -n 's/^run_ms //p' | median)
py_rows=$(echo "$base" | sed -n 's/^rows \([0-9]*\).*/\1/p')
: >"$work/py.txt"
for _ in $(seq 5); do
  t=$(date +%s%N); "$py" "$here/baseline_postprocess.py" "$work/store" "$gpkg" "$now" 1 >/dev/null; ms_since "$t" >>"$work/py.txt"
done
py_proc=$(median <"$work/py.txt")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a / b}'; }
echo "post-process, $files outputs (22 segments x 96 h each), $reps runs, medians; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$inproc" | sed 's/^/  rnr in-process /'
printf '  %-34s %10s %10s\n' "" cold steady
printf '  %-34s %8s ms %8s ms\n' "rnr in-process" "$cold_in" "$steady_in"
printf '  %-34s %8s ms %8s ms\n' "rnr process" "$cold_proc" "$steady_proc"
printf '  %-34s %8s ms %8s ms\n' "python run ($py_rows rows)" "$py_run" "$py_run"
printf '  %-34s %8s ms %8s ms\n' "python process (start+imports+run)" "$py_proc" "$py_proc"
printf '  %-34s %9sx %9sx\n' "ratio python run / rnr in-process" "$(ratio "$py_run" "$cold_in")" "$(ratio "$py_run" "$steady_in")"
printf '  %-34s %9sx %9sx\n' "ratio python process / rnr process" "$(ratio "$py_proc" "$cold_proc")" "$(ratio "$py_proc" "$steady_proc")"
