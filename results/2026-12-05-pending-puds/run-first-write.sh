#!/bin/bash
# In the guest: the sparse and THP rows (parent writes), pending PUDs on.
set -eu
fb=$1 out=$2
echo madvise > /sys/kernel/mm/transparent_hugepage/enabled
cd /tmp
$fb --reps 5 256 > /tmp/a.csv
$fb --thp --floor-mib 0 --reps 5 4096 | tail -n +2 >> /tmp/a.csv
$fb --sparse --floor-mib 0 --reps 3 1024 16384 | tail -n +2 >> /tmp/a.csv
cp /tmp/a.csv "$out"/fw.csv
grep async_fork /proc/vmstat > "$out"/vmstat.txt
