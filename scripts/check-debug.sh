#!/bin/bash
# make check-debug: build the debug guest kernel (kernel-config/debug.config:
# KASAN, lockdep, DEBUG_VM, page-table check, fault injection, full
# preemption; two emulated NUMA nodes) and run, with
# every fork async (vm.async_fork=2) unless said otherwise:
#   1. the mm kselftests with vm.async_fork=2 and =0 (in that order: the
#      run that tests async fork first), compared test by test (the same
#      tests must pass, fail and skip in both);
#   2. stress-ng fork/mapping/swap stressors with --verify (zram swap, KSM);
#   3. fault injection aimed at mm/async_fork.c during async forks of a
#      256 MiB process (children complete or die, parent intact, no leaks);
#   4. the snapshot torture program;
#   5. the sync points removed one at a time (harness/sync-sites):
#      CONFIG_DEBUG_ASYNC_FORK must count a change under a pending PMD in
#      the tests that exercise each, and none with all of them in place.
# Any KASAN, lockdep, BUG, WARNING or "bad pmd" report fails the guest run
# it appears in; CONFIG_DEBUG_ASYNC_FORK's report of a change under a
# pending PMD is such a WARNING, expected only in part 5.  Ends with
# "N passed, N failed, N skipped".  Takes hours in the TCG guest; not part
# of make check.
#
# Environment: DEBUG_PARTS (default "mm stress fault torture sites"; the parts
# run in the order given),
# DEBUG_MM_ITEMS (run_vmtests.sh categories; default: all that run here),
# DEBUG_MM_MODES (the vm.async_fork modes of part mm, default "2 0"; with
# one mode there is nothing to compare),
# STRESS_SECS, FI_ROUNDS, TORTURE_SECONDS, TORTURE_SIZE_MB, TORTURE_THREADS
# (see the scripts under harness/guest), DEBUG_TIMEOUT (per guest run,
# default 10800 s), DEBUG_MM_JOBS (1: the two mm guests one after the
# other; 2: side by side; default 2 on a host with more than one CPU and
# 18 GiB available).
set -eu
. "$(dirname "$0")/lib.sh"

S=$TOP/scripts
T=$TOP/harness
G=$TOP/harness/guest
parts=${DEBUG_PARTS:-mm stress fault torture sites}
items=${DEBUG_MM_ITEMS:-$MM_FULL}
tmo=${DEBUG_TIMEOUT:-10800}
mm_modes=${DEBUG_MM_MODES:-2 0}
seen=" "
for mode in $mm_modes; do
	case $mode in 0 | 1 | 2) ;; *) die "DEBUG_MM_MODES: vm.async_fork is 0, 1 or 2, not '$mode'" ;; esac
	# Each mode's results go to their own directory: a mode twice would
	# overwrite the first run and compare it with itself.
	case $seen in *" $mode "*) die "DEBUG_MM_MODES names mode $mode twice" ;; esac
	seen="$seen$mode "
done
[ -n "$mm_modes" ] || die "DEBUG_MM_MODES is empty"
# They end up in a command line run in the guest: numbers only.
for v in DEBUG_TIMEOUT STRESS_SECS FI_ROUNDS TORTURE_SECONDS TORTURE_SIZE_MB TORTURE_THREADS; do
	case ${!v:-0} in *[!0-9]*) die "$v must be a number, not '${!v}'" ;; esac
done
[ "$tmo" -gt 1200 ] || die "DEBUG_TIMEOUT must be more than 1200 s"
# Most mm kselftests keep one vCPU busy: with two CPUs, the two modes'
# guests can run side by side (each qemu then uses about one CPU).  The
# default where the host has the memory for two 8 GiB guests.
mm_jobs=${DEBUG_MM_JOBS:-}
if [ -z "$mm_jobs" ]; then
	avail_kb=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
	if [ "$(nproc)" -gt 1 ] && [ "${avail_kb:-0}" -ge $((18 * 1024 * 1024)) ]; then
		mm_jobs=2
	else
		mm_jobs=1
	fi
fi
case $mm_jobs in 1 | 2) ;; *) die "DEBUG_MM_JOBS must be 1 or 2, not '$mm_jobs'" ;; esac

# make check-debug has done these (the Makefile's prerequisites).
build_prereqs deps.sh kernel-source.sh series.sh
kernel=$("$S/build-debug-kernel.sh" | tail -n 1)
[ -f "$kernel" ] || die "debug kernel not built"
"$S/selftests.sh"
"$S/tools.sh"

