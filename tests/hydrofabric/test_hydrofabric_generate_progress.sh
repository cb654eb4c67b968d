#!/usr/bin/env bash
# test_hydrofabric_generate_progress.sh - `rnr hydrofabric generate` shows
# one updating progress line (\r) on stderr when stderr is a terminal, and
# writes nothing to stderr when it is not. The terminal is a pseudo-terminal
# from script(1) (bsdutils, scripts/install-deps.sh); stdout goes to a file,
# so the typescript holds stderr alone.
set -u
RNR=${RNR_BIN:?}
T=$(mktemp -d /tmp/rnr_hf_progress_XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
command -v script >/dev/null || { echo "FAIL: script(1) missing (bsdutils)"; exit 1; }

# Not a terminal: stderr stays empty, the summary is on stdout.
"$RNR" hydrofabric generate --flowpaths 10000 --seed 3 "$T/plain.gpkg" >"$T/out" 2>"$T/err"
[ $? = 0 ] || fail "generate without a terminal: $(cat "$T/err")"
[ ! -s "$T/err" ] || fail "stderr is not empty without a terminal: $(cat -v "$T/err")"
grep -q "10000 flowpaths" "$T/out" || fail "summary: $(cat "$T/out")"

# A terminal on stderr.
script -qec "'$RNR' hydrofabric generate --flowpaths 10000 --seed 3 '$T/tty.gpkg' >'$T/tty.out'" \
    "$T/typescript" >/dev/null 2>&1
[ $? = 0 ] || fail "generate under a terminal exited non-zero"
tr '\r' '\n' <"$T/typescript" >"$T/lines"
grep -q "^rnr hydrofabric generate: flowpaths 0/10000 (0.0%)" "$T/lines" || fail "no first progress line"
grep -q "^rnr hydrofabric generate: flowpaths 4096/10000 (40.9%)" "$T/lines" || fail "no progress while writing"
grep -q "^rnr hydrofabric generate: flowpaths 10000/10000 (100.0%)" "$T/lines" || fail "no final count"
grep -q "^rnr hydrofabric generate: commit" "$T/lines" || fail "no commit phase"
# One updating line: what the program wrote (between script's own header
# and footer lines) holds no newline, only \r redraws.
grep -av '^Script \(started\|done\) on ' "$T/typescript" | grep -a . >"$T/body"
[ "$(wc -l <"$T/body")" = 1 ] || fail "progress is more than one line: $(cat -v "$T/body" | head -c 400)"
n_cr=$(tr -cd '\r' <"$T/body" | wc -c)
[ "$n_cr" -ge 5 ] || fail "expected the line redrawn with \\r, saw $n_cr carriage returns"
# Erased at the end, and the summary still goes to stdout.
grep -qa $'\r\x1b\[K$' "$T/body" || fail "the progress line is not erased at the end"
grep -q "10000 flowpaths" "$T/tty.out" || fail "summary under a terminal: $(cat "$T/tty.out")"
cmp -s "$T/plain.gpkg" "$T/tty.gpkg" || fail "progress changed the generated file"

[ "$fails" = 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }
