#!/bin/bash
# Fork-latency benchmark: the parent's time in clone3(), plain fork against
# CLONE_ASYNC, in one guest run on the patched kernel.  Writes
# results/fork-latency.csv (every fork) and results/fork-latency.md (medians).
#
# Environment: SIZES (MiB, default "256 512 1024 2048"), REPS (default 5),
#              THP=1 to also run with transparent huge pages, GUEST_MEM.
#              GUEST_ARCH=arm64: the same in the arm64 guest (the kernel of
#              scripts/build-arm64-kernel.sh), into
#              results/fork-latency-arm64.{csv,md}.
set -eu
. "$(dirname "$0")/lib.sh"

sizes=${SIZES:-"256 512 1024 2048"}
reps=${REPS:-5}
case ${GUEST_ARCH:-x86_64} in
x86_64) cc=gcc bin=$BUILD/bench arch=$(uname -m) tree=$KSRC name=fork-latency ;;
arm64)
	cc=aarch64-linux-gnu-gcc bin=$BUILD/bench-arm64 name=fork-latency-arm64
	arch="aarch64 (-cpu max)" tree=$BUILD/linux-arm64
	;;
*) die "GUEST_ARCH must be x86_64 or arm64, not '$GUEST_ARCH'" ;;
esac
need_tool "$cc" make python3
mkdir -p "$bin" "$TOP/results"
make -s -C "$TOP/tools/testing" O="$bin" CC="$cc" fork_bench

max=0
for s in $sizes; do [ "$s" -gt "$max" ] && max=$s; done
mem=${GUEST_MEM:-$((max * 2 + 2048))}

# The benchmark writes to tmpfs: writes to the 9p share pin user pages,
# and an mm that ever pinned pages forks synchronously (MMF_HAS_PINNED).
cmd="set -e; echo never >/sys/kernel/mm/transparent_hugepage/enabled;
$bin/fork_bench --reps $reps $sizes >/tmp/fork.csv"
if [ "${THP:-0}" = 1 ]; then
	cmd="$cmd; echo always >/sys/kernel/mm/transparent_hugepage/enabled;
$bin/fork_bench --thp --reps $reps $sizes | tail -n +2 >>/tmp/fork.csv"
fi
cmd="$cmd; cp /tmp/fork.csv \$GUEST_OUT/fork-4k.csv; grep async_fork /proc/vmstat"

note "fork benchmark in the guest (${mem} MiB): sizes $sizes MiB, $reps forks each"
"$SCRIPT_DIR/run-guest.sh" -q -m "$mem" -t 3600 -o "$bin/out" -- "$cmd"
cp "$bin/out/fork-4k.csv" "$TOP/results/$name.csv"
python3 "$TOP/tools/testing/fork-bench/summarize.py" \
	"$TOP/results/$name.csv" "$arch" "${mem}" "$tree" \
	>"$TOP/results/$name.md"
cat "$TOP/results/$name.md"
