#!/usr/bin/env bash
# The fault-injection suite (docs/fault-injection.md): rnr producer and
# workers on RabbitMQ + Redis + s3rver route a generated data set while
# faults are injected, then every scenario is counted from the store.
#   scripts/faults.sh [short|long] [SCENARIO...]
# Scenarios: kill9 broker-restart broker-crash redis s3 disk poison.
#   short (test.sh, ctest fault/test_fault_short): 1 product x 4 sites,
#         kill9 s3 redis poison disk
#   long: 32 products x 20 sites (640 outputs), every scenario
# FAULT_PRODUCTS, FAULT_SITES, FAULT_WORKERS, FAULT_KILLS override the size;
# FAULT_STRICT=1 also fails on identical rewrites of a key; FAULT_KEEP=1
# keeps the scratch directory. Uses the servers of scripts/test.sh when
# RNR_TEST_* is set (tests/services), else starts its own with
# scripts/services.sh (ports from RNR_AMQP_PORT etc.). Prints one row per
# scenario (expected / produced / duplicated / rewrite / dead / left / lost) and
# exits 1 unless every row is ok. The disk scenario mounts a tmpfs: root
# only (reported as skipped otherwise).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-short}
[ $# -gt 0 ] && shift
case "$mode" in
  short) products=1 sites=4 workers=2 kills=2 scenarios="kill9 s3 redis poison disk" ;;
  long) products=32 sites=20 workers=4 kills=30
        scenarios="kill9 broker-restart broker-crash redis s3 disk poison" ;;
  *) echo "usage: scripts/faults.sh [short|long] [SCENARIO...]" >&2; exit 2 ;;
