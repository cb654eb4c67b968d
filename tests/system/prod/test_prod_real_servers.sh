#!/usr/bin/env bash
# rnr on the real servers scripts/test.sh starts (RabbitMQ, Redis, s3rver):
#  1. `rnr up --once` on amqp:// + redis:// + s3:// writes the same outputs
#     as on the embedded backends (same keys, same NetCDF contents);
#  2. interoperability with the reference: a message published the way the
#     reference producer does (pika) is routed by `rnr worker`; the `rnr`
#     producer's messages are read by a pika consumer reading the fields the
#     reference worker reads;
#  3. Redis stopped during a producer cycle: the cycle fails cleanly and
#     publishes nothing; once Redis is back each product is published once;
#  4. RabbitMQ restarted during a producer cycle: nothing is lost (the
#     products are retried by the next cycle) and nothing is duplicated;
#  5. RabbitMQ restarted while a worker processes a message: the worker
#     reconnects and finishes, every output exists once, no dead letters.
# Producer cycles run as `rnr lambda` producer invocations against the
# Runtime API emulator. Each run uses its own queue names, Redis database
# and S3 prefix. Restarts hold the services' exclusive locks.
# Nothing waits on a guessed duration: a gate proxy holds rnr inside the
# request of interest until the server is seen down (its process gone and
# its port refusing), then lets the request through.
set -euo pipefail
if [ -z "${RNR_TEST_AMQP_URL:-}" ] || [ -z "${RNR_TEST_REDIS_URL:-}" ] || [ -z "${RNR_TEST_S3_ENDPOINT:-}" ]; then
  echo "skipped: no servers"; exit 77
fi
if [ -z "${RNR_TEST_SERVICES_DIR:-}" ] || [ -z "${RNR_TEST_SERVICES_SCRIPT:-}" ]; then
  echo "skipped: no servers"; exit 77
fi
src=${RNR_SOURCE_DIR:?} build=${RNR_BUILD_DIR:?} bin=${RNR_BIN:?}
py=/usr/bin/python3
pika="$py $src/tests/system/prod/prod_pika.py"
svcdir=$RNR_TEST_SERVICES_DIR
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ -n "${RNR_PROD_KEEP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
t0=$(date +%s)
step() { echo "== [$(( $(date +%s) - t0 ))s] $*"; }

# Ports of the running servers, for services.sh stop/start (it takes them
# from the environment; the distribution port follows the AMQP one).
amqp_port=$(echo "$RNR_TEST_AMQP_URL" | sed -E 's|.*:([0-9]+)(/.*)?$|\1|')
mgmt_port=$(echo "${RNR_TEST_AMQP_MGMT_URL:-http://127.0.0.1:15682}" | sed -E 's|.*:([0-9]+)/?$|\1|')
redis_port=$(echo "$RNR_TEST_REDIS_URL" | sed -E 's|redis://[^:]*:([0-9]+).*|\1|')
svc() {
  RNR_AMQP_PORT=$amqp_port RNR_MGMT_PORT=$mgmt_port RNR_DIST_PORT=$((amqp_port + 20000)) \
    RNR_REDIS_PORT=$redis_port bash "$RNR_TEST_SERVICES_SCRIPT" "$1" "$svcdir" 7>&- 8>&-
}  # (a server started with our lock fds open would hold the lock forever)
# Shared locks on both servers for the whole run; exclusive to restart.
exec 7>"$svcdir/rabbit.lock" 8>"$svcdir/redis.lock"
flock -s 7
flock -s 8

run_id="prod$$x$(date +%s%N | tail -c 7)"
redis_db=13
redis_url="redis://127.0.0.1:$redis_port/$redis_db"
redis_flush() { redis-cli -h 127.0.0.1 -p "$redis_port" -n $redis_db flushdb >/dev/null; }
s3_data=$svcdir/s3/data/${RNR_TEST_S3_BUCKET:-rnr-test}

