#!/usr/bin/env bash
# test_main_ports_rule.sh - scripts/check_ports.sh passes on this tree, and
# fails (naming file, line and header) on a copy where a service, a
# command or a port includes an adapters/ header.
set -u
fail() { echo "FAIL: $*"; exit 1; }
src=${RNR_SOURCE_DIR:?RNR_SOURCE_DIR not set}
check="$src/scripts/check_ports.sh"
tmp=$(mktemp -d /tmp/rnr-ports-rule.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

out=$(bash "$check" "$src" 2>&1) || fail "the tree breaks the ports rule: $out"

mkdir -p "$tmp/src/services" "$tmp/lib"
cp -r "$src/lib/ports" "$tmp/lib/ports"
cp "$src"/src/*.c "$tmp/src/"
cp "$src"/src/services/*.[ch] "$tmp/src/services/"
out=$(bash "$check" "$tmp" 2>&1) || fail "the copy should pass: $out"

try() { # file, include line: the check must fail and name them
  local f=$1 inc=$2 save="$tmp/save"
  cp "$tmp/$f" "$save"
  printf '%s\n' "$inc" >> "$tmp/$f"
  out=$(bash "$check" "$tmp" 2>&1) && fail "'$inc' in $f passed"
  echo "$out" | grep -q "^$f:[0-9]*: includes adapters/" || fail "no location for $f: $out"
  cp "$save" "$tmp/$f"
}
try src/services/worker.c '#include "adapters/http.h"'
try src/cmd_queue.c '#  include <adapters/sqlite_queue.h>'
try src/services/ops_http.h '#include "adapters/http_server.h"'
try lib/ports/queue.h '#include "adapters/amqp_queue.h"'
# the post-processor, once an exception, is held to the rule too
try src/services/postprocess.c '#include "adapters/s3_store.h"'
out=$(bash "$check" "$tmp" 2>&1) || fail "restored copy should pass: $out"
echo "ok: ports rule checked"
