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
echo "workflow check: ok"
