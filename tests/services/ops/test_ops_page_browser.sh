#!/usr/bin/env bash
# test_ops_page_browser.sh - the operations page in a real browser, served
# by the pipeline itself: `rnr up --once --http --linger` runs one demo
# cycle on the sample data and keeps serving it. Headless Chromium loads /
# and the test checks that the page has no console errors, draws the
# demo's three routed reaches and its gauges, lists RNRA1, RNRB1 and RNRC1,
# shows a hydrograph and the health panel (queue, workers, last cycles),
# and that the browser requested nothing but rnr itself (Chromium's network
# log). Saves a screenshot (<build>/artifacts/ops_page.png). Also checks
# the JSON API's shapes and 404s directly, and that with RNR_MAP_TILES
# (`rnr serve` over the same state) the page fetches its basemap from a
# loopback tile server run here, and refuses a malformed template.
set -u
fail() { echo "FAIL: $*"; exit 1; }
RNR=${RNR_BIN:?}
SRC=${RNR_SOURCE_DIR:?}
BUILD=${RNR_BUILD_DIR:?}
CHROME=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROME" ] || fail "chromium is not installed (scripts/install-deps.sh installs it)"
tmp=$(mktemp -d /tmp/rnr_ops_page.XXXXXX)
fx=; up=; srv=; tiles=
cleanup() {
  for p in $srv $up $tiles $fx; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
# wait_file FILE: bounded wait for a file to be non-empty
wait_file() { for _ in $(seq 1 600); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }

"$BUILD/tools/fixture_server/rnr-fixture-server" --dir "$SRC/data/sample/nws" --port 0 --port-file "$tmp/fx.port" >/dev/null 2>&1 &
fx=$!
wait_file "$tmp/fx.port" || fail "fixture server did not start"
port=$(cat "$tmp/fx.port")
export NWS_API_URL=http://127.0.0.1:$port NWPS_API_URL=http://127.0.0.1:$port/nwps/v1 NWS_USER_AGENT="rnr-test"
unset RNR_MAP_TILES RNR_HTTP_LISTEN
RNR_LOG_LEVEL=warn "$RNR" up --once --linger --http 127.0.0.1:0 --port-file "$tmp/http.port" --workers 2 \
  --timeout 120 --postprocess-time 2026-03-15T00:00:00Z --state-dir "$tmp/state" \
  --hydrofabric "$SRC/data/sample/domain.gpkg" >"$tmp/up.txt" 2>"$tmp/up.log" &
up=$!
wait_file "$tmp/http.port" || { cat "$tmp/up.log"; fail "rnr up --http did not start serving"; }
base=http://127.0.0.1:$(cat "$tmp/http.port")
# the cycle is over when the summary is out (it is printed before lingering)
for _ in $(seq 1 1200); do grep -q '^result:' "$tmp/up.txt" && break; kill -0 "$up" 2>/dev/null || break; sleep 0.1; done
grep -q '^result: ok' "$tmp/up.txt" || { cat "$tmp/up.txt" "$tmp/up.log"; fail "rnr up --once did not succeed"; }

# The API, directly.
curl -fsS "$base/api/forecasts" >"$tmp/f.json" || fail "/api/forecasts"
for lid in RNRA1 RNRB1 RNRC1; do grep -q "\"lid\":\"$lid\"" "$tmp/f.json" || fail "/api/forecasts lacks $lid"; done
node -e '
const f = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).forecasts;
if (f.length !== 3) throw new Error("want 3 forecasts, got " + f.length);
for (const x of f) for (const k of ["lid","name","status","reference_time","peak_flow_m3s","peak_time","output_key"])
  if (x[k] === undefined || x[k] === "") throw new Error(x.lid + " lacks " + k);
