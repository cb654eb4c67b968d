#!/usr/bin/env bash
# test_main_flags_json.sh - one flag name for one thing across commands
# (--queue-url, --store-url, --cache-url; the old --queue, --store, --cache
# still work), and --json on `queue depth|dead|replay`, `route` (forecast
# and general mode) and `up --once`, each parsed with python's json.
. "$(dirname "$0")/../services/up/up_env.sh"
REF=${RNR_REFERENCE_DIR:?}
unset RNR_QUEUE_URL RNR_CACHE_URL RNR_STORE_URL RABBITMQ_ENDPOINT REDIS_HOST APP_BUCKET_NAME
export RNR_LOG_LEVEL=warn
jget() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {"d": d}))' "$1"; }

# the canonical names and their aliases reach the same setting
Q="sqlite://$WORK/q/queue.db"
mkdir -p "$WORK/q"
"$RNR_BIN" queue --queue-url "$Q" depth --json >"$WORK/d1" || fail "queue --queue-url depth --json"
"$RNR_BIN" queue --queue "$Q" depth --json >"$WORK/d2" || fail "queue --queue depth --json"
cmp -s "$WORK/d1" "$WORK/d2" || fail "--queue and --queue-url differ"
[ "$(jget 'len(d["queues"])' <"$WORK/d1")" = 2 ] || fail "depth: $(cat "$WORK/d1")"
[ "$(jget 'd["queues"][0]["queue"]' <"$WORK/d1")" = hml_files ] || fail "depth: $(cat "$WORK/d1")"
[ "$(jget 'd["queues"][1]["ready"]' <"$WORK/d1")" = 0 ] || fail "depth: $(cat "$WORK/d1")"
"$RNR_BIN" queue depth --queue-url "$Q" >"$WORK/d3" || fail "flags after the subcommand"
grep -q '^queue hml_files ready=0 unacked=0 dead=0$' "$WORK/d3" || fail "text depth: $(cat "$WORK/d3")"
"$RNR_BIN" queue dead --json --queue-url "$Q" >"$WORK/dead" || fail "queue dead --json"
[ "$(jget 'd["count"], len(d["dead_letters"])' <"$WORK/dead")" = "(0, 0)" ] || fail "dead: $(cat "$WORK/dead")"
"$RNR_BIN" queue --queue-url "$Q" replay all --json >"$WORK/rp" || fail "replay --json"
[ "$(jget 'd["replayed"]' <"$WORK/rp")" = 0 ] || fail "replay: $(cat "$WORK/rp")"
rc=0; "$RNR_BIN" queue --queue-url 2>"$WORK/err" || rc=$?
[ "$rc" = 2 ] && grep -q -- "--queue-url needs a URL" "$WORK/err" || fail "missing URL: $rc $(cat "$WORK/err")"
for cmd in worker producer postprocess autoscaler; do
  rc=0; "$RNR_BIN" $cmd --bogus-flag 2>"$WORK/err" || rc=$?
  [ "$rc" = 2 ] && grep -q 'unknown argument "--bogus-flag"' "$WORK/err" || fail "$cmd: $rc $(cat "$WORK/err")"
  "$RNR_BIN" $cmd --help >"$WORK/help" || fail "$cmd --help"
  grep -Eq -- '--(queue|store|cache) URL' "$WORK/help" && fail "$cmd --help still names the old flag"
done
# the worker takes the queue and store by either name (empty queue: exit 0)
for qf in --queue-url --queue; do
  for sf in --store-url --store; do
    "$RNR_BIN" worker --once --idle-exit 0 --state-dir "$WORK/w" "$qf" "$Q" "$sf" "file://$WORK/st" \
      --hydrofabric "$DOMAIN" --stats-file "$WORK/ws.json" 2>"$WORK/err" || fail "worker $qf $sf: $(cat "$WORK/err")"
  done
done
[ -f "$WORK/q/queue.db" ] && [ ! -f "$WORK/w/queue.db" ] || fail "the worker did not use the queue it was given"

# route: the summary as JSON, in both modes
"$RNR_BIN" route --hydrofabric "$REF/rnr-hpdt2/HPDT2.gpkg" --forecast "$REF/rnr-hpdt2/HPDT2.json" \
  --out "$WORK/r" --plot --json >"$WORK/route.json" 2>"$WORK/err" || fail "route --json: $(cat "$WORK/err")"
[ "$(jget 'd["lid"], d["segments"], d["times"]' <"$WORK/route.json")" = "('HPDT2', 50, 117)" ] ||
  fail "route --json: $(cat "$WORK/route.json")"
[ "$(jget '[o["content_type"] for o in d["outputs"]]' <"$WORK/route.json")" = \
  "['application/x-netcdf', 'image/svg+xml']" ] || fail "route outputs: $(cat "$WORK/route.json")"
for p in $(jget '" ".join(o["path"] for o in d["outputs"])' <"$WORK/route.json"); do
  [ -s "$p" ] || fail "route --json names $p, which is not there"
done
[ "$(jget 'd["peak_outlet"]["flow"] > 0' <"$WORK/route.json")" = True ] || fail "peak: $(cat "$WORK/route.json")"
printf 'step,id,qlat\n1,wb-53,5.0\n' >"$WORK/q.csv"
"$RNR_BIN" route --hydrofabric "$DOMAIN" --qlat "$WORK/q.csv" --nts 24 --out "$WORK/g" --json \
  >"$WORK/general.json" 2>"$WORK/err" || fail "route --qlat --json: $(cat "$WORK/err")"
[ "$(jget 'd["steps"], d["qlat_rows"], len(d["outputs"])' <"$WORK/general.json")" = "(24, 1, 1)" ] ||
  fail "general --json: $(cat "$WORK/general.json")"

# up --once: the summary as JSON
fixture_start
up_once json --workers 1 --json
[ "$RC" -eq 0 ] || { cat "$WORK/json.out" "$WORK/json.err" >&2; fail "up --once --json exit $RC"; }
[ "$(grep -c . "$WORK/json.out")" = 1 ] || fail "up --json: more than one line: $(cat "$WORK/json.out")"
got=$(jget '(d["ok"], d["products"]["published"], d["sites"]["routed"], d["outputs_written"],
  d["sites"]["skipped_by_reason"]["not_flooding"], d["dead_letters"]["this_run"])' <"$WORK/json.out")
[ "$got" = "(True, 3, 3, 3, 1, 0)" ] || fail "up --json: $got: $(cat "$WORK/json.out")"
echo "ok: canonical flags with aliases; --json on queue, route and up --once"