esac
[ $# -gt 0 ] && scenarios="$*"
products=${FAULT_PRODUCTS:-$products} sites=${FAULT_SITES:-$sites}
workers=${FAULT_WORKERS:-$workers} kills=${FAULT_KILLS:-$kills}
build=${RNR_BUILD_DIR:-$here/build}
bin=${RNR_BIN:-$build/rnr}
fixture_bin=$build/tools/fixture_server/rnr-fixture-server
[ -x "$bin" ] && [ -x "$fixture_bin" ] || { echo "faults: build first (cmake --build build)" >&2; exit 2; }
py=/usr/bin/python3
work=$(mktemp -d /tmp/rnr-faults.XXXXXX)
pids=() own_svc="" mounted=""
t0=$(date +%s)

cleanup() {
  local p
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -z "$mounted" ] || umount "$mounted" 2>/dev/null || true
  [ -z "$own_svc" ] || "$here/scripts/services.sh" stop "$own_svc" >/dev/null 2>&1 || true
  if [ -n "${FAULT_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() { echo "faults: $*" >&2; exit 1; }
note() { echo "   [$(( $(date +%s) - t0 ))s] $*"; }

# ---- servers ----
if [ -z "${RNR_TEST_AMQP_URL:-}" ]; then
  own_svc=$work/svc
  "$here/scripts/services.sh" start "$own_svc" >/dev/null || fail "cannot start the servers"
  # shellcheck disable=SC1091
  source "$own_svc/env"
fi
svcdir=${RNR_TEST_SERVICES_DIR:?}
# Shared locks on the servers for the whole run, exclusive to restart one
# (the protocol of tests/system/prod/test_prod_real_servers.sh).
exec 7>"$svcdir/rabbit.lock" 8>"$svcdir/redis.lock"
flock -s 7
flock -s 8
svc() { bash "$here/scripts/services.sh" "$1" "$svcdir" >/dev/null 7>&- 8>&-; }
redis_port=$(echo "$RNR_TEST_REDIS_URL" | sed -E 's|redis://[^:]*:([0-9]+).*|\1|')
redis_db=11
mgmt=${RNR_TEST_AMQP_MGMT_URL:?}
amqp_auth=$(echo "$RNR_TEST_AMQP_URL" | sed -E 's|^amqps?://([^@]*)@.*|\1|')
s3_data=$svcdir/s3/data/${RNR_TEST_S3_BUCKET:-rnr-test}
run_id="f$$x$(date +%s%N | tail -c 7)"

# ---- data set and the fixture NWS server ----
$py "$here/tests/system/fault/fault_data.py" "$here/data/sample/nws" "$work/nws" "$products" "$sites"
cp "$work/nws/products.json" "$work/nws/products-good.json"
"$fixture_bin" --dir "$work/nws" --port 0 --port-file "$work/fixture.port" \
  --log "$work/fixture.log" > "$work/fixture.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/fixture.port" ] && break; sleep 0.1; done
[ -s "$work/fixture.port" ] || fail "fixture server did not start"
nws="http://127.0.0.1:$(cat "$work/fixture.port")"

export NWS_API_URL=$nws NWPS_API_URL=$nws/nwps/v1 NWS_USER_AGENT=rnr-faults
export RNR_HYDROFABRIC=$here/data/sample/domain.gpkg RNR_AMQP_MGMT_URL=$mgmt RNR_LOG_LEVEL=info
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export RNR_CACHE_URL=redis://127.0.0.1:$redis_port/$redis_db RNR_RETRY_BACKOFF_MS=200
unset RABBITMQ_ENDPOINT REDIS_HOST APP_BUCKET_NAME RNR_STORE_URL RNR_QUEUE_URL

# ---- one scenario ----
# Globals of the running scenario: sdir, q, prefix, wpid[], n_products.
declare -a wpid
start_worker() { # slot
  "$bin" worker --idle-exit 1 >> "$sdir/worker$1.log" 2>&1 &
  wpid[$1]=$!
  pids+=($!)
  disown $! # no job notices for the kill -9s; bash still reaps it
}
alive() { [ -n "${wpid[$1]:-}" ] && kill -0 "${wpid[$1]}" 2>/dev/null; }
reap() { # slot: forget an exited worker
  if [ -n "${wpid[$1]:-}" ] && ! kill -0 "${wpid[$1]}" 2>/dev/null; then wpid[$1]=""; fi
}
depth() { # -> "READY DEAD", or "? ?" while the broker is away
  local out
  out=$("$bin" queue depth 2>/dev/null) || { echo "? ?"; return; }
  # One line per queue (the products and their per-site follow-ups): sum.
  echo "$out" | sed -nE 's/.*ready=(-?[0-9]+).*dead=(-?[0-9]+).*/\1 \2/p' |
    awk '{r += $1; d += $2} END {print r + 0, d + 0}'
}
stored() { # expected outputs present in the store
  [ -d "$s3_data/$prefix" ] || { echo 0; return; }
  (cd "$s3_data/$prefix" && find . -name '*.nc._S3rver_object' | sed -e 's|^\./||' -e 's|\._S3rver_object$||') |
    sort | comm -12 - "$work/nws/expected.txt" | wc -l
}
complete() { # all outputs stored, nothing ready, the dead letters all in
  local d; d=$(depth)
  [ "$(stored)" = "$n_expected" ] && [ "${d% *}" = 0 ] && [ "${d#* }" = "$expect_dead" ]
}
produce() { # run producer cycles until n_products are published (bounded)
  local i out
  for i in $(seq 40); do
    out=$("$bin" producer --once 2>>"$sdir/producer.err") || true
    echo "$out" >> "$sdir/producer.out"
    [ "$(published)" -ge "$n_products" ] && return 0
    sleep 0.5
  done
  fail "$scen: the producer published $(published) of $n_products products in 40 cycles"
}
published() { sed -n 's/.*published=\([0-9]*\).*/\1/p' "$sdir/producer.out" | awk '{s += $1} END {print s + 0}'; }
proxy_start() { # extra proxy arguments
  rm -f "$sdir/proxy.port"
  node "$here/tools/s3_fault_proxy/s3_fault_proxy.js" --upstream "$RNR_TEST_S3_ENDPOINT" \
    --port-file "$sdir/proxy.port" --log "$sdir/writes.jsonl" --seed "${FAULT_SEED:-7}" "$@" \
    > "$sdir/proxy.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$sdir/proxy.port" ] && break; sleep 0.1; done
  [ -s "$sdir/proxy.port" ] || fail "s3 fault proxy did not start"
  export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$(cat "$sdir/proxy.port")"
}
proxy_counts() { curl -sf "$AWS_ENDPOINT_URL_S3/_faults"; }

