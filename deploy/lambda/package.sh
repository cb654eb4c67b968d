#!/usr/bin/env bash
# package.sh - pack an rnr binary as an AWS Lambda custom-runtime zip.
#
# usage: package.sh RNR_BINARY OUT.zip [--no-strip]
#
# RNR_ZIP_LEVEL (default 9) is the zip compression level.
#
# The zip holds `bootstrap` (the binary, stripped, with an $ORIGIN/lib
# DT_RPATH so the dynamic loader finds its libraries next to it, for
# transitive dependencies too) and lib/ with every shared library ldd
# reports except the glibc family, which Amazon Linux 2023 (provided.al2023)
# has itself. Prints the zip's size and the newest glibc symbol version the
# contents need: AL2023 ships glibc 2.34, so anything newer will not load
# there (build on an older glibc, e.g. in an AL2023 container, if so).
set -euo pipefail

die() { echo "package.sh: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: package.sh RNR_BINARY OUT.zip [--no-strip]"
bin=$1 out=$2 strip_it=1
[ "${3:-}" = --no-strip ] && strip_it=0
[ -x "$bin" ] || die "$bin is not an executable"
for tool in ldd patchelf zip readelf; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh installs it)"
done

# glibc's own libraries (and the kernel's vDSO): present on AL2023.
is_system() {
  case "$1" in
    linux-vdso.so.*|linux-gate.so.*|ld-linux*.so.*|libc.so.*|libm.so.*|libpthread.so.*| \
    libdl.so.*|librt.so.*|libresolv.so.*|libutil.so.*|libanl.so.*|libmvec.so.*) return 0 ;;
  esac
  return 1
}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lib"
cp "$bin" "$stage/bootstrap"
chmod 755 "$stage/bootstrap"
[ $strip_it = 1 ] && strip --strip-unneeded "$stage/bootstrap"
patchelf --force-rpath --set-rpath '$ORIGIN/lib' "$stage/bootstrap"

# "name => /path (addr)" lines; a "not found" is an error, not a skip.
if ldd "$stage/bootstrap" | grep -q "not found"; then
  ldd "$stage/bootstrap" | grep "not found" >&2
  die "$bin has unresolved libraries"
fi
n=0
while read -r name _ path _; do
  is_system "$name" && continue
  [ -f "$path" ] || continue
  cp -L "$path" "$stage/lib/$name"
  chmod 644 "$stage/lib/$name"
  [ $strip_it = 1 ] && strip --strip-unneeded "$stage/lib/$name" 2>/dev/null || true
  n=$((n + 1))
done < <(ldd "$stage/bootstrap" | grep '=>')

readelf -d "$stage/bootstrap" | grep -q 'RPATH.*\$ORIGIN/lib' || die "bootstrap has no \$ORIGIN/lib rpath"
glibc=$( { objdump -T "$stage/bootstrap" "$stage"/lib/*.so* 2>/dev/null || true; } |
         grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)

mkdir -p "$(dirname "$out")"
rm -f "$out"
out_abs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
(cd "$stage" && zip -q -X -r "-${RNR_ZIP_LEVEL:-9}" "$out_abs" bootstrap lib)
size=$(stat -c %s "$out_abs")
echo "lambda zip: $out_abs"
echo "  bootstrap + $n libraries, $size bytes ($((size / 1024)) KiB); needs glibc >= ${glibc:-?} (AL2023 has 2.34)"
if [ -n "$glibc" ] && [ "$(printf '%s\n2.34\n' "$glibc" | sort -V | tail -1)" != 2.34 ]; then
  echo "  warning: needs glibc $glibc, newer than AL2023's 2.34: build on AL2023 (or glibc <= 2.34) for a deployable zip" >&2
fi
