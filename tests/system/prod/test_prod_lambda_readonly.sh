#!/usr/bin/env bash
# The Lambda zip started as AWS starts it, for each real handler.
#
# deploy/lambda/package.sh packs this build's rnr; the zip is unpacked into a
# task directory that, as on AWS, is read-only and the working directory.
# Each handler runs in a private mount namespace laid out like a Lambda
# sandbox: the task directory bind-mounted read-only, the rest of the file
# system read-only too, a fresh 512 MB tmpfs on /tmp (the only writable
# place on Lambda), and a clean environment (env -i plus the variables
# Lambda sets: no HOME, its PATH and LD_LIBRARY_PATH, LAMBDA_TASK_ROOT, ...)
# and no /usr/share/proj (PROJ's database travels in the zip).
# One writable directory stands in for the network backends (the SQLite
# queue and cache, the file store). The Runtime API is the project's
# emulator, NWS is tools/fixture_server, ECS/CloudWatch are tools/aws_fake.
#   producer     publishes the sample products (fixture NWS)
#   autoscaler   reads that queue depth, the ECS service and publishes metrics
#   postprocess  downloads the hydrofabric into /tmp and tables the outputs
#                a worker (outside the sandbox) routed from the queue
# Each must answer its invocation (no init error), and every file it wrote
# must be under /tmp/rnr-state. The test also prints the highest GLIBC_x.y
# symbol version any bundled ELF needs and fails if the bundled libc is
# older.
set -euo pipefail
src=${RNR_SOURCE_DIR:?} build=${RNR_BUILD_DIR:?} bin=${RNR_BIN:?}
emu_bin=$build/tools/lambda_emulator/rnr-lambda-emulator
fixture_bin=$build/tools/fixture_server/rnr-fixture-server
fake_bin=$build/tools/aws_fake/rnr-aws-fake
fail() { echo "FAIL: $*" >&2; exit 1; }

# The sandbox mounts its own /tmp, so the work directory must not be under
# /tmp (it would be hidden inside).
work=$(mktemp -d "$build/lambda-ro.XXXXXX")
case "$(readlink -f "$work")/" in /tmp/*) fail "build directory $build is under /tmp: the sandbox hides it" ;; esac
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
task=$work/task rw=$work/rw
mkdir -p "$task" "$rw/store/hydrofabric"

# ---- the zip ---------------------------------------------------------------
RNR_ZIP_LEVEL=1 "$src/deploy/lambda/package.sh" "$bin" "$work/rnr-lambda.zip" --no-strip > "$work/package.out"
cat "$work/package.out"
(cd "$task" && unzip -q ../rnr-lambda.zip)
[ -x "$task/bootstrap" ] || fail "no executable bootstrap in the zip"

# Highest GLIBC_x.y any bundled ELF requires (its version-needs entries)
# against the highest the bundled libc defines. One readelf for all files.
glibc=$(readelf -V -W "$task/bin/rnr" "$task"/lib/* 2>/dev/null | awk -v root="$task/" '
  function newer(a, b,   x, y, i) {   # a > b, both "2.x[.y]"
    split(a, x, "."); split(b, y, ".")
    for (i = 1; i <= 3; i++) if (x[i] + 0 != y[i] + 0) return x[i] + 0 > y[i] + 0
    return 0
  }
  /^File: / { file = substr($2, length(root) + 1); sect = ""; next }
  /^Version needs section/ { sect = "needs"; next }
  /^Version definition section/ { sect = "defs"; next }
  /^Version symbols section/ { sect = ""; next }
  match($0, /Name: GLIBC_[0-9][0-9.]*/) || (sect == "defs" && match($0, /GLIBC_[0-9][0-9.]*/)) {
    v = substr($0, RSTART, RLENGTH); sub(/.*GLIBC_/, "", v)
    if (sect == "needs" && (need == "" || newer(v, need))) { need = v; who = file }
    if (sect == "defs" && file == "lib/libc.so.6" && (have == "" || newer(v, have))) have = v
  }
  END { if (need == "" || have == "") exit 1; print need, who, have, newer(need, have) }') \
  || fail "cannot read the GLIBC versions of the bundled ELFs (is lib/libc.so.6 there?)"
