#!/bin/bash
# In the guest: fork_bench --wait-child with pending PUDs off and on,
# alternating case by case.
set -eu
fb=$1 out=$2
param=/sys/module/async_fork/parameters/pending_puds
echo madvise > /sys/kernel/mm/transparent_hugepage/enabled
cd /tmp
: > /tmp/w0.csv
: > /tmp/w1.csv
run() {
	for p in 0 1; do
		echo $p > $param
		$fb --wait-child "$@" > /tmp/one.csv
		if [ ! -s /tmp/w$p.csv ]; then
			cat /tmp/one.csv > /tmp/w$p.csv
		else
			tail -n +2 /tmp/one.csv >> /tmp/w$p.csv
		fi
	done
}
run --reps 5 256
run --thp --floor-mib 0 --reps 5 4096
run --sparse --floor-mib 0 --reps 3 1024
run --sparse --floor-mib 0 --reps 3 16384
echo 1 > $param
cp /tmp/w0.csv "$out"/wait-puds0.csv
cp /tmp/w1.csv "$out"/wait-puds1.csv
