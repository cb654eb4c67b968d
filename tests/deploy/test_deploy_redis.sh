#!/usr/bin/env bash
# The dedup cache's Terraform passes check_redis_terraform.js (TLS, at-rest
# encryption, AUTH token in Secrets Manager, optional replica in a second
# zone, the wiring to the producer), and the check catches each defect in
# a copy of the tree broken on purpose.
set -euo pipefail
src=${RNR_SOURCE_DIR:?}
checker="$src/tests/deploy/check_redis_terraform.js"
[ -d "$src/node_modules/@cdktf/hcl2json" ] || { echo "node_modules missing: run scripts/install-deps.sh"; exit 1; }
node "$checker" "$src/deploy/terraform"

tmp=$(mktemp -d /tmp/rnr-test-redis-tf.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# break FILE SED-EXPR WANTED-FINDING: a copy of the tree with that edit,
# which must fail with that finding (all copies are checked in one run).
n=0
wanted=()
break_tree() {
  n=$((n + 1))
  cp -r "$src/deploy/terraform" "$tmp/case$n"
  sed -i "$2" "$tmp/case$n/$1"
  cmp -s "$tmp/case$n/$1" "$src/deploy/terraform/$1" && { echo "edit '$2' changed nothing in $1"; exit 1; }
  wanted+=("$3")
}
ds=modules/data_stores
break_tree $ds/main.tf 's/transit_encryption_enabled  = var.transit_encryption/transit_encryption_enabled  = false/' \
  'transit_encryption_enabled is false'
break_tree $ds/main.tf 's/at_rest_encryption_enabled  = var.at_rest_encryption/at_rest_encryption_enabled  = false/' \
  'at_rest_encryption_enabled is false'
break_tree $ds/main.tf '/  auth_token  *= /d' 'auth_token is null'
break_tree $ds/main.tf 's/secret_string = local.redis_auth_token/secret_string = "x"/' \
  'the auth token is not stored'
break_tree $ds/main.tf 's/num_cache_clusters          = var.multi_az ? 2 : 1/num_cache_clusters          = 1/' \
  'does not add a replica'
break_tree $ds/variables.tf '/variable "transit_encryption"/,/^}/s/default     = true/default     = false/' \
  'variable transit_encryption must default to true'
break_tree $ds/variables.tf '/variable "redis_auth_token"/,/^}/{/sensitive/d}' 'redis_auth_token is not sensitive'
break_tree $ds/outputs.tf 's/primary_endpoint_address/reader_endpoint_address/' 'redis_host is not the primary endpoint'
break_tree main.tf 's/multi_az           = var.redis_multi_az/multi_az           = false/' \
  'module data_stores gets multi_az'
break_tree modules/app/main.tf '/REDIS_TLS /d' 'REDIS_TLS is not in the environment'
break_tree modules/app/main.tf 's/ if each.key == "producer"//' 'does not get REDIS_SECRET_ARN (only it)'
break_tree modules/iam_roles/main.tf 's/resources = var.redis_secret_arns/resources = []/' \
  'the producer may not read the cache AUTH secret'
out=$(cd "$tmp" && node "$checker" case*) && { echo "the broken trees passed"; exit 1; }
for i in $(seq 1 "$n"); do
  grep "^case$i: " <<<"$out" | grep -qF "${wanted[$((i - 1))]}" ||
    { echo "$out"; echo "case$i: missing finding: ${wanted[$((i - 1))]}"; exit 1; }
  echo "caught: ${wanted[$((i - 1))]}"
done
echo "redis terraform check: ok"
