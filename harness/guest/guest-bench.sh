#!/bin/bash
# Runs inside the guest (scripts/bench.sh boots it): the measurements of
# `make bench`, one part after another, into $GUEST_OUT.
#
#   small  fork + _exit + waitpid of a small process, SMALL_FORKS in a row,
#          SMALL_REPS times; with vm.async_fork=0 and =1 where the sysctl
#          exists (the patched kernel), once where it does not (base)
#   fork   fork_bench: the parent's time in fork, plain against CLONE_ASYNC,
#          for FORK_SIZES MiB of 4 KiB pages and of THP, FORK_REPS forks
#          each; the child's copy time from the async_fork_copy_done
#          tracepoint; then sparse reservations of FORK_SPARSE_GIB GiB,
#          one page written per GiB
#   redis  redis_latency: every GET/SET's latency from REDIS_CONNS
#          connections while REDIS_SAVES BGSAVEs run, REDIS_GAP seconds
#          apart, on a server holding about REDIS_MB MiB, for each of
#          REDIS_CONFIGS (plain: 4 KiB pages, plain fork; thp: THP always,
#          plain fork; async: 4 KiB pages, async fork; alt: 4 KiB pages,
#          one server whose BGSAVEs alternate between plain and async fork,
#          REDIS_ALT_SAVES of them, which needs the fork-async option;
#          CFG:MB for another dataset size, e.g. async:4096; the default
#          adds plain:16 and async:16, the floor: a BGSAVE whose fork
#          copies almost nothing, under the same load); before the
#          client load starts (not for alt), REDIS_IDLE_SAVES BGSAVEs of
#          the full server alternate with as many of an empty twin server:
#          latest_fork_usec without load, and its floor.  A configuration
#          prefixed valkey- (valkey-plain, valkey-async, valkey-alt,
#          valkey-thp, each with :MB or not) runs VALKEY_SERVER instead,
#          under the same load and redis-cli, tagged valkey-CFG[-MBm]
#
# Everything measured writes to /tmp (tmpfs) only: a process that writes
# to the 9p share pins its pages and forks synchronously from then on.  The
# results are copied to $GUEST_OUT by cp after each part.
#
# Environment (defaults in brackets): BENCH_PARTS ["small fork redis"],
# BENCH_LABEL [patched], BENCH_TOOLS [build/tools], FORK_SIZES
# ["256 512 1024 2048 4096"], FORK_REPS [5], FORK_SPARSE_GIB ["1024 16384"],
# REDIS_MB [2048],
# REDIS_VALUE_SIZE [1000], REDIS_CONNS [4], REDIS_GET_PCT [50],
# REDIS_SAVES [3], REDIS_ALT_SAVES [6], REDIS_IDLE_SAVES [7], REDIS_GAP [4],
# REDIS_CONFIGS ["plain thp async alt plain:4096 async:4096 plain:16
# async:16"],
# REDIS_SERVER [build/redis/src/redis-server if it has the fork-async
# option, else Debian's redis-server], VALKEY_SERVER
# [build/valkey/src/valkey-server, from scripts/build-valkey.sh; only for
# valkey- configurations], SMALL_FORKS [1000], SMALL_REPS [10].
set -eu -o pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../../scripts/lib.sh"
export LC_ALL=C

