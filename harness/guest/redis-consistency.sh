#!/bin/bash
# Runs inside the guest: are Redis snapshots taken with async fork exactly
# the dataset at the instant of the fork?
#
# Starts a redis-server (by default the patched build/redis one with
# "fork-async yes") on loopback with its files on tmpfs, fills it to about
# DATASET_MB with DEBUG POPULATE, then for each mode in MODES, ROUNDS times:
#
#   arm two writers (forked and stopped before they connect), record
#   DEBUG DIGEST with nothing writing, start the snapshot, release the
#   writers at once (they delete, rewrite, append to and add keys at full
#   speed while the child writes the snapshot), wait for it to finish, stop
#   the writers, and load the snapshot into a second server:
#
#   rdb  BGSAVE; the RDB file's digest must equal the digest at the fork.
#   aof  BGREWRITEAOF (appendonly yes, multi-part AOF); the new base file
#        alone (a manifest naming only it) must load with the digest at the
#        fork, and the whole appendonlydir (base + the commands written
#        after the fork) with the digest of the dataset after the writers
#        stopped.  The writers' APPENDs and INCRBYs are not idempotent: a
#        base holding a post-fork write shows up in both checks.
#
# Prints TAP: one line per round and mode (with latest_fork_usec,
# latest_fork_async, the save's duration and the async_fork* deltas of
# /proc/vmstat from the fork to the end of the save), and a summary.  A
# round fails when the snapshot fails or a digest differs; latest_fork_async
# is reported, not checked (with fork-async no the patched server does not
# ask the kernel and reports 0 even when a launcher or vm.async_fork=2 made
# the fork async: the async_fork deltas show that).  Exits non-zero on any
# failure.  When GUEST_OUT is set, the TAP output is copied to
# $GUEST_OUT/redis-consistency.tap at the end (by cp: a process writing to
# 9p gets pinned pages and forks synchronously).
#
# Environment:
#   DATASET_MB     target used_memory (default 256)
#   ROUNDS         snapshots per mode (default 20)
#   MODES          "rdb aof" (default), or one of them
#   VALUE_SIZE     bytes per DEBUG POPULATE value (default 1000)
#   REDIS_SERVER   the server binary (default build/redis/src/redis-server;
#                  or a valkey-server); copied to tmpfs with redis-benchmark
#                  (valkey-benchmark) from the same place (or from PATH)
#   LAUNCHER       a command the server runs under, e.g.
#                  build/tools/async-fork-run (default none)
#   FORK_ASYNC     yes|no: the server's fork-async setting; default yes
#                  when the server has that option, else it is not passed
#   REDIS_PORT     the server (default 6379); REDIS_CHECK_PORT (6380)
#   REDIS_WORKDIR  where the working directories go (default /tmp)
#   SAVE_TIMEOUT   seconds a save, a load or a populate may take (1800)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
# shellcheck source=harness/redis-lib.sh
. "$here/../redis-lib.sh"
export LC_ALL=C

DATASET_MB=${DATASET_MB:-256}
ROUNDS=${ROUNDS:-20}
MODES=${MODES:-rdb aof}
VALUE_SIZE=${VALUE_SIZE:-1000}
PORT=${REDIS_PORT:-6379}
CHECK_PORT=${REDIS_CHECK_PORT:-6380}
SAVE_TIMEOUT=${SAVE_TIMEOUT:-1800}
SERVER=${REDIS_SERVER:-$TOP/build/redis/src/redis-server}
LAUNCHER=${LAUNCHER:-}
WORK=${REDIS_WORKDIR:-/tmp}/redis-consistency
NEW_KEYS=200000	# keyspace of the writer that adds keys

for v in DATASET_MB ROUNDS VALUE_SIZE PORT CHECK_PORT SAVE_TIMEOUT; do
	case ${!v} in '' | *[!0-9]*) die "$v must be a number, not '${!v}'" ;; esac
done
[ "$DATASET_MB" -ge 1 ] && [ "$ROUNDS" -ge 1 ] && [ "$VALUE_SIZE" -ge 16 ] ||
	die "DATASET_MB and ROUNDS must be >= 1, VALUE_SIZE >= 16"
for m in $MODES; do
	case $m in rdb | aof) ;; *) die "MODES: unknown mode '$m' (rdb, aof)" ;; esac
