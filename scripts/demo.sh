#!/bin/bash
# The main job (make demo): install what is missing, fetch and patch the
# kernel, build it, boot it and run harness/guest/redis-demo.sh in the
# guest: Redis BGSAVE with plain fork and with async fork, fork latency,
# BGSAVE duration and a check that every snapshot is the dataset at the
# fork.  Prints the table at the end; the CSV stays in build/demo.
#
# Environment: DATASET_MB (default 1024), ROUNDS (default 3),
# DEMO_TIMEOUT (guest time limit in seconds, default 7200).
set -eu
. "$(dirname "$0")/lib.sh"

S=$TOP/scripts
dataset=${DATASET_MB:-1024}
rounds=${ROUNDS:-3}
timeout_s=${DEMO_TIMEOUT:-7200}
for v in "$dataset" "$rounds" "$timeout_s"; do
	case $v in '' | *[!0-9]*) die "DATASET_MB, ROUNDS and DEMO_TIMEOUT must be numbers" ;; esac
done

# make demo has built the kernel (the Makefile's prerequisites).
build_prereqs deps.sh kernel-source.sh series.sh kernel.sh

out=$BUILD/demo
mkdir -p "$out"
rm -f "$out/redis-demo.csv" "$out/redis-demo.txt"
note "Redis demo in the guest: DATASET_MB=$dataset ROUNDS=$rounds (TCG is slow; this takes a while)"
rc=0
"$S/run-guest.sh" -m 4096 -t "$timeout_s" -o "$out" -- \
	"DATASET_MB=$dataset ROUNDS=$rounds $TOP/harness/guest/redis-demo.sh" || rc=$?

echo
if [ -s "$out/redis-demo.txt" ]; then
	cat "$out/redis-demo.txt"
	echo
	note "CSV: $out/redis-demo.csv (console log: $out/console.log)"
else
	note "the guest wrote no table (console log: $out/console.log)"
fi
[ "$rc" = 0 ] || die "the Redis demo failed (status $rc)"