PARTS=${BENCH_PARTS:-"small fork redis"}
LABEL=${BENCH_LABEL:-patched}
TOOLS=${BENCH_TOOLS:-$BUILD/tools}
FORK_SIZES=${FORK_SIZES:-"256 512 1024 2048 4096"}
FORK_REPS=${FORK_REPS:-5}
FORK_SPARSE_GIB=${FORK_SPARSE_GIB-"1024 16384"}
REDIS_MB=${REDIS_MB:-2048}
REDIS_VALUE_SIZE=${REDIS_VALUE_SIZE:-1000}
REDIS_CONNS=${REDIS_CONNS:-4}
REDIS_GET_PCT=${REDIS_GET_PCT:-50}
REDIS_SAVES=${REDIS_SAVES:-3}
REDIS_ALT_SAVES=${REDIS_ALT_SAVES:-6}
REDIS_IDLE_SAVES=${REDIS_IDLE_SAVES:-7}
REDIS_GAP=${REDIS_GAP:-4}
REDIS_CONFIGS=${REDIS_CONFIGS:-"plain thp async alt plain:4096 async:4096 plain:16 async:16"}
SMALL_FORKS=${SMALL_FORKS:-1000}
SMALL_REPS=${SMALL_REPS:-10}
PORT=6379

SYSCTL=/proc/sys/vm/async_fork
THP=/sys/kernel/mm/transparent_hugepage
TRACING=/sys/kernel/tracing
OUT=/tmp/bench
DEST=${GUEST_OUT:-}

for v in FORK_REPS REDIS_MB REDIS_VALUE_SIZE REDIS_CONNS REDIS_GET_PCT \
	REDIS_SAVES REDIS_ALT_SAVES REDIS_IDLE_SAVES REDIS_GAP SMALL_FORKS SMALL_REPS; do
	case ${!v} in '' | *[!0-9]*) die "$v must be a number, not '${!v}'" ;; esac
done
for s in $FORK_SIZES; do
	case $s in '' | *[!0-9]*) die "FORK_SIZES must be numbers (MiB), not '$s'" ;; esac
done
for s in $FORK_SPARSE_GIB; do
	case $s in *[!0-9]*) die "FORK_SPARSE_GIB must be numbers (GiB), not '$s'" ;; esac
done
[ -n "$DEST" ] || die "GUEST_OUT is not set (run this through scripts/run-guest.sh)"
has_part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
# Progress, with the seconds since the guest session started.
say() { note "[+${SECONDS}s] $*"; }

rm -rf "$OUT"
mkdir -p "$OUT"

orig_mode=""
[ -r "$SYSCTL" ] && orig_mode=$(cat "$SYSCTL")
orig_thp=$(sed 's/.*\[\(.*\)\].*/\1/' "$THP/enabled" 2>/dev/null || echo "")
server_dir=""

