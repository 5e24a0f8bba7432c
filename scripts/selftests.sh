#!/bin/bash
# Build and install the mm kselftests of the patched tree into
# build/kselftest (run_kselftest.sh + the mm collection).
#
# KARCH=arm64 cross-builds them from the arm64 kernel's worktree
# (build/linux-arm64, or ARM64_TREE) into build/arm64-kselftest, against the libraries
# of the arm64 guest's root (scripts/arm64-root.sh) as the sysroot.
set -eu
. "$(dirname "$0")/lib.sh"

karch=${KARCH:-x86_64}
jobs=$(nproc)
case $karch in
x86_64)
	need_tool make gcc
	dest=$BUILD/kselftest
	log=$BUILD/kselftest-build.log
	set -- ARCH=x86_64
	;;
arm64)
	need_tool make aarch64-linux-gnu-gcc
	KSRC=${ARM64_TREE:-$BUILD/linux-arm64}
	dest=$BUILD/arm64-kselftest
	log=$BUILD/arm64-kselftest-build.log
	root=$BUILD/arm64-root
	[ -f "$root/usr/include/numa.h" ] || die "no arm64 root with headers in $root (run: scripts/arm64-root.sh)"
	set -- ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
		CC="aarch64-linux-gnu-gcc --sysroot=$root"
	;;
*) die "KARCH must be x86_64 or arm64, not '$karch'" ;;
esac
[ -f "$KSRC/Makefile" ] || die "no kernel tree in $KSRC (run: make kernel-source)"

note "installing uapi headers ($karch)"
make -s -C "$KSRC" "$@" -j"$jobs" headers >/dev/null
note "building mm kselftests ($karch)"
make -s -C "$KSRC/tools/testing/selftests" "$@" TARGETS=mm -j"$jobs" \
	INSTALL_PATH="$dest" install >"$log" 2>&1 || {
	tail -n 40 "$log" >&2
	die "kselftest build failed (log: $log)"
}
[ -x "$dest/run_kselftest.sh" ] || die "kselftest install produced no run_kselftest.sh"
note "kselftests in $dest"
