#!/bin/bash
# Runs inside the guest: prepares swap and huge pages, then the mm
# kselftests through the kselftest runner.  TAP goes to stdout and to
# $GUEST_OUT/mm.tap.
#
# Environment:
#   KSELFTEST_DIR       installed kselftests (default build/kselftest)
#   VM_SELFTEST_ITEMS   run_vmtests.sh categories to run
#   ASYNC_FORK_MODE     value for /proc/sys/vm/async_fork (if it exists)
#   KSELFTEST_TIMEOUT   seconds for run_vmtests.sh as a whole (default 3000;
#                       the debug kernel needs about an hour)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ksdir=${KSELFTEST_DIR:-$top/build/kselftest}
out=${GUEST_OUT:-/tmp}

# Swap on zram, so that swap-in/out paths are exercised.
if [ -e /sys/block/zram0 ] || modprobe zram 2>/dev/null; then
	echo lzo >/sys/block/zram0/comp_algorithm 2>/dev/null
	echo 1G >/sys/block/zram0/disksize &&
		mkswap /dev/zram0 >/dev/null && swapon /dev/zram0 &&
		echo "guest: zram swap on (1 GiB)"
fi
echo madvise >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null

if [ -n "${ASYNC_FORK_MODE:-}" ]; then
	if [ -w /proc/sys/vm/async_fork ]; then
		echo "$ASYNC_FORK_MODE" >/proc/sys/vm/async_fork
		echo "guest: vm.async_fork = $(cat /proc/sys/vm/async_fork)"
	else
		echo "guest: ASYNC_FORK_MODE set but /proc/sys/vm/async_fork is missing"
		exit 1
	fi
fi

# Some tests create files in the current directory: run from a copy on
# tmpfs, not from the host's read-only tree.
rm -rf /tmp/kselftest
cp -a "$ksdir" /tmp/kselftest || exit 1
cd /tmp/kselftest || exit 1
export VM_SELFTEST_ITEMS
./run_kselftest.sh --override-timeout "${KSELFTEST_TIMEOUT:-3000}" \
	-t mm:run_vmtests.sh 2>&1 | tee "$out/mm.tap"
exit "${PIPESTATUS[0]}"