# The main loop: keep workers_n workers until the scenario is complete and
# every worker left on its own (--idle-exit: nothing in flight), injecting
# the scenario's fault when its moment comes. Bounded by deadline seconds.
drive() { # deadline
  local end=$(( $(date +%s) + $1 )) s next_kill=0 done_kills=0 injected=0 now
  while :; do
    now=$(date +%s)
    [ "$now" -lt "$end" ] || fail "$scen: not complete after $1 s (stored $(stored)/$n_expected, depth $(depth))"
    local live=0 is_complete=0
    complete && is_complete=1
    for s in $(seq "$workers"); do
      reap "$s"
      if ! alive "$s" && [ $is_complete = 0 ]; then start_worker "$s"; fi
      alive "$s" && live=$((live + 1))
    done
    [ $live = 0 ] && [ $is_complete = 1 ] && break
    if [ "$scen" = kill9 ] && [ $is_complete = 0 ] && [ $done_kills -lt "$kills" ] &&
       [ "$(date +%s%N)" -gt "$next_kill" ]; then
      s=$(( RANDOM % workers + 1 ))
      if alive "$s"; then
        kill -9 "${wpid[$s]}"; done_kills=$((done_kills + 1))
        next_kill=$(( $(date +%s%N) + (500 + RANDOM % 1000) * 1000000 ))
      fi
    fi
    if [ $injected = 0 ] && [ "$(stored)" -gt 0 ]; then
      injected=1
      case "$scen" in
        broker-restart) note "restarting RabbitMQ"; flock -x 7; svc stop-rabbit; svc start-rabbit; flock -s 7 ;;
        broker-crash) note "kill -9 of RabbitMQ"; flock -x 7
                      kill -9 "$(cat "$svcdir/rabbit/rabbit.pid")"; svc start-rabbit; flock -s 7 ;;
      esac
    fi
    # The worker says it will retry: a whole product ("retrying later") or,
    # since sites retry on their own, one site ("retrying it alone").
    if [ "$scen" = disk ] && [ -f "$sdir/disk/filler" ] && grep -qE "retrying later|retrying it alone" "$sdir"/worker*.log 2>/dev/null; then
      note "disk full hit: $(grep -hE "retrying later|retrying it alone" "$sdir"/worker*.log | head -1 | sed -E 's/.*(retrying (later|it alone))/\1/' | cut -c1-110)"
      rm -f "$sdir/disk/filler"
    fi
    sleep 0.3
  done
  [ "$scen" != kill9 ] || { note "killed $done_kills workers with -9"; [ $done_kills -gt 0 ] || fail "kill9: no worker was killed"; }
}

header_done=0 failed=()
run_scenario() {
  scen=$1
  sdir=$work/$scen
  mkdir -p "$sdir"
  q=${run_id}_$scen
  prefix=faults/$run_id/$scen
  n_products=$products expect_dead=0
  n_expected=$(wc -l < "$work/nws/expected.txt")
  local max=1000
  [ "$scen" = poison ] && { n_products=$((products + 2)); expect_dead=2; max=2; }
  export MQ_QUEUE_NAME=$q RNR_MAX_DELIVERIES=$max
  export RNR_QUEUE_URL="$RNR_TEST_AMQP_URL?queue_type=quorum&delivery_limit=$((max + 1))"
  export RNR_STORE_URL="s3://${RNR_TEST_S3_BUCKET:-rnr-test}/$prefix" RNR_STATE_DIR=$sdir/state
  redis-cli -h 127.0.0.1 -p "$redis_port" -n $redis_db flushdb > /dev/null
  cp "$work/nws/products-good.json" "$work/nws/products.json"
  echo "== $scen"
  case "$scen" in
    s3) proxy_start --error-rate 0.15 --reset-rate 0.1 --delay-rate 0.2 --delay-ms 1500 \
          --sequence error,reset-before,reset-after,delay ;;
    *) proxy_start ;;
  esac
  if [ "$scen" = disk ]; then
    if [ "$(id -u)" != 0 ]; then echo "   skipped: mounting a tmpfs needs root"; return 0; fi
    mkdir -p "$sdir/disk"
    mount -t tmpfs -o size=2m tmpfs "$sdir/disk" || fail "disk: cannot mount a tmpfs"
    mounted=$sdir/disk
    export RNR_STATE_DIR=$sdir/disk/state
    mkdir -p "$RNR_STATE_DIR"
    # leave 8 kB: a work directory fits, a NetCDF output does not
    local free; free=$(df -B1 --output=avail "$sdir/disk" | tail -1)
    fallocate -l $((free - 8192)) "$sdir/disk/filler" 2>/dev/null ||
      dd if=/dev/zero of="$sdir/disk/filler" bs=4096 count=$(( (free - 8192) / 4096 )) 2>/dev/null || true
    note "tmpfs of 2 MB, $(df -B1 --output=avail "$sdir/disk" | tail -1) bytes free"
  fi
  if [ "$scen" = poison ]; then
    cp "$work/nws/products-poison.json" "$work/nws/products.json"
    curl -sf -X POST -d '{"path": "/nwps/v1/gauges/SICK1", "times": 1000000, "status": 500}' \
      "$nws/_fault" > /dev/null || fail "poison: cannot add the fixture fault"
    "$py" "$here/tests/system/prod/prod_pika.py" publish "$RNR_TEST_AMQP_URL" "$q" '{"hello": "not a product"}'
  fi
  if [ "$scen" = redis ]; then
    flock -x 8
    svc stop-redis
    local rc=0 out
    out=$("$bin" producer --once 2>>"$sdir/producer.err") || rc=$?
    svc start-redis
    flock -s 8
    [ $rc -ne 0 ] || fail "redis: the producer cycle succeeded with Redis down: $out"
    echo "$out" >> "$sdir/producer.out"
    [ "$(published)" = 0 ] || fail "redis: published while Redis was down: $out"
    note "cycle with Redis down: exit $rc, $(tail -1 "$sdir/producer.err" | cut -c1-100)"
  fi
  for s in $(seq "$workers"); do start_worker "$s"; done
  produce
  note "published $(published) products"
  drive $([ "$mode" = long ] && echo 900 || echo 120)
  if [ "$scen" = s3 ]; then
    note "proxy: $(proxy_counts)"
    proxy_counts | "$py" -c 'import json, sys; c = json.load(sys.stdin)["counts"]
