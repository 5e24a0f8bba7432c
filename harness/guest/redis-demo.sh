#!/bin/bash
# Runs inside the guest: Redis BGSAVE with plain fork (vm.async_fork=0) and
# with async fork (vm.async_fork=2).  For each mode it fills a redis-server
# to about DATASET_MB, then ROUNDS times: records DEBUG DIGEST with no
# writers running, starts BGSAVE, releases two writers the moment BGSAVE
# returns (SETs of new keys, and in-place SETRANGEs of keys that are in the
# snapshot), waits for the save, and loads the RDB file into a second
# redis-server whose DEBUG DIGEST must equal the recorded one: the snapshot
# is the dataset at the instant of the fork, whatever was written after.
#
# Prints a table (latest_fork_usec per round and median, BGSAVE duration,
# commands served during the save, digest match, /proc/vmstat async_fork*
# deltas) and, when GUEST_OUT is set, writes it to $GUEST_OUT/redis-demo.txt
# and as CSV to $GUEST_OUT/redis-demo.csv.  Exits non-zero when a save
# fails, a digest differs, a writer dies, or mode 2 cannot run.
#
# Between BGSAVE and the end of the save the script itself does not fork
# (it talks to Redis over bash's /dev/tcp, and the writers are forked
# beforehand and only released), so in that window the vmstat deltas
# count Redis's fork alone.
#
# Environment:
#   DATASET_MB        target used_memory (default 512)
#   ROUNDS            BGSAVEs per mode (default 3)
#   VALUE_SIZE        bytes per value for DEBUG POPULATE (default 1000)
#   REDIS_PORT        the server (default 6379); REDIS_CHECK_PORT (6380)
#   REDIS_WORKDIR     where the servers' directories go (default /tmp)
#   SAVE_TIMEOUT      seconds a BGSAVE, a load or a populate may take (1800)
set -eu
. "$(dirname "$0")/../../scripts/lib.sh"
# shellcheck source=harness/redis-lib.sh
. "$(dirname "$0")/../redis-lib.sh"
export LC_ALL=C

DATASET_MB=${DATASET_MB:-512}
ROUNDS=${ROUNDS:-3}
VALUE_SIZE=${VALUE_SIZE:-1000}
PORT=${REDIS_PORT:-6379}
CHECK_PORT=${REDIS_CHECK_PORT:-6380}
WORK=${REDIS_WORKDIR:-/tmp}
SAVE_TIMEOUT=${SAVE_TIMEOUT:-1800}
MODES="0 2"
SYSCTL=/proc/sys/vm/async_fork
WRITER_KEYS=10000	# keyspace of the SET writer

for v in DATASET_MB ROUNDS VALUE_SIZE PORT CHECK_PORT SAVE_TIMEOUT; do
	case ${!v} in '' | *[!0-9]*) die "$v must be a number, not '${!v}'" ;; esac
done
[ "$DATASET_MB" -ge 1 ] && [ "$ROUNDS" -ge 1 ] && [ "$VALUE_SIZE" -ge 16 ] ||
	die "DATASET_MB and ROUNDS must be >= 1, VALUE_SIZE >= 16"
need_tool redis-server redis-benchmark mkfifo sort
# A write to a connection Redis has closed must fail, not kill the script.
trap '' PIPE

nap_init "$WORK"
VM_NAMES="async_fork async_fork_fallback async_fork_child_pmd async_fork_sync_pmd async_fork_abort"

# Writers (redis-lib.sh): forked before BGSAVE, stopped, and released with
# SIGCONT right after it, so that starting them costs no fork in the
# measured window.
arm_writers() { # nkeys dir
	local nkeys=$1 dir=$2
	# New and overwritten keys outside the snapshot's key names.
	arm_writer "$dir/writer-set.log" \
		redis-benchmark -h 127.0.0.1 -p "$PORT" -c 2 -n 1000000000 \
		-r "$WRITER_KEYS" -d 1024 -t set -q
	# In-place changes of values that are in the snapshot: key:N of
	# DEBUG POPULATE (redis-benchmark pads __rand_int__ to 12 digits).
	arm_writer "$dir/writer-setrange.log" \
		redis-benchmark -h 127.0.0.1 -p "$PORT" -c 2 -n 1000000000 \
		-r "$nkeys" -q EVAL \
		"return redis.call('SETRANGE', 'key:' .. tonumber(ARGV[1]), 0, 'written-after-fork')" \
		0 __rand_int__
	wait_writers_stopped
}