save() {
	cp -f "$OUT"/* "$DEST"/ 2>/dev/null || true
}

cleanup() {
	local rc=$?
	trap - EXIT
	if [ -n "$server_dir" ]; then
		redis-cli -p "$PORT" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
		redis-cli -p "$((PORT + 1))" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
		cp -f "$server_dir/redis.log" "$OUT/redis-log-failed.txt" 2>/dev/null || true
	fi
	[ -z "$orig_mode" ] || echo "$orig_mode" >"$SYSCTL" 2>/dev/null || true
	[ -z "$orig_thp" ] || echo "$orig_thp" >"$THP/enabled" 2>/dev/null || true
	save
	exit "$rc"
}
trap cleanup EXIT

set_async() { # mode
	[ -w "$SYSCTL" ] || return 0
	echo "$1" >"$SYSCTL" || die "cannot set vm.async_fork to $1"
}

set_thp() { # never|madvise|always
	[ -w "$THP/enabled" ] || die "no $THP/enabled (kernel without THP?)"
	echo "$1" >"$THP/enabled"
	grep -q "\[$1\]" "$THP/enabled" || die "THP enabled did not take '$1'"
}

# The async_fork_copy_done tracepoint (child pid, copy duration), if the
# kernel has it: trace_on clears the buffer and enables it, trace_off
# saves the events to $1.
trace_on() {
	[ -d "$TRACING/events/async_fork/async_fork_copy_done" ] || return 0
	echo 0 >"$TRACING/tracing_on"
	echo 4096 >"$TRACING/buffer_size_kb" 2>/dev/null || true
	: >"$TRACING/trace"
	echo 1 >"$TRACING/events/async_fork/async_fork_copy_done/enable"
	echo 1 >"$TRACING/tracing_on"
}
trace_off() { # file
	[ -d "$TRACING/events/async_fork/async_fork_copy_done" ] || return 0
	echo 0 >"$TRACING/tracing_on"
	echo 0 >"$TRACING/events/async_fork/async_fork_copy_done/enable"
	grep -v '^#' "$TRACING/trace" >"$1" || true
}

vmstat_async() {
	grep '^async_fork' /proc/vmstat 2>/dev/null | tr ' ' '=' || true
}

# What the parts asked for need (another architecture's guest runs only the
# fork part, with its own build of fork_bench).
! has_part redis || need_tool redis-server redis-cli
for t in small:small_fork fork:fork_bench redis:redis_latency; do
	has_part "${t%%:*}" || continue
	[ -x "$TOOLS/${t#*:}" ] || die "$TOOLS/${t#*:} is missing (scripts/bench.sh builds it)"
done

# ---- what we run on -----------------------------------------------------
{
	echo "label=$LABEL"
	echo "kernel=$(uname -r)"
	echo "kernel_build=$(uname -v)"
	echo "cpus=$(nproc)"
	echo "mem_mib=$(($(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo) / 1024))"
	echo "cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "date=$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "parts=$PARTS"
	echo "async_fork_sysctl=$([ -r "$SYSCTL" ] && cat "$SYSCTL" || echo absent)"
	echo "thp_default=$orig_thp"
	# commit=, series_patches=, series_patch_ids= (scripts/series-id.sh)
	echo "${BENCH_SERIES:-$("$TOP/scripts/series-id.sh")}" | tr ' ' '\n'
} >"$OUT/meta-$LABEL.txt"
say "bench ($LABEL): kernel $(uname -r), $(nproc) CPUs, $(grep MemTotal /proc/meminfo | tr -s ' ')"
say "bench ($LABEL): parts: $PARTS"

# ---- small-process fork ---------------------------------------------------
part_small() {
	local csv=$OUT/small-fork-$LABEL.csv mode
	say "small: $SMALL_REPS x $SMALL_FORKS forks of a small process"
	if [ -w "$SYSCTL" ]; then
		: >"$csv"
		for mode in 0 1; do
			set_async "$mode"
			"$TOOLS/small_fork" -n "$SMALL_FORKS" -r "$SMALL_REPS" \
				-l "$LABEL-af$mode" >"$OUT/small.tmp"
			if [ -s "$csv" ]; then
				tail -n +2 "$OUT/small.tmp" >>"$csv"
			else
				cat "$OUT/small.tmp" >"$csv"
			fi
		done
		rm -f "$OUT/small.tmp"
		set_async "${orig_mode:-1}"
	else
		"$TOOLS/small_fork" -n "$SMALL_FORKS" -r "$SMALL_REPS" -l "$LABEL" >"$csv"
	fi
	awk -F, 'NR > 1 { s[$1] += $5; n[$1]++ }
		END { for (l in s) printf "small: %s: %.1f us per fork (mean of %d)\n", l, s[l] / n[l], n[l] }' \
		"$csv" >&2
}

# ---- fork latency ------------------------------------------------------------
part_fork() {
	local csv=$OUT/fork-latency.csv max=0 s mem_mib
	[ -r "$SYSCTL" ] || die "fork part needs the patched kernel (no $SYSCTL)"
	for s in $FORK_SIZES; do [ "$s" -gt "$max" ] && max=$s; done
	mem_mib=$(($(sed -n 's/^MemAvailable: *\([0-9]*\).*/\1/p' /proc/meminfo) / 1024))
	[ "$mem_mib" -gt $((max + 512)) ] ||
		die "fork part: $max MiB does not fit in the guest ($mem_mib MiB available)"
	set_async 1
	set_thp madvise
	local before after
	before=$(vmstat_async)
	trace_on
	say "fork: sizes $FORK_SIZES MiB, 4 KiB pages, $FORK_REPS forks each way"
	# shellcheck disable=SC2086 # one argument a size
	"$TOOLS/fork_bench" --reps "$FORK_REPS" $FORK_SIZES >"$csv"
	say "fork: sizes $FORK_SIZES MiB, THP (MADV_HUGEPAGE), $FORK_REPS forks each way"
	# shellcheck disable=SC2086
	"$TOOLS/fork_bench" --thp --floor-mib 0 --reps "$FORK_REPS" $FORK_SIZES >"$OUT/fork.tmp"
	tail -n +2 "$OUT/fork.tmp" >>"$csv"
	if [ -n "$FORK_SPARSE_GIB" ]; then
		say "fork: sparse reservations of $FORK_SPARSE_GIB GiB, one page written per GiB, $FORK_REPS forks each way"
		# shellcheck disable=SC2086
		"$TOOLS/fork_bench" --sparse --floor-mib 0 --reps "$FORK_REPS" $FORK_SPARSE_GIB >"$OUT/fork.tmp"
		tail -n +2 "$OUT/fork.tmp" >>"$csv"
	fi
	rm -f "$OUT/fork.tmp"
	trace_off "$OUT/fork-trace.txt"
	after=$(vmstat_async)
	{
		echo "before:"
		echo "$before"
		echo "after:"
		echo "$after"
	} >"$OUT/fork-vmstat.txt"
	set_thp "${orig_thp:-madvise}"
	awk -F, 'NR > 1 && $2 == '"$max"' { s[$3 " " $4] = s[$3 " " $4] " " $6 }
		END { for (k in s) printf "fork: %d MiB %s: parent us%s\n", '"$max"', k, s[k] }' \
		"$csv" >&2
}

