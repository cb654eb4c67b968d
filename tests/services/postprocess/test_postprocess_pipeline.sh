#!/usr/bin/env bash
# test_postprocess_pipeline.sh - the one-machine pipeline on the sample data:
# rnr producer -> rnr worker --once -> rnr postprocess, embedded backends.
# The worker routes RNRA1, RNRB1 and RNRC1 (data/sample/nws/README.md); the
# post-processor must list their three outputs and write one CSV row per
# routed segment, then nothing on a second run.
set -u
fail() { echo "FAIL: $*"; exit 1; }
D=$(mktemp -d /tmp/rnr-test-pipe-XXXXXX)
FX=""
cleanup() { [ -n "$FX" ] && kill "$FX" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT
"$RNR_BUILD_DIR/tools/fixture_server/rnr-fixture-server" --dir "$RNR_SOURCE_DIR/data/sample/nws" \
    --port 0 --port-file "$D/port" >/dev/null 2>&1 &
FX=$!
for _ in $(seq 100); do [ -s "$D/port" ] && break; sleep 0.05; done
[ -s "$D/port" ] || fail "fixture server did not start"
P=$(cat "$D/port")
export NWS_API_URL="http://127.0.0.1:$P" NWPS_API_URL="http://127.0.0.1:$P/nwps/v1"
unset RNR_QUEUE_URL RNR_CACHE_URL RNR_STORE_URL RABBITMQ_ENDPOINT REDIS_HOST APP_BUCKET_NAME \
      HYDROFABRIC_S3_KEY APP_OUTPUT_S3_KEY POSTPROCESS_OUTPUT_S3_KEY RNR_POSTPROCESS_WINDOW
HF="$RNR_SOURCE_DIR/data/sample/domain.gpkg"

out=$("$RNR_BIN" producer --state-dir "$D/s" 2>/dev/null) || fail "producer exit $?"
[ "$out" = "seen=3 new=3 published=3 failed=0 deferred=0" ] || fail "producer: $out"
timeout 300 "$RNR_BIN" worker --once --state-dir "$D/s" --hydrofabric "$HF" 2>"$D/worker.err" \
    || fail "worker exit $?: $(tail -3 "$D/worker.err")"
for lid in RNRA1 RNRB1 RNRC1; do
    [ -f "$D/s/store/replace_and_route/$lid/troute_output_202603141200.nc" ] || fail "no output for $lid"
done

out=$("$RNR_BIN" postprocess --state-dir "$D/s" --hydrofabric "$HF" --now 2026-03-14T14:00:00Z \
      2>/dev/null) || fail "postprocess exit $?"
rows=$(echo "$out" | sed -n 's/^listed=3 new=3 rows=\([0-9]*\)$/\1/p')
[ -n "$rows" ] && [ "$rows" -gt 3 ] || fail "postprocess: $out"
csv="$D/s/store/rnr_postprocess/output_inundation_2026-03-14_14:00:00.csv"
[ -f "$csv" ] || fail "no CSV at $csv"
[ -f "${csv%.csv}.geojson" ] || fail "no GeoJSON"
echo "$out" | grep -qx "wrote rnr_postprocess/output_inundation_2026-03-14_14:00:00.csv" \
    || fail "keys not printed: $out"
[ "$(head -1 "$csv")" = "feature_id,feature_id_str,strm_order,name,state,streamflow_cfs,inherited_rfc_forecasts,max_status,reference_time,update_time,geom" ] \
    || fail "header: $(head -1 "$csv")"
[ "$(($(wc -l <"$csv") - 1))" -eq "$rows" ] || fail "CSV has $(wc -l <"$csv") lines for $rows rows"
bad=$(tail -n +2 "$csv" | awk -F, '$2 != "wb-" $1 || $10 != "2026-03-14_14:00:00" || $9 != "2026-03-14_12:00:00"' | head -1)
[ -z "$bad" ] || fail "malformed row: $bad"
for lid in RNRA1 RNRB1 RNRC1; do
    grep -q " at $lid (" "$csv" || fail "no rows inherited from $lid"
done
[ "$(grep -c '"LINESTRING\|"MULTILINESTRING' "$csv")" -eq "$rows" ] || fail "rows without geometry"

out=$("$RNR_BIN" postprocess --state-dir "$D/s" --hydrofabric "$HF" --now 2026-03-14T14:10:00Z \
      2>/dev/null) || fail "second postprocess exit $?"
echo "$out" | grep -q "no new outputs since the last run" || fail "second run: $out"
[ "$(ls "$D/s/store/rnr_postprocess" | wc -l)" -eq 2 ] || fail "second run wrote something"
echo ok
