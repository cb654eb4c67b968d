#!/usr/bin/env bash
# test_worker_hostile.sh - hostile products end to end (`rnr up --once`
# against the fixture server): a product whose rdf URL points off the NWS
# API origin is a dead letter and is never fetched; site ids that are not
# lids ("..", "A/B") are skipped before any request; a site whose gauge
# record is another gauge's (COLL1 -> RNRB1) is skipped as a mismatch and
# cannot overwrite RNRB1's output; an absurd flow (1e35 kcfs) is skipped,
# never routed. The three good outputs are exactly the sample's.
. "$(dirname "$0")/../up/up_env.sh"
NWS="$WORK/nws"
cp -r "$RNR_SOURCE_DIR/data/sample/nws" "$NWS"
G="$NWS/nwps/gauges"
python3 - "$NWS" <<'PY'
import json, sys
d = sys.argv[1]
def site(lid, kcfs):
    return ('<?xml version="1.0" standalone="yes"?>\n<site id="%s" name="x">\n'
            '<forecast primaryUnits="ft" secondaryUnits="kcfs" issued="2026-03-14T08:40:00-00:00">'
            '<datum><valid>2026-03-14T12:00:00-00:00</valid><primary>1</primary>'
            '<secondary>%s</secondary></datum></forecast>\n</site>\n') % (lid, kcfs)
text = "\n000\nSRUS54 KRNR 141100\nHMLRNR\n" + "".join(
    site(l, "1.0") for l in ["..", "A/B", "COLL1", "RNRZ1", "RNR%2FB1"])
item = lambda pid, url: {"@id": url, "id": pid, "wmoCollectiveId": "SRUS54",
                         "issuingOffice": "KRNR", "issuanceTime": "2026-03-14T11:00:00+00:00",
                         "productCode": "HML", "productName": "AHPS XML"}
lst = json.load(open(d + "/products.json"))
lst["@graph"].append(item("hostile-lids", "{{BASE}}/products/hostile-lids"))
lst["@graph"].append(item("hostile-ssrf", "http://169.254.169.254/latest/meta-data/"))
json.dump(lst, open(d + "/products.json", "w"))
p = item("hostile-lids", "{{BASE}}/products/hostile-lids")
p["productText"] = text
json.dump(p, open(d + "/products/hostile-lids.json", "w"))
# COLL1's gauge record is RNRB1's; RNRZ1 is RNRA1 with one absurd flow.
g = d + "/nwps/gauges/"
open(g + "COLL1.json", "w").write(open(g + "RNRB1.json").read())
open(g + "COLL1.forecast.json", "w").write(open(g + "RNRB1.forecast.json").read())
a = json.load(open(g + "RNRA1.json")); a["lid"] = "RNRZ1"; json.dump(a, open(g + "RNRZ1.json", "w"))
f = json.load(open(g + "RNRA1.forecast.json")); f["data"][3]["secondary"] = 1e35
json.dump(f, open(g + "RNRZ1.forecast.json", "w"))
PY

"$FIXTURE_BIN" --dir "$NWS" --port 0 --port-file "$WORK/port" --log "$WORK/fixture.log" \
  >"$WORK/fixture.out" 2>&1 &
fixture_pid=$!
for _ in $(seq 1 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || fail "fixture server did not start"
BASE="http://127.0.0.1:$(cat "$WORK/port")"
export NWS_API_URL="$BASE" NWPS_API_URL="$BASE/nwps/v1" NWS_USER_AGENT="rnr-test-hostile"
export RNR_STATE_DIR="$STATE" RNR_HYDROFABRIC="$DOMAIN" RNR_LOG_LEVEL=info

up_once h --workers 1
log="$WORK/h.err"
expect_summary h "products new" 5
expect_summary h "dead letters (this run)" 1
expect_summary h "skipped: bad_lid" 3
expect_summary h "skipped: lid_mismatch" 1
expect_summary h "skipped: invalid_flows" 1
expect_summary h "sites routed" 3
[ "$(nc_keys)" = "$EXPECTED_NC" ] || { nc_keys >&2; fail "stored outputs differ from the three good ones"; }
grep -q "skip lid=COLL1 reason=lid_mismatch: gauge COLL1: NWPS answered with the record of 'RNRB1'" "$log" ||
  fail "no lid mismatch line"
grep -q "skip lid=RNRZ1 reason=invalid_flows: .*out of range" "$log" || fail "no invalid_flows line"
# No request ever left for a non-lid, and nothing but the fixture was asked.
if grep -E "GET /nwps/v1/gauges/(\.\.|A|RNR%)" "$WORK/fixture.log"; then fail "a non-lid reached the server"; fi
"$RNR_BIN" queue dead >"$WORK/dead.out" 2>&1 || fail "queue dead: $(cat "$WORK/dead.out")"
grep -q "hostile-ssrf: rdf 'http://169.254.169.254/latest/meta-data/' is on http://169.254.169.254:80, not on the NWS API origin http://127.0.0.1:" \
  "$WORK/dead.out" || { cat "$WORK/dead.out" >&2; fail "dead letter reason"; }
echo "ok: hostile rdf, lids and flows"
