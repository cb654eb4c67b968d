#!/usr/bin/env bash
# The 14-site scenario of test_up_sites.sh on RabbitMQ (a classic queue, as
# the reference declares hml_files): follow-ups go through
# "<queue>.sites" and its delay tiers, the dead site lands in
# "<queue>.sites.dead", and `rnr queue dead|replay` read and replay it.
if [ -z "${RNR_TEST_AMQP_URL:-}" ]; then echo "skipped: no RabbitMQ"; exit 77; fi
. "$(dirname "$0")/sites_env.sh"
. "$RNR_SOURCE_DIR/tests/services_lock.sh"
services_lock_shared  # test_prod_real_servers restarts the shared broker
export MQ_QUEUE_NAME="rnr-sites-$$-$RANDOM"
export RNR_QUEUE_URL="$RNR_TEST_AMQP_URL"
[ -z "${RNR_TEST_AMQP_MGMT_URL:-}" ] || export RNR_AMQP_MGMT_URL="$RNR_TEST_AMQP_MGMT_URL"
sites_scenario
echo "ok: one site's failure stayed its own (RabbitMQ)"
