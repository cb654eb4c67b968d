#!/usr/bin/env bash
# test_hydrofabric_cli.sh - `rnr hydrofabric generate|index|cut`: the
# generated GeoPackage validates with ogrinfo, the committed demo domain is
# what the documented command produces, exit codes and one-line errors.
set -u
RNR=${RNR_BIN:?}
SRC=${RNR_SOURCE_DIR:?}
T=$(mktemp -d /tmp/rnr_hf_cli_XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_exit() { # expected-code description command...
    local want=$1 what=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"
    local got=$?
    [ "$got" = "$want" ] || fail "$what: exit $got, want $want ($(cat "$T/err"))"
}

expect_exit 0 "generate" "$RNR" hydrofabric generate --flowpaths 400 --seed 7 --gauges "$SRC/data/sample/gauges.csv" "$T/domain.gpkg"
grep -q "400 flowpaths" "$T/out" || fail "generate summary: $(cat "$T/out")"
cmp -s "$T/domain.gpkg" "$SRC/data/sample/domain.gpkg" || fail "data/sample/domain.gpkg differs from a fresh generate (regenerate it)"

# gdal-bin (scripts/install-deps.sh): GDAL itself must read the GeoPackage.
ogrinfo -ro -so "$T/domain.gpkg" >"$T/ogr" 2>&1 || fail "ogrinfo cannot open the GeoPackage: $(cat "$T/ogr")"
for l in "flowpaths (Line String)" "nexus (Point)" "flowpath-attributes (None)" "network (None)" "lakes (None)"; do
    grep -qF "$l" "$T/ogr" || fail "ogrinfo does not list $l"
done
ogrinfo -ro -so "$T/domain.gpkg" flowpaths >"$T/ogr" 2>&1
grep -q "Geometry: Line String" "$T/ogr" || fail "flowpaths geometry type"
grep -q "Feature Count: 400" "$T/ogr" || fail "flowpaths feature count"
grep -q 'ID\["EPSG",5070\]' "$T/ogr" || fail "flowpaths SRS is not EPSG:5070"
ogrinfo -ro -so "$T/domain.gpkg" flowpath-attributes >"$T/ogr" 2>&1
grep -q "Feature Count: 400" "$T/ogr" || fail "flowpath-attributes feature count"
grep -q "^Length_m: Real" "$T/ogr" || fail "flowpath-attributes Length_m type"
n_nex=$(sqlite3 "$T/domain.gpkg" "select count(*) from nexus" 2>/dev/null || echo x)
ogrinfo -ro -so "$T/domain.gpkg" nexus | grep -q "Feature Count: $n_nex" || fail "nexus feature count ($n_nex)"
n_net=$(sqlite3 "$T/domain.gpkg" "select count(*) from network" 2>/dev/null || echo x)
ogrinfo -ro -so "$T/domain.gpkg" network | grep -q "Feature Count: $n_net" || fail "network feature count ($n_net)"
ogrinfo -ro "$T/domain.gpkg" flowpaths -where "id = 'wb-1'" | grep -q "LINESTRING (" || fail "ogrinfo cannot read a flowpath geometry"

# cut: every demo gauge routes
for g in 91000001 91000002 91000003 91000004 91000005 91000006; do
    expect_exit 0 "cut $g" "$RNR" hydrofabric cut "$T/domain.gpkg" $g
    n=$(sed -n 's/^reachId [0-9]*: \([0-9]*\) flowpaths.*/\1/p' "$T/out")
    [ -n "$n" ] && [ "$n" -ge 8 ] || fail "cut $g: $n flowpaths"
done
expect_exit 0 "index" "$RNR" hydrofabric index "$T/domain.gpkg"
[ -f "$T/domain.gpkg.rnrindex" ] || fail "index file missing"
grep -q "400 flowpaths" "$T/out" || fail "index summary: $(cat "$T/out")"
expect_exit 0 "index -o" "$RNR" hydrofabric index "$T/domain.gpkg" -o "$T/elsewhere.idx"
[ -f "$T/elsewhere.idx" ] || fail "index -o did not write"
expect_exit 0 "cut --index" "$RNR" hydrofabric cut "$T/domain.gpkg" 91000002 --index "$T/elsewhere.idx"
grep -q "^reachId 91000002: " "$T/out" || fail "cut --index output"
expect_exit 0 "cut --json" "$RNR" hydrofabric cut "$T/domain.gpkg" 91000001 --json
grep -q '"reach_id": 91000001' "$T/out" || fail "json reach_id"
grep -q '"hf_id": 91000001' "$T/out" || fail "json origin hf_id"
[ "$(grep -c '"id": "wb-' "$T/out")" -ge 8 ] || fail "json segments"

# errors: 1 for bad input, 2 for usage; one line on stderr
expect_exit 1 "unknown reach" "$RNR" hydrofabric cut "$T/domain.gpkg" 5
grep -q "reachId 5 has no network row" "$T/err" || fail "unknown reach message: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" = 1 ] || fail "error is not one line"
expect_exit 1 "missing file" "$RNR" hydrofabric cut "$T/none.gpkg" 5
expect_exit 1 "bad gauges" "$RNR" hydrofabric generate --flowpaths 10 --gauges "$T/none.csv" "$T/x.gpkg"
expect_exit 1 "too few flowpaths for gauges" "$RNR" hydrofabric generate --flowpaths 12 --gauges "$SRC/data/sample/gauges.csv" "$T/x.gpkg"
[ ! -e "$T/x.gpkg" ] || fail "a failed generate left a file behind"
expect_exit 2 "no subcommand" "$RNR" hydrofabric
expect_exit 2 "bad subcommand" "$RNR" hydrofabric frobnicate
expect_exit 2 "cut without reach" "$RNR" hydrofabric cut "$T/domain.gpkg"
expect_exit 2 "cut bad reach" "$RNR" hydrofabric cut "$T/domain.gpkg" abc
expect_exit 2 "generate without N" "$RNR" hydrofabric generate "$T/x.gpkg"
expect_exit 2 "generate bad N" "$RNR" hydrofabric generate --flowpaths -3 "$T/x.gpkg"
expect_exit 2 "generate unknown option" "$RNR" hydrofabric generate --flowpaths 3 --bogus "$T/x.gpkg"
expect_exit 0 "help" "$RNR" hydrofabric --help
grep -q "rnr hydrofabric cut H.gpkg REACH_ID" "$T/out" || fail "help text"

[ $fails = 0 ] && echo "ok" || exit 1