# A TCG guest on a loaded host starves its vCPUs for seconds: RCU's
# grace-period-start check (PROVE_RCU) then warns during boot, before any
# test runs.  Give RCU the longest stall timeout instead of suppressing it.
STALL_ARGS="rcupdate.rcu_cpu_stall_timeout=300"

results=$BUILD/debug-results
rm -rf "$results"
mkdir -p "$results"
"$S/series-id.sh" >"$results/meta.txt" # the commit and the series of this run
taps=""

# guest NAME MEM_MB COMMAND: run COMMAND in the debug guest, its TAP on
# stdout going to $results/NAME.tap; a failed guest adds a "not ok"
# (guest_tap).  The caller adds the TAP to $taps (guest may run in the
# background).
guest() {
	local name=$1 mem=$2 cmd=$3
	note "debug guest: $name"
	guest_tap -T "$name.tap=$results/$name.tap" "$name" "$results/$name" -k "$kernel" -m "$mem" -t "$tmo" \
		-a "page_owner=on default_hugepagesz=2M hugepages=16 hugepagesz=1G hugepages=2 numa=fake=2 $STALL_ARGS" \
		-- "set -o pipefail; $cmd | tee \$GUEST_OUT/$name.tap"
}

for part in $parts; do
	case $part in
	mm)
		for mode in $mm_modes; do
			# The kselftest runner kills run_vmtests.sh after
			# KSELFTEST_TIMEOUT: on the debug kernel it takes about
			# an hour, so leave it the guest's time but the boot.
			cmd="KSELFTEST_TIMEOUT=$((tmo - 600)) ASYNC_FORK_MODE=$mode VM_SELFTEST_ITEMS='$items' $G/guest-mm-tests.sh"
			if [ "$mm_jobs" = 2 ]; then
				guest "mm-$mode" 8192 "$cmd" &
			else
				guest "mm-$mode" 8192 "$cmd"
			fi
		done
		wait
		for mode in $mm_modes; do
			taps="$taps $results/mm-$mode.tap"
		done
		# The same tests must pass, fail and skip with async fork off.
		case " $mm_modes " in *" 0 "*" 2 "* | *" 2 "*" 0 "*)
			python3 "$T/tap-compare.py" "async_fork=0" "$results/mm-0.tap" \
				"async_fork=2" "$results/mm-2.tap" >"$results/mm-compare.tap" || true
			taps="$taps $results/mm-compare.tap"
			;;
		esac
		;;
	stress)
		guest stress 2048 "STRESS_SECS=${STRESS_SECS:-300} $G/stress.sh"
		taps="$taps $results/stress.tap"
		;;
	fault)
		# The text of mm/async_fork.o: the stack-trace filter fails only
		# allocations made on behalf of the async-fork code.
		range=$(python3 "$T/fault-inject/text-range.py" \
			"$BUILD/linux-debug/System.map" "$BUILD/linux-debug/mm/async_fork.o") ||
			die "no mm/async_fork.o symbols in the debug kernel's System.map"
		# shellcheck disable=SC2086
		set -- $range
		guest fault 2048 "FI_START=$1 FI_END=$2 FI_ROUNDS=${FI_ROUNDS:-40} $G/fault-inject.sh"
		taps="$taps $results/fault.tap"
		;;
	sites)
		# Each sync point removed in turn: the debug check must see it
		# (harness/sync-sites/sites.txt).  Its WARNING, and those
		# of mm/async_fork.c's own assertions that a broken sync point
		# trips, are expected here, and only here.
		while read -r site _; do
			case $site in '' | \#*) continue ;; esac
			site=${site%@*}
			grep -q " [tT] $site\$" "$BUILD/linux-debug/System.map" ||
				die "sync site '$site' is no function of the debug kernel (System.map): update $T/sync-sites/sites.txt"
		done <"$T/sync-sites/sites.txt"
		GUEST_EXPECTED_REPORTS='WARNING: .* at mm/async_fork\.c:[0-9]+ ' \
			guest sites 8192 "$G/sync-sites.sh"
		taps="$taps $results/sites.tap"
		;;
	torture)
		guest torture 4096 "TORTURE_SECONDS=${TORTURE_SECONDS:-300} TORTURE_SIZE_MB=${TORTURE_SIZE_MB:-256} TORTURE_THREADS=${TORTURE_THREADS:-4} $G/snapshot-torture.sh"
		taps="$taps $results/torture.tap"
		;;
	*) die "unknown part '$part' in DEBUG_PARTS (mm stress fault torture sites)" ;;
	esac
done

# shellcheck disable=SC2086
python3 "$T/tap-summary.py" $taps
