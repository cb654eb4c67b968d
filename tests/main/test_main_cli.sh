#!/usr/bin/env bash
# test_main_cli.sh - the top-level command line: help, version, and the
# messages for a mistyped command or option.
set -u
fail() { echo "FAIL: $*"; exit 1; }
RNR=${RNR_BIN:?RNR_BIN not set}

out=$("$RNR" --help) || fail "--help exit"
echo "$out" | grep -q '^  route ' || fail "--help lists route"

out=$("$RNR" version) || fail "version exit"
echo "$out" | grep -Eq '^rnr [0-9]+\.[0-9]+\.[0-9]+$' || fail "version first line: $out"
echo "$out" | grep -Eq 'netCDF [0-9.]+$' || fail "version: netCDF version must end the line: $out"
case "$out" in *'$'*) fail "version prints a stray \$: $out" ;; esac

err=$("$RNR" verison 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] || fail "mistyped command: want exit 2, got $rc"
[ "$err" = "rnr: unknown command 'verison'; did you mean 'version'? (see 'rnr --help')" ] || fail "typo message: $err"
err=$("$RNR" rout 2>&1 >/dev/null)
echo "$err" | grep -q "did you mean 'route'" || fail "rout -> route: $err"
err=$("$RNR" zzzzzzzz 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] || fail "unknown command: want exit 2"
[ "$err" = "rnr: unknown command 'zzzzzzzz' (see 'rnr --help')" ] || fail "no suggestion for a far word: $err"
err=$("$RNR" --frobnicate 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && echo "$err" | grep -q "unknown option '--frobnicate'" || fail "unknown option: $err"
echo "ok"
