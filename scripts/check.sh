#!/bin/bash
# The test command (make check): install what is missing, fetch and patch the
# kernel, build it and the mm kselftests, boot the guest and run them, with
# vm.async_fork at its default and again with every fork async (when the
# kernel has the knob); build the patched Redis and run its quick checks
# (scripts/redis-check.sh).  Ends with "N passed, N failed, N skipped".
# MM_SUITE=full (make check-full) runs the whole mm suite in both modes.
set -eu
. "$(dirname "$0")/lib.sh"

S=$TOP/scripts
# Some cases look at how far a child got while the parent acted; their
# bounds hold on a busy host too, but a log that says how busy it was
# makes a failure easier to read.
note "host: $(nproc) CPUs, load average $(cut -d ' ' -f 1-3 /proc/loadavg)"
if pgrep -a qemu-system >/dev/null 2>&1; then
	note "host: other guests are running (they compete for the CPUs):"
	pgrep -a qemu-system | cut -c 1-160 >&2
fi
# make check and make check-full have built all this (the Makefile's
# prerequisites); run on its own, the script builds it.
build_prereqs deps.sh kernel-source.sh series.sh kernel.sh \
	selftests.sh tools.sh

# The categories of run_vmtests.sh to run (lib.sh): MM_SUITE=quick (make
# check) the async fork tests and the mm tests closest to fork, page
# tables and GUP; MM_SUITE=full (make check-full) everything that runs in
# the TCG guest.
# TEST_TIMEOUT: seconds each mode's guest may take.  The whole suite took
# more than 40 minutes per mode on a host busy with other guests.
case ${MM_SUITE:-quick} in
quick) ITEMS=$MM_QUICK tmo=${TEST_TIMEOUT:-2400} ;;
full) ITEMS=$MM_FULL tmo=${TEST_TIMEOUT:-7200} ;;
*) die "MM_SUITE must be quick or full" ;;
esac
ITEMS=${VM_SELFTEST_ITEMS:-$ITEMS}
results=$BUILD/test-results
rm -rf "$results"
mkdir -p "$results"
"$S/series-id.sh" >"$results/meta.txt" # the commit and the series of this run
taps=""

# 1. The harness checks itself: a failing command and a panicking guest
#    must both fail the run.
"$TOP/harness/harness-selftest.sh" "$results/harness" | tee "$results/harness.tap"
taps="$taps $results/harness.tap"

# 1b. The rules by which the bench report sorts Redis requests into
#     snapshots, on made-up data (host only, no timing), and the
#     summariser that gives this run its verdict (its counts, each TAP
#     stream held to its plan), on made-up TAP.
python3 "$TOP/harness/bench/test_report.py" | tee "$results/bench-report.tap"
taps="$taps $results/bench-report.tap"
python3 "$TOP/harness/test_tap_summary.py" | tee "$results/tap-summary.tap"
taps="$taps $results/tap-summary.tap"

# 1c. The user-space numbers the series adds (prctl options, clone flags),
#     read from patches/linux, must not be mainline's
#     (harness/uapi/mainline-uapi.txt); host only.
python3 "$TOP/harness/uapi/check-uapi.py" | tee "$results/uapi.tap"
taps="$taps $results/uapi.tap"

# 1d. The async fork ABI rule on the host kernel (on a stock Debian 12 one:
#     without the series): under strace, the patched Redis with fork-async
#     yes probes once, warns once and forks plainly, with fork-async no it
#     makes no async fork prctl; async-fork-run probes, warns and runs the
#     program with plain forks, with --strict exits 1.  REDIS_CHECK=no
#     skips the patched Redis (not built then).  The guest run in 2. covers
#     a kernel with the series.
abi_redis=${REDIS_CHECK:-yes}
if [ "$abi_redis" != no ] && ! "$S/build-redis.sh"; then
	abi_redis=no
	abi_build_failed=yes
fi
abi_env="REDIS_CHECK=$abi_redis REDIS_SERVER=$BUILD/redis/src/redis-server ASYNC_FORK_RUN=$BUILD/tools/async-fork-run"
# shellcheck disable=SC2086 # the assignments in abi_env
env $abi_env ABI_PROBE_OUT="$results/abi-probe-host" \
	"$TOP/harness/abi-probe-test.sh" | tee "$results/abi-probe-host.tap"
