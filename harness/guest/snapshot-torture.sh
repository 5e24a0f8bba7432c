#!/bin/bash
# Runs inside the guest: the snapshot torture (snapshot_torture.c) with
# clone3(CLONE_ASYNC) under vm.async_fork=1, with plain fork() under
# vm.async_fork=2, in a memory cgroup too small for it (reclaim to zram
# swap while children copy), with MADV_FREE and swap off, with a parent
# that pins its own pages (every fork after the first falls back to a
# synchronous one), and its self-tests, which must fail.  Meanwhile memory
# is compacted every two seconds and khugepaged scans often, so that pages
# migrate and collapse under the tables children copy.  TAP on stdout
# (and in $GUEST_OUT/snapshot-torture.tap).
#
# Why MADV_FREE only runs without swap: on 6.12 (with or without async
# fork, vm.async_fork=0 too) a page swapped in from zram by a read fault
# skips the swap cache and is mapped clean, in a clean folio.  Once such a
# folio is shared by fork, MADV_FREE in one process marks it lazy-free
# (madvise_free_pte_range() checks the mapcount only of dirty or swap
# cache folios) and reclaim then discards it for every process: the other
# one reads zeroes.  That is a kernel bug outside async fork, which the
# torture finds within a minute in a memory cgroup; the swap runs leave
# MADV_FREE out (-x free) so that they test async fork.
#
# Environment:
#   SNAPSHOT_TORTURE    the program (default build/tools/snapshot_torture)
#   TORTURE_SECONDS     length of the CLONE_ASYNC run (default 300); the
#                       vm.async_fork=2 and the memory cgroup runs take
#                       half of it each, the MADV_FREE run a quarter
#   TORTURE_SIZE_MB     memory under test (default 256)
#   TORTURE_THREADS     mutator threads (default 4)
#   TORTURE_SELFTEST    0 skips the must-fail self-tests
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${SNAPSHOT_TORTURE:-$top/build/tools/snapshot_torture}
secs=${TORTURE_SECONDS:-300}
size=${TORTURE_SIZE_MB:-256}
threads=${TORTURE_THREADS:-4}
selftest=${TORTURE_SELFTEST:-1}
sysctl=/proc/sys/vm/async_fork
tap=/tmp/snapshot-torture.tap
n=0
fails=0

say() {
	echo "$*" | tee -a "$tap"
}

[ -x "$bin" ] || { echo "Bail out! $bin not built (scripts/tools.sh)"; exit 1; }
[ -w "$sysctl" ] || { echo "Bail out! $sysctl missing: not an async fork kernel"; exit 1; }

# Swap on zram, so that MADV_PAGEOUT and reclaim really swap.
if ! grep -q '^/dev/zram0 ' /proc/swaps 2>/dev/null &&
	{ [ -e /sys/block/zram0 ] || modprobe zram 2>/dev/null; }; then
	echo lzo >/sys/block/zram0/comp_algorithm 2>/dev/null || true
	if echo 1G >/sys/block/zram0/disksize 2>/dev/null &&
		mkswap /dev/zram0 >/dev/null && swapon /dev/zram0; then
		echo "# zram swap on (1 GiB)"
	fi
fi
echo madvise >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true
khp=/sys/kernel/mm/transparent_hugepage/khugepaged
echo 200 >$khp/scan_sleep_millisecs 2>/dev/null || true
echo 200 >$khp/alloc_sleep_millisecs 2>/dev/null || true

old_mode=$(cat "$sysctl")
compactor=""
cleanup() {
	echo "$old_mode" >"$sysctl"
	[ -z "$compactor" ] || kill "$compactor" 2>/dev/null || true
}
trap cleanup EXIT
# The loop forks nothing (read -t sleeps): under vm.async_fork=2 its forks
# would count as async forks in /proc/vmstat, which the runs check.
if [ -w /proc/sys/vm/compact_memory ] && mkfifo /tmp/snapshot-torture.fifo; then
	(
		exec 9<>/tmp/snapshot-torture.fifo
		while :; do
			echo 1 >/proc/sys/vm/compact_memory 2>/dev/null || true
			read -r -t 2 -u 9 _ || true
		done
	) &
	compactor=$!
fi

# A memory cgroup for the reclaim run, if the kernel has one.
cg=/sys/fs/cgroup/snapshot-torture
cg_size=$((size / 2))
if [ -w /sys/fs/cgroup/cgroup.subtree_control ] &&
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null &&
	mkdir -p "$cg" && echo $((cg_size * 3 / 4))M >"$cg/memory.max"; then
	:
else
	cg=""
fi

