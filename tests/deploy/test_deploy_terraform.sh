#!/usr/bin/env bash
# The Terraform tree passes the static checks (references, IAM, schedules,
# terraform fmt layout; the deployment's must-haves), and the checks really
# find each kind of defect in deliberately broken trees.
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
# terraform fmt's layout (tf_fmt.js): clean on the canonical fixture, each
# rule named on the bad one, and check_terraform reports it per file.
node "$src/tests/deploy/tf_fmt.js" "$src/tests/deploy/fixtures/fmt/good.tf"
out=$(node "$src/tests/deploy/tf_fmt.js" "$src/tests/deploy/fixtures/fmt/bad.tf") && { echo "bad layout passed tf_fmt"; exit 1; }
echo "$out"
for want in \
  'bad.tf:3: "=" after source is 13 spaces from the name, fmt puts 5' \
  'bad.tf:5: "=" after subnet_ids is 9 spaces from the name, fmt puts 1' \
  'bad.tf:10: 0 spaces after "=", fmt puts 1' \
  'bad.tf:11: indented 3 spaces, fmt indents 2' \
  'bad.tf:12: tab in the indentation' \
  'bad.tf:13: trailing whitespace'; do
  grep -qF "$want" <<<"$out" || { echo "missing finding: $want"; exit 1; }
done
out=$(node "$checker" "$src/tests/deploy/fixtures/fmt" "$RNR_BIN") && { echo "bad layout passed check_terraform"; exit 1; }
grep -qF 'bad.tf: line 4: terraform fmt: "=" after name' <<<"$out" || { echo "check_terraform does not report the layout: $out"; exit 1; }
if grep -q 'good.tf: line' <<<"$out"; then echo "layout findings on the canonical file: $out"; exit 1; fi

# What a real AWS account needs (check_deployment.js), and each defect
# found on the miniature of the old tree.
node "$src/tests/deploy/check_deployment.js" "$src/deploy/terraform"
out=$(node "$src/tests/deploy/check_deployment.js" "$src/tests/deploy/fixtures/deploy_bad") && { echo "old deployment passed"; exit 1; }
echo "$out"
for want in \
  'task execution role: no ecr:BatchGetImage' \
  'worker task definition: no repositoryCredentials' \
  'no alarm on missing BacklogPerTask data' \
  'no Lambda Errors alarm on the autoscaler handler' \
  'no Lambda Errors alarm on the postprocess handler' \
  'no variable for the post-process ephemeral storage' \
  'postprocess_memory_mb defaults to 1024 MB' \
  'schedule handler: no retries' \
  'schedule handler: no dead_letter_config with an SQS queue' \
  'scheduler role: no sqs:SendMessage' \
  'no commented backend "s3" block'; do
  grep -qF "$want" <<<"$out" || { echo "missing finding: $want"; exit 1; }
done
echo "terraform check: ok"