if [ "${abi_build_failed:-}" = yes ]; then
	echo "not ok 999 abi probe: scripts/build-redis.sh failed, the patched Redis was not checked" |
		tee -a "$results/abi-probe-host.tap"
fi
taps="$taps $results/abi-probe-host.tap"

# 2. An unmodified static program under the async-fork-run launcher, the
#    ABI rule test of 1d on the kernel with the series (the probe
#    answered: PR_SET_ASYNC_FORK only after it), and the cgroup switch
#    set as operators deploy it (runc, the systemd drop-in).
if grep -q 'CONFIG_ASYNC_FORK=y' "$KOUT/.config"; then
	note "launcher, ABI probe and deployment tests in the guest"
	# Their results nested one level, as the summariser counts leaves; a
	# guest that crashed or ran out of time part way: its partial results
	# must not pass for all of them (guest_tap adds a failure).
	guest_tap -N "launcher.tap=$results/launcher.tap" -N "deploy.tap=$results/deploy.tap" \
		-N "abi-probe.tap=$results/abi-probe.tap" "launcher tests" "$results/launcher" -t 900 -- \
		"$TOP/harness/guest/launcher-test.sh | tee \$GUEST_OUT/launcher.tap; $TOP/harness/guest/deploy-test.sh | tee \$GUEST_OUT/deploy.tap; $abi_env $TOP/harness/abi-probe-test.sh | tee \$GUEST_OUT/abi-probe.tap"
	for t in launcher deploy abi-probe; do
		cat "$results/$t.tap"
		taps="$taps $results/$t.tap"
	done
fi

# 3. Redis with fork-async yes (scripts/redis-check.sh, the quick set):
#    snapshots under writers against DEBUG DIGEST, Debian's redis-server
#    under the launcher, Redis's own unit/other and integration/rdb tests.
#    REDIS_CHECK=no leaves it out.
if grep -q 'CONFIG_ASYNC_FORK=y' "$KOUT/.config" && [ "${REDIS_CHECK:-yes}" != no ]; then
	REDIS_SUITE=quick REDIS_SUMMARY=no "$S/redis-check.sh" || true
	for f in "$results"/redis/*.tap; do
		[ -f "$f" ] && taps="$taps $f"
	done
	case $taps in
	*"$results/redis/"*) ;;
	*)
		echo "not ok 1 redis checks: scripts/redis-check.sh stopped before any test (see above)" >"$results/redis.tap"
		taps="$taps $results/redis.tap"
		;;
	esac
fi

# 4. The mm kselftests, once per async-fork mode.
modes=default
grep -q 'CONFIG_ASYNC_FORK=y' "$KOUT/.config" && modes="1 2"
for mode in $modes; do
	out=$results/mm-$mode
	env=""
	[ "$mode" = default ] || env="ASYNC_FORK_MODE=$mode"
	note "mm kselftests in the guest (vm.async_fork=$mode): $ITEMS"
	# 8 GiB with four 1 GiB huge pages and sixteen 2 MiB ones: thuge-gen
	# wants at least four free of each size, and run_vmtests.sh sets the
	# 2 MiB pool back to its size at boot before thuge-gen runs.  Two
	# emulated NUMA nodes, for the async_fork tests of move_pages(),
	# mbind() and migrate_pages() (the kernel has CONFIG_NUMA_EMU).
	# Stopped part way (time limit, killed): what did not run must not
	# pass for what did (guest_tap adds a failure).
	guest_tap -T mm.tap "mm kselftests (vm.async_fork=$mode)" "$out" \
		-m 8192 -a "default_hugepagesz=2M hugepages=16 hugepagesz=1G hugepages=4 numa=fake=2" -t "$tmo" -- \
		"$env VM_SELFTEST_ITEMS='$ITEMS' $TOP/harness/guest/guest-mm-tests.sh"
	grep -a -E '^(# )*(not )?ok [0-9]' "$out/console.log" | sed -n '1,400p' | tail -n 60 || true
	# Name the results after the mode so both runs show in the summary.
	sed -E "s/^((# )*)(not ok|ok) ([0-9]+) /\1\3 \4 [async_fork=$mode] /" "$out/mm.tap" >"$out/mm-named.tap"
	taps="$taps $out/mm-named.tap"
done

# shellcheck disable=SC2086
python3 "$TOP/harness/tap-summary.py" $taps
