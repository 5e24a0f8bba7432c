#!/bin/bash
# In the guest: fork_bench with pending PUDs off and on, same kernel, same
# boot, the two settings alternating case by case.
set -eu
fb=$1 out=$2
param=/sys/module/async_fork/parameters/pending_puds
echo madvise > /sys/kernel/mm/transparent_hugepage/enabled
cd /tmp
: > /tmp/puds0.csv
: > /tmp/puds1.csv
run() {	# ARGS...: one case, both settings
	for p in 0 1; do
		echo $p > $param
		$fb "$@" > /tmp/one.csv
		if [ ! -s /tmp/puds$p.csv ]; then
			cat /tmp/one.csv > /tmp/puds$p.csv
		else
			tail -n +2 /tmp/one.csv >> /tmp/puds$p.csv
		fi
	done
}
run --reps 5 256
run --thp --floor-mib 0 --reps 5 4096
run --sparse --floor-mib 0 --reps 3 1024
run --sparse --floor-mib 0 --reps 3 16384
echo 1 > $param
cp /tmp/puds0.csv /tmp/puds1.csv "$out"/
grep async_fork /proc/vmstat > "$out"/vmstat.txt
