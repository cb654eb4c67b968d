#!/usr/bin/env bash
# test_route_hostile.sh - `rnr route` and `rnr mc eval` with absurd and
# awkward input: flows beyond the physical range (1e35 kcfs, 1e300) are a
# one-line error and leave no --out directory behind; CSV saved with a
# byte-order mark and CRLF line ends is read like any other.
set -u
BIN=${RNR_BIN:?}
SRC=${RNR_SOURCE_DIR:?}
REF=${RNR_REFERENCE_DIR:?}
T=$(mktemp -d /tmp/rnr-test-route-hostile-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
GPKG="$REF/rnr-hpdt2/HPDT2.gpkg"
DOMAIN="$SRC/data/sample/domain.gpkg"

# Absurd forecast flows: exit 1, one line naming the value's place, no output dir.
for v in "1e35 kcfs" "1e300 m3 s-1" "40000 kcfs"; do
  python3 - "$REF/rnr-hpdt2/HPDT2.json" "$T/f.json" $v <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["reach"]["secondary_forecast"][5] = float(sys.argv[3])
d["reach"]["secondary_unit"] = " ".join(sys.argv[4:])
json.dump(d, open(sys.argv[2], "w"))
PY
  "$BIN" route --hydrofabric "$GPKG" --forecast "$T/f.json" --out "$T/out" >"$T/o" 2>"$T/e"
  [ $? -eq 1 ] || fail "$v: expected exit 1"
  [ "$(wc -l <"$T/e")" -eq 1 ] || fail "$v: expected one line: $(cat "$T/e")"
  grep -q "secondary_forecast\[5\] is negative or above the physical limit (1e6 m3/s)" "$T/e" ||
    fail "$v: message: $(cat "$T/e")"
  [ ! -e "$T/out" ] || fail "$v: an empty --out directory was left behind"
done
# 10000 kcfs (283,000 m3/s, an Amazon flood) is still a flow.
python3 - "$REF/rnr-hpdt2/HPDT2.json" "$T/f.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["reach"]["secondary_forecast"][5] = 10000.0
d["reach"]["secondary_unit"] = "kcfs"
json.dump(d, open(sys.argv[2], "w"))
PY
"$BIN" route --hydrofabric "$GPKG" --forecast "$T/f.json" --out "$T/big" >"$T/o" 2>"$T/e" ||
  fail "10000 kcfs should route: $(cat "$T/e")"

# --qlat: 1e300 refused; BOM + CRLF accepted, same result as plain text.
printf 'step,id,qlat\n1,wb-53,1e300\n' >"$T/q.csv"
"$BIN" route --hydrofabric "$DOMAIN" --qlat "$T/q.csv" --nts 24 --out "$T/q1" \
  --start 2025-01-01T00:00:00Z >"$T/o" 2>"$T/e"
[ $? -eq 1 ] || fail "qlat 1e300 should exit 1"
grep -q "line 2: qlat '1e300' is not a number within" "$T/e" || fail "qlat message: $(cat "$T/e")"
[ ! -e "$T/q1" ] || fail "qlat failure left --out behind"
printf 'step,id,qlat\n1,wb-53,5\n2,wb-53,7\n' >"$T/plain.csv"
printf '\xef\xbb\xbfstep,id,qlat\r\n1,wb-53,5\r\n2,wb-53,7\r\n\r\n' >"$T/bom.csv"
printf '\xef\xbb\xbfid,flow,depth\r\nwb-53,2,0.5\r\n' >"$T/init.csv"
for f in plain bom; do
  "$BIN" route --hydrofabric "$DOMAIN" --qlat "$T/$f.csv" --initial "$T/init.csv" --nts 24 \
    --out "$T/$f" --start 2025-01-01T00:00:00Z >"$T/$f.out" 2>"$T/e" || fail "$f CSV: $(cat "$T/e")"
done
cmp -s <(grep -v '^output' "$T/plain.out") <(grep -v '^output' "$T/bom.out") || fail "BOM/CRLF run differs"
cmp -s "$T/plain/"*.nc "$T/bom/"*.nc || fail "BOM/CRLF output differs"

# mc eval: a BOM + CRLF oracle file evaluates like the plain one.
head -50 "$REF/muskingum-cunge/single_segment_public.csv" >"$T/mc.csv"
{ printf '\xef\xbb\xbf'; sed 's/$/\r/' "$T/mc.csv"; } >"$T/mc-bom.csv"
"$BIN" mc eval "$T/mc.csv" >"$T/mc.out" || fail "mc eval plain"
"$BIN" mc eval "$T/mc-bom.csv" >"$T/mc-bom.out" 2>"$T/e" || fail "mc eval BOM/CRLF: $(cat "$T/e" "$T/mc-bom.out")"
cmp -s "$T/mc.out" "$T/mc-bom.out" || fail "mc eval results differ"
echo ok
