#!/bin/bash
# Install the Debian packages the build, the guest and the tests need: the
# one place that installs with apt (as root; nothing when all are there).
#
# usage: deps.sh [GROUP...]   (default: base)
#
#   base    the kernel build, its source package, QEMU, the programs the
#           guest runs from the host's root, the tools of the harness
#   redis   what scripts/build-redis.sh needs to build the patched Redis
#           (make check, make redis-check): make deps installs it too
#   valkey  what scripts/build-valkey.sh needs (make valkey-check)
#   bench   gnuplot for the plots of make bench (also in base)
#   deb     base and what make bindeb-pkg needs (make deb)
#   arm64   base and what the arm64 guest needs (make check-arm64)
#   systemd base and what makes the systemd guest's root (make
#           check-systemd)
#   make    make alone (.ci/run, before there is a make to run)
#
# The groups add up; only base, deb, arm64 and systemd bring base.
set -eu
. "$(dirname "$0")/lib.sh"

# linux-config-6.12: Debian's own kernel configs, the base of make
# check-distro and make deb (scripts/distro-config.sh).
BASE="build-essential git ccache flex bison bc libelf-dev libssl-dev
pahole cpio xz-utils rsync kmod python3 gawk qemu-system-x86
busybox-static liburing-dev redis-server redis-tools stress-ng
libcap-dev libnuma-dev gnuplot-nox linux-config-6.12 strace runc curl"
PKGS=""
with_kpkg=false
[ $# -gt 0 ] || set -- base
for group in "$@"; do
	case $group in
	base) ;;
	# Debian's redis source package (apt-get source needs dpkg-dev),
	# its jemalloc, tcl for Redis's own test suite.
	redis) PKGS="$PKGS build-essential dpkg-dev patch tcl libjemalloc-dev" ;;
	# Valkey's release tarball (curl, the CA certificates), its build
	# (pkg-config) and its test suite (tcl).
	valkey) PKGS="$PKGS build-essential curl ca-certificates pkg-config patch tcl xz-utils" ;;
	bench) PKGS="$PKGS gnuplot-nox" ;;
	# The kernel's bindeb-pkg runs dpkg-buildpackage and debhelper's dh_*
	# (scripts/package/debian/rules); the rest of its build dependencies
	# (bc, bison, cpio, flex, kmod, libelf-dev, libssl-dev, rsync) are in
	# base.
	deb) PKGS="$PKGS dpkg-dev debhelper time" ;;
	# The arm64 guest (make check-arm64): the cross compiler, the
	# emulator, and what makes its Debian root (scripts/arm64-root.sh).
	# libc6-dev-arm64-cross: the tools are built against it, not the root
	# (apt leaves it out: only a Recommends of the compiler).
	arm64) PKGS="$PKGS gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm qemu-user-static debootstrap" ;;
	# The systemd guest (make check-systemd): its x86-64 Debian root
	# (scripts/guest-root.sh x86_64), made natively.
	systemd) PKGS="$PKGS debootstrap" ;;
	make) PKGS="$PKGS make" ;;
	*) die "usage: deps.sh [base] [redis] [valkey] [bench] [deb] [arm64] [systemd] [make]" ;;
	esac
	case $group in
	base | deb | arm64 | systemd)
		PKGS="$PKGS $BASE"
		with_kpkg=true
		;;
	esac
done
# shellcheck disable=SC2086 # one package a word
PKGS=$(printf '%s\n' $PKGS | sort -u | tr '\n' ' ')

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done

if $with_kpkg && ! dpkg-query -W -f='${Status}\n' "$KPKG" 2>/dev/null | grep -q "install ok installed"; then
	missing="$missing $KPKG"
fi

if [ -z "$missing" ]; then
	note "all build and test packages are installed"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "need root to install:$missing"
note "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Prefer the exact kernel source version the series was made against.
pins=""
for p in $missing; do
	if [ "$p" = "$KPKG" ]; then
		if apt-cache madison "$KPKG" | grep -q " $KPKG_VERSION "; then
			pins="$pins $KPKG=$KPKG_VERSION"
		else
			echo "warning: $KPKG $KPKG_VERSION is no longer in apt;" \
				"installing the newest 6.12 instead" >&2
			pins="$pins $KPKG"
		fi
	else
		pins="$pins $p"
	fi
done
# Installing linux-config-6.12 alone makes apt upgrade an installed
# linux-source-6.12 to the config's version (seen on Debian 12: 6.12.117
# installed, 6.12.118 the newest); naming the installed version keeps it.
case " $missing " in
*" $KPKG "*) ;;
*)
	have=$(dpkg-query -W -f='${Version}' "$KPKG" 2>/dev/null || true)
	[ -z "$have" ] || pins="$pins $KPKG=$have"
	;;
esac
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $pins
