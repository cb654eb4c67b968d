# services_lock.sh - the shell side of services_lock.h: a test that uses
# the shared RabbitMQ or Redis holds a shared flock on
# $RNR_TEST_SERVICES_DIR/<server>.lock for its whole run, so a test that
# restarts a server (it takes the lock exclusively) never does it under
# this test's feet. Sourced; the locks go with the shell (fds 7 and 8).

# services_lock_shared: hold both servers' shared locks until exit. A no-op
# without a services directory (nothing to coordinate with).
services_lock_shared() {
  [ -n "${RNR_TEST_SERVICES_DIR:-}" ] || return 0
  exec 7>>"$RNR_TEST_SERVICES_DIR/rabbit.lock" 8>>"$RNR_TEST_SERVICES_DIR/redis.lock"
  flock -s 7
  flock -s 8
}
