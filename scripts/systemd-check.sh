#!/bin/bash
# make check-systemd: the systemd drop-in tools/systemd/async-fork-cgroup.conf
# tried as an operator would, under a running systemd.  The test guest
# of the other checks has no systemd (harness/guest/deploy-test.sh runs the
# drop-in's command by hand); this one boots Debian 12's systemd as PID 1
# from an x86-64 Debian root of its own (scripts/guest-root.sh x86_64,
# cached in build/x86-root, booted read-write over 9p) with the patched
# kernel, and harness/guest/systemd-test.sh installs the drop-in on
# Debian's redis-server.service as its header says, checks the service's
# cgroup switch, AsyncFork: line and BGSAVE fork, removes the drop-in and
# checks again.
#
# Installs what it needs (scripts/deps.sh systemd), makes the root and
# builds the kernel when they are missing or out of date.  Results in
# build/systemd-results (SYSTEMD_RESULTS): systemd.tap, the guest's
# console.log, its journal and dmesg, timing.txt.  Ends with the
# summariser's "N passed, N failed, N skipped".  A guest that does not
# boot, or does not finish within SYSTEMD_TIMEOUT seconds (default 1200),
# is a failed test.  SYSTEMD_KERNEL_ARGS: more kernel command line for the
# guest (sysctl.vm.async_fork=0 shows the checks failing).  Not part of
# make check: it needs the Debian mirror the first time.
set -eu
. "$(dirname "$0")/lib.sh"

S=$TOP/scripts
T=$TOP/harness
G=$TOP/harness/guest
tmo=${SYSTEMD_TIMEOUT:-1200}
results=${SYSTEMD_RESULTS:-$BUILD/systemd-results}
root=$BUILD/x86-root
case $tmo in '' | *[!0-9]*) die "SYSTEMD_TIMEOUT must be a number, not '$tmo'" ;; esac

start=$SECONDS
"$S/deps.sh" systemd
build_prereqs kernel-source.sh series.sh kernel.sh
need_tool python3
t=$SECONDS
"$S/guest-root.sh" x86_64
root_s=$((SECONDS - t))
for opt in INOTIFY_USER USER_NS ASYNC_FORK; do
	grep -q "^CONFIG_$opt=y" "$KOUT/.config" ||
		die "the kernel in $KOUT has no CONFIG_$opt (kernel-config/guest.config has it: run scripts/kernel.sh)"
done

# The root is booted read-write: leave nothing of a previous run that
# the test would take for Debian's own (a drop-in left by an interrupted
# run, the snapshot of the last BGSAVE).
rm -rf "$root/etc/systemd/system/redis-server.service.d" "$root/var/lib/redis/dump.rdb"

rm -rf "$results"
mkdir -p "$results"
"$S/series-id.sh" >"$results/meta.txt"
export GUEST_ROOT=$root GUEST_INIT=systemd
note "systemd guest: the drop-in on Debian's redis-server.service"
t=$SECONDS
# The test's verdict is its TAP; any failure of the run itself (a boot
# that never reaches the test, a time limit, a kernel report) adds one.
guest_tap -T systemd.tap "systemd drop-in" "$results" -m 2048 -t "$tmo" \
	-a "${SYSTEMD_KERNEL_ARGS:-}" -- \
	"$G/systemd-test.sh | tee \$GUEST_OUT/systemd.tap"
guest_s=$((SECONDS - t))
boot=$(sed -n 's/.*guest: systemd is \([a-z]*\) after \([0-9.]*\)s.*/\2s (\1)/p' "$results/console.log" | head -n 1)
{
	echo "root: ${root_s}s (guest-root.sh x86_64)"
	echo "boot: ${boot:-unknown} (kernel start to the end of systemd's boot)"
	echo "guest: ${guest_s}s (qemu start to power-off)"
	echo "total: $((SECONDS - start))s"
} | tee "$results/timing.txt" | sed 's/^/==> /' >&2
python3 "$T/tap-summary.py" "$results/systemd.tap"
