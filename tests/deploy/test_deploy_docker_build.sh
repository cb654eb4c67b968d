#!/usr/bin/env bash
# Runs the container's build steps (deploy/docker/build.sh) on a clean copy
# of the tracked sources, then checks the binary runs and that every shared
# library it needs comes from a package the runtime stage installs.
set -euo pipefail
src=${RNR_SOURCE_DIR:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
(cd "$src" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$tmp/src" 2>/dev/null) || \
  (cd "$src" && tar --exclude=./build* --exclude=./node_modules --exclude=./.git -cf - . | tar -C "$tmp/src" -xf -)
"$src/deploy/docker/build.sh" build "$tmp/src" "$tmp/prefix"
bin="$tmp/prefix/bin/rnr"
"$bin" --version | grep -q '^rnr '
"$bin" worker --help >/dev/null
grep -q 'ENTRYPOINT \["rnr", "worker"\]' "$src/deploy/docker/Dockerfile"
grep -q '^USER rnr' "$src/deploy/docker/Dockerfile"
grep -q '^HEALTHCHECK' "$src/deploy/docker/Dockerfile"
mapfile -t pkgs < <("$src/deploy/docker/build.sh" runtime-packages)
# Everything the runtime packages pull in, once.
covered=$(printf '%s\n' "${pkgs[@]}"
          apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
            --no-replaces --no-enhances "${pkgs[@]}" 2>/dev/null | sed -n 's/^ *[A-Za-z]*Depends: //p')
owner() {  # the package that owns a library, trying the usrmerge spellings
  dpkg -S "$1" 2>/dev/null | head -1 | cut -d: -f1 ||
    dpkg -S "${1#/usr}" 2>/dev/null | head -1 | cut -d: -f1 || true
}
missing=0
while read -r lib; do
  [ -n "$lib" ] || continue
  pkg=$(owner "$lib")
  [ -n "$pkg" ] || pkg=$(owner "${lib#/usr}")
  case "$pkg" in
    libc6|libgcc-s1) continue ;;
    "") echo "runtime library $lib belongs to no package"; missing=1; continue ;;
  esac
  grep -qx "$pkg" <<<"$covered" && continue
  echo "runtime library $lib (package $pkg) is not covered by the runtime packages"; missing=1
done < <(ldd "$bin" | awk '/=> \//{print $3}' | xargs -n1 readlink -f)
[ $missing -eq 0 ]
echo "docker build steps: ok ($(du -h "$bin" | cut -f1) binary)"
