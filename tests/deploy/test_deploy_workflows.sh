#!/usr/bin/env bash
# Every workflow under .github/workflows is valid YAML with GitHub's
# required keys, and the checker rejects a broken workflow.
set -euo pipefail
src=${RNR_SOURCE_DIR:?}
node "$src/tests/deploy/check_workflows.js" "$src/.github/workflows"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf 'name: bad\njobs:\n  build:\n    steps:\n      - run: make\n        uses: actions/checkout@v4\n' > "$tmp/bad.yml"
printf 'on: [push\n' > "$tmp/broken.yml"
out=$(node "$src/tests/deploy/check_workflows.js" "$tmp") && { echo "broken workflows passed"; exit 1; }
echo "$out"
grep -q 'bad.yml: missing "on"' <<<"$out"
grep -q 'bad.yml: job build: missing runs-on' <<<"$out"
grep -q 'exactly one of uses/run' <<<"$out"
grep -q 'broken.yml: YAML error' <<<"$out"
# The deployment rules, on the workflows as they were before the fix.
out=$(node "$src/tests/deploy/check_workflows.js" "$src/tests/deploy/fixtures/workflows") && { echo "bad deployment workflows passed"; exit 1; }
echo "$out"
for want in \
  'container-rebuild.yml: job image: Trivy scans "${{ env.IMAGE }}:sha-${{ github.sha }}", not a tag of steps.meta.outputs' \
  'container-rebuild.yml: job image step 8: rebuilds and pushes after the scan' \
  'container-rebuild.yml: job image step 5: builds before the scan without push: false' \
  'ci-unprivileged.yml: job test: runs scripts/test.sh in a container without --privileged'; do
  grep -qF "$want" <<<"$out" || { echo "missing finding: $want"; exit 1; }
done
echo "workflow check: ok"