export AWS_ENDPOINT_URL_S3=$RNR_TEST_S3_ENDPOINT AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export RNR_HYDROFABRIC=$src/data/sample/domain.gpkg
[ -n "${RNR_TEST_AMQP_MGMT_URL:-}" ] && export RNR_AMQP_MGMT_URL=$RNR_TEST_AMQP_MGMT_URL
unset RABBITMQ_ENDPOINT REDIS_HOST APP_BUCKET_NAME

# A fixture server (NWS + NWPS on the sample data) with optional faults;
# sets $nws. $1 is a name for its files.
fixture() {
  local name=$1; shift
  local args=()
  for f in "$@"; do args+=(--fault "$f"); done
  rm -f "$tmp/$name.port"
  "$build/tools/fixture_server/rnr-fixture-server" --dir "$src/data/sample/nws" \
    --port-file "$tmp/$name.port" --log "$tmp/$name.requests" "${args[@]}" > "$tmp/$name.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do [ -s "$tmp/$name.port" ] && break; sleep 0.05; done
  [ -s "$tmp/$name.port" ] || fail "fixture server $name did not start"
  nws="http://127.0.0.1:$(cat "$tmp/$name.port")"
  export NWS_API_URL=$nws NWPS_API_URL=$nws/nwps/v1
}

# A gate (tests/system/prod/gate_proxy.py) in front of the fixture server $nws
# that holds the first request for PATH until `release`; NWS_API_URL and
# NWPS_API_URL then point at it. $1 is a name for its files.
gate() { # name path
  local name=$1
  gate_file=$tmp/$name.gate gate_log=$tmp/$name.gate.log
  rm -f "$gate_file" "$tmp/$name.gate.port"; : > "$gate_log"
  $py "$src/tests/system/prod/gate_proxy.py" "$nws" "$2" "$gate_file" "$tmp/$name.gate.port" "$gate_log" \
    > "$tmp/$name.gate.out" 2>&1 7>&- 8>&- &
  pids+=($!)
  for _ in $(seq 200); do [ -s "$tmp/$name.gate.port" ] && break; sleep 0.05; done
  [ -s "$tmp/$name.gate.port" ] || fail "gate $name did not start: $(cat "$tmp/$name.gate.out")"
  local g="http://127.0.0.1:$(cat "$tmp/$name.gate.port")"
  export NWS_API_URL=$g NWPS_API_URL=$g/nwps/v1
}
# Until rnr's request waits at the gate (or $2, the rnr process, ended).
wait_held() { # what pid
  for _ in $(seq 1200); do
    grep -q '^held ' "$gate_log" && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.05
  done
  grep -q '^held ' "$gate_log" || fail "$1 never reached the gate"
}
release() { touch "$gate_file"; }

# Until the server is really gone: its process exited, its port refuses.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_down() { # name port [pidfile]
  local pid=""
  [ -z "${3:-}" ] || pid=$(cat "$3" 2>/dev/null || true)
  for _ in $(seq 1200); do
    if ! port_open "$2" && { [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; }; then return 0; fi
    sleep 0.1
  done
  fail "$1 still up 120 s after it was stopped"
}

# The Runtime API emulator serving N empty events; sets $api, $emu_log.
# Each invocation gets DEADLINE ms (default 30 s, the emulator's default;
# a section that holds an invocation at the gate gives Lambda's maximum,
# 15 min, so that the cycle meets the stopped server, not its deadline).
emulator() { # name count [deadline-ms]
  local name=$1 n=$2 deadline=${3:-30000}
  : > "$tmp/$name.events"
  for _ in $(seq "$n"); do echo '{"source":"aws.events"}' >> "$tmp/$name.events"; done
  emu_log=$tmp/$name.emu.jsonl
  "$build/tools/lambda_emulator/rnr-lambda-emulator" --events "$tmp/$name.events" \
    --port-file "$tmp/$name.emu.port" --log "$emu_log" --deadline-ms "$deadline" > "$tmp/$name.emu.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do [ -s "$tmp/$name.emu.port" ] && break; sleep 0.05; done
  [ -s "$tmp/$name.emu.port" ] || fail "emulator $name did not start"
  api="127.0.0.1:$(cat "$tmp/$name.emu.port")"
}

