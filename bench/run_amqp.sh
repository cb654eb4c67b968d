#!/usr/bin/env bash
# Run bench_amqp and the Python baseline (the reference's way) against the
# same RabbitMQ and Redis in the same run, and print the producer speed-up.
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
py_out=$(/usr/bin/python3 "$here/bench/baseline_producer.py" "$RNR_TEST_AMQP_URL" "$RNR_TEST_REDIS_URL" "$n")
echo "$py_out"
c_rate=$(echo "$c_out" | sed -n 's/^producer_cycle .*rate=\([0-9.]*\).*/\1/p')
py_rate=$(echo "$py_out" | sed -n 's/^baseline_producer .*rate=\([0-9.]*\).*/\1/p')
awk -v c="$c_rate" -v p="$py_rate" 'BEGIN { printf "producer speed-up (C / Python reference style): %.1fx\n", c / p }'