read -r need_max need_file have too_new <<<"$glibc"
echo "glibc: the bundled ELFs need up to GLIBC_$need_max ($need_file); the bundled libc.so.6 defines up to GLIBC_$have"
[ "$too_new" = 0 ] || fail "$need_file needs GLIBC_$need_max, newer than the bundled libc (GLIBC_$have)"

# ---- the sandbox -------------------------------------------------------------
# Runs as root (mount namespace) or, failing that, in a user namespace.
if unshare -m --propagation private true 2>/dev/null; then
  ns=(unshare -m --propagation private)
elif unshare -rm --propagation private true 2>/dev/null; then
  ns=(unshare -rm --propagation private)
else
  fail "cannot create a mount namespace (unshare -m as root, or unshare -rm): in a container, run it --privileged"
fi
cat > "$work/sandbox.sh" <<'SANDBOX'
# sandbox.sh TASK RW LISTING CMD...: CMD in the Lambda-like file system.
set -eu
task=$1 rw=$2 listing=$3; shift 3
mount -t tmpfs -o size=512m,mode=1777 tmpfs /tmp
mount --bind "$task" "$task"
mount -o remount,bind,ro "$task"
mount --bind "$rw" "$rw"
# Lambda's runtime image has none of Debian's data files: PROJ's proj.db
# must come from the zip. An empty, read-only directory hides the host's.
if [ -d /usr/share/proj ]; then
  mount -t tmpfs -o size=1m,mode=0555 tmpfs /usr/share/proj
  if [ -e /usr/share/proj/proj.db ]; then echo "sandbox: the host's proj.db is visible" >&2; exit 97; fi
fi
mount -o remount,bind,ro /
wmnt=$(findmnt -n -o TARGET -T "$task/..")
[ "$wmnt" = / ] || mount -o remount,bind,ro "$wmnt"
# The layout really is read-only where it should be.
if touch "$task/.probe" 2>/dev/null; then echo "sandbox: $task is writable" >&2; exit 97; fi
if touch /.probe 2>/dev/null; then echo "sandbox: / is writable" >&2; exit 97; fi
touch /tmp/.probe && rm /tmp/.probe
cd "$task"
set +e
"$@"
rc=$?
set -e
(cd /tmp && find . -mindepth 1 -type f | sort) > "$listing"
exit $rc
SANDBOX

# ---- the fakes ---------------------------------------------------------------
wait_for() { # FILE PATTERN: until FILE contains PATTERN (10 s at most)
  for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  fail "$1: no '$2' after 10 s: $(cat "$1" 2>/dev/null)"
}
"$fixture_bin" --dir "$src/data/sample/nws" --port-file "$work/nws.port" > "$work/nws.out" 2>&1 &
pids+=($!)
wait_for "$work/nws.out" listening
nws="http://127.0.0.1:$(cat "$work/nws.port")"
ak=AKIDLAMBDARO sk=lambda-ro-secret token=lambda-ro-session-token
"$fake_bin" --access-key "$ak" --secret-key "$sk" --session-token "$token" --region us-east-1 \
  --log "$work/aws.jsonl" --service rnr-ro/rnr-ro-worker=2/2 > "$work/aws.out" 2>&1 &
pids+=($!)
wait_for "$work/aws.out" 'port '
aws="http://127.0.0.1:$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$work/aws.out" | head -1)"

# Values of one field of the emulator's records of one kind, one per line.
records() { # LOG KIND DOTTED.PATH
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("kind") != sys.argv[2]:
        continue
    v = r
    for k in sys.argv[3].split("."):
        v = v.get(k) if isinstance(v, dict) else None
    print(json.dumps(v, sort_keys=True))
PY
}

