#!/usr/bin/env bash
# rnr-test: serial (stops and starts the shared Redis)
# The short form of the fault-injection suite (scripts/faults.sh short,
# docs/fault-injection.md): kill -9 of workers, S3 5xx/resets/delays
# through the fault proxy, Redis down during a producer cycle, poison
# products and (as root) a full disk, each on 1 product x 4 sites; passes
# only with 0 lost and 0 duplicated outputs and every poison dead-lettered.
set -euo pipefail
if [ -z "${RNR_TEST_AMQP_URL:-}" ] || [ -z "${RNR_TEST_SERVICES_DIR:-}" ]; then
  echo "skipped: no servers"; exit 77
fi
exec bash "${RNR_SOURCE_DIR:?}/scripts/faults.sh" short