# run NAME WANT(pass|fail) MODE [--async] ARGS...: one TAP line.  The
# program writes to a pipe, never to a 9p file itself (that would pin its
# pages and make every fork synchronous).
run() {
	local name=$1 want=$2 mode=$3 check_async=false rc=0 out async
	shift 3
	if [ "${1:-}" = --async ]; then
		check_async=true
		shift
	fi
	n=$((n + 1))
	echo "$mode" >"$sysctl"
	out=/tmp/snapshot-torture.$n.out
	echo "# [$n] vm.async_fork=$mode: $bin $*"
	set +e
	if [ -n "${IN_CGROUP:-}" ]; then
		# shellcheck disable=SC2016
		bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' \
			sh "$cg" "$bin" "$@" 2>&1 | tee "$out" | sed -u 's/^/# /'
	else
		"$bin" "$@" 2>&1 | tee "$out" | sed -u 's/^/# /'
	fi
	rc=${PIPESTATUS[0]}
	set -e
	async=$(sed -n 's/^vmstat: async_fork \([-0-9]*\),.*/\1/p' "$out")
	if [ "$want" = pass ] && [ "$rc" = 0 ] &&
		{ ! $check_async || [ "${async:-0}" -gt 0 ]; }; then
		say "ok $n - $name"
	elif [ "$want" = fail ] && [ "$rc" = 1 ] && grep -q '^MISMATCH' "$out"; then
		say "ok $n - $name (failed as it must)"
	elif [ "$want" = hang ] && [ "$rc" = 1 ] && grep -q '^HANG' "$out" &&
		grep -q '^  in 1 s: ' "$out"; then
		say "ok $n - $name (reported as it must)"
	else
		fails=$((fails + 1))
		if [ "$want" = pass ] && [ "$rc" = 0 ]; then
			say "not ok $n - $name # no async fork happened"
		else
			say "not ok $n - $name # exit status $rc, wanted $want"
		fi
	fi
}

: >"$tap"
say "TAP version 13"
if [ "$selftest" = 0 ]; then
	say "1..5"
else
	say "1..8"
fi
run "snapshot torture: clone3(CLONE_ASYNC), ${size} MiB, ${secs}s" pass 1 --async \
	-v -x free -s "$size" -t "$threads" -d "$secs"
run "snapshot torture: fork() under vm.async_fork=2, ${size} MiB, $((secs / 2))s" pass 2 --async \
	-v -x free -p -s "$size" -t "$threads" -d "$((secs / 2))"
if [ -n "$cg" ]; then
	IN_CGROUP=1 run "snapshot torture: clone3(CLONE_ASYNC), ${cg_size} MiB in a cgroup with $((cg_size * 3 / 4)) MiB, $((secs / 2))s" pass 1 --async \
		-v -x free -s "$cg_size" -t "$threads" -d "$((secs / 2))"
	echo "# since boot: $(grep -E '^(pswpin|pswpout|pgmigrate_success|thp_collapse_alloc) ' /proc/vmstat | tr '\n' ' ')"
else
	n=$((n + 1))
	say "ok $n - snapshot torture in a memory cgroup # SKIP no memory cgroup"
fi
# MADV_FREE without swap: lazy-free pages are discarded by MADV_PAGEOUT.
swaps=$(awk 'NR > 1 { print $1 }' /proc/swaps)
for s in $swaps; do swapoff "$s" || true; done
run "snapshot torture: clone3(CLONE_ASYNC) with MADV_FREE, swap off, ${size} MiB, $((secs / 4))s" pass 1 --async \
	-v -s "$size" -t "$threads" -d "$((secs / 4))"
for s in $swaps; do swapon "$s" || true; done
run "snapshot torture: parent pins its pages (process_vm_writev), then forks synchronously" pass 1 \
	-W -x free -s 64 -t "$threads" -r 6
if [ "$selftest" != 0 ]; then
	run "snapshot torture self-test: corrupted child copy is reported" fail 1 \
		-X 1 -x free -s 32 -t "$threads" -r 2
	run "snapshot torture self-test: parent writes seen by a child are reported" fail 1 \
		-X 2 -x free -s 32 -t "$threads" -r 3
	run "snapshot torture self-test: a child faulting in a loop is reported as a hang" hang 1 \
		-X 3 -x free -s 32 -t "$threads" -r 1
fi
echo "# snapshot torture: $((n - fails)) passed, $fails failed"
if [ -n "${GUEST_OUT:-}" ] && [ -d "$GUEST_OUT" ]; then
	cp "$tap" "$GUEST_OUT/snapshot-torture.tap" || true
fi
[ "$fails" = 0 ]
