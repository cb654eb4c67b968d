#!/usr/bin/env bash
# The clean-machine check: what a new user sees on a fresh Debian 12 with
# only git installed. Debootstraps Debian 12 (bookworm, minbase + git) into
# a directory, clones this repository into it from the local path, and runs
# the README's two commands inside the chroot as root: scripts/demo.sh, then
# scripts/test.sh. Prints how long each took and its exit code; exits 0 only
# when both exited 0. See docs/clean-machine.md.
#   scripts/clean-machine.sh [DIR]   (default /var/tmp/rnr-clean-machine, wiped first)
# Environment:
#   RNR_CLEAN_MIRROR   Debian mirror (default: the one apt is configured with)
#   RNR_CLEAN_REF      commit to test (default HEAD; it must be committed)
#   RNR_CLEAN_KEEP=1   keep DIR afterwards (default: removed when both passed)
#   RNR_CLEAN_CACHE    where downloaded .debs are kept between runs
#                      (default /var/cache/rnr-clean-machine; "" for none)
#   RNR_FUZZ_SECONDS   passed to test.sh (default 20 s per fuzzer)
#   RNR_CLEAN_AMQP_PORT, _MGMT_PORT, _DIST_PORT, _REDIS_PORT, _S3_PORT,
#   _EPMD_PORT         ports of the chroot's servers (default 5790, 15790,
#                      25790, 6490, 4690, 4390): the chroot shares the
#                      host's network, so they must not collide with servers
#                      running outside it.
# Needs root (debootstrap, chroot, mount) and the debootstrap package.
set -euo pipefail
# The whole script is one block, read before it runs: a checkout or rebase
# of this tree during the long run cannot change what runs.
{
here=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-/var/tmp/rnr-clean-machine}
case "$root" in /*) ;; *) root="$PWD/$root" ;; esac
[ "$root" != / ] || { echo "clean-machine: refusing to use / as the chroot" >&2; exit 2; }

die() { echo "clean-machine: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot and mount need it)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"

# The mirror apt already uses: deb822 "URIs:" lines, then one-line "deb"
# entries; the first one that serves Debian proper (not -security).
apt_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '/^URIs:/ {print $2}' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "$f"
  done
}
mirror=${RNR_CLEAN_MIRROR:-$(apt_mirror | grep -E '/debian/?$' | head -1)}
[ -n "$mirror" ] || die "no Debian mirror in /etc/apt/sources.list*; set RNR_CLEAN_MIRROR"
security=$(apt_mirror | grep -E '/debian-security/?$' | head -1 || true)

ref=$(git -C "$here" rev-parse --verify "${RNR_CLEAN_REF:-HEAD}^{commit}") ||
  die "${RNR_CLEAN_REF:-HEAD}: not a commit of $here"
gitdir=$(cd "$here" && cd "$(git rev-parse --git-common-dir)" && pwd)
if [ -z "${RNR_CLEAN_REF:-}" ] && [ -n "$(git -C "$here" status --porcelain --untracked-files=no)" ]; then
  echo "clean-machine: note: uncommitted changes in $here are not tested (a clone has only commits)" >&2
fi

mounted=()
# umount_all: undo the mounts, innermost first; end what still runs inside.
umount_all() {
  local pid i
  # Processes whose root is the chroot were started by this run (a server a
  # failed test left behind): nothing outside the chroot is touched.
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$root" ] || continue
    echo "clean-machine: ending leftover process $pid: $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)" >&2
    kill -KILL "$pid" 2>/dev/null || true
  done
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[$i]}" 2>/dev/null || umount -l "${mounted[$i]}" || true
  done
  mounted=()
}
trap umount_all EXIT

# mount_in TARGET ARGS...: mount inside the chroot, remembered for umount_all.
mount_in() {
  local target=$root$1; shift
  mkdir -p "$target"
  mount "$@" "$target"
  mounted+=("$target")
}

# A leftover chroot may still have mounts from an interrupted run.
if [ -d "$root" ]; then
  awk -v r="$root" '$2 == r || index($2, r "/") == 1 {print $2}' /proc/self/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
  rm -rf --one-file-system "$root"
fi
mkdir -p "$root"

# Downloaded packages are kept outside the chroot so that a second run does
# not fetch them again; a package cache changes nothing of what is installed.
cache=${RNR_CLEAN_CACHE-/var/cache/rnr-clean-machine}
cache_args=()
if [ -n "$cache" ]; then
  mkdir -p "$cache/debootstrap" "$cache/apt/partial"
  cache_args=(--cache-dir="$cache/debootstrap")
fi

echo "== debootstrap bookworm (minbase + git) from $mirror into $root"
t0=$SECONDS
debootstrap --variant=minbase --include=git "${cache_args[@]}" bookworm "$root" "$mirror" > "$root.debootstrap.log" 2>&1 ||
  { tail -20 "$root.debootstrap.log" >&2; die "debootstrap failed (log: $root.debootstrap.log)"; }
echo "   $((SECONDS - t0)) s"
# What a Debian 12 installation's apt is configured with.
{
  echo "deb $mirror bookworm main"
  echo "deb $mirror bookworm-updates main"
  [ -z "$security" ] || echo "deb $security bookworm-security main"
} > "$root/etc/apt/sources.list"
# An installed system has these; debootstrap leaves them to the installer.
[ -s "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
# Packages installed inside must not start their daemons (rabbitmq-server,
# redis-server) on the default ports of the network the chroot shares with
# the host; the usual policy-rc.d of chroots and container images.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"; chmod 755 "$root/usr/sbin/policy-rc.d"
# The site's own certificate authorities (a TLS-intercepting proxy's, say)
# are part of the network, not of the machine under test: carry them over.
# They count once ca-certificates is installed (update-ca-certificates).
node_ca=()
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  # Node.js reads its built-in roots only, unless told otherwise.
  [ -z "${NODE_EXTRA_CA_CERTS:-}" ] || node_ca=(NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
fi

# A booted machine's (or a container's) / is a mount point; a plain
# directory is not, and a mount namespace cannot change the propagation of
# a root that is no mount (unshare -m, which the Lambda read-only test
# uses, fails with "Invalid argument"). Bind the chroot onto itself first.
mount_in / --bind "$root"

# The kernel file systems a booted machine has. /dev gets its own tmpfs
# /dev/shm (POSIX shared memory) and devpts; nothing of the host's /dev is
# shared, so nothing mounted here can show up outside.
mount_in /proc -t proc proc
mount_in /sys -t sysfs sysfs
mount_in /dev/pts -t devpts -o newinstance,ptmxmode=0666 devpts
mount_in /dev/shm -t tmpfs -o mode=1777,nosuid,nodev tmpfs
[ -e "$root/dev/ptmx" ] || ln -s pts/ptmx "$root/dev/ptmx"
[ -z "$cache" ] || mount_in /var/cache/apt/archives --bind "$cache/apt"

# The repository, read-only, only for the clone.
mount_in /mnt/rnr.git --bind -o ro "$gitdir"
mount -o remount,bind,ro "$root/mnt/rnr.git"
echo "== git clone (commit ${ref:0:12})"
chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  sh -c "git clone -q /mnt/rnr.git /root/rnr && cd /root/rnr && git checkout -q --detach $ref" ||
  die "git clone in the chroot failed ($ref must be reachable from a branch or tag)"
umount "$root/mnt/rnr.git"; unset 'mounted[-1]'

# run_in NAME CMD: one README command in the chroot, as a new user runs it.
declare -A took rc
run_in() {
  local name=$1 cmd=$2 t=$SECONDS
  echo "== $name (in the chroot; log: $root.$name.log)"
  set +e
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    RNR_AMQP_PORT="${RNR_CLEAN_AMQP_PORT:-5790}" RNR_MGMT_PORT="${RNR_CLEAN_MGMT_PORT:-15790}" \
    RNR_DIST_PORT="${RNR_CLEAN_DIST_PORT:-25790}" RNR_REDIS_PORT="${RNR_CLEAN_REDIS_PORT:-6490}" \
    RNR_S3_PORT="${RNR_CLEAN_S3_PORT:-4690}" RNR_EPMD_PORT="${RNR_CLEAN_EPMD_PORT:-4390}" \
    ${RNR_FUZZ_SECONDS:+RNR_FUZZ_SECONDS=$RNR_FUZZ_SECONDS} "${node_ca[@]}" \
    bash -c "cd /root/rnr && $cmd" > "$root.$name.log" 2>&1 < /dev/null
  rc[$name]=$?
  set -e
  took[$name]=$((SECONDS - t))
  tail -3 "$root.$name.log" | sed 's/^/   | /'
  echo "   $name: exit ${rc[$name]} after ${took[$name]} s"
}
run_in demo scripts/demo.sh
run_in test scripts/test.sh

skips=$(grep -cE '\*\*\*Skipped|Not Run|[( ]skipped[):]|SKIP' "$root.test.log" || true)
umount_all
echo "== clean machine (Debian 12 minbase + git, commit ${ref:0:12})"
printf '   scripts/demo.sh  exit %s  %4d s\n' "${rc[demo]}" "${took[demo]}"
printf '   scripts/test.sh  exit %s  %4d s\n' "${rc[test]}" "${took[test]}"
echo "   lines of test.sh output mentioning a skip: $skips"
if [ "${rc[demo]}" = 0 ] && [ "${rc[test]}" = 0 ]; then
  if [ "${RNR_CLEAN_KEEP:-0}" != 1 ]; then rm -rf --one-file-system "$root"; fi
  exit 0
fi
echo "   the chroot is kept in $root for a look; logs: $root.demo.log, $root.test.log"
exit 1
}
