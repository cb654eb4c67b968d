#!/usr/bin/env bash
# The Lambda zip as Lambda runs it: deploy/lambda/package.sh packs this
# build's rnr, the zip is unpacked into an empty directory and its
# bootstrap runs with a clean environment (env -i: only
# AWS_LAMBDA_RUNTIME_API and _HANDLER, no LD_LIBRARY_PATH) against the
# Runtime API emulator. Checks: every library, glibc and the dynamic loader
# included, resolves inside ./lib; _HANDLER=echo answers each event (with its trace id); _HANDLER=
# producer without configuration reports rnr.init.config and exits 1.
set -euo pipefail
src=${RNR_SOURCE_DIR:?} build=${RNR_BUILD_DIR:?} bin=${RNR_BIN:?}
emu_bin=$build/tools/lambda_emulator/rnr-lambda-emulator
tmp=$(mktemp -d)
emu_pid=""
cleanup() {
  if [ -n "$emu_pid" ]; then kill "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Pack (no strip: keeps a sanitizer build's symbols; fast compression:
# the Makefile strips and uses -9).
RNR_ZIP_LEVEL=1 "$src/deploy/lambda/package.sh" "$bin" "$tmp/rnr-lambda.zip" --no-strip > "$tmp/package.out"
cat "$tmp/package.out"
grep -q 'bytes' "$tmp/package.out" || fail "package.sh printed no size"
mkdir "$tmp/task"
(cd "$tmp/task" && unzip -q ../rnr-lambda.zip)
[ -x "$tmp/task/bootstrap" ] || fail "no executable bootstrap in the zip"
[ -d "$tmp/task/lib" ] || fail "no lib/ in the zip"
[ "$(ls "$tmp/task" | tr '\n' ' ')" = "bin bootstrap lib share " ] || fail "unexpected top level: $(ls "$tmp/task")"
# PROJ's database (Lambda's image has no /usr/share/proj), and bootstrap
# points PROJ at it
[ -s "$tmp/task/share/proj/proj.db" ] || fail "no share/proj/proj.db in the zip"
grep -q 'PROJ_DATA:=' "$tmp/task/bootstrap" || fail "bootstrap does not set PROJ_DATA"
head -1 "$tmp/task/bootstrap" | grep -q '^#!/bin/sh' || fail "bootstrap is not a /bin/sh script"

# Resolution through the packed loader, as bootstrap runs it: every
# library (glibc too) from ./lib, nothing from the system.
loader=$(ls "$tmp/task/lib" | grep '^ld-linux' | head -1)
[ -n "$loader" ] || fail "no dynamic loader in lib/"
ldd_out=$(cd "$tmp/task" && env -i "./lib/$loader" --library-path ./lib --list ./bin/rnr)
echo "$ldd_out" | grep -q "not found" && fail "unresolved: $ldd_out"
inside=0
while read -r name _ path _; do
  case "$(cd "$tmp/task" && readlink -f "$path")" in
    "$tmp/task/lib/"*) inside=$((inside + 1)) ;;
    *) fail "$name resolves outside ./lib: $path" ;;
  esac
done < <(echo "$ldd_out" | grep '=>')
for want in libc.so.6 libcurl.so.4 libjansson.so.4 librabbitmq.so.4 libhiredis.so.0.14 libnetcdf.so.19; do
  [ -f "$tmp/task/lib/$want" ] || fail "$want is not in lib/"
done
echo "ldd: $inside libraries resolve inside ./lib"

start_emulator() { # events-file deadline-ms
  rm -f "$tmp/port" "$tmp/emu.jsonl"
  "$emu_bin" --events "$1" --port-file "$tmp/port" --log "$tmp/emu.jsonl" --deadline-ms "$2" > "$tmp/emu.out" 2>&1 &
  emu_pid=$!
  for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
  [ -s "$tmp/port" ] || fail "emulator did not start"
  api="127.0.0.1:$(cat "$tmp/port")"
}
stop_emulator() { kill "$emu_pid"; wait "$emu_pid" 2>/dev/null || true; emu_pid=""; }
# Values of one field of the emulator's records of a kind, one per line.
records() { # kind jq-like-path (python)
  /usr/bin/python3 - "$tmp/emu.jsonl" "$1" "$2" <<'PY'
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

# 1. echo: two events answered, each with its own event and trace id.
printf '%s\n' '{"n":1,"source":"aws.events"}' '{"n":2,"detail":{"x":[1,2]}}' > "$tmp/echo.jsonl"
start_emulator "$tmp/echo.jsonl" 30000
(cd "$tmp/task" && env -i AWS_LAMBDA_RUNTIME_API="$api" _HANDLER=echo ./bootstrap --max-invocations 2) \
  > "$tmp/echo.out" 2>&1 || { cat "$tmp/echo.out"; fail "echo bootstrap exited non-zero"; }
stop_emulator
[ "$(records response body.event | tr '\n' ' ')" = '{"n": 1, "source": "aws.events"} {"detail": {"x": [1, 2]}, "n": 2} ' ] \
  || fail "echo responses: $(records response body.event)"
[ "$(records response body.trace_id | head -1)" = '"Root=1-5f84c7a1-000000000000000000000001;Parent=0000000000000007;Sampled=1"' ] \
  || fail "echo trace id: $(records response body.trace_id)"
[ "$(records response valid | sort -u)" = true ] || fail "invalid response bodies"
[ -z "$(records error kind)" ] && [ -z "$(records init_error kind)" ] || fail "unexpected error reports"
grep -q 'init_ms=' "$tmp/echo.out" || fail "no exit figures logged: $(cat "$tmp/echo.out")"
grep -q 'invocations=2' "$tmp/echo.out" || fail "invocation count: $(cat "$tmp/echo.out")"

# 2. producer with no configuration: init error, exit 1, no /next.
echo '{"n":1}' > "$tmp/one.jsonl"
start_emulator "$tmp/one.jsonl" 30000
set +e
(cd "$tmp/task" && env -i AWS_LAMBDA_RUNTIME_API="$api" _HANDLER=producer ./bootstrap) > "$tmp/prod.out" 2>&1
rc=$?
set -e
stop_emulator
[ $rc -ne 0 ] || fail "producer without configuration exited 0"
[ "$(records init_error body.errorType)" = '"rnr.init.config"' ] || fail "init error type: $(records init_error body.errorType)"
records init_error body.errorMessage | grep -q 'RABBITMQ_ENDPOINT' || fail "init error message: $(records init_error body.errorMessage)"
[ "$(records init_error valid)" = true ] || fail "init error report invalid"
[ -z "$(records next kind)" ] || fail "asked for an invocation after a failed init"

# 3. an unknown handler is an init error too.
start_emulator "$tmp/one.jsonl" 30000
set +e
(cd "$tmp/task" && env -i AWS_LAMBDA_RUNTIME_API="$api" _HANDLER=nosuch ./bootstrap) > "$tmp/unknown.out" 2>&1
rc=$?
set -e
stop_emulator
[ $rc -ne 0 ] || fail "unknown handler exited 0"
[ "$(records init_error body.errorType)" = '"rnr.init.config"' ] || fail "unknown handler: $(records init_error body.errorType)"
echo "lambda zip: ok"
