#!/usr/bin/env bash
# run_route.sh - `rnr route` on HPDT2 as a whole process against its
# kernel time, measured in the same run (bench_route), with the start-up
# floors that bound it from below:
#   rnr version      the binary's exec + dynamic loading, doing nothing
#   route's libs     an empty program linked with only what routing needs
#                    (netCDF, SQLite, jansson) and their dependency trees
#   /bin/true        exec alone
# and the dynamic loader's own statistics (LD_DEBUG=statistics).
#
#   bench/run_route.sh [BUILD_DIR] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
runs=${2:-21}
cmake --build "$build" --target bench_route rnr -j2 >/dev/null
work=$(mktemp -d /tmp/rnr-bench-route.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo 'int main(void) { return 0; }' >"$work/floor.c"
# --no-as-needed: keep every library although main() calls none of them.
cc "$work/floor.c" -o "$work/floor" -Wl,--no-as-needed $(pkg-config --libs netcdf sqlite3 jansson)
# rnr's own direct libraries, as its dynamic section names them.
all=$(readelf -d "$build/rnr" | sed -n 's/.*Shared library: \[lib\([^]]*\)\.so[^]]*\]/-l:lib\1.so/p' | tr '\n' ' ')
cc "$work/floor.c" -o "$work/floor-all" -Wl,--no-as-needed $all

echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "shared objects: rnr $(ldd "$build/rnr" | wc -l), its libraries alone $(ldd "$work/floor-all" | wc -l), routing's alone $(ldd "$work/floor" | wc -l)"
ref="$build/reference/rnr-hpdt2"
LD_DEBUG=statistics "$build/rnr" route --hydrofabric "$ref/HPDT2.gpkg" --forecast "$ref/HPDT2.json" \
  --out "$work" --forcing troute 2>&1 >/dev/null |
  sed -n 's/^ *[0-9]*:[[:space:]]*//; /total startup time\|time needed for relocation\|time needed to load\|number of relocations:\|relative relocations/p' |
  sed 's/^/  ld.so (rnr route): /'
RNR_BIN="$build/rnr" RNR_BENCH_FLOOR_BIN="$work/floor" RNR_BENCH_FLOOR_ALL_BIN="$work/floor-all" \
  "$build/bench/bench_route" "$runs"
