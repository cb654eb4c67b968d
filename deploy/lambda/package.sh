#!/usr/bin/env bash
# package.sh - pack an rnr binary as an AWS Lambda custom-runtime zip.
#
# usage: package.sh RNR_BINARY OUT.zip [--no-strip]
#
# RNR_ZIP_LEVEL (default 9) is the zip compression level.
#
# Layout: `bootstrap` (a /bin/sh script, the file Lambda executes),
# `bin/rnr` (stripped) and `lib/` with every shared library ldd reports,
# glibc and its dynamic loader included, and `share/proj/proj.db` (PROJ's
# database: the post-process reprojects its GeoJSON, and Lambda's runtime
# image has no /usr/share/proj; bootstrap points PROJ_DATA at it unless
# the function's environment sets it). bootstrap starts rnr through the
# packed loader with --library-path lib, so the zip runs with the glibc it
# was built against whatever the runtime image has: Debian 12 builds need
# glibc 2.36 symbols (directly and through libstdc++/ICU), provided.al2023
# ships 2.34. Prints the zip's size.
set -euo pipefail

die() { echo "package.sh: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: package.sh RNR_BINARY OUT.zip [--no-strip]"
bin=$1 out=$2 strip_it=1
[ "${3:-}" = --no-strip ] && strip_it=0
[ -x "$bin" ] || die "$bin is not an executable"
for tool in ldd patchelf zip readelf; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh installs it)"
done

# The kernel's vDSO is no file.
is_vdso() {
  case "$1" in linux-vdso.so.*|linux-gate.so.*) return 0 ;; esac
  return 1
}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lib" "$stage/bin"
cp "$bin" "$stage/bin/rnr"
chmod 755 "$stage/bin/rnr"
[ $strip_it = 1 ] && strip --strip-unneeded "$stage/bin/rnr"
# The rpath lets `bin/rnr` also run directly on a compatible system.
patchelf --force-rpath --set-rpath '$ORIGIN/../lib' "$stage/bin/rnr"

# "name => /path (addr)" lines; a "not found" is an error, not a skip.
if ldd "$stage/bin/rnr" | grep -q "not found"; then
  ldd "$stage/bin/rnr" | grep "not found" >&2
  die "$bin has unresolved libraries"
fi
n=0
while read -r name _ path _; do
  is_vdso "$name" && continue
  [ -f "$path" ] || continue
  cp -L "$path" "$stage/lib/$name"
  chmod 644 "$stage/lib/$name"
  [ $strip_it = 1 ] && strip --strip-unneeded "$stage/lib/$name" 2>/dev/null || true
  n=$((n + 1))
done < <(ldd "$stage/bin/rnr" | grep '=>')
# The dynamic loader is the one line without "=>".
loader=$(ldd "$stage/bin/rnr" | awk '$1 ~ /^\/.*ld-linux/ {print $1}' | head -1)
[ -n "$loader" ] && [ -f "$loader" ] || die "cannot find the dynamic loader of $bin"
loader_name=$(basename "$loader")
cp -L "$loader" "$stage/lib/$loader_name"
chmod 755 "$stage/lib/$loader_name"

# PROJ's database, from where this build's PROJ keeps it.
proj_dir=$(pkg-config --variable=datadir proj 2>/dev/null || true)
[ -f "${proj_dir:-/usr/share/proj}/proj.db" ] || proj_dir=/usr/share/proj
[ -f "$proj_dir/proj.db" ] || die "cannot find PROJ's proj.db (pkg-config proj, /usr/share/proj)"
mkdir -p "$stage/share/proj"
cp -L "$proj_dir/proj.db" "$stage/share/proj/proj.db"
chmod 644 "$stage/share/proj/proj.db"

cat > "$stage/bootstrap" <<BOOT
#!/bin/sh
# Lambda custom runtime entry point: rnr with the glibc it was built
# against (packed in lib/), whatever the runtime image's glibc is.
here=\$(dirname "\$0")
: "\${PROJ_DATA:=\$here/share/proj}"
export PROJ_DATA
exec "\$here/lib/$loader_name" --library-path "\$here/lib" "\$here/bin/rnr" lambda "\$@"
BOOT
chmod 755 "$stage/bootstrap"
glibc=$(strings "$stage/lib/libc.so.6" 2>/dev/null | sed -n 's/^GNU C Library.* version \([0-9][0-9.]*[0-9]\).*/\1/p' | head -1)

mkdir -p "$(dirname "$out")"
rm -f "$out"
out_abs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
(cd "$stage" && zip -q -X -r "-${RNR_ZIP_LEVEL:-9}" "$out_abs" bootstrap bin lib share)
size=$(stat -c %s "$out_abs")
echo "lambda zip: $out_abs"
echo "  bootstrap + bin/rnr + $n libraries and $loader_name (glibc ${glibc:-?} packed) + share/proj/proj.db, $size bytes ($((size / 1024)) KiB)"