' "$tmp/f.json" || fail "forecast summary fields"
curl -fsS "$base/api/forecasts/RNRB1" >"$tmp/b.json" || fail "/api/forecasts/RNRB1"
node -e '
const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const n = s.flow_origin_m3s.length;
if (!n || s.time.length !== n || s.flow_outlet_m3s.length !== n) throw new Error("routed series");
if (!s.rfc_forecast.length || !s.rfc_forecast.every((p) => /^2\d{3}-/.test(p.time) && p.flow_m3s >= 0)) throw new Error("RFC forecast");
if (!Array.isArray(s.observations)) throw new Error("observations");
if (!s.thresholds.some((t) => t.category === "moderate" && t.flow_m3s > 0)) throw new Error("thresholds");
' "$tmp/b.json" || fail "/api/forecasts/RNRB1 series"
code=$(curl -s -o "$tmp/404" -w '%{http_code}' "$base/api/forecasts/NOPE1"); [ "$code" = 404 ] || fail "unknown gauge: $code"
code=$(curl -s -o "$tmp/404" -w '%{http_code}' "$base/api/forecasts/..%2F..%2Fetc"); [ "$code" = 404 ] || fail "bad lid: $code"
code=$(curl -s -o "$tmp/404" -w '%{http_code}' "$base/nope"); [ "$code" = 404 ] || fail "/nope: $code"
grep -q '"error"' "$tmp/404" || fail "404 is not JSON"
curl -fsS "$base/api/inundation" | grep -q '"FeatureCollection"' || fail "/api/inundation"
curl -fsS "$base/api/config" | grep -q '"map_tiles":null' || fail "/api/config without RNR_MAP_TILES"
curl -fsS "$base/healthz" >/dev/null || fail "/healthz"
curl -fsS "$base/api/status" >"$tmp/status.json" || fail "/api/status"
node -e '
const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const want = (c, m) => { if (!c) throw new Error(m + ": " + JSON.stringify(s)); };
want(s.source === "rnr up" && s.mode === "once" && s.cycle === "done", "mode and cycle");
want(s.queue.ready === 0 && s.queue.in_flight === 0 && s.queue.dead === 0, "queue drained");
want(s.workers.running === 0 && s.workers.max === 2 && s.workers.restarts === 0, "workers");
want(/^2\d{3}-/.test(s.last_cycles.producer) && /^2\d{3}-/.test(s.last_cycles.postprocess), "last cycles");
want(!("autoscaler" in s.last_cycles), "no autoscaler in --once");
want(s.products.published === 3 && s.forecasts_routed === 3 && s.postprocess.rows > 0, "counts");
' "$tmp/status.json" || fail "/api/status"

# The page, in Chromium; its network log lists every request it made.
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --disable-default-apps --disable-extensions
       --user-data-dir="$tmp/chrome" --window-size=1280,1000)
timeout 90 "$CHROME" "${flags[@]}" --enable-logging=stderr --v=0 --virtual-time-budget=15000 \
  --log-net-log="$tmp/net.json" --dump-dom "$base/" >"$tmp/dom.html" 2>"$tmp/chrome.log" ||
  { tail -20 "$tmp/chrome.log"; fail "chromium --dump-dom"; }
if grep -E 'CONSOLE|Uncaught' "$tmp/chrome.log" | grep -vE 'Fontconfig|dbus' >"$tmp/console.txt" && [ -s "$tmp/console.txt" ]; then
  cat "$tmp/console.txt"; fail "console messages on the page"
fi
grep -q 'data-ready="1"' "$tmp/dom.html" || fail "the page did not finish loading its data"
grep -q 'data-reaches="3"' "$tmp/dom.html" || fail "the map does not show 3 routed reaches: $(grep -o 'data-reaches="[0-9]*"' "$tmp/dom.html")"
grep -q 'data-gauges="3"' "$tmp/dom.html" || fail "the map does not show the 3 gauges"
[ "$(grep -o 'class="reach"' "$tmp/dom.html" | wc -l)" -ge 3 ] || fail "fewer than 3 reach paths"
grep -q 'id="tiles"' "$tmp/dom.html" && fail "a basemap was drawn without RNR_MAP_TILES"
for lid in RNRA1 RNRB1 RNRC1; do grep -q "<tr data-lid=\"$lid\"" "$tmp/dom.html" || fail "table lacks $lid"; done
grep -q 'id="hydrosvg"[^>]*data-lid="RNR' "$tmp/dom.html" || grep -q 'data-lid="RNR[A-C]1"[^>]*id="hydrosvg"' "$tmp/dom.html" || fail "no hydrograph drawn"
grep -q 'id="hydronote"[^>]*>[^<]*RFC forecast' "$tmp/dom.html" || fail "the hydrograph lacks the RFC forecast"
# the health panel, from the supervisor
grep -q '<dd data-k="queue">0 ready, 0 in flight, 0 dead</dd>' "$tmp/dom.html" || fail "health panel: queue"
grep -q '<dd data-k="workers">0 running of 0, 0 restarts</dd>' "$tmp/dom.html" || fail "health panel: workers"
for job in producer postprocess; do
  grep -q "<dd data-k=\"last-$job\">2[0-9-]* [0-9:]* UTC</dd>" "$tmp/dom.html" || fail "health panel: last $job cycle"
