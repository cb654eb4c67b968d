#!/usr/bin/env bash
# test_ops_page_browser.sh - the operations page in a real browser: run one
# demo cycle (rnr up --once on the sample data), serve it with rnr serve,
# load / in headless Chromium, and check that the page has no console
# errors, draws the demo's three routed reaches and its gauges, lists
# RNRA1, RNRB1 and RNRC1, and shows a hydrograph. Saves a screenshot
# (<build>/artifacts/ops_page.png). Also checks the JSON API's shapes and
# its 404s directly.
set -u
fail() { echo "FAIL: $*"; exit 1; }
RNR=${RNR_BIN:?}
SRC=${RNR_SOURCE_DIR:?}
BUILD=${RNR_BUILD_DIR:?}
CHROME=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROME" ] || fail "chromium is not installed (scripts/install-deps.sh installs it)"
tmp=$(mktemp -d /tmp/rnr_ops_page.XXXXXX)
fx=; srv=
cleanup() {
  for p in $srv $fx; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

"$BUILD/tools/fixture_server/rnr-fixture-server" --dir "$SRC/data/sample/nws" --port 0 --port-file "$tmp/fx.port" >/dev/null 2>&1 &
fx=$!
for _ in $(seq 1 200); do [ -s "$tmp/fx.port" ] && break; sleep 0.05; done
[ -s "$tmp/fx.port" ] || fail "fixture server did not start"
port=$(cat "$tmp/fx.port")
export NWS_API_URL=http://127.0.0.1:$port NWPS_API_URL=http://127.0.0.1:$port/nwps/v1 NWS_USER_AGENT="rnr-test"
RNR_LOG_LEVEL=warn "$RNR" up --once --workers 2 --timeout 120 --postprocess-time 2026-03-15T00:00:00Z \
  --state-dir "$tmp/state" --hydrofabric "$SRC/data/sample/domain.gpkg" >"$tmp/up.txt" 2>&1 || { cat "$tmp/up.txt"; fail "rnr up --once"; }

"$RNR" serve --http 127.0.0.1:0 --port-file "$tmp/http.port" --state-dir "$tmp/state" >"$tmp/serve.log" 2>&1 &
srv=$!
for _ in $(seq 1 200); do [ -s "$tmp/http.port" ] && break; sleep 0.05; done
[ -s "$tmp/http.port" ] || { cat "$tmp/serve.log"; fail "rnr serve did not start"; }
base=http://127.0.0.1:$(cat "$tmp/http.port")

# The API, directly.
curl -fsS "$base/api/forecasts" >"$tmp/f.json" || fail "/api/forecasts"
for lid in RNRA1 RNRB1 RNRC1; do grep -q "\"lid\":\"$lid\"" "$tmp/f.json" || fail "/api/forecasts lacks $lid"; done
node -e '
const f = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).forecasts;
if (f.length !== 3) throw new Error("want 3 forecasts, got " + f.length);
for (const x of f) for (const k of ["lid","name","status","reference_time","peak_flow_m3s","peak_time","output_key"])
  if (x[k] === undefined || x[k] === "") throw new Error(x.lid + " lacks " + k);
' "$tmp/f.json" || fail "forecast summary fields"
curl -fsS "$base/api/forecasts/RNRB1" | grep -q '"flow_origin_m3s":\[' || fail "/api/forecasts/RNRB1 series"
code=$(curl -s -o "$tmp/404" -w '%{http_code}' "$base/api/forecasts/NOPE1"); [ "$code" = 404 ] || fail "unknown gauge: $code"
code=$(curl -s -o "$tmp/404" -w '%{http_code}' "$base/api/forecasts/..%2F..%2Fetc"); [ "$code" = 404 ] || fail "bad lid: $code"
code=$(curl -s -o "$tmp/404" -w '%{http_code}' "$base/nope"); [ "$code" = 404 ] || fail "/nope: $code"
grep -q '"error"' "$tmp/404" || fail "404 is not JSON"
curl -fsS "$base/api/inundation" | grep -q '"FeatureCollection"' || fail "/api/inundation"
curl -fsS "$base/metrics" | grep -q '^rnr_queue_ready ' || fail "/metrics has no queue gauge"
curl -fsS "$base/healthz" >/dev/null || fail "/healthz"

# The page, in Chromium.
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$tmp/chrome" --window-size=1280,1000)
timeout 90 "$CHROME" "${flags[@]}" --enable-logging=stderr --v=0 --virtual-time-budget=15000 \
  --dump-dom "$base/" >"$tmp/dom.html" 2>"$tmp/chrome.log" || { tail -20 "$tmp/chrome.log"; fail "chromium --dump-dom"; }
if grep -E 'CONSOLE|Uncaught' "$tmp/chrome.log" | grep -vE 'Fontconfig|dbus' >"$tmp/console.txt" && [ -s "$tmp/console.txt" ]; then
  cat "$tmp/console.txt"; fail "console messages on the page"
fi
grep -q 'data-ready="1"' "$tmp/dom.html" || fail "the page did not finish loading its data"
grep -q 'data-reaches="3"' "$tmp/dom.html" || fail "the map does not show 3 routed reaches: $(grep -o 'data-reaches="[0-9]*"' "$tmp/dom.html")"
grep -q 'data-gauges="3"' "$tmp/dom.html" || fail "the map does not show the 3 gauges"
[ "$(grep -o 'class="reach"' "$tmp/dom.html" | wc -l)" -ge 3 ] || fail "fewer than 3 reach paths"
for lid in RNRA1 RNRB1 RNRC1; do grep -q "<tr data-lid=\"$lid\"" "$tmp/dom.html" || fail "table lacks $lid"; done
grep -q 'id="hydrosvg"[^>]*data-lid="RNR' "$tmp/dom.html" || grep -q 'data-lid="RNR[A-C]1"[^>]*id="hydrosvg"' "$tmp/dom.html" || fail "no hydrograph drawn"

mkdir -p "$BUILD/artifacts"
timeout 90 "$CHROME" "${flags[@]}" --virtual-time-budget=15000 --hide-scrollbars \
  --screenshot="$BUILD/artifacts/ops_page.png" "$base/" >/dev/null 2>&1 || fail "screenshot"
[ "$(stat -c %s "$BUILD/artifacts/ops_page.png")" -gt 20000 ] || fail "screenshot is too small to show anything"
echo "ok: page and API checked; screenshot $BUILD/artifacts/ops_page.png"
