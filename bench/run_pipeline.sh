#!/usr/bin/env bash
# Pipeline benchmark: forecasts routed per second end to end (`rnr up
# --once`: producer, workers fetching from the fixture NWS/NWPS server,
# routing, NetCDF writing, post-process) on the embedded backends and the
# demo hydrofabric. Each worker count runs twice in the same invocation:
# with the series fetched per product (RNR_NWPS_STAGEFLOW=separate: gauge,
# forecast, observed = three NWPS requests per forecast) and with NWPS's
# combined /stageflow (gauge + stageflow = two); the fixture's request log
# gives the requests actually made.
#
# The data set is generated: PRODUCTS HML products of SITES flooding gauges
# each, every gauge a copy of the sample's RNRA1/RNRB1/RNRC1 (gauge record,
# stageflow forecast and observations) under a new lid, on the demo
# domain's reaches 91000001..3.
#   usage: bench/run_pipeline.sh [PRODUCTS] [SITES] [WORKER_COUNTS...]
#   default: 30 products x 10 sites (a 300-forecast event), one worker,
#   under the HTTP client's politeness limit (8 requests/s per process;
#   RNR_HTTP_RATE=0 lifts it). Needs python3 and a release build in build/
#   (cmake -S . -B build && cmake --build build).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
products=${1:-30}
sites=${2:-10}
shift $(( $# > 2 ? 2 : $# ))
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1)
rnr="$here/build/rnr"
fixture="$here/build/tools/fixture_server/rnr-fixture-server"
[ -x "$rnr" ] && [ -x "$fixture" ] || { echo "build first: cmake --build build" >&2; exit 1; }

work=$(mktemp -d /tmp/rnr-bench-pipeline.XXXXXX)
fixture_pid=""
cleanup() {
  [ -z "$fixture_pid" ] || { kill "$fixture_pid" 2>/dev/null || true; wait "$fixture_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

python3 - "$here/data/sample/nws" "$work/nws" "$products" "$sites" <<'EOF'
import json, os, sys
src, dst, nprod, nsite = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.makedirs(dst + "/products"); os.makedirs(dst + "/nwps/gauges")
models = ["RNRA1", "RNRB1", "RNRC1"]
def read(p):
    with open(p) as f: return f.read()
sample = json.loads(read(src + "/products/7c2e41a9-53b8-4d0e-b6f1-2a94c3d85e10.json"))
text = sample["productText"]
# one AHPS XML forecast document of the sample, used as a template per site
start = text.rfind("<?xml", 0, text.index('id="RNRB1"'))
end = text.index("</site>", start) + len("</site>")
doc = text[start:end]
graph = []
for p in range(nprod):
    pid = "b%07d-0000-4000-8000-%012d" % (p, p)
    docs = []
    for s in range(nsite):
        lid = "B%02d%02d" % (p % 100, s % 100) if nprod <= 100 and nsite <= 100 else "B%d_%d" % (p, s)
        model = models[(p * nsite + s) % 3]
        for suffix in (".json", ".forecast.json", ".observed.json"):
            f = src + "/nwps/gauges/" + model + suffix
            if os.path.exists(f):
                with open(dst + "/nwps/gauges/" + lid + suffix, "w") as out:
                    out.write(read(f).replace(model, lid))
        docs.append(doc.replace('id="RNRB1"', 'id="%s"' % lid))
    issued = "2026-03-14T%02d:%02d:00+00:00" % (10 + p // 60, p % 60)
    meta = {"@id": "{{BASE}}/products/" + pid, "id": pid, "wmoCollectiveId": "SRUS54",
            "issuingOffice": "KRNR", "issuanceTime": issued, "productCode": "HML",
            "productName": "AHPS XML"}
    graph.append(meta)
    full = dict(sample); full.update(meta)
    full["productText"] = "452 \nSRUS54 KRNR 141005\nHMLRNR\n" + "\n".join(docs) + "\n"
    with open(dst + "/products/" + pid + ".json", "w") as out: json.dump(full, out)
with open(dst + "/products.json", "w") as out:
    json.dump({"@context": sample["@context"], "@graph": graph}, out)
EOF

"$fixture" --dir "$work/nws" --port 0 --port-file "$work/port" --log "$work/requests.log" >/dev/null 2>&1 &
fixture_pid=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
export NWS_API_URL="http://127.0.0.1:$port" NWPS_API_URL="http://127.0.0.1:$port/nwps/v1"
export NWS_USER_AGENT="rnr-bench" RNR_HYDROFABRIC="$here/data/sample/domain.gpkg" RNR_LOG_LEVEL=warn

echo "data set: $products products x $sites flooding gauges = $((products * sites)) forecasts"
echo "rate limit: ${RNR_HTTP_RATE:-8} requests/s per process"
printf "%-8s %-10s %-8s %-10s %-12s %-10s %-12s\n" workers stageflow routed requests nwps/fcst seconds forecasts/s
for n in "${counts[@]}"; do
  for mode in separate combined; do
    state="$work/state-$n-$mode"
    before=$(wc -l <"$work/requests.log" 2>/dev/null || echo 0)
    t0=$(date +%s.%N)
    RNR_NWPS_STAGEFLOW=$mode "$rnr" up --once --no-status --workers "$n" --max-workers "$n" \
      --timeout 1800 --postprocess-time 2026-03-15T00:00:00Z --state-dir "$state" \
      >"$work/summary-$n-$mode.txt"
    t1=$(date +%s.%N)
    routed=$(sed -n 's/^ *sites routed  *//p' "$work/summary-$n-$mode.txt")
    tail -n +"$((before + 1))" "$work/requests.log" >"$work/requests-$n-$mode.log"
    reqs=$(wc -l <"$work/requests-$n-$mode.log")
    nwps=$(grep -c '^GET /nwps/' "$work/requests-$n-$mode.log" || true)
    awk -v n="$n" -v m="$mode" -v r="$routed" -v q="$reqs" -v w="$nwps" -v a="$t0" -v b="$t1" \
      'BEGIN { printf "%-8s %-10s %-8s %-10s %-12.2f %-10.2f %-12.2f\n", n, m, r, q, w / r, b - a, r / (b - a) }'
  done
done