# ---- Redis ---------------------------------------------------------------------
# The server binary: the patched build (fork-async option) when there is
# one, Debian's otherwise; the same one for every configuration but the
# valkey- ones, which run valkey_bin.
redis_bin=/usr/bin/redis-server
async_how=""
valkey_bin=${VALKEY_SERVER:-$BUILD/valkey/src/valkey-server}
valkey_async_how=""
# server_bin, server_async_how: those of the current configuration.
server_bin=""
server_async_how=""

# async_how_of BIN: how an async configuration of server BIN forks async.
async_how_of() {
	if grep -q -a -F 'fork-async' "$1"; then
		echo "fork-async yes"
	elif [ -x "$TOOLS/async-fork-run" ]; then
		echo "async-fork-run"
	else
		echo "vm.async_fork=2"
	fi
}

choose_server() {
	local patched=$BUILD/redis/src/redis-server
	if [ -n "${REDIS_SERVER:-}" ]; then
		redis_bin=$REDIS_SERVER
	elif [ -x "$patched" ] && grep -q -a -F 'fork-async' "$patched"; then
		redis_bin=$patched
	else
		redis_bin=$(command -v redis-server)
	fi
	[ -x "$redis_bin" ] || die "no redis-server at $redis_bin"
	async_how=$(async_how_of "$redis_bin")
}

# choose_valkey: valkey_bin must be there when a configuration asks for it.
choose_valkey() {
	[ -x "$valkey_bin" ] ||
		die "no valkey-server at $valkey_bin (build it: scripts/build-valkey.sh; or set VALKEY_SERVER)"
	valkey_async_how=$(async_how_of "$valkey_bin")
}

rinfo() { # section field
	redis-cli -p "$PORT" INFO "$1" | tr -d '\r' | sed -n "s/^$2://p"
}

anon_huge_kb() { # pid
	sed -n 's/^AnonHugePages: *\([0-9]*\).*/\1/p' "/proc/$1/smaps_rollup" 2>/dev/null || echo -1
}