done
[ -x "$SERVER" ] || die "$SERVER is missing (run scripts/build-redis.sh, or set REDIS_SERVER)"
# Redis or Valkey: redis-server with redis-benchmark, valkey-server with
# valkey-benchmark.
srv=${SERVER##*/}
bench=$(dirname "$SERVER")/${srv%-server}-benchmark
[ -x "$bench" ] || bench=$(command -v "${srv%-server}-benchmark") ||
	die "no ${srv%-server}-benchmark next to $SERVER or in PATH"
need_tool mkfifo sort awk cp
launcher=()
if [ -n "$LAUNCHER" ]; then
	# shellcheck disable=SC2206 # a command with arguments
	launcher=($LAUNCHER)
	[ -x "${launcher[0]}" ] || command -v "${launcher[0]}" >/dev/null ||
		die "LAUNCHER ${launcher[0]} not found"
fi
if [ -z "${FORK_ASYNC:-}" ]; then
	FORK_ASYNC=none
	grep -q -a latest_fork_async "$SERVER" && FORK_ASYNC=yes
fi
case $FORK_ASYNC in yes | no | none) ;; *) die "FORK_ASYNC must be yes or no" ;; esac
# A write to a connection Redis has closed must fail, not kill the script.
trap '' PIPE

# The servers run from tmpfs: nothing of theirs touches the 9p root.
rm -rf "$WORK"
mkdir -p "$WORK/bin" "$WORK/main" "$WORK/check"
cp "$SERVER" "$WORK/bin/$srv"
cp "$bench" "$WORK/bin/${bench##*/}"
nap_init "$WORK"
main_cmd=("${launcher[@]}" "$WORK/bin/$srv")
[ "$FORK_ASYNC" = none ] || main_cmd+=(--fork-async "$FORK_ASYNC")
check_cmd=("$WORK/bin/$srv")
tap=$WORK/redis-consistency.tap
: >"$tap"
out() { printf '%s\n' "$*" | tee -a "$tap"; }

