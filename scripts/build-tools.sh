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
$cc -O2 -Wall -static -o "$out/static-fork-test" "$TOP/tools/testing/static-fork-test.c"
$cc -O2 -Wall -o "$out/fork_bench" "$TOP/tools/testing/fork-bench/fork_bench.c"
$cc -O2 -Wall -o "$out/af_fault_inject" "$TOP/tools/testing/fault-inject/af_fault_inject.c"
$cc -O2 -Wall -pthread -o "$out/snapshot_torture" "$TOP/tools/testing/snapshot-torture/snapshot_torture.c"
$cc -O2 -Wall -o "$out/small_fork" "$TOP/tools/testing/bench/small_fork.c"
$cc -O2 -Wall -pthread -o "$out/redis_latency" "$TOP/tools/testing/bench/redis_latency.c"
note "tools in $out"