# JSON field of the emulator records of one kind, one line per record.
emu_field() { # kind field
  $py - "$emu_log" "$1" "$2" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("kind") == sys.argv[2]:
        v = r
        for k in sys.argv[3].split("."):
            v = v.get(k) if isinstance(v, dict) else None
        print(v if isinstance(v, str) else json.dumps(v))
PY
}

# `rnr lambda` producer invocations on the real backends.
producer_lambda() { # queue-name max-invocations out
  AWS_LAMBDA_RUNTIME_API=$api _HANDLER=producer RNR_QUEUE_URL=$RNR_TEST_AMQP_URL MQ_QUEUE_NAME=$1 \
    RNR_CACHE_URL=$redis_url RNR_STATE_DIR=$tmp/state-lambda "$bin" lambda --max-invocations "$2" >> "$3" 2>&1
}

# Output keys under an S3 prefix (s3rver keeps objects as files).
s3_keys() { # prefix
  [ -d "$s3_data/$1" ] || return 0
  (cd "$s3_data/$1" && find . -name '*._S3rver_object' | sed -e 's|^\./||' -e 's|\._S3rver_object$||' | sort)
}

lids_of() { # consumed JSON lines file -> sorted ids
  $py -c 'import json,sys; print("\n".join(sorted(json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip())))' "$1"
}
ID_OLD=31b8a6d2-9e47-4f05-a3c1-d85e2f604b97
ID_MID=7c2e41a9-53b8-4d0e-b6f1-2a94c3d85e10
ID_NEW=e09d5f37-1c6a-4b82-9d4e-6f31b07a2c58
all_ids=$(printf '%s\n' $ID_OLD $ID_MID $ID_NEW | sort)
want_outputs=$(printf 'replace_and_route/%s/troute_output_202603141200.nc\n' RNRA1 RNRB1 RNRC1)

# RNR_PROD_SECTIONS="1 5" runs some sections only (development).
want() { [ -z "${RNR_PROD_SECTIONS:-}" ] || [[ " $RNR_PROD_SECTIONS " == *" $1 "* ]]; }

# ---- 1. rnr up --once: embedded and real backends agree ----
if want 1; then
step "1. rnr up --once, embedded vs amqp+redis+s3"
fixture up
env RNR_STATE_DIR="$tmp/emb" "$bin" up --once --no-status > "$tmp/up-emb.out" 2>&1 || { cat "$tmp/up-emb.out"; fail "embedded up --once"; }
redis_flush
q1=${run_id}_up
env RNR_STATE_DIR="$tmp/real" RNR_QUEUE_URL="$RNR_TEST_AMQP_URL" MQ_QUEUE_NAME=$q1 RNR_CACHE_URL=$redis_url \
  RNR_STORE_URL="s3://${RNR_TEST_S3_BUCKET:-rnr-test}/$run_id/up" \
  "$bin" up --once --no-status > "$tmp/up-real.out" 2>&1 || { cat "$tmp/up-real.out"; fail "real up --once"; }
for f in up-emb up-real; do
  grep -q '^result: ok' "$tmp/$f.out" || fail "$f: $(tail -5 "$tmp/$f.out")"
  grep -Eq 'outputs written +3$' "$tmp/$f.out" || fail "$f outputs: $(grep outputs "$tmp/$f.out")"
  grep -Eq 'dead letters \(this run\) +0$' "$tmp/$f.out" || fail "$f dead letters"
