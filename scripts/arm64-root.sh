#!/bin/bash
# Make the arm64 guest's root file system: Debian 12 (bookworm) for arm64,
# made with debootstrap on this host, its second stage run by
# qemu-user-static through binfmt_misc.  Cached in build/arm64-root and
# made again only when the package list below changes.  It holds what the
# tests run (Debian's redis-server and redis-tools, stress-ng, strace) and
# the libraries and headers the mm kselftests are cross-built against
# (scripts/selftests.sh with KARCH=arm64 uses it as the sysroot).
#
# ARM64_MIRROR: the Debian mirror (default http://deb.debian.org/debian).
set -eu
. "$(dirname "$0")/lib.sh"

root=$BUILD/arm64-root
suite=bookworm
mirror=${ARM64_MIRROR:-http://deb.debian.org/debian}
pkgs="bash coreutils util-linux procps psmisc iproute2 kmod busybox-static
python3 strace stress-ng redis-server redis-tools libnuma1 liburing2
libcap2 libc6-dev linux-libc-dev libcap-dev libnuma-dev liburing-dev"
want=$(echo "$suite $pkgs" | sha256sum | cut -d' ' -f1)
stamp=$root/.async-fork-root

if [ -x "$root/bin/bash" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
	note "arm64 root in $root is up to date"
	exit 0
fi

need_tool debootstrap
[ -x /usr/bin/qemu-aarch64-static ] ||
	die "qemu-aarch64-static is not installed (run: scripts/deps.sh arm64)"
[ "$(id -u)" = 0 ] || die "debootstrap needs root"

# The second stage runs the root's own arm64 programs: the kernel must
# hand them to qemu-aarch64-static.  Debian registers it at boot where
# systemd runs; register it here where it did not (a container).
binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e "$binfmt/qemu-aarch64" ]; then
	[ -e "$binfmt/register" ] || mount -t binfmt_misc binfmt_misc "$binfmt" ||
		die "cannot mount binfmt_misc: arm64 programs cannot run on this host"
	grep -v '^#' /usr/lib/binfmt.d/qemu-aarch64.conf >"$binfmt/register" ||
		die "cannot register qemu-aarch64-static with binfmt_misc"
fi

tmp=$root.tmp
rm -rf "$tmp"
note "making the arm64 Debian root (debootstrap $suite from $mirror, a few minutes)"
# shellcheck disable=SC2086
debootstrap --arch=arm64 --variant=minbase --include="$(echo $pkgs | tr ' ' ,)" \
	"$suite" "$tmp" "$mirror" >"$BUILD/arm64-root.log" 2>&1 || {
	tail -n 20 "$BUILD/arm64-root.log" >&2
	die "debootstrap failed (log: $BUILD/arm64-root.log)"
}
# Room for the project tree, which the guest mounts at its host path.
mkdir -p "$tmp$TOP"
rm -rf "$tmp/var/cache/apt/archives"/*.deb
echo "$want" >"$tmp/.async-fork-root"
rm -rf "$root"
mv "$tmp" "$root"
note "arm64 root in $root"