done
grep -q '<dd data-k="routed">3</dd>' "$tmp/dom.html" || fail "health panel: forecasts routed"
# nothing but rnr: every request the page made (those keyed to its site in
# the network log; Chromium's own update and account checks are not) went
# to the page's server
[ -s "$tmp/net.json" ] || fail "chromium wrote no network log"
node -e '
const fs = require("fs"), [file, base] = process.argv.slice(1);
let raw = fs.readFileSync(file, "utf8").trimEnd();
let log; try { log = JSON.parse(raw); } catch (e) { log = JSON.parse(raw.replace(/,$/, "") + "]}"); }
const start = log.constants.logEventTypes.URL_REQUEST_START_JOB, site = new URL(base);
const page = log.events.filter((e) => e.type === start && e.params && e.params.url &&
  String(e.params.network_isolation_key || "").startsWith(site.protocol + "//" + site.hostname));
if (!page.some((e) => e.params.url === base + "/api/forecasts")) throw new Error("the page'"'"'s requests are not in the log");
const ext = page.map((e) => e.params.url).filter((u) => !u.startsWith(base + "/"));
if (ext.length) throw new Error("requests outside rnr: " + ext.join(" "));
' "$tmp/net.json" "$base" || fail "network log"

mkdir -p "$BUILD/artifacts"
timeout 90 "$CHROME" "${flags[@]}" --virtual-time-budget=15000 --hide-scrollbars \
  --screenshot="$BUILD/artifacts/ops_page.png" "$base/" >/dev/null 2>&1 || fail "screenshot"
[ "$(stat -c %s "$BUILD/artifacts/ops_page.png")" -gt 20000 ] || fail "screenshot is too small to show anything"

# SIGTERM ends the lingering up with the cycle's status.
kill -TERM "$up"; rc=0; wait "$up" || rc=$?; up=
[ "$rc" = 0 ] || { cat "$tmp/up.log"; fail "rnr up --linger exited $rc on SIGTERM"; }

# A basemap: a loopback tile server that logs what it is asked for and
# answers a 1x1 PNG.
node -e '
const fs = require("fs"), http = require("http");
const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkaPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
const srv = http.createServer((req, res) => {
  fs.appendFileSync(process.argv[1], req.url + "\n");
  res.writeHead(200, { "Content-Type": "image/png", "Content-Length": png.length }); res.end(png);
});
srv.listen(0, "127.0.0.1", () => fs.writeFileSync(process.argv[2], String(srv.address().port)));
' "$tmp/tiles.log" "$tmp/tiles.port" &
tiles=$!
wait_file "$tmp/tiles.port" || fail "tile server did not start"
tpl="http://127.0.0.1:$(cat "$tmp/tiles.port")/tiles/{z}/{x}/{y}.png"
if out=$(RNR_MAP_TILES='javascript:{z}{x}{y}' "$RNR" serve --http 127.0.0.1:0 --state-dir "$tmp/state" 2>&1); then
  fail "rnr serve accepted a javascript: tile template"
fi
echo "$out" | grep -q "RNR_MAP_TILES 'javascript:" || fail "no clear error for a bad RNR_MAP_TILES: $out"
RNR_MAP_TILES="$tpl" "$RNR" serve --http 127.0.0.1:0 --port-file "$tmp/serve.port" --state-dir "$tmp/state" >"$tmp/serve.log" 2>&1 &
srv=$!
wait_file "$tmp/serve.port" || { cat "$tmp/serve.log"; fail "rnr serve did not start"; }
sbase=http://127.0.0.1:$(cat "$tmp/serve.port")
curl -fsS "$sbase/api/config" | grep -qF "\"map_tiles\":\"$tpl\"" || fail "/api/config lacks the template"
timeout 90 "$CHROME" "${flags[@]}" --enable-logging=stderr --v=0 --virtual-time-budget=15000 \
  --dump-dom "$sbase/" >"$tmp/dom2.html" 2>"$tmp/chrome2.log" || fail "chromium with tiles"
if grep -E 'CONSOLE|Uncaught' "$tmp/chrome2.log" | grep -vE 'Fontconfig|dbus' >"$tmp/console2.txt" && [ -s "$tmp/console2.txt" ]; then
  cat "$tmp/console2.txt"; fail "console messages on the page with tiles"
fi
grep -q 'data-reaches="3"' "$tmp/dom2.html" || fail "with tiles: the map lost its reaches"
grep -q 'id="tiles"' "$tmp/dom2.html" || fail "with tiles: no basemap layer"
grep -qE '^/tiles/[0-9]+/[0-9]+/[0-9]+\.png$' "$tmp/tiles.log" 2>/dev/null || fail "the page requested no tile from the tile server"
echo "ok: page, API and health checked against rnr up; $(sort -u "$tmp/tiles.log" | wc -l) tiles fetched with RNR_MAP_TILES; screenshot $BUILD/artifacts/ops_page.png"