done
emb_keys=$(cd "$tmp/emb/store" && find replace_and_route -type f -name '*.nc' | sort)
real_keys=$(s3_keys "$run_id/up" | grep '\.nc$')
[ "$emb_keys" = "$want_outputs" ] || fail "embedded outputs: $emb_keys"
[ "$real_keys" = "$want_outputs" ] || fail "s3 outputs: $real_keys"
# (each run's messages have their own trace ids: that attribute differs)
for k in $want_outputs; do
  diff <(ncdump "$tmp/emb/store/$k" | tail -n +2 | grep -v ':trace_id = "Root=1-') \
    <(ncdump "$s3_data/$run_id/up/$k._S3rver_object" | tail -n +2 | grep -v ':trace_id = "Root=1-') \
    > /dev/null || fail "$k differs between the embedded and the S3 run"
done
[ "$($pika count "$RNR_TEST_AMQP_URL" "$q1")" = 0 ] || fail "queue $q1 not drained"
[ "$($pika count "$RNR_TEST_AMQP_URL" "$q1.dead")" -le 0 ] || fail "dead letters in $q1.dead"
fi

# ---- 2. interoperability with the reference (pika) ----
if want 2; then
step "2. reference-published message -> rnr worker; rnr producer -> pika consumer"
fixture interop
q2=${run_id}_interop
body=$(printf '{"rdf": "%s/products/%s", "id": "%s", "wmo_collective_id": "SRUS54", "issuing_office": "KRNR", "issuance_time": "2026-03-14T09:12:00+00:00", "product_code": "HML", "product_name": "Hydrologic Markup Language"}' "$nws" $ID_MID $ID_MID)
$pika publish "$RNR_TEST_AMQP_URL" "$q2" "$body"
env RNR_STATE_DIR="$tmp/interop" RNR_QUEUE_URL="$RNR_TEST_AMQP_URL" MQ_QUEUE_NAME=$q2 \
  RNR_STORE_URL="s3://${RNR_TEST_S3_BUCKET:-rnr-test}/$run_id/interop" \
  "$bin" worker --once --stats-file "$tmp/interop.stats" > "$tmp/interop.out" 2>&1 || { cat "$tmp/interop.out"; fail "worker on a pika message"; }
[ "$(s3_keys "$run_id/interop" | grep '\.nc$')" = "$want_outputs" ] || fail "pika message outputs: $(s3_keys "$run_id/interop")"
[ "$($pika count "$RNR_TEST_AMQP_URL" "$q2")" = 0 ] || fail "pika message not acked"
# The other direction: the rnr producer's messages, read as the reference does.
redis_flush
emulator interop 1
producer_lambda "$q2" 1 "$tmp/interop-producer.out" || { cat "$tmp/interop-producer.out"; fail "producer invocation"; }
[ "$(emu_field response body.published)" = 3 ] || fail "producer published: $(emu_field response body)"
trace=$(emu_field response body.trace_id)
$pika consume "$RNR_TEST_AMQP_URL" "$q2" 1 > "$tmp/interop.consumed"
[ "$(lids_of "$tmp/interop.consumed")" = "$all_ids" ] || fail "consumed: $(cat "$tmp/interop.consumed")"
$py - "$tmp/interop.consumed" "$nws" "$trace" <<'PY' || fail "reference fields of rnr messages"
import json, sys
want = {
    "31b8a6d2-9e47-4f05-a3c1-d85e2f604b97": ("SRUS56", "KRNS", "2026-03-14T08:30:00+00:00"),
    "7c2e41a9-53b8-4d0e-b6f1-2a94c3d85e10": ("SRUS54", "KRNR", "2026-03-14T09:12:00+00:00"),
    "e09d5f37-1c6a-4b82-9d4e-6f31b07a2c58": ("SRUS54", "KRNR", "2026-03-14T10:05:00+00:00"),
}
for line in open(sys.argv[1]):
    m = json.loads(line)
    wmo, office, issued = want[m["id"]]
    assert m["rdf"] == sys.argv[2] + "/products/" + m["id"], m
    assert (m["wmo_collective_id"], m["issuing_office"]) == (wmo, office), m
    assert m["issuance_time"] == issued, m
    assert m["product_code"] == "HML", m
    assert m["delivery_mode"] == 2, m
    assert m["trace"] == sys.argv[3], m
PY
fi

