#!/bin/bash
# Runs inside the guest: stress-ng's fork, memory-mapping and swap stressors
# with --verify, every fork async (vm.async_fork=2), swap on zram, KSM on
# (ksmd running, the vm stressor's pages MADV_MERGEABLE),
# memory pressure from the vm and bigheap stressors.  One TAP line per group
# of stressors; a group fails when stress-ng reports a failed stressor or a
# verification error.
#
# Environment:
#   STRESS_SECS   seconds per group (default 60)
#   STRESS_MODE   vm.async_fork during the run (default 2; 0 for a
#                 control run with every fork plain)
#   STRESS_GROUPS the groups to run (default "fork forkheavy mmapfork
#                 mapping pressure")
set -u
secs=${STRESS_SECS:-60}
mode=${STRESS_MODE:-2}
groups=${STRESS_GROUPS:-fork forkheavy mmapfork mapping pressure}
n=0
failed=0
nocap=""	# a command that runs stress-ng with fewer capabilities, per group
case $secs in '' | *[!0-9]*) echo "STRESS_SECS must be a number" >&2; exit 2 ;; esac
case $mode in 0 | 1 | 2) ;; *) echo "STRESS_MODE must be 0, 1 or 2" >&2; exit 2 ;; esac
for g in $groups; do
	case $g in fork | forkheavy | mmapfork | mapping | pressure) ;; *)
		echo "STRESS_GROUPS: unknown group '$g' (fork, forkheavy, mmapfork, mapping, pressure)" >&2
		exit 2
		;;
	esac
done
command -v stress-ng >/dev/null || { echo "stress-ng is not installed (make deps)" >&2; exit 2; }

if [ -e /sys/block/zram0 ] && ! grep -q zram0 /proc/swaps; then
	echo 1G >/sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null &&
		swapon /dev/zram0 && echo "# zram swap on (1 GiB)"
fi
echo madvise >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
echo 1 >/sys/kernel/mm/ksm/run 2>/dev/null
echo "$mode" >/proc/sys/vm/async_fork || { echo "no /proc/sys/vm/async_fork" >&2; exit 2; }
a0=$(awk '$1 == "async_fork" { print $2 }' /proc/vmstat)

# progress GROUP WAITED: one line of how a long group is getting on (a
# debug kernel under TCG runs stress-ng many times slower than its timeout).
progress() {
	echo "# [$(cut -d' ' -f1 /proc/uptime)s] group $1 running for ${2}s:" \
		"$(pgrep -c stress-ng) stress-ng processes," \
		"load $(cut -d' ' -f1-3 /proc/loadavg)," \
		"async forks so far $(($(awk '$1 == "async_fork" { print $2 }' /proc/vmstat) - a0))"
}

# group NAME STRESSOR-ARGS...
group() {
	local name=$1 log=/tmp/stress-$1.log rc=0
	shift
	case " $groups " in *" $name "*) ;; *) return 0 ;; esac
	n=$((n + 1))
	# stress-ng stops its stressors after ${secs}s; a group still running
	# long after that is hung: dump the blocked tasks (sysrq-w) to the
	# console for the report, then kill it.
	timeout -s KILL "$((secs * 6 + 300))" $nocap stress-ng --temp-path /tmp \
		--verify --timeout "${secs}s" --metrics-brief "$@" >"$log" 2>&1 &
	local pid=$! waited=0
	while kill -0 "$pid" 2>/dev/null; do
		sleep 5
		waited=$((waited + 5))
		[ $((waited % 120)) != 0 ] || progress "$name" "$waited"
		if [ "$waited" = $((secs * 3 + 180)) ]; then
			# Blocked tasks, and what the CPUs run.
			echo w >/proc/sysrq-trigger
			echo l >/proc/sysrq-trigger
			ps -e -o pid,stat,time,wchan:24,comm | grep -E 'stress|PID' | sed 's/^/#   /'
		fi
	done
	wait "$pid" || rc=$?
	[ "$rc" != 137 ] || echo "stress-ng fail: hung, killed after $((secs * 6 + 300))s" >>"$log"
	sed 's/^/# /' "$log"
	# A stressor that never finished an operation (bogo ops 0: a debug
	# kernel in TCG is that slow) never reached its --verify checks
	# either: the group did not test what it names.
	local idle
	idle=$(awk '$2 == "metrc:" && $5 ~ /^[0-9]+$/ && $5 == 0 { printf " %s", $4 }' "$log")
	# Exit status 3 only means a stressor could not run here (listed
	# as skipped above); failures and verification errors are 2 and
	# "fail:" lines.
	if ! { [ "$rc" = 0 ] || [ "$rc" = 3 ]; } || grep -q -E 'fail: |verif.*fail' "$log"; then
		echo "not ok $n stress-ng $name (status $rc)"
		failed=1
	elif [ -n "$idle" ]; then
		echo "not ok $n stress-ng $name: no operation completed in ${secs}s by$idle (raise STRESS_SECS)"
		failed=1
	else
		echo "ok $n stress-ng $name"
	fi
}