# bgsave_fork PORT TAG WHAT: one BGSAVE of the server on PORT, awaited;
# prints its latest_fork_usec,latest_fork_async.
bgsave_fork() {
	local port=$1 tag=$2 what=$3 n=0 async
	case $(redis-cli -p "$port" BGSAVE) in
	*started*) ;;
	*) die "redis $tag: BGSAVE ($what) was refused" ;;
	esac
	while [ "$(PORT=$port rinfo persistence rdb_bgsave_in_progress)" != 0 ]; do
		n=$((n + 1))
		[ "$n" -lt 6000 ] || die "redis $tag: BGSAVE ($what) did not end in 600 s"
		sleep 0.1
	done
	[ "$(PORT=$port rinfo persistence rdb_last_bgsave_status)" = ok ] ||
		die "redis $tag: BGSAVE ($what) failed (logs in $server_dir)"
	async=$(PORT=$port rinfo stats latest_fork_async)
	echo "$(PORT=$port rinfo stats latest_fork_usec),${async:--1}"
}

# quiet_saves TAG: latest_fork_usec without client load, REDIS_IDLE_SAVES
# rounds of one BGSAVE of the full server (redis-idle-TAG.csv) and one of
# an empty twin (redis-floor-TAG.csv: the same binary and options, on the
# next port; what is left is Redis's own bookkeeping around fork()).  The
# two alternate so that both see the same state of the machine: under TCG
# the time of one fork drifts by a factor of two and more from one minute
# to the next.
quiet_saves() {
	local tag=$1 i r twin=$((PORT + 1)) tdir=$server_dir/twin tpid
	mkdir -p "$tdir"
	start_redis "$twin" "$tdir"
	tpid=$(cat "$tdir/redis.pid")
	echo "idx,fork_usec,fork_async" >"$OUT/redis-idle-$tag.csv"
	echo "idx,fork_usec,fork_async" >"$OUT/redis-floor-$tag.csv"
	for i in $(seq 1 "$REDIS_IDLE_SAVES"); do
		# Assignments, so that a failed BGSAVE (die in the
		# subshell) stops the script under set -e.
		r=$(bgsave_fork "$PORT" "$tag" idle)
		echo "$i,$r" >>"$OUT/redis-idle-$tag.csv"
		r=$(bgsave_fork "$twin" "$tag" floor)
		echo "$i,$r" >>"$OUT/redis-floor-$tag.csv"
	done
	stop_redis "$twin" "$tpid"
	say "redis $tag: latest_fork_usec without load, full:" \
		"$(tail -n +2 "$OUT/redis-idle-$tag.csv" | cut -d, -f2 | tr '\n' ' ')" \
		"empty twin: $(tail -n +2 "$OUT/redis-floor-$tag.csv" | cut -d, -f2 | tr '\n' ' ')"
}

# start_redis PORT DIR: the server of the current configuration
# (server_bin, redis_args, redis_launcher) on PORT with its files in DIR.
start_redis() {
	local port=$1 dir=$2 i
	"${redis_launcher[@]}" "$server_bin" --bind 127.0.0.1 --port "$port" --save '' \
		--appendonly no --dir "$dir" --dbfilename dump.rdb \
		--daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
		--enable-debug-command local --protected-mode yes "${redis_args[@]}" ||
		die "redis-server did not start (log: $dir/redis.log)"
	for i in $(seq 1 300); do
		[ "$(redis-cli -p "$port" PING 2>/dev/null)" = PONG ] && break
		[ "$i" -lt 300 ] || die "redis-server on port $port does not answer"
		sleep 0.2
	done
}

# stop_redis PORT PID
stop_redis() {
	local i
	redis-cli -p "$1" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
	for i in $(seq 1 300); do
		[ -d "/proc/$2" ] || return 0
		sleep 0.2
	done
	die "redis-server $2 did not exit"
}

