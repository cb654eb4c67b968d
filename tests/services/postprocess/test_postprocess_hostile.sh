#!/usr/bin/env bash
# test_postprocess_hostile.sh - an output whose reading never ends (a
# fuzzed file HDF5 loops on, tests/data/hostile) among good ones: the
# first `rnr postprocess` stops at its read deadline (exit 3, the file
# named), the second takes the file as unreadable and writes the table of
# the good outputs, the third has nothing new. Without the guard every run
# would hang for ever on the same file.
set -u
fail() { echo "FAIL: $*"; exit 1; }
D=$(mktemp -d /tmp/rnr-test-hostile-XXXXXX)
trap 'rm -rf "$D"' EXIT
unset RNR_STORE_URL APP_BUCKET_NAME APP_OUTPUT_S3_KEY POSTPROCESS_OUTPUT_S3_KEY RNR_POSTPROCESS_WINDOW
# the good outputs: t-route's reference output under three gauges
HF="$RNR_REFERENCE_DIR/rnr-hpdt2/HPDT2.gpkg"
good="$RNR_REFERENCE_DIR/troute-output/troute_output_202505060600.nc"
[ -f "$HF" ] && [ -f "$good" ] || fail "reference data missing under $RNR_REFERENCE_DIR"
for g in GDA GDB GDC; do
    mkdir -p "$D/store/replace_and_route/$g"
    cp "$good" "$D/store/replace_and_route/$g/troute_output_202505060600.nc"
done
mkdir -p "$D/store/replace_and_route/EVIL"
evil=replace_and_route/EVIL/troute_output_202505061100.nc
cp "$RNR_SOURCE_DIR/tests/data/hostile/hang_dimension_list.nc" "$D/store/$evil"
pp() { # pp N: one run, its exit status in $D/rc.N, stderr in $D/err.N
    RNR_POSTPROCESS_READ_TIMEOUT=2 timeout 120 "$RNR_BIN" postprocess --store "file://$D/store" \
        --hydrofabric "$HF" --state-dir "$D/state" --now 2025-05-06T12:00:00Z \
        >"$D/out.$1" 2>"$D/err.$1"
    echo $? >"$D/rc.$1"
}

pp 1
rc=$(cat "$D/rc.1")
if [ "$rc" = 3 ]; then
    grep -q "error.*$evil: reading it has taken [0-9]* s, past the deadline" "$D/err.1" \
        || fail "run 1 did not name the file: $(tail -2 "$D/err.1")"
    head -c 200 "$D/state/postprocess.reading" | grep -q "$evil" || fail "no marker"
    pp 2
    [ "$(cat "$D/rc.2")" = 0 ] || fail "run 2 exit $(cat "$D/rc.2"): $(tail -2 "$D/err.2")"
    grep -q "warn.*$evil: reading it hung a previous run past the deadline; taken as unreadable" \
        "$D/err.2" || fail "run 2 did not say why it skips the file: $(tail -2 "$D/err.2")"
elif [ "$rc" = 0 ]; then # an HDF5 that rejects the file instead of looping
    grep -q "$evil: .*skipped" "$D/err.1" || fail "run 1 read the hostile file"
    cp "$D/out.1" "$D/out.2"
else
    fail "run 1 exit $rc: $(tail -2 "$D/err.1")"
fi
grep -qx "listed=4 new=3 rows=[1-9][0-9]*" "$D/out.2" || fail "table run: $(cat "$D/out.2")"
[ -f "$D/store/rnr_postprocess/output_inundation_2025-05-06_12:00:00.csv" ] || fail "no CSV"
[ "$(tr -d '\0' <"$D/state/postprocess.reading" | wc -c)" = 0 ] || fail "marker not emptied"

pp 3 # nothing new, and the file is not read again
[ "$(cat "$D/rc.3")" = 0 ] || fail "run 3 exit $(cat "$D/rc.3")"
grep -qx "listed=4 new=0 rows=0" "$D/out.3" || fail "run 3: $(cat "$D/out.3")"
! grep -q "$evil" "$D/err.3" || fail "run 3 looked at the file again"
echo "ok"
