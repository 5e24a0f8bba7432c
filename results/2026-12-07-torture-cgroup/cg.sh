#!/bin/bash
# The torture's cgroup case, plain fork against async fork, same boot.
set -u
O=${GUEST_OUT:-/tmp}
bin=${SNAPSHOT_TORTURE:-$(cd "$(dirname "$0")/../.." && pwd)/build/tools/snapshot_torture}
SECS=${SECS:-120}
if [ -e /sys/block/zram0 ] || modprobe zram 2>/dev/null; then
	echo lzo >/sys/block/zram0/comp_algorithm 2>/dev/null
	echo 1G >/sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null && swapon /dev/zram0
fi
cat /proc/swaps
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
cg=/sys/fs/cgroup/t; mkdir -p $cg; echo 96M > $cg/memory.max
for mode in ${MODES:-plain async}; do
	[ $mode = plain ] && p=-p || p=
	echo 1 > /proc/sys/vm/async_fork
	before=$(grep -E '^(pswpin|pswpout) ' /proc/vmstat | tr '\n' ' ')
	bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh $cg $bin $p -v -x free -s 128 -t 4 -d $SECS -S 12345 > /tmp/$mode.out 2>&1
	echo "$mode rc=$? $before -> $(grep -E '^(pswpin|pswpout) ' /proc/vmstat | tr '\n' ' ')" >> /tmp/$mode.out
	cp /tmp/$mode.out $O/
	cat $cg/memory.events > $O/$mode.events
done