# run_redis_config CFG[:MB]: CFG is plain, thp, async or alt; with :MB a
# dataset of MB MiB instead of REDIS_MB, and the results are tagged
# CFG-MBm.  CFG valkey-X: X with the Valkey server, tagged valkey-X[-MBm].
run_redis_config() {
	local cfg=${1%%:*} mb=$REDIS_MB tag=${1%%:*} pid dir
	local target keys base used i before after huge0 huge1 rc=0
	local saves=$REDIS_SAVES alt=() store="" build="make redis"
	case $1 in *:*)
		mb=${1#*:}
		tag=$cfg-${mb}m
		;;
	esac
	server_bin=$redis_bin
	server_async_how=$async_how
	case $cfg in valkey-*)
		store=valkey
		cfg=${cfg#valkey-}
		server_bin=$valkey_bin
		server_async_how=$valkey_async_how
		build=scripts/build-valkey.sh
		;;
	esac
	dir=/tmp/redis-$tag
	rm -rf "$dir"
	mkdir -p "$dir"
	redis_launcher=()
	redis_args=(--disable-thp yes)
	set_async 1
	set_thp madvise
	case $cfg in
	plain) ;;
	thp)
		set_thp always
		redis_args=(--disable-thp no)
		;;
	async)
		case $server_async_how in
		"fork-async yes") redis_args+=(--fork-async yes) ;;
		async-fork-run) redis_launcher=("$TOOLS/async-fork-run") ;;
		vm.async_fork=2) set_async 2 ;;
		esac
		;;
	alt)
		# The client switches fork-async before each BGSAVE.
		[ "$server_async_how" = "fork-async yes" ] ||
			die "redis $tag: alternating needs a ${store:-redis}-server with the fork-async option ($build)"
		saves=$REDIS_ALT_SAVES
		alt=(-a)
		;;
	*) die "unknown Redis configuration '$1' (plain, thp, async, alt, each with valkey- or not, with :MB or not)" ;;
	esac
	if grep -q -a -F 'fork-async' "$server_bin" && [ "$cfg" != async ]; then
		redis_args+=(--fork-async no)
	fi

	say "redis $tag: starting $server_bin ${redis_args[*]} ${redis_launcher[*]:+(via ${redis_launcher[*]})}"
	server_dir=$dir
	start_redis "$PORT" "$dir"
	pid=$(cat "$dir/redis.pid")

	# Fill to about REDIS_MB of used_memory: estimate the key count,
	# then top up once from the measured size.
	target=$((mb * 1024 * 1024))
	base=$(rinfo memory used_memory)
	keys=$((target / (REDIS_VALUE_SIZE + 100)))
	for i in 1 2; do
		say "redis $tag: DEBUG POPULATE $keys key $REDIS_VALUE_SIZE"
		[ "$(redis-cli -p "$PORT" DEBUG POPULATE "$keys" key "$REDIS_VALUE_SIZE")" = OK ] ||
			die "DEBUG POPULATE failed"
		used=$(rinfo memory used_memory)
		if [ "$used" -ge $((target * 95 / 100)) ] || [ "$used" -le "$base" ]; then
			break
		fi
		keys=$((keys * (target - base) / (used - base) + 1))
	done
	keys=$(redis-cli -p "$PORT" DBSIZE)
	huge0=$(anon_huge_kb "$pid")
	say "redis $tag: used_memory $((used >> 20)) MiB, $keys keys, AnonHugePages ${huge0} kB"
	[ "$cfg" = alt ] || quiet_saves "$tag"

	before=$(vmstat_async)
	trace_on
	say "redis $tag: $REDIS_CONNS connections, $REDIS_GET_PCT% GET, $saves BGSAVEs ${REDIS_GAP}s apart${alt:+, plain and async fork alternating}"
	"$TOOLS/redis_latency" -p "$PORT" -c "$REDIS_CONNS" -k "$keys" \
		-s "$REDIS_VALUE_SIZE" -g "$REDIS_GET_PCT" -n "$saves" "${alt[@]}" \
		-b "$REDIS_GAP" -d 7200 -o "$OUT/redis-req-$tag.csv" \
		-B "$OUT/redis-bgsave-$tag.csv" -T "$OUT/redis-stalls-$tag.csv" || rc=$?
	trace_off "$OUT/redis-trace-$tag.txt"
	after=$(vmstat_async)
	huge1=$(anon_huge_kb "$pid")
	{
		echo "config=$cfg"
		echo "tag=$tag"
		echo "dataset_mb=$mb"
		[ -z "$store" ] || echo "store=$store"
		echo "server=$server_bin"
		echo "server_version=$("$server_bin" --version | head -n 1)"
		echo "server_args=${redis_args[*]}"
		echo "launcher=${redis_launcher[*]}"
		echo "async_how=$([ "$cfg" = async ] && echo "$server_async_how" || echo none)"
		echo "vm_async_fork=$([ -r "$SYSCTL" ] && cat "$SYSCTL" || echo absent)"
		echo "thp_enabled=$(sed 's/.*\[\(.*\)\].*/\1/' "$THP/enabled")"
		echo "used_memory=$used"
		echo "keys=$keys"
		echo "value_size=$REDIS_VALUE_SIZE"
		echo "conns=$REDIS_CONNS"
		echo "get_pct=$REDIS_GET_PCT"
		echo "saves=$saves"
		echo "gap_s=$REDIS_GAP"
		echo "anon_huge_kb_before=$huge0"
		echo "anon_huge_kb_after=$huge1"
		echo "total_forks=$(rinfo stats total_forks)"
		echo "client_status=$rc"
		for i in $before; do echo "vmstat_before_$i"; done
		for i in $after; do echo "vmstat_after_$i"; done
	} >"$OUT/redis-info-$tag.txt"
	stop_redis "$PORT" "$pid"
	cp "$dir/redis.log" "$OUT/redis-log-$tag.txt"
	server_dir=""
	rm -rf "$dir"
	set_async 1
	[ "$rc" = 0 ] || die "redis $tag: the client failed (status $rc)"
}

