#!/bin/bash
# In the guest, as root: an unmodified redis-server (Debian's by default)
# forks async when the memory.async_fork switch of its cgroup is on, and
# synchronously outside such a cgroup, with vm.async_fork=1 and no launcher.
#
# For each place ("outside": the cgroup this script runs in; "cgroup": a
# new cgroup under the cgroup2 root with memory.async_fork=1, which the
# server is started in): start the server, check the AsyncFork: line of its
# /proc/PID/status ("off", "cgroup"), fill it with DEBUG POPULATE, BGSAVE,
# and check that the save succeeded, that the async_fork counter of
# /proc/vmstat rose over it (by at least 1 in the cgroup, not at all
# outside) and that a second server loading the RDB has the same DEBUG
# DIGEST.
#
# Prints TAP; with GUEST_OUT set, copies it to $GUEST_OUT/redis-cgroup.tap
# at the end.  Exits non-zero on any failure.
#
# Environment:
#   REDIS_SERVER   the server binary (default /usr/bin/redis-server; or an
#                  unmodified valkey-server)
#   DATASET_MB     target used_memory (default 64)
#   REDIS_PORT     the server (default 6379); REDIS_CHECK_PORT (6380)
#   REDIS_WORKDIR  where the working directories go (default /tmp)
#   SAVE_TIMEOUT   seconds a save, a load or a populate may take (1800)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
# shellcheck source=harness/redis-lib.sh
. "$here/../redis-lib.sh"
export LC_ALL=C

SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
DATASET_MB=${DATASET_MB:-64}
PORT=${REDIS_PORT:-6379}
CHECK_PORT=${REDIS_CHECK_PORT:-6380}
SAVE_TIMEOUT=${SAVE_TIMEOUT:-1800}
VALUE_SIZE=1000
WORK=${REDIS_WORKDIR:-/tmp}/redis-cgroup
CGROOT=/sys/fs/cgroup
SYSCTL=/proc/sys/vm/async_fork

for v in DATASET_MB PORT CHECK_PORT SAVE_TIMEOUT; do
	case ${!v} in '' | *[!0-9]*) die "$v must be a number, not '${!v}'" ;; esac
done
[ -x "$SERVER" ] || die "$SERVER is missing (install redis-server, or set REDIS_SERVER)"
[ "$(id -u)" = 0 ] || die "must run as root (it makes a cgroup)"
[ -w "$SYSCTL" ] || die "no $SYSCTL: a kernel without async fork?"
grep -qw memory "$CGROOT/cgroup.controllers" 2>/dev/null ||
	die "no cgroup2 memory controller at $CGROOT"
ports_free "$PORT" "$CHECK_PORT"
trap '' PIPE

rm -rf "$WORK"
mkdir -p "$WORK/bin" "$WORK/check"
# The servers run from tmpfs: nothing of theirs touches the 9p root.
cp "$SERVER" "$WORK/bin/${SERVER##*/}"
nap_init "$WORK"
cg=$CGROOT/redis-cgroup.$$
saved_mode=$(cat "$SYSCTL")
tap=$WORK/redis-cgroup.tap
: >"$tap"
out() { printf '%s\n' "$*" | tee -a "$tap"; }

cleanup() {
	local rc=$?
	trap - EXIT
	stop_server "$CHECK_PORT" "$WORK/check" 2>/dev/null || true
	stop_server "$PORT" "$WORK/outside" 2>/dev/null || true
	stop_server "$PORT" "$WORK/cgroup" 2>/dev/null || true
	[ ! -d "$cg" ] || rmdir "$cg" || true
	echo "$saved_mode" >"$SYSCTL" || true
	if [ -n "${GUEST_OUT:-}" ] && [ -d "$GUEST_OUT" ]; then
		cp "$tap" "$GUEST_OUT/redis-cgroup.tap" || true
	fi
	exit "$rc"
}
trap cleanup EXIT

echo 1 >"$SYSCTL"
echo +memory >"$CGROOT/cgroup.subtree_control" ||
	die "cannot enable the memory controller in $CGROOT"
mkdir "$cg"
[ -f "$cg/memory.async_fork" ] || die "no memory.async_fork in $cg: a kernel without the cgroup switch"
echo 1 >"$cg/memory.async_fork"

out "TAP version 13"
out "1..8"
out "# redis-cgroup: $("$WORK/bin/${SERVER##*/}" --version | sed 's/ sha=.*//') ($SERVER), kernel $(uname -r), vm.async_fork=1, DATASET_MB=$DATASET_MB"

n=0
failures=0
check() { # OK DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 1 ]; then
		out "ok $n - $2"
	else
		out "not ok $n - $2"
		failures=$((failures + 1))
	fi
}

declare -A vm0=() vm1=()
# place WHERE WANT_WORD: one server, one BGSAVE, four checks.
place() {
	local where=$1 want=$2 dir=$WORK/$1 pid word digest delta ok
	mkdir -p "$dir"
	if [ "$where" = cgroup ]; then
		# A shell that moves itself into the cgroup, then becomes the
		# server: what a service manager or a container runtime does.
		# shellcheck disable=SC2016 # $$ and $1 are the inner shell's
		REDIS_SERVER_CMD=(bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"'
			_ "$cg" "$WORK/bin/${SERVER##*/}")
	else
		REDIS_SERVER_CMD=("$WORK/bin/${SERVER##*/}")
	fi
	start_server "$PORT" "$dir"
	pid=$(server_pid "$dir/redis.pid") || die "no pid file in $dir"
	word=$(sed -n 's/^AsyncFork:\t//p' "/proc/$pid/status")
	ok=0
	[ "$word" = "$want" ] && ok=1
	check $ok "$where: AsyncFork: of ${SERVER##*/} ($pid) is '$word', expected '$want'"

	populate "$PORT" "$DATASET_MB" "$where: "
	rq "$PORT" DEBUG DIGEST
	digest=$R
	vm_read vm0
	rq "$PORT" BGSAVE
	await_snapshot "$PORT" rdb_bgsave_in_progress persistence ||
		die "$where: BGSAVE still running after ${SAVE_TIMEOUT}s"
	vm_read vm1
	field rdb_last_bgsave_status
	ok=0
	[ "$F" = ok ] && ok=1
	check $ok "$where: BGSAVE of $POP_KEYS keys: $F"

	delta=$((${vm1[async_fork]:-0} - ${vm0[async_fork]:-0}))
	ok=0
	if [ "$where" = cgroup ]; then
		[ "$delta" -ge 1 ] && ok=1
		check $ok "$where: the BGSAVE fork was async (async_fork +$delta, expected at least 1)"
	else
		[ "$delta" = 0 ] && ok=1
		check $ok "$where: the BGSAVE fork was not async (async_fork +$delta, expected 0)"
	fi
	stop_server "$PORT" "$dir"

	cp "$dir/dump.rdb" "$WORK/check/dump.rdb"
	REDIS_SERVER_CMD=("$WORK/bin/${SERVER##*/}")
	start_server "$CHECK_PORT" "$WORK/check"
	rq "$CHECK_PORT" DEBUG DIGEST
	ok=0
	[ "$R" = "$digest" ] && ok=1
	check $ok "$where: the RDB holds the dataset at the fork (digest $R, expected $digest)"
	stop_server "$CHECK_PORT" "$WORK/check"
	rm -f "$WORK/check/dump.rdb"
}

place outside off
place cgroup cgroup
if [ "$failures" = 0 ]; then
	out "# result: the cgroup's switch made the server's forks async, and only there"
else
	out "# result: $failures check(s) failed"
fi
[ "$failures" = 0 ]
