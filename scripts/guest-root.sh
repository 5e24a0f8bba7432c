#!/bin/bash
# Make a guest's own root file system: Debian 12 (bookworm) made with
# debootstrap on this host, cached in build/ and made again only when its
# package list below changes.
#
# usage: guest-root.sh arm64|x86_64
#
#   arm64   build/arm64-root, the arm64 guest's (make check-arm64): what
#           the tests run (Debian's redis-server and redis-tools,
#           stress-ng, strace) and the libraries and headers the mm
#           kselftests are cross-built against (scripts/selftests.sh with
#           KARCH=arm64 uses it as the sysroot).  The second stage of
#           debootstrap runs the root's arm64 programs through
#           qemu-user-static and binfmt_misc.
#   x86_64  build/x86-root, the systemd guest's (make check-systemd):
#           systemd as PID 1, Debian's redis-server (with its own
#           redis-server.service) and redis-tools.  Native, no emulator.
#
# DEBIAN_MIRROR: the Debian mirror (default http://deb.debian.org/debian;
# ARM64_MIRROR, its older name, is still read for arm64).
set -eu
. "$(dirname "$0")/lib.sh"

arch=${1:-}
suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
case $arch in
arm64)
	root=$BUILD/arm64-root
	mirror=${ARM64_MIRROR:-$mirror}
	# The stamp hashes this text: keep it as it is, or every arm64
	# root made before is made again.
	pkgs="bash coreutils util-linux procps psmisc iproute2 kmod busybox-static
python3 strace stress-ng redis-server redis-tools libnuma1 liburing2
libcap2 libc6-dev linux-libc-dev libcap-dev libnuma-dev liburing-dev"
	;;
x86_64)
	root=$BUILD/x86-root
	# dbus: systemd-logind (wanted by multi-user.target) needs it; udev:
	# without it no device unit appears, and the boot waits 90 seconds
	# for the serial console's (dev-ttyS0.device) in vain.  Every
	# Debian system with systemd has both.
	pkgs="bash coreutils util-linux procps systemd systemd-sysv dbus udev
redis-server redis-tools"
	;;
*) die "usage: guest-root.sh arm64|x86_64" ;;
esac
want=$(echo "$suite $pkgs" | sha256sum | cut -d' ' -f1)
stamp=$root/.async-fork-root
name=${root##*/}

if [ -x "$root/bin/bash" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
	note "$arch root in $root is up to date"
	exit 0
fi

need_tool debootstrap
[ "$(id -u)" = 0 ] || die "debootstrap needs root"

if [ "$arch" = arm64 ]; then
	[ -x /usr/bin/qemu-aarch64-static ] ||
		die "qemu-aarch64-static is not installed (run: scripts/deps.sh arm64)"
	# The second stage runs the root's own arm64 programs: the kernel
	# must hand them to qemu-aarch64-static.  Debian registers it at
	# boot where systemd runs; register it here where it did not (a
	# container).
	binfmt=/proc/sys/fs/binfmt_misc
	if [ ! -e "$binfmt/qemu-aarch64" ]; then
		[ -e "$binfmt/register" ] || mount -t binfmt_misc binfmt_misc "$binfmt" ||
			die "cannot mount binfmt_misc: arm64 programs cannot run on this host"
		grep -v '^#' /usr/lib/binfmt.d/qemu-aarch64.conf >"$binfmt/register" ||
			die "cannot register qemu-aarch64-static with binfmt_misc"
	fi
else
	[ "$(uname -m)" = x86_64 ] || die "the x86_64 root is made natively, on an x86-64 host"
fi

tmp=$root.tmp
log=$BUILD/$name.log
rm -rf "$tmp"
mkdir -p "$BUILD"
note "making the $arch Debian root (debootstrap $suite from $mirror, a few minutes)"
# shellcheck disable=SC2086
debootstrap --arch="${arch/x86_64/amd64}" --variant=minbase --include="$(echo $pkgs | tr ' ' ,)" \
	"$suite" "$tmp" "$mirror" >"$log" 2>&1 || {
	tail -n 20 "$log" >&2
	die "debootstrap failed (log: $log)"
}
# Room for the project tree, which the guest mounts at its host path.
mkdir -p "$tmp$TOP"
rm -rf "$tmp/var/cache/apt/archives"/*.deb
echo "$want" >"$tmp/.async-fork-root"
rm -rf "$root"
mv "$tmp" "$root"
note "$arch root in $root"
