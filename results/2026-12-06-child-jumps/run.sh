#!/bin/bash
# In the guest: fork_bench with the child's jumps off and on, alternating.
#   ab.sh FORK_BENCH OUT [--wait-child]
set -eu
fb=$1 out=$2
wait=${3:-}
param=/sys/module/async_fork/parameters/child_jumps
echo 1 > /proc/sys/vm/async_fork
echo madvise > /sys/kernel/mm/transparent_hugepage/enabled
cd /tmp
: > /tmp/p0.csv
: > /tmp/p1.csv
run() {
	for p in 0 1; do
		echo $p > $param
		"$fb" $wait "$@" > /tmp/one.csv
		if [ ! -s /tmp/p$p.csv ]; then cat /tmp/one.csv > /tmp/p$p.csv
		else tail -n +2 /tmp/one.csv >> /tmp/p$p.csv; fi
	done
}
run --reps 5 256
run --reps 3 2048
run --thp --floor-mib 0 --reps 5 4096
run --sparse --floor-mib 0 --reps 3 1024
run --sparse --floor-mib 0 --reps 3 16384
echo 1 > $param
cp /tmp/p0.csv "$out/jumps0.csv"
cp /tmp/p1.csv "$out/jumps1.csv"
grep async_fork /proc/vmstat > "$out/vmstat.txt"
