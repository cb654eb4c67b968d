#!/usr/bin/env bash
# test_hydro_mc_eval.sh - `rnr mc eval`: usage errors, bad input files, a
# generated table with a wrong value, and the public oracle (all rows pass).
set -u
fail() { echo "FAIL: $*"; exit 1; }
: "${RNR_BIN:?RNR_BIN not set}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$RNR_BIN" mc >/dev/null 2>&1; [ $? -eq 2 ] || fail "no subcommand must exit 2"
"$RNR_BIN" mc frob x.csv >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown subcommand must exit 2"
"$RNR_BIN" mc eval >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing file argument must exit 2"

"$RNR_BIN" mc eval "$tmp/nope.csv" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "missing file: exit $rc"
grep -q "nope.csv: No such file" "$tmp/err" || fail "missing file message: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "missing file: not one line"

hdr="case_id,category,status,dt,qup,quc,qdp,ql,dx,bw,tw,twcc,n,ncc,cs,s0,velp,depthp,qj0_in,qdc,velc,depthc,ck,cn,X,qj0_out"
echo "${hdr/,qj0_out/}" >"$tmp/nocol.csv"
"$RNR_BIN" mc eval "$tmp/nocol.csv" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "missing column: exit $rc"
grep -q "missing column 'qj0_out'" "$tmp/err" || fail "missing column message: $(cat "$tmp/err")"

# A guard row (n = 0) that must be rejected, and a wet row whose expected
# outputs are all zero, so qdc is the first mismatch reported.
{
    echo "$hdr"
    echo "1,mine,error_stop,300,1,1,1,0,1000,20,30,90,0,0.1,1,0.001,0,0,0,,,,,,,"
    echo "2,mine,ok,300,1,1,1,0,1000,20,30,90,0.05,0.1,1,0.001,0,0,0,0,0,0,0,0,0,0"
} >"$tmp/bad.csv"
"$RNR_BIN" mc eval "$tmp/bad.csv" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "bad table: exit $rc"
grep -q "^1 passed, 1 failed$" "$tmp/out" || fail "bad table summary: $(cat "$tmp/out")"
grep -q "^case 2: qdc expected 0, got " "$tmp/out" || fail "bad table mismatch line: $(cat "$tmp/out")"

# An error_stop row the kernel accepts is a failure too.
{
    echo "$hdr"
    echo "3,mine,error_stop,300,0,0,0,0,1000,20,30,90,0.05,0.1,1,0.001,0,0,0,,,,,,,"
} >"$tmp/stop.csv"
"$RNR_BIN" mc eval "$tmp/stop.csv" >"$tmp/out" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "accepted error_stop: exit $rc"
grep -q "^case 3: status expected error_stop, got ok$" "$tmp/out" || fail "error_stop line: $(cat "$tmp/out")"

ref="${RNR_REFERENCE_DIR:-}/muskingum-cunge/single_segment_public.csv"
if [ -z "${RNR_REFERENCE_DIR:-}" ] || [ ! -d "$RNR_REFERENCE_DIR" ]; then
    echo "missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by cmake)" >&2
    exit 1
fi
rows=$(($(grep -c . "$ref") - 1))
[ "$rows" -gt 1000 ] || fail "reference has only $rows rows"
"$RNR_BIN" mc eval "$ref" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 0 ] || fail "reference: exit $rc: $(head -5 "$tmp/out") $(cat "$tmp/err")"
grep -qx "$rows passed, 0 failed" "$tmp/out" || fail "reference summary: $(cat "$tmp/out"), expected $rows passed"
echo "ok: $rows reference rows pass"
