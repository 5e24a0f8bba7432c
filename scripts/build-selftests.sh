#!/bin/bash
# Build and install the mm kselftests of the patched tree into
# build/kselftest (run_kselftest.sh + the mm collection).
set -eu
. "$(dirname "$0")/lib.sh"

need_tool make gcc
[ -f "$KSRC/Makefile" ] || die "no kernel tree in $KSRC (run: make kernel-source)"
dest=$BUILD/kselftest
jobs=$(nproc)

note "installing uapi headers"
make -s -C "$KSRC" ARCH=x86_64 -j"$jobs" headers >/dev/null
note "building mm kselftests"
make -s -C "$KSRC/tools/testing/selftests" ARCH=x86_64 TARGETS=mm -j"$jobs" \
	INSTALL_PATH="$dest" install >"$BUILD/kselftest-build.log" 2>&1 || {
	tail -n 40 "$BUILD/kselftest-build.log" >&2
	die "kselftest build failed (log: $BUILD/kselftest-build.log)"
}
[ -x "$dest/run_kselftest.sh" ] || die "kselftest install produced no run_kselftest.sh"
note "kselftests in $dest"