# ---- 3. Redis stopped during a producer cycle ----
if want 3; then
step "3. Redis stopped during a producer cycle"
# The product list is held at the gate until Redis is gone.
fixture redis
gate redis /products
redis_flush
q3=${run_id}_redis
emulator redis 3 900000
RNR_HTTP_TIMEOUT_MS=600000 producer_lambda "$q3" 1 "$tmp/redis-producer.out" &
ppid=$!
wait_held "the producer" $ppid
flock -x 8
svc stop-redis
wait_down Redis "$redis_port" "$svcdir/redis/redis.pid"
release
wait $ppid || true
[ "$(emu_field error body.errorType | head -1)" = rnr.transient ] || fail "cycle with Redis down: $(cat "$emu_log")"
[ -z "$(emu_field response kind)" ] || fail "a cycle with Redis down answered: $(emu_field response body)"
[ "$($pika count "$RNR_TEST_AMQP_URL" "$q3")" -le 0 ] || fail "published while Redis was down"
svc start-redis
# The restarted Redis loads its last RDB snapshot (taken whenever 100 keys
# changed in 5 min, by any test): it may hold these products from an
# earlier run. The shutdown was nosave: start from what this run wrote.
redis_flush
flock -s 8
producer_lambda "$q3" 2 "$tmp/redis-producer.out" || { cat "$tmp/redis-producer.out"; fail "producer after Redis returned"; }
[ "$(emu_field response body.published | tr '\n' ' ')" = "3 0 " ] || fail "after Redis returned: $(emu_field response body)"
$pika consume "$RNR_TEST_AMQP_URL" "$q3" 1 > "$tmp/redis.consumed"
[ "$(lids_of "$tmp/redis.consumed")" = "$all_ids" ] || fail "after Redis: $(cat "$tmp/redis.consumed")"
fi

# ---- 4. RabbitMQ restarted during a producer cycle ----
if want 4; then
step "4. RabbitMQ restarted during a producer cycle"
# The product list is held at the gate until the broker is gone.
fixture rabbitp
gate rabbitp /products
redis_flush
q4=${run_id}_rabbitp
emulator rabbitp 3 900000
RNR_HTTP_TIMEOUT_MS=600000 producer_lambda "$q4" 1 "$tmp/rabbitp-producer.out" &
ppid=$!
wait_held "the producer" $ppid
flock -x 7
svc stop-rabbit
wait_down RabbitMQ "$amqp_port" "$svcdir/rabbit/rabbit.pid"
release
wait $ppid || true
svc start-rabbit
flock -s 7
# The interrupted cycle published nothing it could not confirm: it
# reports the products as failed (retried next cycle) or fails outright.
first=$(emu_field response body | head -1; emu_field error body.errorType | head -1)
if ! { echo "$first" | grep -q '"published": 0' && echo "$first" | grep -q '"failed": 3'; } &&
   ! echo "$first" | grep -q '^rnr\.'; then
  fail "interrupted cycle: $first"
fi
producer_lambda "$q4" 2 "$tmp/rabbitp-producer.out" || { cat "$tmp/rabbitp-producer.out"; fail "producer after the restart"; }
$pika consume "$RNR_TEST_AMQP_URL" "$q4" 1 > "$tmp/rabbitp.consumed"
# Every product exactly once, whatever the interrupted cycle managed.
[ "$(lids_of "$tmp/rabbitp.consumed")" = "$all_ids" ] || fail "after the restart: $(cat "$tmp/rabbitp.consumed") (first cycle: $first)"
total=$(emu_field response body.published | awk '{s += $1} END {print s + 0}')
[ "$total" = 3 ] || fail "published in total $total: $(emu_field response body)"
echo "   interrupted cycle: $(echo "$first" | tr '\n' ' ' | cut -c1-120); published over the cycles: $(emu_field response body.published | tr '\n' ' ')"
fi

