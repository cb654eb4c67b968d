#!/usr/bin/env bash
# rnr up --once end to end on the sample data: the three routed gauges'
# NetCDF outputs and the CSV, the skip reasons of data/sample/nws/README.md
# in the summary; then a second cycle publishes nothing and writes nothing.
. "$(dirname "$0")/up_env.sh"
fixture_start

up_once first --workers 2
[ "$RC" -eq 0 ] || { cat "$WORK/first.out" "$WORK/first.err" >&2; fail "first cycle exit $RC"; }
expect_summary first "products seen" 3
expect_summary first "products new" 3
expect_summary first "products published" 3
expect_summary first "products failed" 0
expect_summary first "messages processed" 3
expect_summary first "sites seen" 8
expect_summary first "sites routed" 3
expect_summary first "sites skipped" 5
expect_summary first "skipped: not_flooding" 1
expect_summary first "skipped: no_reach_id" 1
expect_summary first "skipped: gauge_not_found" 1
expect_summary first "skipped: stage_only" 1
expect_summary first "skipped: missing_flows" 1
expect_summary first "sites failed" 0
expect_summary first "outputs written" 3
expect_summary first "dead letters (this run)" 0
grep -q "^result: ok$" "$WORK/first.out" || fail "result not ok"

[ "$(nc_keys)" = "$EXPECTED_NC" ] || { nc_keys >&2; fail "stored NetCDF files differ from the expected three"; }
[ "$(check_nc_complete)" = 3 ] || fail "not every output opens"
csv=$(summary first "csv written")
case "$csv" in rnr_postprocess/output_inundation_*.csv) ;; *) fail "csv key '$csv'" ;; esac
[ -s "$STORE/$csv" ] || fail "$csv not in the store"
ncsv=$(find "$STORE/rnr_postprocess" -name '*.csv' | wc -l)
[ "$ncsv" -eq 1 ] || fail "$ncsv CSV files after the first cycle"
head -1 "$STORE/$csv" | grep -q '^feature_id,feature_id_str,strm_order,name,state,streamflow_cfs' ||
  fail "CSV header: $(head -1 "$STORE/$csv")"
# one row per routed segment of the three segments (13 + 10 + 18 in the demo domain)
rows=$(summary first "postprocess rows")
[ "$rows" -gt 0 ] && [ "$(($(wc -l <"$STORE/$csv") - 1))" -eq "$rows" ] || fail "CSV rows vs summary $rows"

# Second cycle: everything is in the dedup cache.
sleep 1
up_once second --workers 1
[ "$RC" -eq 0 ] || { cat "$WORK/second.out" "$WORK/second.err" >&2; fail "second cycle exit $RC"; }
expect_summary second "products seen" 3
expect_summary second "products new" 0
expect_summary second "products published" 0
expect_summary second "outputs written" 0
expect_summary second "csv written" "(none)"
[ "$(find "$STORE/rnr_postprocess" -name '*.csv' | wc -l)" -eq 1 ] || fail "a second CSV was written"
[ "$(nc_keys)" = "$EXPECTED_NC" ] || fail "the second cycle changed the outputs"
echo "ok: once cycle, dedup"
