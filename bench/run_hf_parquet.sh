#!/usr/bin/env bash
# run_hf_parquet.sh - worker readiness on the CONUS-scale synthetic
# hydrofabric as parquet (issue 14): from a local directory, and from a
# private s3rver with ranged reads (the default) and with whole-file
# downloads, first start and restart, with and without an index published
# beside the layers. Each case runs REPS times in a fresh process
# (bench_hf_parquet); the medians of ready time, CPU time and peak RSS are
# printed, with the load average before and after.
#
# usage: bench/run_hf_parquet.sh [BUILD_DIR] [DATA_DIR] [REPS]
#   DATA_DIR keeps the generated domain between runs (default
#   /tmp/rnr-bench-hfpq; generating and indexing it takes minutes).
#   RNR_TEST_S3_ENDPOINT (and RNR_TEST_S3_BUCKET): use that s3rver, e.g.
#   after scripts/services.sh start; else a private one on RNR_S3_PORT
#   (default 4599) is started and stopped here.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
data=${2:-/tmp/rnr-bench-hfpq}
reps=${3:-5}
port=${RNR_S3_PORT:-4599}
rnr=$build/rnr
bench=$build/bench/bench_hf_parquet
[ -x "$rnr" ] && [ -x "$bench" ] || { echo "build rnr and bench_hf_parquet first" >&2; exit 1; }

mkdir -p "$data"
if [ ! -s "$data/conus/network.parquet" ] || [ ! -s "$data/conus.rnrindex" ]; then
  echo "generating 1.1 M flowpaths (seed 2024) as GeoPackage + parquet, then the index ..."
  "$rnr" hydrofabric generate --flowpaths 1100000 --seed 2024 --parquet "$data/conus" --zstd "$data/conus.gpkg"
  "$rnr" hydrofabric index "$data/conus"
fi
# a reach in the middle of a long mainstem
reach=$(sqlite3 "file:$data/conus.gpkg?mode=ro" \
  "SELECT hf_id FROM network WHERE id LIKE 'wb-%' AND hf_id IS NOT NULL ORDER BY hf_id LIMIT 1 OFFSET 500000")

work=$(mktemp -d /tmp/rnr-bench-hfpq-run.XXXXXX)
s3pid=
cleanup() {
  [ -n "$s3pid" ] && kill "$s3pid" 2>/dev/null && wait "$s3pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
if [ -n "${RNR_TEST_S3_ENDPOINT:-}" ]; then # a running s3rver (scripts/services.sh)
  endpoint=$RNR_TEST_S3_ENDPOINT
  store=s3://${RNR_TEST_S3_BUCKET:-rnr-test}/bench-hfpq-$$/
else
  mkdir -p "$work/s3"
  NODE_OPTIONS=--openssl-legacy-provider node "$here/node_modules/s3rver/bin/s3rver.js" \
    -d "$work/s3" -a 127.0.0.1 -p "$port" -s --configure-bucket rnr-bench > "$work/s3rver.log" 2>&1 &
  s3pid=$!
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
  done
  endpoint=http://127.0.0.1:$port
  store=s3://rnr-bench/
fi
export AWS_ENDPOINT_URL_S3=$endpoint AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
unset AWS_SESSION_TOKEN AWS_PROFILE http_proxy HTTP_PROXY
"$bench" --store "$store" --key hf/idx --upload "$data/conus"
"$bench" --store "$store" --key hf/noidx --upload "$data/conus" --no-index

# median of field $1 over the lines in file $2
median() { grep -o "$1=[0-9]*" "$2" | cut -d= -f2 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# once NAME FRESH ARGS...: one run appended to $work/NAME.txt; FRESH=1 starts
# from an empty state dir, FRESH=0 from one a previous start has filled
once() {
  local name=$1 fresh=$2
  shift 2
  local state=$work/state-${name// /_}
  if [ "$fresh" = 1 ] || [ ! -d "$state" ]; then
    rm -rf "$state" && mkdir -p "$state"
    [ "$fresh" = 0 ] && { "$bench" "$@" --state "$state" "$reach" >/dev/null 2>&1 || true; }
  fi
  "$bench" "$@" --state "$state" "$reach" 2>>"$work/$name.log" >> "$work/$name.txt" ||
    { cat "$work/$name.txt" "$work/$name.log"; exit 1; }
}
report() {
  local name=$1 out=$work/$1.txt
  grep -q "cut=[1-9]" "$out" || { echo "$name: no cut: $(cat "$out")" >&2; exit 1; }
  printf '%-40s %3s runs  ready %7s ms  cpu %6s ms  peak RSS %4s MB  %s\n' "$name" "$(wc -l < "$out")" \
    "$(median ready_ms "$out")" "$(median cpu_ms "$out")" "$(median hwm_mb "$out")" \
    "$(grep -o '[0-9]* ranged GETs, [0-9]* bytes fetched' "$work/$name.log" | tail -1 || true)"
}

echo "reach $reach; $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# local directory (the index built beside it): the state dir is unused
out=$work/local.txt
: > "$out"
for i in $(seq 1 "$reps"); do "$bench" --dir "$data/conus" "$reach" >> "$out"; done
printf '%-40s %3s runs  ready %7s ms  cpu %6s ms  peak RSS %4s MB\n' "local directory, indexed" "$reps" \
  "$(median ready_ms "$out")" "$(median cpu_ms "$out")" "$(median hwm_mb "$out")"
# ranged and whole alternate, run by run, so both meet the same load
for i in $(seq 1 "$reps"); do
  once "s3 ranged, published index, first" 1 --store "$store" --key hf/idx
  once "s3 whole, published index, first" 1 --store "$store" --key hf/idx --whole
  once "s3 ranged, published index, restart" 0 --store "$store" --key hf/idx
  once "s3 whole, published index, restart" 0 --store "$store" --key hf/idx --whole
done
for n in "s3 ranged, published index, first" "s3 whole, published index, first" \
         "s3 ranged, published index, restart" "s3 whole, published index, restart"; do report "$n"; done
# building the index at the first start costs tens of seconds of CPU:
# fewer runs, and none with RNR_BENCH_NO_BUILD=1
few=$(( reps < 3 ? reps : 3 ))
[ -n "${RNR_BENCH_NO_BUILD:-}" ] && few=0
# "builds it" runs do not publish (each must find none); "builds +
# publishes" uploads the index it built and the script removes it after
for i in $(seq 1 "$few"); do
  once "s3 ranged, no index, first (builds it)" 1 --store "$store" --key hf/noidx
  once "s3 whole, no index, first (builds it)" 1 --store "$store" --key hf/noidx --whole
  once "s3 ranged, no index, first (builds + publishes)" 1 --store "$store" --key hf/noidx --publish
  "$bench" --store "$store" --key hf/noidx --unpublish
done
[ "$few" = 0 ] || for n in "s3 ranged, no index, first (builds it)" "s3 whole, no index, first (builds it)" \
                          "s3 ranged, no index, first (builds + publishes)"; do
  report "$n"
done
[ "$few" = 0 ] || grep -ho 'built the hydrofabric index [^ ]* ([0-9]* ms)\|published the index as [^ ]* ([0-9]* bytes, [0-9]* ms)' \
  "$work/s3 ranged, no index, first (builds + publishes).log" | sed 's/^/  /' || true
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
