#!/bin/bash
# make check-arm64: the series on arm64, in a QEMU TCG guest
# (qemu-system-aarch64 -M virt -cpu max) with an arm64 Debian root.
# Installs what it needs (scripts/deps.sh arm64), makes the root
# (scripts/arm64-root.sh, cached in build/arm64-root), cross-builds the
# kernel (build/linux-arm64), the mm kselftests and the tools, and runs:
#   1. the async_fork and async_fork_prctl kselftests with vm.async_fork=1;
#   2. the quick mm set of make check (async_fork included) with every
#      fork async (vm.async_fork=2);
#   3. the launcher test (the static program under async-fork-run, the
#      cgroup switch), and the Redis snapshot check: Debian's unmodified
#      redis-server under async-fork-run, BGSAVE and BGREWRITEAOF with
#      writers running, each snapshot's digest equal to the dataset's at
#      the fork.
# Any kernel WARNING, BUG or "bad pmd" in a guest fails that run.  Ends
# with "N passed, N failed, N skipped".  Not part of make check: the
# arm64 guest is emulated instruction by instruction on an x86-64 host.
#
# ARM64_KERNEL=debug runs the debug kernel of make check-debug instead
# (kernel-config/debug.config: KASAN, lockdep, DEBUG_VM, page-table check,
# CONFIG_DEBUG_ASYNC_FORK, full preemption; build/linux-arm64-debug): the
# async_fork kselftests with every fork async, and the snapshot torture
# (TORTURE_SECONDS, default 300, 256 MiB, 4 threads).
#
# Environment: ARM64_MM_ITEMS (run_vmtests.sh categories for part 2),
# ARM64_TIMEOUT (seconds per guest run, default 5400), ARM64_REDIS_MB
# (dataset of the Redis check, default 256), ARM64_REDIS_ROUNDS (3).
set -eu
. "$(dirname "$0")/lib.sh"

S=$TOP/scripts
T=$TOP/harness
G=$TOP/harness/guest
items=${ARM64_MM_ITEMS:-$MM_QUICK}
tmo=${ARM64_TIMEOUT:-5400}
redis_mb=${ARM64_REDIS_MB:-256}
redis_rounds=${ARM64_REDIS_ROUNDS:-3}
variant=${ARM64_KERNEL:-normal}
case $variant in
normal) tree=$BUILD/linux-arm64 frags="" ;;
debug) tree=$BUILD/linux-arm64-debug frags=$TOP/kernel-config/debug.config ;;
*) die "ARM64_KERNEL must be normal or debug, not '$variant'" ;;
esac
for v in ARM64_TIMEOUT ARM64_REDIS_MB ARM64_REDIS_ROUNDS TORTURE_SECONDS; do
	case ${!v:-0} in *[!0-9]* | "") die "$v must be a number, not '${!v}'" ;; esac
done

"$S/deps.sh" arm64
"$S/kernel-source.sh"
"$S/series.sh"
"$S/arm64-root.sh"
# shellcheck disable=SC2086 # no fragment or one
kernel=$(ARM64_TREE=$tree "$S/build-arm64-kernel.sh" $frags | tail -n 1)
[ -f "$kernel" ] || die "arm64 kernel not built"
ARM64_TREE=$tree KARCH=arm64 "$S/selftests.sh"
KARCH=arm64 "$S/tools.sh"
grep -q '^CONFIG_ASYNC_FORK=y' "$tree/.config" ||
	die "the arm64 kernel has no CONFIG_ASYNC_FORK (does the series enable arm64?)"

results=$BUILD/arm64-results
[ "$variant" = normal ] || results=$BUILD/arm64-$variant-results
rm -rf "$results"
mkdir -p "$results"
"$S/series-id.sh" >"$results/meta.txt" # the commit and the series of this run
taps=""
export GUEST_ARCH=arm64
ksdir=$BUILD/arm64-kselftest
tools=$BUILD/arm64-tools
# 2 MiB and 1 GiB huge pages for the hugetlb cases, as in make check, and
# 64 KiB ones (contiguous PTEs, in ordinary PTE tables) for the async_fork
# tests of hugetlb pages that share a PTE table with the heap.
hugepages="default_hugepagesz=2M hugepages=16 hugepagesz=1G hugepages=4 hugepagesz=64K hugepages=16"

# mm DIR MODE ITEMS: the kselftests ITEMS with vm.async_fork=MODE in
# $results/DIR, their results named after the mode.
mm() {
	local mode=$2 its=$3 out=$results/$1
	note "arm64 guest: mm kselftests with vm.async_fork=$mode: $its"
	guest_tap -T mm.tap "mm kselftests (arm64, vm.async_fork=$mode)" "$out" \
		-k "$kernel" -m 8192 -a "$hugepages" -t "$tmo" -- \
		"KSELFTEST_DIR=$ksdir ASYNC_FORK_MODE=$mode VM_SELFTEST_ITEMS='$its' $G/guest-mm-tests.sh"
	sed -E "s/^((# )*)(not ok|ok) ([0-9]+) /\1\3 \4 [arm64 async_fork=$mode] /" "$out/mm.tap" >"$out/mm-named.tap"
	taps="$taps $out/mm-named.tap"
}

if [ "$variant" = debug ]; then
	# The debug kernel: every fork async, the async fork tests, then the
	# torture (its own TAP, and must-fail self-tests of its checker).
	mm mm-2 2 async_fork
	note "arm64 guest, debug kernel: snapshot torture"
	guest_tap -T "snapshot-torture.tap=$results/torture.tap" "snapshot torture (arm64, debug)" \
		"$results/torture" -k "$kernel" -m 4096 -t "$tmo" -- \
		"SNAPSHOT_TORTURE=$tools/snapshot_torture TORTURE_SECONDS=${TORTURE_SECONDS:-300} TORTURE_SIZE_MB=256 TORTURE_THREADS=4 $G/snapshot-torture.sh"
	# shellcheck disable=SC2086
	python3 "$T/tap-summary.py" $taps "$results/torture.tap"
	exit
fi

mm mm-1 1 async_fork
mm mm-2 2 "$items"

# 3. The launcher test and the Redis check, in one guest.  The Redis
#    check writes to the guest's tmpfs and copies its TAP at the end.
#    Their results nested one level, as the summariser counts leaves.
note "arm64 guest: launcher test and Redis snapshots under async-fork-run"
guest_tap -N "launcher.tap=$results/launcher.tap" -N "redis-consistency.tap=$results/redis-consistency.tap" \
	"arm64 apps" "$results/apps" -k "$kernel" -m 4096 -t "$tmo" -- \
	"ASYNC_FORK_RUN=$tools/async-fork-run STATIC_FORK_TEST=$tools/static-fork-test $G/launcher-test.sh | tee \$GUEST_OUT/launcher.tap; \
	 DATASET_MB=$redis_mb ROUNDS=$redis_rounds REDIS_SERVER=/usr/bin/redis-server LAUNCHER=$tools/async-fork-run $G/redis-consistency.sh"
taps="$taps $results/launcher.tap $results/redis-consistency.tap"

# shellcheck disable=SC2086
python3 "$T/tap-summary.py" $taps
