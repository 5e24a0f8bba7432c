#!/bin/bash
# The torture's case 3 alone: 128 MiB in a 96 MiB memory cgroup, zram swap.
set -u
echo lzo >/sys/block/zram0/comp_algorithm 2>/dev/null
echo 1G >/sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null && swapon /dev/zram0
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
cg=/sys/fs/cgroup/case3
mkdir -p $cg && echo 96M >$cg/memory.max
echo 1 >/proc/sys/vm/async_fork
echo $$ >$cg/cgroup.procs
/work/main/build/tools/snapshot_torture -v -x free -s 128 -t 4 -d 150 2>&1 | sed -u 's/^/# /'
echo "# exit ${PIPESTATUS[0]}"
grep -E '^(pswpin|pswpout) ' /proc/vmstat