cleanup() {
	local rc=$?
	trap - EXIT
	[ ${#writers[@]} -eq 0 ] || stop_writers || true
	stop_server "$CHECK_PORT" "$WORK/check" 2>/dev/null || true
	stop_server "$PORT" "$WORK/main" 2>/dev/null || true
	if [ -n "${GUEST_OUT:-}" ] && [ -d "$GUEST_OUT" ]; then
		cp "$tap" "$GUEST_OUT/redis-consistency.tap" || true
	fi
	exit "$rc"
}
trap cleanup EXIT

ports_free "$PORT" "$CHECK_PORT"

# start_main [ARGS...] / start_check [ARGS...]: the server under test and
# the one that loads its snapshots (plain, no launcher).
start_main() {
	local -a REDIS_SERVER_CMD=("${main_cmd[@]}")
	start_server "$PORT" "$WORK/main" "$@"
}
start_check() {
	local -a REDIS_SERVER_CMD=("${check_cmd[@]}")
	start_server "$CHECK_PORT" "$WORK/check" "$@"
}

# Wait until only this script's own connection is left: the data a stopped
# writer had sent is processed before its connection is closed.
quiesce() {
	local deadline=$((EPOCHSECONDS + 120))
	while :; do
		rq "$PORT" INFO clients
		field connected_clients
		[ "$F" -gt 1 ] || return 0
		[ "$EPOCHSECONDS" -lt "$deadline" ] || die "writers' connections still open after 120s"
		nap 0.05
	done
}

# The writers, armed (stopped) for the next snapshot.
arm_writers() {
	local nkeys=$1
	# On the populated keys key:N (redis-benchmark pads __rand_int__ to 12
	# digits): delete, rewrite, append to, overwrite in place; and bump
	# counters.  Each __rand_int__ is drawn on its own.
	arm_writer "$WORK/writer-mixed.log" \
		"$WORK/bin/${bench##*/}" -h 127.0.0.1 -p "$PORT" -c 2 -n 1000000000 \
		-r "$nkeys" -q EVAL "
local n = tonumber(ARGV[1])
local k = 'key:' .. n
local op = tonumber(ARGV[2]) % 5
if op == 0 then return redis.call('DEL', k)
elseif op == 1 then return redis.call('SET', k, 'rewritten-' .. ARGV[2])
elseif op == 2 then return redis.call('APPEND', k, '+')
elseif op == 3 then return redis.call('SETRANGE', k, 0, 'after-fork')
else return redis.call('INCRBY', 'ctr:' .. (n % 1000), 1) end" 0 __rand_int__ __rand_int__
	# New keys, counters, and a growing set and hash.
	arm_writer "$WORK/writer-new.log" \
		"$WORK/bin/${bench##*/}" -h 127.0.0.1 -p "$PORT" -c 2 -n 20000 -l \
		-r "$NEW_KEYS" -d 64 -t set,incr,sadd,hset -q
	wait_writers_stopped
}

# The digest of a snapshot loaded into the check server, into CHECK_DIGEST.
CHECK_DIGEST=""
check_load() { # config args
	start_check "$@"
	rcall "$CHECK_PORT" "$SAVE_TIMEOUT" DEBUG DIGEST || die "DEBUG DIGEST (check): $R"
	CHECK_DIGEST=$R
	stop_server "$CHECK_PORT" "$WORK/check" || die "check server did not stop"
}

# ---------------------------------------------------------------------------
sysctl=/proc/sys/vm/async_fork
vm_mode=none
[ -r "$sysctl" ] && vm_mode=$(cat "$sysctl")
version=$("$WORK/bin/$srv" --version)
nmodes=0
for _ in $MODES; do nmodes=$((nmodes + 1)); done
out "TAP version 13"
out "1..$((ROUNDS * nmodes))"
out "# redis-consistency: ${version%% sha=*} ($SERVER${LAUNCHER:+ under $LAUNCHER}, fork-async $FORK_ASYNC)"
out "# kernel $(uname -r), $(nproc) CPUs, $(($(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo) / 1024)) MiB RAM, vm.async_fork=$vm_mode"
out "# DATASET_MB=$DATASET_MB ROUNDS=$ROUNDS MODES='$MODES' VALUE_SIZE=$VALUE_SIZE"

# One server for all modes; AOF on from the start (no automatic rewrites,
# every write reaches the file at once) when a mode needs it.
aof_args=(--appendonly no)
case " $MODES " in *" aof "*)
	aof_args=(--appendonly yes --appendfsync no --auto-aof-rewrite-percentage 0
		--aof-use-rdb-preamble yes --appenddirname appendonlydir)
	;;
esac
start_main "${aof_args[@]}"

populate "$PORT" "$DATASET_MB" ""
used=$POP_USED
out "# dataset: $POP_KEYS keys, used_memory $((used / 1024 / 1024)) MiB"
populated=$POP_KEYS

# Wait for any snapshot or rewrite the server started on its own.
wait_idle() {
	local deadline=$((EPOCHSECONDS + SAVE_TIMEOUT))
	while :; do
		rq "$PORT" INFO persistence
		field rdb_bgsave_in_progress
		local a=$F
		field aof_rewrite_in_progress
		local b=$F
		field aof_rewrite_scheduled
		[ "$a$b$F" = 000 ] && return 0
		[ "$EPOCHSECONDS" -lt "$deadline" ] || die "server busy with a snapshot for ${SAVE_TIMEOUT}s"
		nap 0.1
	done
}

declare -A vm0=() vm1=()
vm_read vm0
# The async_fork* counters this kernel has ("" if none).
VM_SEEN=$(for n in "${!vm0[@]}"; do echo "$n"; done | sort | tr '\n' ' ')

failures=0
test_no=0
summary=()
for mode in $MODES; do
	forks=()
	asyncs=0
	nok=0
	declare -A vm_sum=()
	for n in $VM_SEEN; do vm_sum[$n]=0; done
	for round in $(seq 1 "$ROUNDS"); do
		test_no=$((test_no + 1))
		wait_idle
		arm_writers "$populated"
		quiesce
		rcall "$PORT" "$SAVE_TIMEOUT" DEBUG DIGEST || die "DEBUG DIGEST: $R"
		fork_digest=$R
		rq "$PORT" INFO stats
		field total_commands_processed
		cmds0=$F

		# The window: no fork of this script until the save is over.
		vm_read vm0
		now_ms
		t0=$NOW
		if [ "$mode" = rdb ]; then
			rq "$PORT" BGSAVE
			[ "$R" = "Background saving started" ] || die "BGSAVE: $R"
		else
			rq "$PORT" BGREWRITEAOF
			[ "$R" = "Background append only file rewriting started" ] ||
				die "BGREWRITEAOF: $R"
		fi
		release_writers
		busy=rdb_bgsave_in_progress
		[ "$mode" = rdb ] || busy=aof_rewrite_in_progress
		if ! await_snapshot "$PORT" "$busy" persistence stats; then
			stop_writers || true
			die "$mode round $round: snapshot still running after ${SAVE_TIMEOUT}s"
		fi
		polls=$POLLS
		now_ms
		t1=$NOW
		vm_read vm1
		# End of the window.
		if [ "$mode" = rdb ]; then
			field rdb_last_bgsave_status
		else
			field aof_last_bgrewrite_status
		fi
		save_status=$F
		field latest_fork_usec
		fork_usec=$F
		fork_async=n/a
		! field latest_fork_async || fork_async=$F
		# Commands served from the fork to the end of the save, less the
		# INFO before it, BGSAVE and the polls.
		field total_commands_processed
		ops=$((F - cmds0 - polls - 1))
		writers_ok=yes
		stop_writers || writers_ok=no
		quiesce
		forks+=("$fork_usec")
		[ "$fork_async" != 1 ] || asyncs=$((asyncs + 1))
		vmd=""
		for n in $VM_SEEN; do
			d=$((${vm1[$n]:-0} - ${vm0[$n]:-0}))
			vm_sum[$n]=$((vm_sum[$n] + d))
			[ "$d" = 0 ] || vmd+=" $n+$d"
		done

		problems=""
		[ "$writers_ok" = yes ] || problems+=" a writer died ($(tail -n 1 "$WORK"/writer-*.log | tr '\n' ' '));"
		if [ "$save_status" != ok ]; then
			problems+=" snapshot status '$save_status';"
		elif [ "$mode" = rdb ]; then
			mv "$WORK/main/dump.rdb" "$WORK/check/dump.rdb" || die "no dump.rdb in $WORK/main"
			check_load
			rm -f "$WORK/check/dump.rdb"
			[ "$CHECK_DIGEST" = "$fork_digest" ] ||
				problems+=" RDB digest $CHECK_DIGEST != digest at fork $fork_digest;"
		else
			rq "$PORT" INFO persistence
			field aof_buffer_length
			[ "$F" = 0 ] || die "aof_buffer_length $F after the writers stopped"
			rcall "$PORT" "$SAVE_TIMEOUT" DEBUG DIGEST || die "DEBUG DIGEST: $R"
			final_digest=$R
			aofdir=$WORK/check/appendonlydir
			manifest=$aofdir/appendonly.aof.manifest
			# The base file alone: the dataset at the fork.
			rm -rf "$aofdir"
			cp -a "$WORK/main/appendonlydir" "$aofdir"
			grep -q ' type b$' "$manifest" || die "no base file in $(cat "$manifest")"
			grep ' type b$' "$manifest" >"$manifest.new"
			mv "$manifest.new" "$manifest"
			check_load --appendonly yes --appenddirname appendonlydir
			[ "$CHECK_DIGEST" = "$fork_digest" ] ||
				problems+=" AOF base digest $CHECK_DIGEST != digest at fork $fork_digest;"
			# Base and increments: the dataset now.
			rm -rf "$aofdir"
			cp -a "$WORK/main/appendonlydir" "$aofdir"
			check_load --appendonly yes --appenddirname appendonlydir
			[ "$CHECK_DIGEST" = "$final_digest" ] ||
				problems+=" AOF base+incr digest $CHECK_DIGEST != digest after the writes $final_digest;"
			[ "$final_digest" != "$fork_digest" ] ||
				out "# $mode round $round: the writers changed nothing?"
			rm -rf "$aofdir"
		fi

		what="$mode round $round: fork ${fork_usec} us, latest_fork_async=$fork_async, save $((t1 - t0)) ms, $ops writes during it,${vmd:- no async_fork counts}"
		if [ -z "$problems" ]; then
			nok=$((nok + 1))
			out "ok $test_no - $what"
		else
			failures=$((failures + 1))
			out "not ok $test_no - $what"
			out "#  $problems"
		fi
	done
	med=$(printf '%s\n' "${forks[@]}" | median)
	min=$(printf '%s\n' "${forks[@]}" | sort -n | head -n 1)
	max=$(printf '%s\n' "${forks[@]}" | sort -n | tail -n 1)
	line="$mode: $nok/$ROUNDS ok; latest_fork_usec median $med min $min max $max;"
	if [ "$fork_async" = n/a ]; then
		line+=" latest_fork_async not reported by this server;"
	else
		line+=" latest_fork_async=1 in $asyncs/$ROUNDS;"
	fi
	for n in $VM_SEEN; do line+=" $n +${vm_sum[$n]}"; done
	[ -n "$VM_SEEN" ] || line+=" no async_fork counters in /proc/vmstat"
	summary+=("$line")
done

out "# summary (fork-async $FORK_ASYNC${LAUNCHER:+, launcher ${LAUNCHER##*/}}, vm.async_fork=$vm_mode, $populated keys):"
for line in "${summary[@]}"; do out "#   $line"; done
if [ "$failures" = 0 ]; then
	out "# result: every snapshot matched the dataset at its fork"
else
	out "# result: $failures round(s) failed"
fi
[ "$failures" = 0 ]