# run_handler NAME VAR=VALUE...: one invocation of handler NAME in the
# sandbox; the function's own configuration comes as arguments.
run_handler() {
  local h=$1; shift
  local log=$work/$h.emu.jsonl
  echo '{"source":"rnr.schedule"}' > "$work/$h.events"
  rm -f "$work/$h.port" "$log"  # a handler may run twice: one invocation per log
  "$emu_bin" --events "$work/$h.events" --port-file "$work/$h.port" --log "$log" \
    --deadline-ms 60000 > "$work/$h.emu.out" 2>&1 &
  local emu=$!
  pids+=("$emu")
  for _ in $(seq 200); do [ -s "$work/$h.port" ] && break; sleep 0.05; done
  [ -s "$work/$h.port" ] || fail "$h: the emulator did not start"
  local rc=0
  "${ns[@]}" /bin/sh "$work/sandbox.sh" "$task" "$rw" "$rw/$h.tmp-files" \
    env -i \
      AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$work/$h.port")" _HANDLER="$h" \
      LAMBDA_TASK_ROOT="$task" LAMBDA_RUNTIME_DIR=/var/runtime \
      AWS_LAMBDA_FUNCTION_NAME="rnr-ro-$h" AWS_LAMBDA_FUNCTION_VERSION='$LATEST' \
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512 AWS_LAMBDA_INITIALIZATION_TYPE=on-demand \
      AWS_LAMBDA_LOG_GROUP_NAME="/aws/lambda/rnr-ro-$h" \
      AWS_LAMBDA_LOG_STREAM_NAME='2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef' \
      AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
      AWS_ACCESS_KEY_ID="$ak" AWS_SECRET_ACCESS_KEY="$sk" AWS_SESSION_TOKEN="$token" \
      TZ=:/etc/localtime LANG=en_US.UTF-8 PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin \
      LD_LIBRARY_PATH="/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:$task:$task/lib:/opt/lib" \
      "$@" ./bootstrap --max-invocations 1 > "$work/$h.out" 2>&1 || rc=$?
  kill "$emu" 2>/dev/null || true
  wait "$emu" 2>/dev/null || true
  if [ $rc -ne 0 ] || [ -n "$(records "$log" init_error kind)" ]; then
    cat "$work/$h.out" >&2
    fail "$h: exit $rc, init error: $(records "$log" init_error body.errorMessage)"
  fi
  [ "$(records "$log" response valid)" = true ] || fail "$h: no valid response: $(cat "$log")"
  [ -z "$(records "$log" error kind)" ] || fail "$h: error report: $(records "$log" error body)"
  # Everything the handler wrote is in its state directory under /tmp.
  local stray
  stray=$(grep -v '^\./rnr-state/' "$rw/$h.tmp-files" || true)
  [ -z "$stray" ] || fail "$h wrote outside /tmp/rnr-state: $stray"
  echo "$h: answered; files in /tmp: $(tr '\n' ' ' < "$rw/$h.tmp-files")"
}
body() { records "$work/$1.emu.jsonl" response "body.$2"; }

backends=(RNR_QUEUE_URL="sqlite://$rw/queue.db" RNR_CACHE_URL="sqlite://$rw/cache.db")

# 1. producer: the sample products are new, published to the queue.
run_handler producer "${backends[@]}" NWS_API_URL="$nws"
[ "$(body producer status)" = '"ok"' ] || fail "producer status $(body producer status)"
published=$(body producer published)
[ "$published" -gt 0 ] && [ "$published" = "$(body producer new)" ] \
  || fail "producer published $published of $(body producer new) new"

# 2. autoscaler: that backlog, the fake ECS service, metrics to CloudWatch.
run_handler autoscaler "${backends[@]}" AWS_ENDPOINT_URL="$aws" \
  ECS_CLUSTER_NAME=rnr-ro ECS_SERVICE_NAME=rnr-ro-worker
