#!/bin/bash
# Guest side of flushcost.c: four rounds, pinned to CPU 0.
set -u
O=${GUEST_OUT:-/tmp}
echo madvise > /sys/kernel/mm/transparent_hugepage/enabled
for k in 4k thp 4k thp; do echo "== 2048 MiB $k"; taskset -c 0 ${FLUSHCOST:-$(dirname "$0")/flushcost} 2048 $k; done > /tmp/fc.txt 2>&1
cp /tmp/fc.txt $O/
