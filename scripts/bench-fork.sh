#!/bin/bash
# Fork-latency benchmark: the parent's time in clone3(), plain fork against
# CLONE_ASYNC, in one guest run on the patched kernel.  Writes
# results/fork-latency.csv (every fork) and results/fork-latency.md (medians).
#
# Environment: SIZES (MiB, default "256 512 1024 2048"), REPS (default 5),
#              THP=1 to also run with transparent huge pages, GUEST_MEM.
set -eu
. "$(dirname "$0")/lib.sh"

need_tool gcc python3
sizes=${SIZES:-"256 512 1024 2048"}
reps=${REPS:-5}
mkdir -p "$BUILD/bench" "$TOP/results"
gcc -O2 -Wall -o "$BUILD/bench/fork_bench" "$TOP/tools/testing/fork-bench/fork_bench.c"

max=0
for s in $sizes; do [ "$s" -gt "$max" ] && max=$s; done
mem=${GUEST_MEM:-$((max * 2 + 2048))}

# The benchmark writes to tmpfs: writes to the 9p share pin user pages,
# and an mm that ever pinned pages forks synchronously (MMF_HAS_PINNED).
cmd="set -e; echo never >/sys/kernel/mm/transparent_hugepage/enabled;
$BUILD/bench/fork_bench --reps $reps $sizes >/tmp/fork.csv"
if [ "${THP:-0}" = 1 ]; then
	cmd="$cmd; echo always >/sys/kernel/mm/transparent_hugepage/enabled;
$BUILD/bench/fork_bench --thp --reps $reps $sizes | tail -n +2 >>/tmp/fork.csv"
fi
cmd="$cmd; cp /tmp/fork.csv \$GUEST_OUT/fork-4k.csv; grep async_fork /proc/vmstat"

note "fork benchmark in the guest (${mem} MiB): sizes $sizes MiB, $reps forks each"
"$SCRIPT_DIR/run-guest.sh" -q -m "$mem" -t 3600 -o "$BUILD/bench/out" -- "$cmd"
cp "$BUILD/bench/out/fork-4k.csv" "$TOP/results/fork-latency.csv"
python3 "$TOP/tools/testing/fork-bench/summarize.py" \
	"$TOP/results/fork-latency.csv" "$(uname -m)" "${mem}" \
	>"$TOP/results/fork-latency.md"
cat "$TOP/results/fork-latency.md"
