#!/usr/bin/env bash
# The Helm chart in deploy/kubernetes renders (tests/deploy/helm_render.js:
# no helm binary is packaged for Debian 12) in its default and variant
# configurations, every manifest validates against the Kubernetes and KEDA
# schemas, and the chart keeps its promises (check_kubernetes.js).
set -euo pipefail
src=${RNR_SOURCE_DIR:?}
[ -d "$src/node_modules/kubernetes-models" ] || { echo "node_modules missing: run scripts/install-deps.sh"; exit 1; }
node "$src/tests/deploy/check_kubernetes.js" "$src/deploy/kubernetes/rnr" "$src/deploy/terraform/variables.tf"
