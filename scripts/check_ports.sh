#!/usr/bin/env bash
# check_ports.sh - the ports rule, checked: services (src/services) and
# commands (src/*.c) reach backends only through lib/ports. No file under
# src/ includes an adapters/ header; the one place that knows the adapters
# is the composition root, lib/adapters/backends.c (+ backends_env.c),
# which src/ reaches through ports/backends.h. Ports never include
# adapters either.
#   usage: scripts/check_ports.sh [REPO_DIR]   (exit 1 listing violations)
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
[ -d "$root/src" ] && [ -d "$root/lib/ports" ] || { echo "check_ports: $root is not an rnr tree" >&2; exit 2; }

# Exceptions waiting for another change (none now: postprocess.c's
# SQLite memory is the pp_state port). Each entry is "file:header"; when
# the include is gone the entry is reported as stale so it gets deleted.
pending=()

cd "$root"
bad=0
# #include "adapters/x.h" or <adapters/x.h>, with any spacing after '#'
pattern='^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]adapters/'
while IFS=: read -r file line text; do
  hdr=$(printf '%s' "$text" | sed -E 's/.*["<](adapters\/[^">]*)[">].*/\1/')
  ok=0
  for p in "${pending[@]}"; do [ "$p" = "$file:$hdr" ] && ok=1; done
  if [ $ok = 0 ]; then
    echo "$file:$line: includes $hdr; use a port (lib/ports) and ports/backends.h instead"
    bad=1
  fi
done < <(grep -rnE --include='*.c' --include='*.h' "$pattern" src lib/ports || true)
for p in "${pending[@]}"; do
  f=${p%%:*} h=${p#*:}
  if ! grep -qE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"<]$h[\">]" "$f" 2>/dev/null; then
    echo "note: $f no longer includes $h: remove it from check_ports.sh's pending list" >&2
  fi
done
[ $bad = 0 ] || { echo "check_ports: services and commands must reach backends only through lib/ports" >&2; exit 1; }
echo "check_ports: ok (src/ and lib/ports include no adapters/ header)"
