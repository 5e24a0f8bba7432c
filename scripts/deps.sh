#!/bin/bash
# Install the Debian packages the build, the guest and the tests need.
# usage: deps.sh [deb] [arm64]   (deb: also what make bindeb-pkg needs, for
# make deb; arm64: what the arm64 guest needs, for make check-arm64)
set -eu
. "$(dirname "$0")/lib.sh"

# linux-config-6.12: Debian's own kernel configs, the base of make
# check-distro and make deb (scripts/distro-config.sh).
PKGS="build-essential git ccache flex bison bc libelf-dev libssl-dev
pahole cpio xz-utils rsync kmod python3 gawk qemu-system-x86
busybox-static liburing-dev redis-server redis-tools stress-ng
libcap-dev libnuma-dev gnuplot-nox linux-config-6.12 strace runc curl"
for group in "$@"; do
	case $group in
	# The kernel's bindeb-pkg runs dpkg-buildpackage and debhelper's dh_*
	# (scripts/package/debian/rules); the rest of its build dependencies
	# (bc, bison, cpio, flex, kmod, libelf-dev, libssl-dev, rsync) are above.
	deb) PKGS="$PKGS dpkg-dev debhelper time" ;;
	# The arm64 guest (make check-arm64): the cross compiler, the
	# emulator, and what makes its Debian root (scripts/arm64-root.sh).
	arm64) PKGS="$PKGS gcc-aarch64-linux-gnu qemu-system-arm qemu-user-static debootstrap" ;;
	*) die "usage: deps.sh [deb] [arm64]" ;;
	esac
done

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done

if ! dpkg-query -W -f='${Status}\n' "$KPKG" 2>/dev/null | grep -q "install ok installed"; then
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
