#!/usr/bin/env bash
# test_hydrofabric_parquet_cli.sh - parquet written by DuckDB and
# parquetjs-lite (tests/hydrofabric/hpdt2_parquet.mjs): DuckDB's reading of
# every column of every file equals `rnr hydrofabric dump`; `rnr route` and
# `rnr hydrofabric cut|index` on each parquet directory give output
# byte-identical to the GeoPackage's (whose route test_route_cli checks
# against the oracle bit for bit); bad files give one-line errors.
set -u
RNR=${RNR_BIN:?}
SRC=${RNR_SOURCE_DIR:?}
REF=${RNR_REFERENCE_DIR:?}/rnr-hpdt2
T=$(mktemp -d /tmp/rnr_hf_pq_XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

node "$SRC/tests/hydrofabric/hpdt2_parquet.mjs" write "$REF/HPDT2.gpkg" "$T/h" >"$T/log" 2>&1 ||
    { cat "$T/log"; exit 1; }
good="zstd snappy uncompressed gzip rowgroups v2enc ints strings pagev2"
files=()
for v in $good; do files+=("$T/h/$v"/*.parquet); done
node "$SRC/tests/hydrofabric/hpdt2_parquet.mjs" compare "$RNR" "${files[@]}" >"$T/cmp" 2>&1 ||
    fail "DuckDB and rnr read the files differently: $(head -5 "$T/cmp")"
grep -q " 0 differences" "$T/cmp" || fail "compare: $(cat "$T/cmp")"
# the page kinds the files were meant to exercise are there
"$RNR" hydrofabric dump --pages "$T/h/pagev2/network.parquet" 2>"$T/pages" >/dev/null
grep -q "v2 1 " "$T/pages" || fail "pagev2 has no data page v2"
"$RNR" hydrofabric dump --pages "$T/h/zstd/network.parquet" 2>"$T/pages" >/dev/null
grep -q "dict 1" "$T/pages" || fail "zstd has no dictionary page"
"$RNR" hydrofabric dump --pages "$T/h/v2enc/flowpaths.parquet" 2>"$T/pages" >/dev/null
grep -q "encodings 0x20" "$T/pages" || fail "v2enc has no DELTA_BINARY_PACKED page"
grep -q "encodings 0x40" "$T/pages" || grep -q "encodings 0x80" "$T/pages" || fail "v2enc has no DELTA_*_BYTE_ARRAY page"

"$RNR" hydrofabric cut "$REF/HPDT2.gpkg" 3121538 --json >"$T/cut.gpkg" || fail "cut on the GeoPackage"
for mode in troute timecorrect; do
    mkdir -p "$T/out-gpkg-$mode"
    "$RNR" route --hydrofabric "$REF/HPDT2.gpkg" --forecast "$REF/HPDT2.json" --out "$T/out-gpkg-$mode" \
        --forcing "$mode" >/dev/null 2>&1 || fail "route on the GeoPackage ($mode)"
done
routed="rowgroups strings pagev2" # the cut of every variant is compared; routing it is the same code
for v in $good; do
    "$RNR" hydrofabric cut "$T/h/$v" 3121538 --json >"$T/cut.pq" 2>"$T/err" || fail "$v: cut: $(cat "$T/err")"
    cmp -s "$T/cut.gpkg" "$T/cut.pq" || fail "$v: cut differs from the GeoPackage's"
    case " $routed " in *" $v "*) ;; *) continue ;; esac
    for mode in troute timecorrect; do
        rm -rf "$T/out"; mkdir -p "$T/out"
        "$RNR" route --hydrofabric "$T/h/$v" --forecast "$REF/HPDT2.json" --out "$T/out" --forcing "$mode" \
            >/dev/null 2>"$T/err" || fail "$v: route ($mode): $(cat "$T/err")"
        for f in "$T/out-gpkg-$mode"/*.nc; do
            cmp -s "$f" "$T/out/$(basename "$f")" || fail "$v: route ($mode) output differs from the GeoPackage's"
        done
    done
done
# the index beside a directory: "dir/" and "dir" mean the same
"$RNR" hydrofabric index "$T/h/rowgroups/" >"$T/out.txt" 2>"$T/err" || fail "index: $(cat "$T/err")"
grep -q "rowgroups.rnrindex: 50 flowpaths, 117 network rows" "$T/out.txt" || fail "index summary: $(cat "$T/out.txt")"
[ -s "$T/err" ] && fail "index wrote to stderr, not a terminal: $(cat "$T/err")"
# on a terminal (script(1) gives it one): the progress line, then the summary
script -qec "'$RNR' hydrofabric index '$T/h/rowgroups' -o '$T/tty.rnrindex'" /dev/null >"$T/tty" 2>&1 ||
    fail "index on a tty: $(cat "$T/tty")"
grep -Eq "rnr hydrofabric index: network ([0-9]+)/\1 \(100\.0%\)" "$T/tty" || fail "no progress on a tty: $(cat "$T/tty")"
grep -q "b-trees" "$T/tty" || fail "no b-trees phase on a tty: $(cat "$T/tty")"
cmp -s "$T/h/rowgroups.rnrindex" "$T/tty.rnrindex" || fail "the index built on a tty differs"
"$RNR" hydrofabric cut "$T/h/rowgroups" 3121538 --json >"$T/cut.pq" && cmp -s "$T/cut.gpkg" "$T/cut.pq" ||
    fail "cut through the index differs"

# a lookup skips the row groups whose statistics exclude the value (DuckDB's and ours)
for f in "$T/h/rowgroups/network.parquet"; do
    "$RNR" hydrofabric dump --pages --where hf_id=3121538 "$f" id hf_id >"$T/w" 2>"$T/pages"
    [ "$(grep -c "^wb-2418120	3121538$" "$T/w")" = 2 ] || fail "dump --where rows: $(cat "$T/w")"
    grep -Eq "where hf_id=3121538: [1-9][0-9]* of 11 row groups skipped" "$T/pages" ||
        fail "no row group skipped: $(grep where "$T/pages")"
done

# our own writer: `convert` and `generate --parquet`, read back by DuckDB
"$RNR" hydrofabric convert "$REF/HPDT2.gpkg" "$T/conv" --row-group 30 >/dev/null 2>"$T/err" ||
    fail "convert: $(cat "$T/err")"
"$RNR" hydrofabric cut "$T/conv" 3121538 --json >"$T/cut.pq" && cmp -s "$T/cut.gpkg" "$T/cut.pq" ||
    fail "cut on the converted HPDT2 differs"
"$RNR" hydrofabric dump --pages --where hf_id=3121538 "$T/conv/network.parquet" id >/dev/null 2>"$T/pages"
grep -q "where hf_id=3121538: 3 of 6 row groups skipped" "$T/pages" || fail "our statistics: $(grep where "$T/pages")"
"$RNR" hydrofabric generate --flowpaths 2000 --seed 3 --gauges "$SRC/data/sample/gauges.csv" \
    --parquet "$T/synpq" --zstd "$T/syn.gpkg" >/dev/null 2>"$T/err" || fail "generate --parquet: $(cat "$T/err")"
node "$SRC/tests/hydrofabric/hpdt2_parquet.mjs" compare "$RNR" "$T"/conv/*.parquet "$T"/synpq/*.parquet \
    >"$T/cmp" 2>&1 || fail "DuckDB reads rnr's parquet differently: $(head -5 "$T/cmp")"
for reach in $(tail -n +2 "$SRC/data/sample/gauges.csv" | cut -d, -f2); do
    "$RNR" hydrofabric cut "$T/syn.gpkg" "$reach" --json >"$T/c1" 2>&1
    "$RNR" hydrofabric cut "$T/synpq" "$reach" --json >"$T/c2" 2>&1
    cmp -s "$T/c1" "$T/c2" || fail "synthetic reach $reach: parquet cut differs"
done

# a disk that fills up during `hydrofabric index`: one line naming the
# index, exit 1, and neither the index nor its temporary left behind
(trap '' XFSZ; ulimit -f 100; "$RNR" hydrofabric index "$T/synpq") >/dev/null 2>"$T/err"
rc=$?
[ "$rc" = 1 ] || fail "index on a full disk: exit $rc, want 1"
[ "$(wc -l <"$T/err")" = 1 ] && grep -q "synpq.rnrindex.tmp.*: disk I/O error" "$T/err" ||
    fail "index on a full disk: $(cat "$T/err")"
ls "$T" | grep -q "synpq.rnrindex" && fail "index on a full disk left $(ls "$T" | grep synpq.rnrindex)"

# bad input: exit 1, one line naming the file and the fault
expect_err() { # dir-or-file what...
    local target=$1; shift
    if [ -d "$target" ]; then "$RNR" hydrofabric cut "$target" 3121538 >/dev/null 2>"$T/err"
    else "$RNR" hydrofabric dump "$target" >/dev/null 2>"$T/err"; fi
    local rc=$?
    [ "$rc" = 1 ] || fail "$target: exit $rc, want 1"
    [ "$(wc -l <"$T/err")" = 1 ] || fail "$target: not one line: $(cat "$T/err")"
    for w in "$@"; do grep -qF -- "$w" "$T/err" || fail "$target: '$(cat "$T/err")' lacks '$w'"; done
}
expect_err "$T/h/lz4" "network.parquet" "unsupported codec LZ4_RAW"
expect_err "$T/h/badint" "network.parquet" "is not an integer"
expect_err "$T/h/nocol" "network.parquet" "missing column hf_hydroseq"
head -c 1000 "$T/h/zstd/flowpaths.parquet" >"$T/trunc.parquet"
expect_err "$T/trunc.parquet" "trunc.parquet" "wrong magic"
printf 'not parquet at all' >"$T/text.parquet"
expect_err "$T/text.parquet" "text.parquet" "wrong magic"
expect_err "$T/none.parquet" "none.parquet" "missing file"

[ "$fails" = 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }
