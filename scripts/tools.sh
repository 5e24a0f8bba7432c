#!/bin/bash
# Build the user-space tools the tests and the demo use into build/tools:
# the async-fork-run launcher, the static fork test, the fork benchmark,
# the fault-injection and snapshot torture programs.
#
# KARCH=arm64 cross-builds them for the arm64 guest into build/arm64-tools.
set -eu
. "$(dirname "$0")/lib.sh"

case ${KARCH:-x86_64} in
x86_64) cc=gcc out=$BUILD/tools ;;
arm64) cc=aarch64-linux-gnu-gcc out=$BUILD/arm64-tools ;;
*) die "KARCH must be x86_64 or arm64, not '$KARCH'" ;;
esac
need_tool "$cc" make
mkdir -p "$out"
make -s -C "$TOP/tools/async-fork-run" O="$out" CC="$cc"
# The test programs: harness/Makefile.
make -s -C "$TOP/harness" O="$out" CC="$cc"
note "tools in $out"
