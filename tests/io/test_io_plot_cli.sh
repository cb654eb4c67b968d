#!/usr/bin/env bash
# test_io_plot_cli.sh - `rnr plot`: usage errors, bad input, and (with the
# reference data) an SVG written next to the input.
set -u
fail() { echo "FAIL: $*"; exit 1; }
RNR=${RNR_BIN:?RNR_BIN not set}
tmp=$(mktemp -d /tmp/rnr_io_plot.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

"$RNR" plot --help | grep -q "usage: rnr plot FILE.nc" || fail "help text"
"$RNR" plot 2>"$tmp/err"; [ $? -eq 2 ] || fail "no file: want exit 2"
grep -q "missing the NetCDF output file" "$tmp/err" || fail "no file: message"
"$RNR" plot x.nc --segments 0 2>"$tmp/err"; [ $? -eq 2 ] || fail "--segments 0: want exit 2"
grep -q -- "--segments must be 1..12" "$tmp/err" || fail "--segments message"
"$RNR" plot x.nc --bogus 2>/dev/null; [ $? -eq 2 ] || fail "unknown option: want exit 2"
"$RNR" plot "$tmp/none.nc" 2>"$tmp/err"; [ $? -eq 1 ] || fail "missing input: want exit 1"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "missing input: one line error"
grep -q "$tmp/none.nc" "$tmp/err" || fail "missing input: names the file"
echo "not netcdf" >"$tmp/junk.nc"
"$RNR" plot "$tmp/junk.nc" 2>/dev/null; [ $? -eq 1 ] || fail "junk input: want exit 1"
[ ! -e "$tmp/junk.svg" ] || fail "junk input left an SVG"

ref=${RNR_REFERENCE_DIR:-}/troute-output/troute_output_202505060600.nc
if [ ! -d "${RNR_REFERENCE_DIR:-/nonexistent}" ]; then
    echo "missing reference data: RNR_REFERENCE_DIR (unpacked from tests/data/reference by cmake)" >&2
    exit 1
fi
cp "$ref" "$tmp/" || fail "copy reference"
out=$("$RNR" plot "$tmp/troute_output_202505060600.nc") || fail "plot reference"
[ "$out" = "$tmp/troute_output_202505060600.svg" ] || fail "default output path: $out"
[ -s "$out" ] || fail "no SVG written"
[ "$(grep -c '<polyline' "$out")" -eq 4 ] || fail "want 4 polylines"
"$RNR" plot "$tmp/troute_output_202505060600.nc" -o "$tmp/six.svg" --segments 6 >/dev/null || fail "-o"
[ "$(grep -c '<polyline' "$tmp/six.svg")" -eq 6 ] || fail "want 6 polylines"
# Unwritable destination: exit 1 and no temporary left behind.
mkdir "$tmp/ro" && chmod 500 "$tmp/ro"
if [ "$(id -u)" -ne 0 ]; then
    "$RNR" plot "$tmp/troute_output_202505060600.nc" -o "$tmp/ro/x.svg" 2>/dev/null
    [ $? -eq 1 ] || fail "unwritable: want exit 1"
fi
chmod 700 "$tmp/ro"
"$RNR" plot "$tmp/troute_output_202505060600.nc" -o "$tmp/ro" 2>/dev/null
[ $? -eq 1 ] || fail "output is a directory: want exit 1"
[ -z "$(ls -A "$tmp/ro")" ] || fail "file left in $tmp/ro"
ls "$tmp" | grep -q '\.tmp\.' && fail "temporary file left in $tmp"
xmllint --noout "$out" || fail "SVG is not well-formed"
echo "ok"