# The fork groups also stop after a number of operations, a cap for a
# slow (debug, TCG) guest.  Fewer children than the defaults (forkheavy
# 4096, clone 8192).  No --exec: stress-ng skips it as root.  forkheavy
# and mmapfork have groups of their own: forkheavy's parent sets up 16384
# resources before its first fork, which beside the other fork stressors
# did not end within 120 s in the debug guest (alone it forked 14 times
# in 150 s), and beside mmapfork it never forks at all (stress-ng 0.15,
# on the host as in the guest).
group fork --fork 2 --fork-ops 4000 --vfork 1 --vfork-ops 4000 \
	--clone 1 --clone-max 32 --clone-ops 2000
group forkheavy --forkheavy 1 --forkheavy-procs 32 --forkheavy-ops 400
group mmapfork --mmapfork 1
# With CAP_SYS_ADMIN the madvise stressor of stress-ng 0.15 injects memory
# failures (MADV_HWPOISON) into its own pages and dies of the SIGBUS, with
# async fork off as well (kernels with CONFIG_MEMORY_FAILURE): the mapping
# group runs without that capability.  The async_fork selftests inject
# memory failures under pending tables themselves (hwpoison_pending).
nocap="setpriv --bounding-set=-sys_admin"
# Small regions: one operation of mmap or mremap (256 MiB by default)
# or of vm (a quarter of memory was asked for) took longer than 300 s in
# the debug guest beside the other stressors (mmap, which works page by
# page, still did at 16 MiB in 120 s).  The group is about the
# mapping calls; the pressure group is about the memory.
group mapping --mmap 1 --mmap-bytes 4M --mremap 1 --mremap-bytes 16M \
	--madvise 1 --mprotect 1 --mmapfixed 1 --mmapmany 1 --brk 1 \
	--vm 1 --vm-bytes 32M --vm-madvise mergeable
nocap=""
# The memory pressure comes from bigheap (which grows until allocation
# fails) and pageswap; the vm workers stay small enough to finish a pass,
# and so to verify it, in the debug guest (at 60% of memory each, not
# one did in 300 s).
group pressure --vm 2 --vm-bytes 128M --bigheap 1 --pageswap 1 --mlock 1 \
	--userfaultfd 1 --vm-rw 1 --vm-splice 1 --fork 1 --fork-ops 2000

a1=$(awk '$1 == "async_fork" { print $2 }' /proc/vmstat)
echo "# async forks during the run: $((a1 - a0))"
n=$((n + 1))
if [ "$mode" = 0 ]; then
	if [ "$((a1 - a0))" = 0 ]; then
		echo "ok $n no fork was async (vm.async_fork=0)"
	else
		echo "not ok $n $((a1 - a0)) async forks with vm.async_fork=0"
		failed=1
	fi
elif [ "$((a1 - a0))" -gt 0 ]; then
	echo "ok $n forks were async"
else
	echo "not ok $n no fork was async"
	failed=1
fi
echo 1 >/proc/sys/vm/async_fork
echo "1..$n"
exit "$failed"