# ---------------------------------------------------------------------------
orig_mode=""
[ -r "$SYSCTL" ] && orig_mode=$(cat "$SYSCTL")
cur_dir=""
cleanup() {
	local rc=$?
	trap - EXIT
	[ ${#writers[@]} -eq 0 ] || stop_writers || true
	if [ -n "$cur_dir" ]; then
		stop_server "$CHECK_PORT" "$cur_dir/check" 2>/dev/null || true
		stop_server "$PORT" "$cur_dir" 2>/dev/null || true
	fi
	[ -z "$orig_mode" ] || echo "$orig_mode" >"$SYSCTL" 2>/dev/null || true
	exit "$rc"
}
trap cleanup EXIT

ports_free "$PORT" "$CHECK_PORT"

failures=0
fail() {
	echo "redis-demo: FAIL: $*" >&2
	failures=$((failures + 1))
}

rows=()		# one CSV line per round and one summary line per mode
summary=()	# "mode median_fork_usec"
header="mode,round,dataset_mb,used_memory_mb,keys,fork_usec,bgsave_ms,cow_mb,ops_in_save,ops_per_s,digest_match"
for n in $VM_NAMES; do header+=",$n"; done

note "redis-demo: $(redis-server --version | head -n 1)"
note "redis-demo: kernel $(uname -r), $(nproc) CPUs, $((
	$(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo) / 1024)) MiB RAM"
note "redis-demo: DATASET_MB=$DATASET_MB ROUNDS=$ROUNDS VALUE_SIZE=$VALUE_SIZE"

for mode in $MODES; do
	if [ -w "$SYSCTL" ]; then
		echo "$mode" >"$SYSCTL" || die "cannot set $SYSCTL to $mode"
		[ "$(cat "$SYSCTL")" = "$mode" ] || die "$SYSCTL did not take $mode"
		note "mode $mode: vm.async_fork = $mode"
	elif [ "$mode" = 0 ]; then
		note "mode 0: $SYSCTL is missing (kernel without async fork): plain fork"
	else
		fail "mode $mode skipped: $SYSCTL is missing (kernel without async fork)"
		continue
	fi

	dir=$WORK/redis-$mode
	rm -rf "$dir"
	mkdir -p "$dir/check"
	cur_dir=$dir
	start_server "$PORT" "$dir"

	populate "$PORT" "$DATASET_MB" "mode $mode: "
	used=$POP_USED
	keys=$POP_KEYS
	used_mb=$((used / 1024 / 1024))
	note "mode $mode: used_memory $used_mb MiB, $keys keys"
	[ "$used" -ge $((DATASET_MB * 1024 * 1024 / 2)) ] || note "mode $mode: used_memory is well below DATASET_MB"

	declare -A vm_mode=()
	for n in $VM_NAMES; do vm_mode[$n]=0; done
	forks=()
	durations=()
	mode_fail=0
	for round in $(seq 1 "$ROUNDS"); do
		arm_writers "$keys" "$dir"
		rcall "$PORT" "$SAVE_TIMEOUT" DEBUG DIGEST || die "DEBUG DIGEST: $R"
		digest=$R
		rq "$PORT" DBSIZE
		keys_now=$R
		rq "$PORT" INFO stats
		field total_commands_processed
		cmds0=$F

		# The measured window: no fork from here to the end of the save.
		declare -A vm0=() vm1=()
		vm_read vm0
		now_ms
		t0=$NOW
		rq "$PORT" BGSAVE
		[ "$R" = "Background saving started" ] || die "BGSAVE: $R"
		release_writers
		if ! await_snapshot "$PORT" rdb_bgsave_in_progress persistence; then
			stop_writers || true
			die "mode $mode round $round: BGSAVE still running after ${SAVE_TIMEOUT}s"
		fi
		polls=$POLLS
		now_ms
		t1=$NOW
		vm_read vm1
		# End of the window.
		field rdb_last_bgsave_status
		save_status=$F
		field rdb_last_cow_size
		cow_mb=$(awk -v b="$F" 'BEGIN { printf "%.1f", b / 1048576 }')
		rq "$PORT" INFO stats
		field latest_fork_usec
		fork_usec=$F
		field total_commands_processed
		# Minus the INFOs of this script and BGSAVE itself.
		ops=$((F - cmds0 - polls - 2))
		writers_ok=yes
		stop_writers || writers_ok=no
		ms=$((t1 - t0))
		rate=$((ops * 1000 / (ms > 0 ? ms : 1)))
		forks+=("$fork_usec")
		durations+=("$ms")

		match=no
		if [ "$save_status" != ok ]; then
			fail "mode $mode round $round: BGSAVE status '$save_status'"
			match=save-failed
		elif [ "$writers_ok" != yes ]; then
			fail "mode $mode round $round: a writer died during the save"
			tail -n 5 "$dir"/writer-*.log >&2 || true
		fi
		if [ "$save_status" = ok ]; then
			# The snapshot must hold exactly the dataset of the fork.
			mv "$dir/dump.rdb" "$dir/check/dump.rdb" || die "no RDB file in $dir"
			start_server "$CHECK_PORT" "$dir/check"
			rcall "$CHECK_PORT" "$SAVE_TIMEOUT" DEBUG DIGEST || die "DEBUG DIGEST (check): $R"
			check_digest=$R
			rq "$CHECK_PORT" DBSIZE
			check_keys=$R
			stop_server "$CHECK_PORT" "$dir/check" || die "check server did not stop"
			rm -f "$dir/check/dump.rdb"
			if [ "$check_digest" = "$digest" ]; then
				match=yes
			else
				fail "mode $mode round $round: digest of the RDB $check_digest ($check_keys keys) != digest at fork $digest ($keys_now keys)"
			fi
		fi
		[ "$match" = yes ] && [ "$writers_ok" = yes ] || mode_fail=1

		line="$mode,$round,$DATASET_MB,$used_mb,$keys_now,$fork_usec,$ms,$cow_mb,$ops,$rate,$match"
		for n in $VM_NAMES; do
			d=$((${vm1[$n]:-0} - ${vm0[$n]:-0}))
			vm_mode[$n]=$((vm_mode[$n] + d))
			line+=",$d"
		done
		rows+=("$line")
		note "mode $mode round $round: latest_fork_usec=$fork_usec bgsave=${ms}ms ops_in_save=$ops digest_match=$match"
	done

	med_fork=$(printf '%s\n' "${forks[@]}" | median)
	med_ms=$(printf '%s\n' "${durations[@]}" | median)
	all=yes
	[ "$mode_fail" = 0 ] || all=no
	line="$mode,median,$DATASET_MB,$used_mb,$keys,$med_fork,$med_ms,,,,$all"
	for n in $VM_NAMES; do line+=",${vm_mode[$n]}"; done
	rows+=("$line")
	min_fork=$(printf '%s\n' "${forks[@]}" | sort -n | head -n 1)
	summary+=("$mode $med_fork $min_fork")

	stop_server "$PORT" "$dir" || fail "mode $mode: redis-server did not shut down cleanly"
	cur_dir=""
	rm -rf "$dir"