[ "$(body autoscaler depth)" = "$published" ] || fail "autoscaler depth $(body autoscaler depth), want $published"
[ "$(body autoscaler running)" = 2 ] || fail "autoscaler running $(body autoscaler running)"
grep -q '"BacklogPerTask"' "$work/aws.jsonl" || fail "no BacklogPerTask put to CloudWatch"
if grep -v '"sig":"ok"' "$work/aws.jsonl" | grep -q .; then fail "unsigned or badly signed AWS calls"; fi

# 3. a worker outside the sandbox routes the queue into the store (its rdf
# URLs are on the fixture, so that is its NWS origin), then the
# post-processor downloads the hydrofabric (a store key) into /tmp.
cp "$src/data/sample/domain.gpkg" "$rw/store/hydrofabric/domain.gpkg"
(cd "$work" && RNR_STATE_DIR="$work/worker-state" RNR_QUEUE_URL="sqlite://$rw/queue.db" \
  RNR_STORE_URL="file://$rw/store" RNR_HYDROFABRIC="$src/data/sample/domain.gpkg" \
  NWS_API_URL="$nws" NWPS_API_URL="$nws/nwps/v1" "$bin" worker --once) > "$work/worker.out" 2>&1 \
  || { cat "$work/worker.out"; fail "worker --once failed"; }
# The sample forecasts are from 2026-03-14: a window from today back to
# them (plus a month) holds them, whatever today is.
window=$(( $(date +%s) - $(date -d 2026-03-14T00:00:00Z +%s) + 30 * 86400 ))
run_handler postprocess RNR_STORE_URL="file://$rw/store" HYDROFABRIC_S3_KEY=hydrofabric/domain.gpkg \
  RNR_POSTPROCESS_WINDOW=$window
[ "$(body postprocess status)" = '"ok"' ] || fail "postprocess status $(body postprocess status)"
[ "$(body postprocess new_files)" = "$published" ] || fail "postprocess new_files $(body postprocess new_files)"
[ "$(body postprocess rows)" -gt 0 ] || fail "postprocess rows $(body postprocess rows)"
grep -qx './rnr-state/hf-domain.gpkg' "$rw/postprocess.tmp-files" || fail "hydrofabric not downloaded into /tmp/rnr-state"
csv=$(body postprocess csv_key | tr -d '"')
[ -s "$rw/store/$csv" ] || fail "postprocess CSV $csv not in the store"
# 4. the same post-process on the reference's own layout: HYDROFABRIC_S3_KEY
# a prefix of parquet layers, read with ranged reads into /tmp/rnr-state.
"$bin" hydrofabric convert "$src/data/sample/domain.gpkg" "$rw/store/hydrofabric/parquet" \
  > "$work/convert.out" 2>&1 || { cat "$work/convert.out"; fail "hydrofabric convert"; }
rows_gpkg=$(body postprocess rows)
run_handler postprocess RNR_STORE_URL="file://$rw/store" HYDROFABRIC_S3_KEY=hydrofabric/parquet \
  RNR_POSTPROCESS_WINDOW=$window
[ "$(body postprocess status)" = '"ok"' ] || fail "parquet postprocess status $(body postprocess status)"
[ "$(body postprocess rows)" = "$rows_gpkg" ] ||
  fail "parquet postprocess rows $(body postprocess rows), the GeoPackage gave $rows_gpkg"
grep -q '^\./rnr-state/hf-.*network\.parquet' "$rw/postprocess.tmp-files" ||
  fail "parquet layers not cached in /tmp/rnr-state: $(tr '\n' ' ' < "$rw/postprocess.tmp-files")"
echo "lambda read-only task dir: producer, autoscaler and postprocess (GeoPackage and parquet) answered ($published products)"
