#!/usr/bin/env bash
# The Terraform tree passes the static check, and the check really finds
# each kind of defect in a deliberately broken tree.
set -euo pipefail
src=${RNR_SOURCE_DIR:?}
checker="$src/tests/deploy/check_terraform.js"
[ -d "$src/node_modules/@cdktf/hcl2json" ] || { echo "node_modules missing: run scripts/install-deps.sh"; exit 1; }

node "$checker" "$src/deploy/terraform" "$RNR_BIN"

out=$(node "$checker" "$src/tests/deploy/fixtures/bad" "$RNR_BIN") && { echo "broken tree passed the check"; exit 1; }
echo "$out"
for want in \
  'var.missing is not declared' \
  'module thing has no output nope' \
  'resource aws_lambda_function.absent is not declared' \
  'argument unknown is not a variable' \
  'required variable needed is not passed' \
  'wildcard action s3:\*' \
  'resource "\*" without a comment' \
  'invalid schedule expression "cron(0/10 \* \* \* \*)"' \
  'invalid schedule expression "rate(2 minute)"'; do
  grep -q "$want" <<<"$out" || { echo "missing finding: $want"; exit 1; }
done
echo "terraform check: ok"