# ---- 5. RabbitMQ restarted while the worker processes a message ----
if want 5; then
step "5. RabbitMQ restarted while the worker processes"
# RNRA1's gauge (only in 7c2e...) is held at the gate: the worker is
# inside that message while the broker stops, and finishes it while the
# broker is down, so its ack meets a dead connection.
fixture rabbitw
gate rabbitw /nwps/v1/gauges/RNRA1
q5=${run_id}_rabbitw
for id in $ID_OLD $ID_MID $ID_NEW; do
  $pika publish "$RNR_TEST_AMQP_URL" "$q5" "$(printf '{"rdf": "%s/products/%s", "id": "%s", "wmo_collective_id": "SRUS54", "issuing_office": "KRNR", "issuance_time": "2026-03-14T09:12:00+00:00", "product_code": "HML", "product_name": "AHPS XML"}' "$nws" "$id" "$id")"
done
# The products' rdf URLs are on the fixture: that is the NWS API origin.
env NWS_API_URL="$nws" RNR_HTTP_TIMEOUT_MS=600000 RNR_STATE_DIR="$tmp/rabbitw" RNR_QUEUE_URL="$RNR_TEST_AMQP_URL" MQ_QUEUE_NAME=$q5 \
  RNR_STORE_URL="s3://${RNR_TEST_S3_BUCKET:-rnr-test}/$run_id/rabbitw" \
  "$bin" worker --stats-file "$tmp/rabbitw.stats" > "$tmp/rabbitw.out" 2>&1 7>&- 8>&- &
wpid=$!
pids+=($wpid)
wait_held "the worker" $wpid
grep -q "message id=$ID_MID" "$tmp/rabbitw.out" || fail "held outside $ID_MID: $(cat "$tmp/rabbitw.out")"
flock -x 7
svc stop-rabbit
wait_down RabbitMQ "$amqp_port" "$svcdir/rabbit/rabbit.pid"
release
# The worker finishes the message and finds the connection gone.
for _ in $(seq 1200); do
  grep -q 'connection to .* lost' "$tmp/rabbitw.out" && break
  kill -0 $wpid 2>/dev/null || break
  sleep 0.1
done
grep -q 'connection to .* lost' "$tmp/rabbitw.out" || fail "the worker never saw the broker go away: $(tail -5 "$tmp/rabbitw.out")"
svc start-rabbit
flock -s 7
# The same worker process reconnects and works through the queue (the
# interrupted message is redelivered); once it has taken the last message
# it is told to drain (finish and settle that message) and stop.
for _ in $(seq 1200); do
  grep -q "message id=$ID_NEW" "$tmp/rabbitw.out" && [ "$($pika count "$RNR_TEST_AMQP_URL" "$q5")" = 0 ] && break
  kill -0 $wpid 2>/dev/null || break
  sleep 0.1
done
kill -TERM $wpid
wait $wpid || { tail -20 "$tmp/rabbitw.out"; fail "worker exit status after SIGTERM"; }
grep -q "message id=$ID_NEW" "$tmp/rabbitw.out" || fail "the worker did not get to the last product"
$py - "$tmp/rabbitw.stats" <<'PY' || fail "worker stats: $(cat "$tmp/rabbitw.stats")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["dead"] == 0 and s["acked"] >= 3 and s["routed"] >= 3, s
PY
[ "$(s3_keys "$run_id/rabbitw" | grep '\.nc$')" = "$want_outputs" ] || fail "outputs after the restart: $(s3_keys "$run_id/rabbitw")"
[ "$($pika count "$RNR_TEST_AMQP_URL" "$q5")" = 0 ] || fail "messages left in $q5"
[ "$($pika count "$RNR_TEST_AMQP_URL" "$q5.dead")" -le 0 ] || fail "dead letters in $q5.dead"
echo "   worker after the restart: $($py -c 'import json,sys; s=json.load(open(sys.argv[1])); print("messages=%d acked=%d routed=%d outputs=%d (the interrupted product is routed again on redelivery)" % (s["messages"], s["acked"], s["routed"], s["outputs"]))' "$tmp/rabbitw.stats")"
fi
step "real servers: ok"
