#!/usr/bin/env bash
# redis_tls_server.sh - a throw-away TLS redis-server for the tests.
#   redis_tls_server.sh start DIR   make a CA, a server certificate for
#       "localhost" (DNS name only, so 127.0.0.1 is a wrong host name) and
#       a second, unrelated CA in DIR; start redis-server on a free
#       loopback port with TLS only (--port 0) and requirepass; wait until
#       it accepts connections. Leaves DIR/port, DIR/password, DIR/ca.pem,
#       DIR/other-ca.pem, DIR/redis.pid.
#   redis_tls_server.sh start DIR with-plain   the same, plus a plain TCP
#       port (DIR/plain_port) on the same server, for comparisons.
#   redis_tls_server.sh stop DIR    stop that server and wait until it is gone.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?directory}
with_plain=${3:-}

fail() { echo "redis_tls_server: $*" >&2; exit 1; }

make_certs() {
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -days 2 -subj /CN=rnr-test-ca -keyout "$dir/ca.key" \
    -out "$dir/ca.pem" >/dev/null 2>&1 || fail "openssl: cannot make the test CA"
  openssl req -x509 "${ec[@]}" -days 2 -subj /CN=rnr-other-ca -keyout "$dir/other-ca.key" \
    -out "$dir/other-ca.pem" >/dev/null 2>&1 || fail "openssl: cannot make the second CA"
  openssl req "${ec[@]}" -subj /CN=localhost -keyout "$dir/server.key" -out "$dir/server.csr" \
    >/dev/null 2>&1 || fail "openssl: cannot make the server key"
  printf 'subjectAltName=DNS:localhost\n' >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 2 -extfile "$dir/server.ext" -out "$dir/server.pem" \
    >/dev/null 2>&1 || fail "openssl: cannot sign the server certificate"
}

# A port nothing listens on (a start that still loses the race is retried).
pick_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  fail "no free port found"
}

# Wait (bounded) for the log to say it is ready; 0 ready, 1 failed to start.
wait_ready() {
  for _ in $(seq 1 100); do
    grep -q "Ready to accept connections" "$dir/redis.log" 2>/dev/null && return 0
    if [ -s "$dir/redis.pid" ] && ! kill -0 "$(cat "$dir/redis.pid")" 2>/dev/null; then return 1; fi
    grep -q "Failed listening\|Address already in use" "$dir/redis.log" 2>/dev/null && return 1
    sleep 0.1
  done
  return 1
}

start() {
  mkdir -p "$dir"
  command -v redis-server >/dev/null || fail "redis-server is not installed"
  make_certs
  # Special characters on purpose: the URL form must percent-encode them.
  printf '%s' 'tls-s3cret/pa:ss@word' >"$dir/password"
  for _ in 1 2 3 4 5; do
    local port plain=0; port=$(pick_port)
    [ "$with_plain" != with-plain ] || plain=$(pick_port)
    rm -f "$dir/redis.log" "$dir/redis.pid"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$plain" --tls-port "$port" \
      --tls-cert-file "$dir/server.pem" --tls-key-file "$dir/server.key" \
      --tls-ca-cert-file "$dir/ca.pem" --tls-auth-clients no \
      --requirepass "$(cat "$dir/password")" --save '' --appendonly no --dir "$dir" \
      --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null 2>&1 || true
    if wait_ready; then echo "$port" >"$dir/port"; echo "$plain" >"$dir/plain_port"; return 0; fi
    stop
  done
  cat "$dir/redis.log" >&2 2>/dev/null || true
  fail "redis-server with TLS did not start (see above)"
}

stop() {
  [ -s "$dir/redis.pid" ] || return 0
  local pid; pid=$(cat "$dir/redis.pid")
  kill "$pid" 2>/dev/null || { rm -f "$dir/redis.pid"; return 0; }
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/redis.pid"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) fail "usage: $0 start|stop DIR" ;;
esac
