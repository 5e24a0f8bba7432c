#!/bin/bash
# Guest side of the comparison in README.md: fork_bench's sparse rows and
# the floor, twice, written to the guest's output directory.
set -eu
cd /tmp
T=${TOOLS:-/work/main/build/tools}
for i in 1 2; do
	"$T/fork_bench" --sparse --floor-mib 4 --reps 10 1024 16384 >/tmp/fb$i.csv
done
cp /tmp/fb*.csv "$GUEST_OUT/"
