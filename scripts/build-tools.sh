#!/bin/bash
# Build the user-space tools the tests and the demo use into build/tools:
# the async-fork-run launcher, the static fork test, the fork benchmark,
# the fault-injection and snapshot torture programs.
set -eu
. "$(dirname "$0")/lib.sh"

need_tool gcc make
out=$BUILD/tools
mkdir -p "$out"
make -s -C "$TOP/tools/async-fork-run" O="$out"
gcc -O2 -Wall -static -o "$out/static-fork-test" "$TOP/tools/testing/static-fork-test.c"
gcc -O2 -Wall -o "$out/fork_bench" "$TOP/tools/testing/fork-bench/fork_bench.c"
gcc -O2 -Wall -o "$out/af_fault_inject" "$TOP/tools/testing/fault-inject/af_fault_inject.c"
gcc -O2 -Wall -pthread -o "$out/snapshot_torture" "$TOP/tools/testing/snapshot-torture/snapshot_torture.c"
gcc -O2 -Wall -o "$out/small_fork" "$TOP/tools/testing/bench/small_fork.c"
gcc -O2 -Wall -pthread -o "$out/redis_latency" "$TOP/tools/testing/bench/redis_latency.c"
note "tools in $out"
