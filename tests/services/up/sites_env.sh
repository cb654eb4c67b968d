# sites_env.sh - sourced by test_up_sites*.sh: one product of 14 flooding
# sites (tests/services/up/gen_sites.py) whose site S07 answers 503 on its gauge
# until the fault is cleared. Runs the scenario on the queue the caller
# set in RNR_QUEUE_URL (embedded SQLite or RabbitMQ):
#  1. one cycle: the 13 good sites are routed and stored exactly once, S07
#     is retried by itself (follow-up messages, backoff) and then becomes
#     its own dead letter naming the product, the lid and the reason;
#  2. `rnr queue dead` lists it; the fault is cleared; `rnr queue replay`
#     puts it back and the next cycle routes S07 alone.
. "$(dirname "$0")/up_env.sh"
FIXTURE_DIR="$WORK/nws"
PID14=$(python3 "$RNR_SOURCE_DIR/tests/services/up/gen_sites.py" "$RNR_SOURCE_DIR/data/sample/nws" "$FIXTURE_DIR" 14)
fixture_start
fault '{"path": "/nwps/v1/gauges/S07", "status": 503}'
export RNR_MAX_DELIVERIES=3 RNR_RETRY_BACKOFF_MS=50 RNR_HTTP_ATTEMPTS=1 RNR_HTTP_RATE=0

sites_scenario() {
  up_once one --workers 1
  [ "$RC" -eq 1 ] || { cat "$WORK/one.out" "$WORK/one.err" >&2; fail "a dead site should fail the cycle (exit $RC)"; }
  expect_summary one "products published" 1
  expect_summary one "sites seen" 14
  expect_summary one "sites routed" 13
  expect_summary one "outputs written" 13
  expect_summary one "sites deferred" 1
  expect_summary one "sites retried" 2
  expect_summary one "sites dead" 1
  expect_summary one "dead letters (this run)" 1
  expect_summary one "messages retried" 0
  # every good site stored exactly once, and the product never redelivered
  local l n
  for l in S01 S02 S03 S04 S05 S06 S08 S09 S10 S11 S12 S13 S14; do
    n=$(grep -c "stored lid=$l key=.*\.nc" "$WORK/one.err" || true)
    [ "$n" -eq 1 ] || fail "$l stored $n times"
  done
  grep -q "stored lid=S07" "$WORK/one.err" && fail "S07 stored although its gauge failed"
  grep -q "message id=$PID14 delivery=2" "$WORK/one.err" && fail "the product was redelivered"
  # S07 tried three times (once in the product, twice alone), no more
  [ "$(grep -c "^GET /nwps/v1/gauges/S07 503" "$WORK/fixture.log")" -eq 3 ] || fail "S07 attempts: $(grep -c "S07 503" "$WORK/fixture.log")"
  grep -q "dead: $PID14: product $PID14 site S07: failed 3 times: .*503" "$WORK/one.out" ||
    { cat "$WORK/one.out" >&2; fail "summary does not name the dead site"; }

  "$RNR_BIN" queue dead >"$WORK/dead.out" 2>"$WORK/dead.err" || { cat "$WORK/dead.err" >&2; fail "queue dead"; }
  grep -q "site.*reason=product $PID14 site S07: failed 3 times" "$WORK/dead.out" || { cat "$WORK/dead.out" >&2; fail "queue dead does not list S07"; }
  grep -q "^1 dead letter(s)" "$WORK/dead.out" || fail "one dead letter expected: $(cat "$WORK/dead.out")"

  curl -sf -X DELETE "$BASE/_fault" >/dev/null || fail "could not clear the fault"
  "$RNR_BIN" queue replay all >"$WORK/replay.out" 2>&1 || { cat "$WORK/replay.out" >&2; fail "replay"; }
  grep -q "replayed 1 dead letter(s)" "$WORK/replay.out" || fail "replay: $(cat "$WORK/replay.out")"
  up_once two --workers 1
  [ "$RC" -eq 0 ] || { cat "$WORK/two.out" "$WORK/two.err" >&2; fail "second cycle exit $RC"; }
  expect_summary two "products new" 0
  expect_summary two "sites routed" 1
  expect_summary two "outputs written" 1
  expect_summary two "dead letters (total)" 0
  [ "$(grep -c "stored lid=S07 key=.*\.nc" "$WORK/two.err")" -eq 1 ] || fail "S07 not routed after the replay"
  [ "$(nc_keys | grep -c .)" -eq 14 ] || { nc_keys >&2; fail "14 outputs expected"; }
}
