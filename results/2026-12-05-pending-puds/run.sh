#!/bin/bash
# In the guest: fork_bench with pending PUDs off and on, same kernel, same
# boot, the two settings alternating case by case.
#   run.sh FORK_BENCH OUT [--wait-child]
# writes OUT/[wait-]puds0.csv, OUT/[wait-]puds1.csv and OUT/vmstat.txt.
set -eu
fb=$1 out=$2
wait=${3:-}
case $wait in '' | --wait-child) ;; *) echo "run.sh: unknown option '$wait'" >&2; exit 2 ;; esac
prefix=${wait:+wait-}
param=/sys/module/async_fork/parameters/pending_puds
[ -w $param ] || { echo "run.sh: no $param (a kernel without pending PUDs?)" >&2; exit 1; }
echo madvise > /sys/kernel/mm/transparent_hugepage/enabled
cd /tmp
: > /tmp/p0.csv
: > /tmp/p1.csv
run() {	# ARGS...: one case, both settings
	for p in 0 1; do
		echo $p > $param
		# shellcheck disable=SC2086
		"$fb" $wait "$@" > /tmp/one.csv
		if [ ! -s /tmp/p$p.csv ]; then
			cat /tmp/one.csv > /tmp/p$p.csv
		else
			tail -n +2 /tmp/one.csv >> /tmp/p$p.csv
		fi
	done
}
run --reps 5 256
run --thp --floor-mib 0 --reps 5 4096
run --sparse --floor-mib 0 --reps 3 1024
run --sparse --floor-mib 0 --reps 3 16384
echo 1 > $param
cp /tmp/p0.csv "$out/${prefix}puds0.csv"
cp /tmp/p1.csv "$out/${prefix}puds1.csv"
grep async_fork /proc/vmstat > "$out/vmstat.txt"
