#!/usr/bin/env bash
# The worker image's build steps, kept out of the Dockerfile so the test
# suite can run exactly the same steps in a clean directory without Docker.
#   build.sh deps                      install the build packages (Debian)
#   build.sh build SRC PREFIX          configure, build and install rnr into PREFIX
#   build.sh runtime-packages          the Debian packages the runtime stage needs
set -euo pipefail

RUNTIME_PACKAGES=(
  ca-certificates libjansson4 libxml2 libsqlite3-0 libnetcdf19 libcurl4
  librabbitmq4 libhiredis0.14 libssl3 libmicrohttpd12 libproj25 libzstd1 libhdf5-103-1
  libsnappy1v5 zlib1g
)

case "${1:-}" in
  deps)
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      build-essential cmake pkg-config libjansson-dev libxml2-dev libsqlite3-dev \
      libnetcdf-dev libhdf5-dev libcurl4-openssl-dev libssl-dev librabbitmq-dev libhiredis-dev \
      libcmocka-dev libmicrohttpd-dev libproj-dev libzstd-dev libsnappy-dev \
      zlib1g-dev >/dev/null
    ;;
  build)
    src=${2:?usage: build.sh build SRC PREFIX}
    prefix=${3:?usage: build.sh build SRC PREFIX}
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    cmake -S "$src" -B "$work" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
    cmake --build "$work" -j"$(nproc)" --target rnr
    cmake --install "$work" --strip >/dev/null
    "$prefix/bin/rnr" --version
    ;;
  runtime-packages)
    printf '%s\n' "${RUNTIME_PACKAGES[@]}"
    ;;
  *)
    echo "usage: build.sh deps | build SRC PREFIX | runtime-packages" >&2
    exit 2
    ;;
esac
