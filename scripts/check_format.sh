#!/usr/bin/env bash
# The C sources are in the house style of .clang-format (applied to the
# whole tree once, 2026-12-05): prints the files that are not and exits 1.
# Fix with: git ls-files '*.c' '*.h' | grep -v ^tests/data | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check_format: clang-format is not installed (scripts/install-deps.sh)" >&2; exit 1; }
mapfile -t files < <(git ls-files '*.c' '*.h' | grep -v '^tests/data/')
# One clang-format for all files; its warnings name each file that differs.
if ! out=$(clang-format --dry-run -Werror "${files[@]}" 2>&1); then
  echo "check_format: not in the .clang-format style (clang-format -i to fix):" >&2
  printf '%s\n' "$out" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/  \1/p' | sort -u >&2
  exit 1
fi
echo "check_format: ok (${#files[@]} files)"
