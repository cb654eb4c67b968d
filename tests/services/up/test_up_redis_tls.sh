#!/usr/bin/env bash
# rnr up --once with the dedup cache on a TLS redis-server that wants AUTH
# (started here: tests/adapters/redis/redis_tls_server.sh): the cycle routes the
# three sample gauges and a second cycle finds every product in Redis.
# With a wrong CA, a wrong host name or a wrong password the producer
# publishes nothing and `rnr up --once` exits non-zero with a one-line
# error that never shows the password.
. "$(dirname "$0")/up_env.sh"
TLS="$WORK/redis-tls"
tls_cleanup() { bash "$RNR_SOURCE_DIR/tests/adapters/redis/redis_tls_server.sh" stop "$TLS" || true; up_cleanup; }
trap tls_cleanup EXIT
bash "$RNR_SOURCE_DIR/tests/adapters/redis/redis_tls_server.sh" start "$TLS" || fail "TLS redis did not start"
RPORT=$(cat "$TLS/port")
PW=$(cat "$TLS/password")
# the password percent-encoded for the URL
PW_URL=$(printf '%s' "$PW" | sed 's/%/%25/g; s|/|%2F|g; s/:/%3A/g; s/@/%40/g')
fixture_start
unset REDIS_HOST REDIS_PORT REDIS_TLS REDIS_PASSWORD REDIS_SECRET_ARN RNR_QUEUE_URL RNR_STORE_URL

rcli() { redis-cli --tls --cacert "$TLS/ca.pem" -h localhost -p "$RPORT" --no-auth-warning -a "$PW" "$@"; }

# A failing cycle: non-zero exit, the expected one-line error, nothing
# published, nothing stored, the password nowhere in the output.
expect_refused() {
  local tag=$1 want=$2; shift 2
  local before; before=$(rcli DBSIZE)
  RNR_STATE_DIR="$WORK/state-$tag" up_once "$tag" --workers 1 "$@"
  [ "$RC" -ne 0 ] || { cat "$WORK/$tag.out" "$WORK/$tag.err" >&2; fail "$tag: exit 0"; }
  grep -q "$want" "$WORK/$tag.err" "$WORK/$tag.out" ||
    { cat "$WORK/$tag.out" "$WORK/$tag.err" >&2; fail "$tag: no '$want' error"; }
  [ "$(grep -h "$want" "$WORK/$tag.err" "$WORK/$tag.out" | head -1 | wc -l)" -eq 1 ] || fail "$tag: error not one line"
  ! grep -qF "s3cret" "$WORK/$tag.err" "$WORK/$tag.out" || fail "$tag: the password was printed"
  local pub; pub=$(summary "$tag" "products published")
  [ -z "$pub" ] || [ "$pub" = 0 ] || fail "$tag: published $pub products"
  [ -z "$(find "$WORK/state-$tag/store" -name '*.nc' 2>/dev/null | head -1)" ] || fail "$tag: outputs written"
  [ "$(rcli DBSIZE)" = "$before" ] || fail "$tag: the cache changed"
  echo "ok: $tag refused: $(grep -h "$want" "$WORK/$tag.err" "$WORK/$tag.out" | head -1)"
}

export RNR_CACHE_URL="rediss://:$PW_URL@localhost:$RPORT/0"
export RNR_REDIS_CACERT="$TLS/ca.pem"
[ "$(rcli DBSIZE)" = 0 ] || fail "the TLS redis is not empty"

# 1. wrong CA, wrong host name, wrong password: nothing goes out
RNR_REDIS_CACERT="$TLS/other-ca.pem" expect_refused wrong-ca "certificate verify failed"
RNR_CACHE_URL="rediss://:$PW_URL@127.0.0.1:$RPORT/0" expect_refused wrong-host "IP address mismatch"
RNR_CACHE_URL="rediss://localhost:$RPORT/0" REDIS_PASSWORD=not-the-s3cret expect_refused wrong-pw "WRONGPASS"

# 2. the real thing: routes, stores, and the dedup keys are in the TLS redis
up_once first --workers 2
[ "$RC" -eq 0 ] || { cat "$WORK/first.out" "$WORK/first.err" >&2; fail "first cycle exit $RC"; }
expect_summary first "products new" 3
expect_summary first "products published" 3
expect_summary first "outputs written" 3
[ "$(nc_keys)" = "$EXPECTED_NC" ] || { nc_keys >&2; fail "stored NetCDF files differ"; }
# 3 dedup keys, and the workers' site ledger: one entry per site of the
# three products (8 sites)
[ "$(rcli DBSIZE)" = 11 ] || fail "the TLS redis holds $(rcli DBSIZE) keys, expected 3 + 8"
[ "$(rcli --scan --pattern 'rnr:site:*' | grep -c .)" = 8 ] || fail "expected 8 site ledger entries"
ttl=$(rcli TTL "$(rcli --scan | head -1)")
[ "$ttl" -gt 600000 ] || fail "dedup key TTL $ttl"

# 3. second cycle, password from REDIS_PASSWORD this time: all known
RNR_CACHE_URL="rediss://localhost:$RPORT/0" REDIS_PASSWORD="$PW" up_once second --workers 1
[ "$RC" -eq 0 ] || { cat "$WORK/second.out" "$WORK/second.err" >&2; fail "second cycle exit $RC"; }
expect_summary second "products seen" 3
expect_summary second "products new" 0
expect_summary second "products published" 0
echo "ok: rnr up --once over rediss:// with AUTH; wrong CA/host/password refused"
