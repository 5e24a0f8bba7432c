#!/bin/bash
# Runs inside the debug guest (kernel-config/debug.config): async forks of a
# 256 MiB process while fail_page_alloc and failslab fail allocations made
# from mm/async_fork.c (the child's copy and the parent's proactive
# synchronization), chosen with the fault-injection stack-trace filter.
# Checks that every child completed or was killed, that the parent's memory
# is intact (af_fault_inject does both), that failures were really injected,
# and that nothing leaked: PageTables and MemFree before and after.
# Prints TAP.
#
# Environment:
#   FI_START, FI_END  text addresses of mm/async_fork.o (required; the host
#                     script reads them from System.map)
#   FI_PROBABILITY    percent of matching allocations to fail (default 10)
#   FI_ROUNDS         forks per run (default 40)
#   FI_SIZE_MB        region size (default 256)
#   AF_FAULT_INJECT   the program (default build/tools/af_fault_inject)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
prog=${AF_FAULT_INJECT:-$top/build/tools/af_fault_inject}
prob=${FI_PROBABILITY:-10}
rounds=${FI_ROUNDS:-40}
size=${FI_SIZE_MB:-256}
dbg=/sys/kernel/debug
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n $*"; failed=1; }

[ -n "${FI_START:-}" ] && [ -n "${FI_END:-}" ] || { echo "FI_START and FI_END must be set" >&2; exit 2; }
[ -x "$prog" ] || { echo "$prog not built (scripts/tools.sh)" >&2; exit 2; }
for f in fail_page_alloc failslab; do
	[ -d "$dbg/$f" ] || { echo "no $dbg/$f: not a fault-injection kernel" >&2; exit 2; }
done

# Settings shared by both attributes.  ignore-gfp-wait=N: the copy
# allocates with GFP_KERNEL, which the defaults leave alone.  task-filter:
# only the program under test and its children fail (make-it-fail is
# inherited), not this script's own forks, which vm.async_fork=2 makes
# async too.
aim() { # attr probability
	local d=$dbg/$1
	echo "$FI_START" >"$d/require-start"
	echo "$FI_END" >"$d/require-end"
	echo 32 >"$d/stacktrace-depth"
	echo Y >"$d/task-filter"
	echo 1 >"$d/interval"
	echo -1 >"$d/times"
	echo 0 >"$d/space"
	echo 1 >"$d/verbose"
	echo N >"$d/ignore-gfp-wait"
	[ ! -e "$d/ignore-gfp-highmem" ] || echo N >"$d/ignore-gfp-highmem"
	[ ! -e "$d/min-order" ] || echo 0 >"$d/min-order"
	echo "$2" >"$d/probability"
}

# meminfo KEY: the value (kB) of KEY in /proc/meminfo, in $REPLY.  Bash
# builtins only: a command substitution would fork, and a fork makes page
# tables.
meminfo() {
	local k v _
	REPLY=
	while read -r k v _; do
		if [ "$k" = "$1:" ]; then
			REPLY=$v
			return
		fi
	done </proc/meminfo
}

# A pipe to time out on: "read -t" sleeps without starting a process.
exec {tick_fd}<> <(:)
pause() { read -r -t "$1" -u "$tick_fd" _ || true; }

# Page tables of exited processes are freed after an RCU grace period
# (x86 frees them with RCU), which a TCG debug guest takes seconds to end.
# Every process started while waiting (even a sleep) would leave its own
# tables in flight, so the wait starts none: PageTables must hold still
# over three readings 2 s apart (at most 60 s).
settle() {
	local prev=-1 same=0 i
	sync
	echo 3 >/proc/sys/vm/drop_caches
	for ((i = 0; i < 30; i++)); do
		pause 2
		meminfo PageTables
		if [ "$REPLY" = "$prev" ]; then
			same=$((same + 1))
			[ "$same" -lt 2 ] || break
		else
			same=0
		fi
		prev=$REPLY
	done
}
injected() { dmesg | grep -c 'FAULT_INJECTION: forcing a failure' || true; }

echo 1 >/proc/sys/vm/async_fork
echo never >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true

# Warm up once without injection, so that caches settle before measuring.
"$prog" -s "$size" -r 2 >/dev/null
settle
meminfo PageTables
pt0=$REPLY
meminfo MemFree
free0=$REPLY
inj0=$(injected)

run() { # description, program arguments...
	local desc=$1 out rc=0
	shift
	aim fail_page_alloc "$prob"
	aim failslab "$prob"
	out=$(sh -c 'echo 1 >/proc/self/make-it-fail && exec "$@"' sh \
		"$prog" -s "$size" "$@" 2>&1) || rc=$?
	echo 0 >"$dbg/fail_page_alloc/probability"
	echo 0 >"$dbg/failslab/probability"
	echo "$out" | sed 's/^/# /'
	if [ "$rc" = 0 ]; then ok "$desc"; else not_ok "$desc (status $rc)"; fi
	settle
	meminfo PageTables
	echo "# after it: PageTables $REPLY kB"
}

run "CLONE_ASYNC forks under injected failures: no wrong snapshot, parent intact" -r "$rounds"
echo 2 >/proc/sys/vm/async_fork
run "fork() with vm.async_fork=2 under injected failures" -p -r "$((rounds / 2))"
echo 1 >/proc/sys/vm/async_fork

# Measured before dmesg runs below (its tables, too, are freed late).
settle
meminfo PageTables
pt1=$REPLY
meminfo MemFree
free1=$REPLY

inj=$(($(injected) - inj0))
echo "# injected failures: $inj"
if [ "$inj" -gt 0 ]; then ok "failures were injected ($inj)"; else not_ok "no failure was injected: filter or config wrong"; fi

echo "# PageTables ${pt0} kB -> ${pt1} kB, MemFree ${free0} kB -> ${free1} kB"
# Page tables come back exactly (two tables of slack, should this shell's
# own heap or stack grow); MemFree within 16 MiB (per-CPU lists, slab caches), far
# below what a leaked 256 MiB snapshot or its tables would cost.
if [ $((pt1 - pt0)) -le 8 ]; then ok "no page tables leaked"; else not_ok "page tables leaked: $((pt1 - pt0)) kB"; fi
if [ $((free0 - free1)) -le 16384 ]; then ok "no memory leaked"; else not_ok "MemFree fell by $((free0 - free1)) kB"; fi
echo "1..$n"
exit "$failed"
