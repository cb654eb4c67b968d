#!/usr/bin/env bash
# Run bench_amqp and both Python baselines (the reference's way without
# publisher confirms, and the same with confirms) against the same RabbitMQ
# and Redis in the same run, and print both producer speed-ups.
#   bench/run_amqp.sh [BUILD_DIR] [PRODUCTS]
# Uses RNR_TEST_AMQP_URL / RNR_TEST_REDIS_URL when set; otherwise starts the
# servers with scripts/services.sh (ports from RNR_*_PORT) and stops them.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
n=${2:-5000}
svc=""
cleanup() { if [ -n "$svc" ]; then "$here/scripts/services.sh" stop "$svc" || true; rm -rf "$svc"; fi; }
trap cleanup EXIT
if [ -z "${RNR_TEST_AMQP_URL:-}" ] || [ -z "${RNR_TEST_REDIS_URL:-}" ]; then
  svc=$(mktemp -d /tmp/rnr-bench-amqp.XXXXXX)
  "$here/scripts/services.sh" start "$svc" >/dev/null
  # shellcheck disable=SC1091
  source "$svc/env"
fi
cmake --build "$build" --target bench_amqp >/dev/null
c_out=$("$build/bench/bench_amqp" --products "$n" --messages "$n")
echo "$c_out"
ref_out=$(/usr/bin/python3 "$here/bench/baseline_producer.py" "$RNR_TEST_AMQP_URL" "$RNR_TEST_REDIS_URL" "$n")
echo "$ref_out"
conf_out=$(/usr/bin/python3 "$here/bench/baseline_producer.py" --confirm "$RNR_TEST_AMQP_URL" "$RNR_TEST_REDIS_URL" "$n")
echo "$conf_out"
rate() { sed -n 's/^\(producer_cycle\|baseline_producer\) .*rate=\([0-9.]*\).*/\2/p'; }
c_rate=$(echo "$c_out" | rate)
ref_rate=$(echo "$ref_out" | rate)
conf_rate=$(echo "$conf_out" | rate)
awk -v c="$c_rate" -v r="$ref_rate" -v f="$conf_rate" 'BEGIN {
  printf "producer speed-up vs the reference producer (pika, no confirms): %.1fx\n", c / r
  printf "producer speed-up vs the confirming Python baseline (pika + confirm_delivery): %.1fx\n", c / f
}'
