#!/usr/bin/env bash
# test_main_no_cwd_libs.sh - rnr never loads a shared library from the
# directory it is run in. (A RUNPATH CMake derived from HDF5's private
# directory once ended in an empty entry, which the loader reads as the
# current directory: a planted libsnappy.so.1 ran its code inside rnr, and
# a garbage libjansson.so.4 stopped rnr from starting at all.)
set -u
fail() { echo "FAIL: $*"; exit 1; }
RNR=${RNR_BIN:?RNR_BIN not set}
T=$(mktemp -d /tmp/rnr_cwdlib_XXXXXX)
trap 'rm -rf "$T"' EXIT

printf '#include <stdio.h>\n__attribute__((constructor)) static void planted(void)\n{ FILE *f = fopen("%s/ran", "w"); if (f) fclose(f); }\n' "$T" >"$T/p.c"
cc -shared -fPIC -o "$T/libsnappy.so.1" "$T/p.c" || fail "cannot build the planted library"
printf 'not a library' >"$T/libjansson.so.4"
cp "$T/libsnappy.so.1" "$T/libhdf5_serial.so.103"

out=$(cd "$T" && "$RNR" version 2>&1); rc=$?
[ "$rc" = 0 ] || fail "rnr version in a directory with planted libraries: exit $rc: $out"
[ -e "$T/ran" ] && fail "rnr loaded a library from its working directory"
readelf -d "$RNR" | grep -Eq 'RUNPATH|RPATH' && fail "rnr carries a RUNPATH: $(readelf -d "$RNR" | grep -E 'RUNPATH|RPATH')"
echo ok