done

# ---------------------------------------------------------------------------
table() {
	echo "Redis BGSAVE: plain fork (vm.async_fork=0) vs async fork (vm.async_fork=2)"
	echo "kernel $(uname -r), $(nproc) CPUs; DATASET_MB=$DATASET_MB, values of $VALUE_SIZE bytes"
	echo "fork_usec = Redis latest_fork_usec (parent's time in fork); bgsave_ms = BGSAVE to end of save;"
	echo "ops_in_save = commands served while the child saved; digest = RDB digest == digest at fork;"
	echo "af_* = /proc/vmstat async_fork* deltas from BGSAVE to end of save (median row: sums)"
	printf '%s\n' "$header" "${rows[@]}" |
		sed -e 's/,async_fork_/,af_/g' -e 's/,async_fork,/,af,/' |
		awk -F, '{
			for (i = 1; i <= NF; i++) {
				c[NR, i] = $i == "" ? "-" : $i
				if (length(c[NR, i]) > w[i]) w[i] = length(c[NR, i])
			}
			nf[NR] = NF
		} END {
			for (r = 1; r <= NR; r++) {
				for (i = 1; i <= nf[r]; i++)
					printf (i < nf[r] ? "%-*s  " : "%.0s%s\n"), w[i], c[r, i]
			}
		}'
	local m
	for m in "${summary[@]}"; do
		# shellcheck disable=SC2086 # "mode median min"
		set -- $m
		printf 'mode %s: latest_fork_usec median %s, min %s\n' "$1" "$2" "$3"
	done
	if [ "$failures" = 0 ]; then
		echo "result: all snapshots match the dataset at fork time"
	else
		echo "result: $failures failure(s), see above"
	fi
}
echo
table
if [ -n "${GUEST_OUT:-}" ]; then
	printf '%s\n' "$header" "${rows[@]}" >"$GUEST_OUT/redis-demo.csv"
	table >"$GUEST_OUT/redis-demo.txt"
	note "redis-demo: wrote $GUEST_OUT/redis-demo.csv"
fi
[ "$failures" = 0 ]
