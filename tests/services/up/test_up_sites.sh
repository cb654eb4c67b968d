#!/usr/bin/env bash
# One failing gauge among 14 sites on the embedded queue: the 13 others are
# routed once, the bad one is retried and dead-lettered by itself, and
# routed after the fault is cleared and its dead letter replayed.
. "$(dirname "$0")/sites_env.sh"
sites_scenario
echo "ok: one site's failure stayed its own (sqlite)"