part_redis() {
	local cfg mb mem_mib valkey=false
	[ -r "$SYSCTL" ] || die "redis part needs the patched kernel (no $SYSCTL)"
	mem_mib=$(($(sed -n 's/^MemAvailable: *\([0-9]*\).*/\1/p' /proc/meminfo) / 1024))
	for cfg in $REDIS_CONFIGS; do
		case $cfg in valkey-*) valkey=true ;; esac
		mb=$REDIS_MB
		case $cfg in *:*) mb=${cfg#*:} ;; esac
		case $mb in '' | *[!0-9]*) die "REDIS_CONFIGS: '$cfg': the size must be a number (MiB)" ;; esac
		[ "$mem_mib" -gt $((mb * 3 / 2 + 512)) ] ||
			die "redis part: a $mb MiB dataset needs more memory than the guest's $mem_mib MiB available"
	done
	if [ "$(redis-cli -p "$PORT" PING 2>/dev/null)" = PONG ]; then
		die "something already listens on port $PORT"
	fi
	choose_server
	! $valkey || choose_valkey
	# Redis's own advice; without it a big fork may fail under heuristic
	# overcommit.
	echo 1 >/proc/sys/vm/overcommit_memory
	say "redis: $("$redis_bin" --version | head -n 1); async fork by: $async_how"
	! $valkey ||
		say "redis: valkey- configurations: $("$valkey_bin" --version | head -n 1); async fork by: $valkey_async_how"
	for cfg in $REDIS_CONFIGS; do
		run_redis_config "$cfg"
		save
	done
}

for p in $PARTS; do
	case $p in
	small | fork | redis) ;;
	*) die "unknown part '$p' (small, fork, redis)" ;;
	esac
done
# Always in this order: the small-process forks first, in a fresh guest,
# the same in the patched and the unpatched kernel's session.
for p in small fork redis; do
	has_part "$p" || continue
	"part_$p"
	save
done
say "bench ($LABEL): done"
