#!/usr/bin/env bash
# Start or stop the real servers the integration tests use: RabbitMQ, Redis
# and s3rver, each on 127.0.0.1 with a private data directory under $1.
#   scripts/services.sh start DIR   -> writes DIR/env (source it for the URLs)
#   scripts/services.sh stop DIR
# Ports can be moved with RNR_AMQP_PORT, RNR_MGMT_PORT, RNR_DIST_PORT,
# RNR_REDIS_PORT, RNR_S3_PORT; RNR_EPMD_PORT gives RabbitMQ a private epmd
# (default: the machine's shared one on 4369).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:?usage: services.sh start|stop DIR}
dir=${2:?usage: services.sh start|stop DIR}
AMQP_PORT=${RNR_AMQP_PORT:-5682}
MGMT_PORT=${RNR_MGMT_PORT:-15682}
DIST_PORT=${RNR_DIST_PORT:-25682}
REDIS_PORT=${RNR_REDIS_PORT:-6389}
S3_PORT=${RNR_S3_PORT:-4578}
EPMD_PORT=${RNR_EPMD_PORT:-4369}
# The ports chosen at start are kept with the data, so later commands on the
# same DIR (stop, restarts) find the same servers whatever the environment.
if [ "$cmd" != start ] && [ -f "$dir/ports" ]; then
  # shellcheck disable=SC1091
  source "$dir/ports"
fi

port_busy() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }

rabbit_env() {
  export HOME=$dir/rabbit/home RABBITMQ_NODENAME=rnrtest$AMQP_PORT@localhost \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$AMQP_PORT RABBITMQ_DIST_PORT=$DIST_PORT \
    RABBITMQ_MNESIA_BASE=$dir/rabbit/mnesia RABBITMQ_LOG_BASE=$dir/rabbit/log \
    RABBITMQ_CONFIG_FILE=$dir/rabbit/rabbitmq.conf RABBITMQ_ADVANCED_CONFIG_FILE=$dir/rabbit/advanced.config \
    RABBITMQ_ENABLED_PLUGINS_FILE=$dir/rabbit/enabled_plugins RABBITMQ_CONF_ENV_FILE=$dir/rabbit/rabbitmq-env.conf \
    RABBITMQ_PID_FILE=$dir/rabbit/rabbit.pid ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=$EPMD_PORT \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    PATH=/usr/lib/rabbitmq/bin:$PATH
}

start_rabbit() {
  port_busy "$AMQP_PORT" && { echo "services: port $AMQP_PORT is taken; set RNR_AMQP_PORT" >&2; return 1; }
  local R=$dir/rabbit
  mkdir -p "$R/home" "$R/mnesia" "$R/log"
  cat > "$R/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$AMQP_PORT
management.tcp.ip   = 127.0.0.1
management.tcp.port = $MGMT_PORT
collect_statistics_interval = 1000
CONF
  echo '[{rabbit, [{quorum_tick_interval, 1000}]}].' > "$R/advanced.config"
  echo '[rabbitmq_management].' > "$R/enabled_plugins"
  : > "$R/rabbitmq-env.conf"
  ( rabbit_env; rm -f "$R/rabbit.pid"
    setsid nohup rabbitmq-server > "$R/log/console.out" 2>&1 < /dev/null & )
}

wait_rabbit() {
  ( rabbit_env; timeout 150 rabbitmqctl -q wait "$dir/rabbit/rabbit.pid" --timeout 150 ) ||
    { echo "services: RabbitMQ did not start; see $dir/rabbit/log" >&2; return 1; }
}

start_redis() {
  port_busy "$REDIS_PORT" && { echo "services: port $REDIS_PORT is taken; set RNR_REDIS_PORT" >&2; return 1; }
  mkdir -p "$dir/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$dir/redis" --daemonize yes \
    --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" >/dev/null
  for _ in $(seq 1 100); do
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  echo "services: Redis did not start; see $dir/redis/redis.log" >&2; return 1
}

start_s3() {
  port_busy "$S3_PORT" && { echo "services: port $S3_PORT is taken; set RNR_S3_PORT" >&2; return 1; }
  mkdir -p "$dir/s3/data"
  NODE_OPTIONS=--openssl-legacy-provider setsid nohup node "$here/node_modules/s3rver/bin/s3rver.js" \
    -d "$dir/s3/data" -a 127.0.0.1 -p "$S3_PORT" -s --configure-bucket rnr-test \
    > "$dir/s3/s3rver.log" 2>&1 < /dev/null &
  echo $! > "$dir/s3/s3rver.pid"
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "http://127.0.0.1:$S3_PORT/" && return 0
    sleep 0.1
  done
  echo "services: s3rver did not start; see $dir/s3/s3rver.log" >&2; return 1
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    printf 'AMQP_PORT=%s\nMGMT_PORT=%s\nDIST_PORT=%s\nREDIS_PORT=%s\nS3_PORT=%s\nEPMD_PORT=%s\n' \
      "$AMQP_PORT" "$MGMT_PORT" "$DIST_PORT" "$REDIS_PORT" "$S3_PORT" "$EPMD_PORT" > "$dir/ports"
    start_rabbit
    start_redis
    start_s3
    wait_rabbit
    cat > "$dir/env" <<ENV
export RNR_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:$AMQP_PORT/%2f
export RNR_TEST_AMQP_MGMT_URL=http://127.0.0.1:$MGMT_PORT
export RNR_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
export RNR_TEST_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export RNR_TEST_S3_BUCKET=rnr-test
export RNR_TEST_SERVICES_DIR=$dir
export RNR_TEST_SERVICES_SCRIPT=$here/scripts/services.sh
ENV
    echo "services: RabbitMQ :$AMQP_PORT (mgmt :$MGMT_PORT), Redis :$REDIS_PORT, s3rver :$S3_PORT"
    ;;
  stop)
    [ -f "$dir/s3/s3rver.pid" ] && kill "$(cat "$dir/s3/s3rver.pid")" 2>/dev/null || true
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    if [ -f "$dir/rabbit/rabbit.pid" ]; then
      kill -KILL "$(cat "$dir/rabbit/rabbit.pid")" 2>/dev/null || true
    fi
    # epmd is shared by every Erlang node of the machine: stop it only
    # when ours was the last node registered.
    sleep 0.5
    ( rabbit_env; epmd -names 2>/dev/null | grep -q '^name ' || epmd -kill >/dev/null 2>&1 || true )
    ;;
  # Used by the restart tests: stop/start one server, keeping its data.
  stop-rabbit) ( rabbit_env; rabbitmqctl -q shutdown >/dev/null 2>&1 || kill -TERM "$(cat "$dir/rabbit/rabbit.pid")" ) ;;
  start-rabbit) start_rabbit; wait_rabbit ;;
  stop-redis) redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true ;;
  start-redis) start_redis ;;
  *) echo "usage: services.sh start|stop|stop-rabbit|start-rabbit|stop-redis|start-redis DIR" >&2; exit 2 ;;
esac
