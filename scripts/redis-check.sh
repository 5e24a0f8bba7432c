#!/bin/bash
# Redis (or Valkey) on async fork, from the host: build the patched store
# (build-redis.sh, build-valkey.sh) and the launcher (tools.sh), then
# boot the guest once per check:
#
#   consistency  harness/guest/redis-consistency.sh with the patched server
#                and fork-async yes: BGSAVE and BGREWRITEAOF snapshots taken
#                while writers run must hold the dataset at the fork
#   launcher     the same with an unmodified server (Debian's redis-server,
#                build/valkey-plain's valkey-server) under
#                build/tools/async-fork-run (BGSAVE only)
#   testsuite    harness/guest/redis-testsuite.sh: the store's own tests
#                for snapshots, AOF and replication with fork-async yes
#   cgroup       harness/guest/redis-cgroup.sh: the unmodified server forks
#                async in a cgroup with memory.async_fork=1, and not
#                outside it
#   abi          harness/abi-probe-test.sh with the patched and the
#                unmodified server: the probe comes first, no async fork
#                call with fork-async no (Valkey only: make check runs it
#                for Redis)
#
# Results go to build/test-results/STORE/ (REDIS_RESULTS); ends with the
# summariser's "N passed, N failed, N skipped".  The kernel must be built
# already (make kernel).
#
#   STORE=redis         (default) Redis 7.0, Debian 12's, patches/redis
#   STORE=valkey        Valkey 9.1 (the upstream release), patches/valkey
#   REDIS_SUITE=quick   (default) about 15 minutes in the TCG guest: 256 MiB,
#                       3 rounds per mode; the launcher 128 MiB, 2 BGSAVEs;
#                       unit/other and integration/rdb
#   REDIS_SUITE=full    1 GiB, 20 rounds per mode; the launcher 5 rounds;
#                       integration/rdb, aof, replication and unit/other with
#                       fork-async yes and no (a few hours); for Valkey,
#                       replication also with dual-channel replication on,
#                       and integration/dual-channel-replication
#   REDIS_SUITE=valkey  what make valkey-check runs: 1 GiB, 5 rounds per
#                       mode; the launcher 1 GiB, 3 rounds; the full set of
#                       units with fork-async yes
#   REDIS_CHECKS        which checks to run (default: consistency launcher
#                       cgroup testsuite, and abi for Valkey)
#   REDIS_RESULTS       where the results go (default
#                       build/test-results/STORE)
#   REDIS_SUMMARY=no    leave out the summary line (make check prints one
#                       for everything it ran)
#   REDIS_KERNEL        the kernel image the guests boot (default: the one
#                       make kernel builds; make check-distro passes its own)
#   REDIS_KERNEL_ARGS   more kernel command line for the guests
set -eu
. "$(dirname "$0")/lib.sh"

S=$TOP/scripts
T=$TOP/harness
G=$TOP/harness/guest
STORE=${STORE:-redis}
case $STORE in
redis)
	build="build-redis.sh"
	server=$BUILD/redis/src/redis-server
	tree=$BUILD/redis
	plain=/usr/bin/redis-server
	;;
valkey)
	build="build-valkey.sh"
	server=$BUILD/valkey/src/valkey-server
	tree=$BUILD/valkey
	plain=$BUILD/valkey-plain/src/valkey-server
	;;
*) die "STORE must be redis or valkey, not '$STORE'" ;;
esac
case ${REDIS_SUITE:-quick} in
quick)
	mem=4096
	consistency="DATASET_MB=256 ROUNDS=3"
	launcher="DATASET_MB=128 ROUNDS=2 MODES=rdb"
	testsuite="UNITS='unit/other integration/rdb' FORK_ASYNC=yes"
	cgroup="DATASET_MB=64"
	;;
full)
	mem=8192
	consistency="DATASET_MB=1024 ROUNDS=20"
	launcher="DATASET_MB=1024 ROUNDS=5 MODES=rdb"
	testsuite="FORK_ASYNC='yes no'"
	cgroup="DATASET_MB=512"
	;;
valkey)
	mem=8192
	consistency="DATASET_MB=1024 ROUNDS=5"
	launcher="DATASET_MB=1024 ROUNDS=3 MODES=rdb"
	testsuite="FORK_ASYNC=yes"
	cgroup="DATASET_MB=256"
	;;
*) die "REDIS_SUITE must be quick, full or valkey" ;;
esac
default_checks="consistency launcher cgroup testsuite"
[ "$STORE" = valkey ] && default_checks="$default_checks abi"
CHECKS=${REDIS_CHECKS:-$default_checks}

"$S/$build"
"$S/tools.sh"
kernel=${REDIS_KERNEL:-$KOUT/arch/x86/boot/bzImage}
[ -f "$kernel" ] || die "no kernel $kernel (run: make kernel)"

results=${REDIS_RESULTS:-$BUILD/test-results/$STORE}
rm -rf "$results"
mkdir -p "$results"
"$S/series-id.sh" >"$results/meta.txt" # the commit and the series of this run
taps=""

# guest NAME TAPFILE TIMEOUT COMMAND: one guest run; a guest that fails
# without leaving TAP counts as one failed test, a kernel report as
# another (guest_tap; the command's status is its TAP's verdict).
guest() {
	local name=$1 tapfile=$2 tmo=$3 cmd=$4
	note "$STORE $name in the guest: $cmd"
	guest_tap -S -T "$tapfile=$results/$name.tap" "$STORE $name" "$results/$name" \
		-m "$mem" -t "$tmo" -k "$kernel" -a "${REDIS_KERNEL_ARGS:-}" -- "$cmd"
	grep -E '^(not )?ok |^# ' "$results/$name.tap" || true
	taps="$taps $results/$name.tap"
}

for c in $CHECKS; do
	case $c in
	consistency)
		guest consistency redis-consistency.tap 7200 \
			"$consistency REDIS_SERVER=$server $G/redis-consistency.sh"
		;;
	launcher)
		guest launcher redis-consistency.tap 7200 \
			"$launcher REDIS_SERVER=$plain LAUNCHER='$BUILD/tools/async-fork-run --strict' $G/redis-consistency.sh"
		;;
	cgroup)
		guest cgroup redis-cgroup.tap 1800 \
			"$cgroup REDIS_SERVER=$plain $G/redis-cgroup.sh"
		;;
	testsuite)
		guest testsuite "$STORE-testsuite.tap" 14400 "$testsuite REDIS_TREE=$tree $G/redis-testsuite.sh"
		;;
	abi)
		guest abi abi-probe.tap 900 \
			"REDIS_SERVER=$server SYSTEM_REDIS_SERVER=$plain ASYNC_FORK_RUN=$BUILD/tools/async-fork-run $T/abi-probe-test.sh >/tmp/abi-probe.tap; rc=\$?; cp /tmp/abi-probe.tap \$GUEST_OUT/; cat /tmp/abi-probe.tap; exit \$rc"
		;;
	*) die "REDIS_CHECKS: unknown check '$c' (consistency, launcher, cgroup, testsuite, abi)" ;;
	esac
done

# make check calls this for its results and prints one summary for all.
[ "${REDIS_SUMMARY:-yes}" = no ] && exit 0
# shellcheck disable=SC2086
python3 "$T/tap-summary.py" $taps
