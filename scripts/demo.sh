#!/usr/bin/env bash
# The demo: installs dependencies, builds rnr, serves the bundled synthetic
# NWS data set on 127.0.0.1 (rnr-fixture-server), and runs one whole
# pipeline cycle (`rnr up --once`: producer, workers, post-process) on the
# embedded backends over the bundled demo hydrofabric. Works offline.
#   RNR_DEMO_DIR   where the state and outputs go (default ./demo-out, wiped first)
#   RNR_DEMO_WORKERS  workers (default 2)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
out=${RNR_DEMO_DIR:-$here/demo-out}
case "$out" in /*) ;; *) out="$here/$out" ;; esac

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# Only what the demo runs: the test binaries are test.sh's to build.
cmake --build build -j"$(nproc)" --target rnr rnr-fixture-server

rm -rf "$out"
mkdir -p "$out"
fixture_pid=""
cleanup() {
  if [ -n "$fixture_pid" ]; then
    kill "$fixture_pid" 2>/dev/null || true
    wait "$fixture_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

build/tools/fixture_server/rnr-fixture-server --dir data/sample/nws --port 0 \
  --port-file "$out/fixture.port" --log "$out/fixture.log" >/dev/null &
fixture_pid=$!
for _ in $(seq 1 100); do [ -s "$out/fixture.port" ] && break; sleep 0.1; done
[ -s "$out/fixture.port" ] || { echo "demo: the fixture server did not start" >&2; exit 1; }
port=$(cat "$out/fixture.port")
echo "== fixture NWS/NWPS server on http://127.0.0.1:$port (data/sample/nws)"

echo "== rnr up --once (state in $out/state)"
status=0
NWS_API_URL="http://127.0.0.1:$port" NWPS_API_URL="http://127.0.0.1:$port/nwps/v1" \
NWS_USER_AGENT="rnr-demo (local fixture)" RNR_PLOTS=1 RNR_LOG_LEVEL=${RNR_LOG_LEVEL:-warn} \
  build/rnr up --once --workers "${RNR_DEMO_WORKERS:-2}" --timeout 120 \
    --postprocess-time 2026-03-15T00:00:00Z \
    --state-dir "$out/state" --hydrofabric "$here/data/sample/domain.gpkg" \
  | tee "$out/summary.txt" || status=$?

store="$out/state/store"
echo
echo "== outputs"
echo "routed NetCDF (t-route format):"
find "$store/replace_and_route" -name '*.nc' 2>/dev/null | sort | sed 's/^/  /'
echo "hydrographs (SVG, open in a browser):"
find "$store/replace_and_route" -name '*.svg' 2>/dev/null | sort | sed 's/^/  /'
echo "inundation-mapping CSV (and its GeoJSON):"
find "$store/rnr_postprocess" \( -name "*.csv" -o -name "*.geojson" \) 2>/dev/null | sort | sed "s/^/  /"
echo "summary: $out/summary.txt"
if [ "$status" -ne 0 ]; then echo "demo: the cycle did not fully succeed (exit $status)" >&2; fi
exit "$status"
