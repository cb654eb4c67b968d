#!/usr/bin/env bash
# A full disk is reported as a full disk: the worker's work directories
# live on a tiny tmpfs (the state directory) that is filled up; the queue,
# cache and store live elsewhere. Each site's NetCDF write fails with
# "disk full" (not netCDF's "Permission denied"), the site is retried
# alone and dead-lettered with that reason; once there is room again the
# replayed dead letters are routed. Needs root (mount); skipped otherwise.
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root to mount a tmpfs"; exit 77; }
. "$(dirname "$0")/up_env.sh"
mnt="$WORK/tiny"
mkdir -p "$mnt" "$WORK/data"
mount -t tmpfs -o size=512k tmpfs "$mnt" || { echo "skipped: cannot mount a tmpfs"; exit 77; }
trap 'umount "$mnt" 2>/dev/null; up_cleanup' EXIT
fixture_start
export RNR_STATE_DIR="$mnt" RNR_QUEUE_URL="sqlite://$WORK/data/queue.db" \
       RNR_CACHE_URL="sqlite://$WORK/data/cache.db" RNR_STORE_URL="file://$WORK/data/store" \
       RNR_MAX_DELIVERIES=2 RNR_RETRY_BACKOFF_MS=50 RNR_HTTP_RATE=0
"$RNR_BIN" producer >"$WORK/producer.out" 2>&1 || { cat "$WORK/producer.out" >&2; fail "producer"; }
dd if=/dev/zero of="$mnt/filler" bs=4k >/dev/null 2>&1 || true
RC=0
timeout 60 "$RNR_BIN" worker --once --stats-file "$WORK/full.json" >/dev/null 2>"$WORK/full.err" || RC=$?
[ "$RC" -eq 0 ] || { cat "$WORK/full.err" >&2; fail "worker exit $RC"; }
grep -q "disk full: no space left on the device" "$WORK/full.err" || { cat "$WORK/full.err" >&2; fail "no 'disk full' in the log"; }
grep -v "disk full" "$WORK/full.err" | grep -q "Permission denied" && fail "a full disk reported as a permission problem"
grep -q '"routed": 0' "$WORK/full.json" || fail "nothing can be routed on a full disk: $(cat "$WORK/full.json")"
grep -q '"sites_dead": 3' "$WORK/full.json" || fail "3 dead sites expected: $(cat "$WORK/full.json")"
"$RNR_BIN" queue dead >"$WORK/dead.out" 2>&1
[ "$(grep -c "site RNR[ABC]1: failed 2 times: .*disk full" "$WORK/dead.out")" -eq 3 ] || { cat "$WORK/dead.out" >&2; fail "the 3 dead sites should say disk full"; }
rm -f "$mnt/filler"
"$RNR_BIN" queue replay all >/dev/null || fail "replay"
timeout 60 "$RNR_BIN" worker --once --stats-file "$WORK/room.json" >/dev/null 2>"$WORK/room.err" || fail "worker with room"
grep -q '"routed": 3' "$WORK/room.json" || { cat "$WORK/room.err" >&2; fail "with room again: $(cat "$WORK/room.json")"; }
echo "ok: a full disk is named, its sites retried and replayed"