sys.exit(0 if min(c["errors"], c["resets_before"], c["resets_after"], c["delays"]) > 0 else 1)' ||
      fail "s3: not every kind of fault was injected"
  fi
  local d dl="$sdir/dead.json"
  d=$(depth)
  # Dead letters of products ($q.dead) and of single sites ($q.sites.dead).
  local dq
  for dq in "$q.dead" "$q.sites.dead"; do
    curl -sf -u "$amqp_auth" -H 'content-type: application/json' -X POST \
      -d '{"count": 10000, "ackmode": "ack_requeue_true", "encoding": "auto"}' \
      "$mgmt/api/queues/%2f/$dq/get" > "$dl.$dq" 2>/dev/null || echo '[]' > "$dl.$dq"
  done
  "$py" -c 'import json, sys; print(json.dumps([m for f in sys.argv[1:] for m in json.load(open(f))]))' \
    "$dl.$q.dead" "$dl.$q.sites.dead" > "$dl"
  local hdr=()
  [ $header_done = 1 ] || hdr=(--header)
  header_done=1
  local strict=()
  [ "${FAULT_STRICT:-0}" = 0 ] || strict=(--strict)
  "$py" "$here/tests/system/fault/fault_count.py" "${hdr[@]}" "${strict[@]}" --scenario "$scen" \
    --expected "$work/nws/expected.txt" --store "$s3_data/$prefix" --writes "$sdir/writes.jsonl" \
    --key-prefix "/${RNR_TEST_S3_BUCKET:-rnr-test}/$prefix/" --products "$n_products" \
    --published "$(published)" --expect-dead "$expect_dead" --ready "${d% *}" \
    --dead-letters "$dl" | tee -a "$work/table.txt" || failed+=("$scen")
  if [ -n "$mounted" ]; then umount "$mounted"; mounted=""; fi
}

for scen in $scenarios; do
  case "$scen" in
    kill9|broker-restart|broker-crash|redis|s3|disk|poison) run_scenario "$scen" ;;
    *) fail "unknown scenario '$scen'" ;;
  esac
done
echo "== fault suite ($mode, $products products x $sites sites, $workers workers): $(( $(date +%s) - t0 )) s"
cat "$work/table.txt" 2>/dev/null || true
if [ ${#failed[@]} -gt 0 ]; then echo "FAILED: ${failed[*]}"; exit 1; fi
echo "ok: 0 lost, 0 duplicated"
