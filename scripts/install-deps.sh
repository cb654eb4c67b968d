#!/usr/bin/env bash
# Install every Debian package and npm package that building, running and
# testing rnr needs, on a fresh Debian 12 machine. Idempotent: packages that
# are already present are not fetched again.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PKGS=(
  build-essential cmake pkg-config git clang clang-format libclang-rt-14-dev xz-utils
  libjansson-dev libxml2-dev libxml2-utils libsqlite3-dev sqlite3 libnetcdf-dev libhdf5-dev netcdf-bin
  libcurl4-openssl-dev libssl-dev librabbitmq-dev libhiredis-dev libcmocka-dev
  libmicrohttpd-dev zlib1g-dev libproj-dev librsvg2-bin libzstd-dev libsnappy-dev
  rabbitmq-server redis-server curl gdal-bin python3-pika python3-redis
  python3-xarray python3-pandas python3-netcdf4
  zip unzip file patchelf mount chromium openssl ca-certificates procps
  bsdutils
)
# The machine image may carry its own Node.js build; only add Debian's when
# there is none.
command -v node >/dev/null 2>&1 || PKGS+=(nodejs npm)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages for the tests (s3rver, HCL and YAML parsers) are pinned in
# package.json / package-lock.json at the top of the tree.
if [ -f "$here/package.json" ]; then
  if [ ! -d "$here/node_modules" ] || [ "$here/package.json" -nt "$here/node_modules/.stamp" ]; then
    (cd "$here" && { [ -f package-lock.json ] && npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error; } && touch node_modules/.stamp)
  fi
fi
echo "install-deps: ok"
