#!/bin/bash
# The guest side of the per-fork decomposition: fork_bench (with the
# NOWRITE patch, built as fbx beside this script or named by FBX) with
# tracepoints on, for 4 KiB pages (k), THP (w) and THP without the
# parent's writes between forks (nw); CFGS picks some.
set -u
O=${GUEST_OUT:-/tmp}
F=${FBX:-$(dirname "$0")/fbx}
T=/sys/kernel/tracing
echo madvise > /sys/kernel/mm/transparent_hugepage/enabled
echo 0 > $T/tracing_on
echo 131072 > $T/buffer_size_kb
for e in sched/sched_switch sched/sched_wakeup_new async_fork exceptions/page_fault_user mmap_lock/mmap_lock_acquire_returned mmap_lock/mmap_lock_released; do
	echo 1 > $T/events/$e/enable || echo "no $e"
done
echo 'id == 435' > $T/events/raw_syscalls/sys_enter/filter
echo 'id == 435' > $T/events/raw_syscalls/sys_exit/filter
echo 1 > $T/events/raw_syscalls/sys_enter/enable
echo 1 > $T/events/raw_syscalls/sys_exit/enable
for c in ${CFGS:-k w nw}; do
	case $c in k) a="";; *) a="--thp";; esac
	nw=""; [ $c = nw ] && nw=1
	echo > $T/trace
	echo 1 > $T/tracing_on
	NOWRITE=$nw $F $a --floor-mib 0 --reps 8 2048 > /tmp/$c.csv 2>&1
	echo 0 > $T/tracing_on
	cat $T/trace > $O/trace-$c.txt
	cp /tmp/$c.csv $O/
done
