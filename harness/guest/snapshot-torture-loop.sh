#!/bin/bash
# Runs inside the guest: the snapshot torture's first case (clone3
# (CLONE_ASYNC), vm.async_fork=1) over and over, with the torture's
# surroundings (zram swap, frequent khugepaged scans, compaction every
# two seconds), until a child hangs or RUNS runs are done.  For chasing
# a rare hang: the torture's hang report then says where the child
# faults.  Each run's output goes to $GUEST_OUT/runN.out through a pipe
# (a program writing to the 9p share itself pins its pages and forks
# synchronously from then on).
#
# Environment:
#   RUNS        how many runs at most (default 20)
#   HANG_SECS   the torture's hang limit, -T (default 120)
#   TORTURE_SIZE_MB, TORTURE_SECONDS   as snapshot-torture.sh (256, 300)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${SNAPSHOT_TORTURE:-$top/build/tools/snapshot_torture}
runs=${RUNS:-20}
out=${GUEST_OUT:-/tmp}

[ -x "$bin" ] || { echo "$bin not built (scripts/tools.sh)"; exit 1; }
if ! grep -q '^/dev/zram0 ' /proc/swaps 2>/dev/null &&
	{ [ -e /sys/block/zram0 ] || modprobe zram 2>/dev/null; }; then
	echo 1G >/sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null &&
		swapon /dev/zram0
fi
echo madvise >/sys/kernel/mm/transparent_hugepage/enabled
khp=/sys/kernel/mm/transparent_hugepage/khugepaged
echo 200 >$khp/scan_sleep_millisecs
echo 200 >$khp/alloc_sleep_millisecs
(while :; do echo 1 >/proc/sys/vm/compact_memory; sleep 2; done) &
compactor=$!
trap 'kill $compactor 2>/dev/null' EXIT
echo 1 >/proc/sys/vm/async_fork
for i in $(seq "$runs"); do
	echo "# run $i $(date +%T)"
	"$bin" -v -x free -s "${TORTURE_SIZE_MB:-256}" -t 4 \
		-d "${TORTURE_SECONDS:-300}" -T "${HANG_SECS:-120}" 2>&1 |
		cat >"$out/run$i.out"
	tail -4 "$out/run$i.out"
	if grep -q '^HANG' "$out/run$i.out"; then
		echo "# HANG in run $i"
		dmesg >"$out/dmesg.txt"
		exit 1
	fi
done
echo "# no hang in $runs runs"
