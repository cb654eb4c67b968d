#!/usr/bin/env bash
# run_redis.sh - start one redis-server with a TLS port and a plain port
# (tests/adapters/redis/redis_tls_server.sh, AUTH on both), run bench_redis
# against the two, stop the server.
# usage: bench/run_redis.sh [BUILD_DIR] [REPS] [LIST] [NEW]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
dir=$(mktemp -d /tmp/rnr-bench-redis.XXXXXX)
trap 'bash "$here/tests/adapters/redis/redis_tls_server.sh" stop "$dir"; rm -rf "$dir"' EXIT
bash "$here/tests/adapters/redis/redis_tls_server.sh" start "$dir" with-plain
pw=$(cat "$dir/password")
enc=$(printf '%s' "$pw" | sed 's/%/%25/g; s|/|%2F|g; s/:/%3A/g; s/@/%40/g')
REDIS_PASSWORD="$pw" RNR_REDIS_CACERT="$dir/ca.pem" "$build/bench/bench_redis" \
  "rediss://:$enc@localhost:$(cat "$dir/port")/0" \
  "redis://:$enc@localhost:$(cat "$dir/plain_port")/0" "${2:-200}" "${3:-300}" "${4:-5}"
