# Helpers for the Redis scripts (harness/guest/redis-demo.sh,
# redis-consistency.sh, redis-cgroup.sh, trace-bgsave.sh, and
# harness/abi-probe-test.sh, which runs on the host too).  Sourced after
# scripts/lib.sh (die, note).
# shellcheck shell=bash
#
# The scripts talk to Redis without forking (bash's /dev/tcp), so that a
# measured window contains the server's fork alone; the writers that load
# the server are forked beforehand, stopped, and released with SIGCONT.
#
# Settings read from the caller's environment:
#   REDIS_SERVER_CMD   array: the command that starts a server (default
#                      (redis-server); may start with a launcher)
#   SAVE_TIMEOUT       seconds a server may take to get ready (1800)

# ---------------------------------------------------------------------------
# A minimal Redis client in bash (no fork): R holds the reply; the status is
# 0 for a reply, 1 for an error reply (R holds it), 2 when the server cannot
# be reached, 3 on timeout or a closed connection.  Multi-bulk replies are
# not supported.
R=""
rcall() {
	local port=$1 tmo=$2 fd line n a req
	shift 2
	req="*$#"$'\r\n'
	for a in "$@"; do req+="\$${#a}"$'\r\n'"$a"$'\r\n'; done
	R=""
	if ! { exec {fd}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
		R="cannot connect to port $port"
		return 2
	fi
	if ! printf '%s' "$req" 1>&"$fd" 2>/dev/null ||
		! IFS= read -r -t "$tmo" -u "$fd" line; then
		exec {fd}>&-
		R="no reply to '$1' from port $port within ${tmo}s"
		return 3
	fi
	line=${line%$'\r'}
	case $line in
	+* | :*) R=${line:1} ;;
	-*)
		R=${line:1}
		exec {fd}>&-
		return 1
		;;
	'$-1') R="" ;;
	'$'*)
		n=${line:1}
		if ! IFS= read -r -N "$n" -t "$tmo" -u "$fd" R; then
			exec {fd}>&-
			R="short reply to '$1' from port $port"
			return 3
		fi
		;;
	*)
		exec {fd}>&-
		R="unexpected reply to '$1': $line"
		return 1
		;;
	esac
	exec {fd}>&-
	return 0
}

# rq PORT CMD...: a command that must succeed (5 minutes at most).
rq() {
	local port=$1
	shift
	rcall "$port" 300 "$@" || die "redis :$port $*: $R"
}

# field NAME: the value of NAME: in the INFO text in R, into F.
# shellcheck disable=SC2034 # F, NOW and writers are for the caller
F=""
field() {
	local re=$'(^|\n)'"$1"$':([^\r\n]*)'
	F=""
	[[ $R =~ $re ]] || return 1
	# shellcheck disable=SC2034
	F=${BASH_REMATCH[2]}
}

# nap_init DIR, then nap SECONDS: sleep without forking (a read with a
# timeout on a FIFO nobody writes to; DIR holds it for a moment).
nap_init() {
	local fifo=$1/redis-nap.$$
	rm -f "$fifo"
	mkfifo "$fifo"
	exec {sleepfd}<>"$fifo"
	rm -f "$fifo"
}
nap() { read -r -t "$1" -u "$sleepfd" _ || true; }

# await_snapshot PORT FIELD SECTION...: poll INFO SECTION... every 50 ms
# (nap) until FIELD (rdb_bgsave_in_progress, aof_rewrite_in_progress) is
# 0.  R keeps the last INFO and POLLS counts the INFO commands sent.
# Returns 1 when the snapshot still runs after SAVE_TIMEOUT seconds: the
# caller cleans up and says what timed out.
POLLS=0
await_snapshot() {
	local port=$1 name=$2 deadline=$((EPOCHSECONDS + SAVE_TIMEOUT))
	shift 2
	POLLS=0
	while :; do
		rq "$port" INFO "$@"
		POLLS=$((POLLS + 1))
		field "$name"
		[ "$F" = 0 ] && return 0
		[ "$EPOCHSECONDS" -lt "$deadline" ] || return 1
		nap 0.05
	done
}

# The median of the numbers on stdin.
median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2)
	}'
}

# Milliseconds since the epoch, into NOW.
now_ms() {
	local t=${EPOCHREALTIME/./}
	# shellcheck disable=SC2034
	NOW=$((t / 1000))
}

# /proc/vmstat async_fork* counters into the associative array named $1.
vm_read() {
	local -n dst=$1
	local name val
	dst=()
	while read -r name val; do
		# shellcheck disable=SC2034,SC2004 # dst is a nameref
		case $name in async_fork*) dst[$name]=$val ;; esac
	done </proc/vmstat
}

# populate PORT MB LABEL: fill the server to about MB MiB of used_memory
# with DEBUG POPULATE (keys "key:N", VALUE_SIZE bytes each): estimate the
# key count, then top up once from the measured used_memory.  Sets
# POP_USED (bytes) and POP_KEYS (DBSIZE).
populate() {
	local port=$1 target=$(($2 * 1024 * 1024)) label=$3 base keys _
	rq "$port" INFO memory
	field used_memory
	base=$F
	keys=$((target / (VALUE_SIZE + 100)))
	for _ in 1 2; do
		note "${label}DEBUG POPULATE $keys key $VALUE_SIZE"
		rcall "$port" "$SAVE_TIMEOUT" DEBUG POPULATE "$keys" key "$VALUE_SIZE" ||
			die "DEBUG POPULATE: $R"
		rq "$port" INFO memory
		field used_memory
		# shellcheck disable=SC2034 # POP_* are for the caller
		POP_USED=$F
		[ "$POP_USED" -lt $((target * 95 / 100)) ] && [ "$POP_USED" -gt "$base" ] || break
		keys=$((keys * (target - base) / (POP_USED - base) + 1))
	done
	rq "$port" DBSIZE
	# shellcheck disable=SC2034
	POP_KEYS=$R
}

# ---------------------------------------------------------------------------
# Servers.

# ports_free PORT...: die if a server already answers on one of them.
ports_free() {
	local p
	for p in "$@"; do
		if rcall "$p" 5 PING; then
			die "something already listens on 127.0.0.1:$p"
		fi
	done
}

server_pid() {
	local pidfile=$1 pid
	[ -s "$pidfile" ] || return 1
	read -r pid <"$pidfile" || return 1
	echo "$pid"
}

# start_server PORT DIR [CONFIG ARGS...]: a daemonized server on loopback,
# working in DIR (log, pid file, dump.rdb), without save points or AOF
# unless the extra arguments say otherwise (later arguments win).  Returns
# when it answers PING, that is when it has loaded what DIR holds.
start_server() {
	local port=$1 dir=$2 deadline tmo=${SAVE_TIMEOUT:-1800}
	shift 2
	local cmd=(redis-server)
	[ -z "${REDIS_SERVER_CMD+set}" ] || cmd=("${REDIS_SERVER_CMD[@]}")
	"${cmd[@]}" --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
		--dir "$dir" --dbfilename dump.rdb --daemonize yes \
		--pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
		--enable-debug-command local --protected-mode yes "$@" ||
		die "redis-server on port $port did not start (log: $dir/redis.log)"
	deadline=$((EPOCHSECONDS + tmo))
	until rcall "$port" 30 PING && [ "$R" = PONG ]; do
		if [ "$EPOCHSECONDS" -ge "$deadline" ]; then
			tail -n 20 "$dir/redis.log" >&2 || true
			die "redis-server on port $port not ready after ${tmo}s: $R"
		fi
		nap 0.2
	done
}

# stop_server PORT DIR: SHUTDOWN NOSAVE, and wait for the process to go.
stop_server() {
	local port=$1 dir=$2 pid deadline
	pid=$(server_pid "$dir/redis.pid") || pid=""
	rcall "$port" 60 SHUTDOWN NOSAVE || true
	[ -n "$pid" ] || return 0
	deadline=$((EPOCHSECONDS + 60))
	while [ -d "/proc/$pid" ]; do
		if [ "$EPOCHSECONDS" -ge "$deadline" ]; then
			note "redis-server $pid (port $port) ignored SHUTDOWN; killing it"
			kill -9 "$pid" 2>/dev/null || true
			return 1
		fi
		nap 0.1
	done
}

# ---------------------------------------------------------------------------
# Writers: forked before the measured window, stopped before they connect,
# released with SIGCONT right after the fork under test.
writers=()

# arm_writer LOG CMD...: fork a writer that runs CMD (output to LOG) once
# it is released.
arm_writer() {
	local log=$1
	shift
	(
		kill -STOP "$BASHPID"
		exec "$@"
	) >"$log" 2>&1 &
	writers+=($!)
}

# Wait until every armed writer has stopped itself.
wait_writers_stopped() {
	local pid st deadline=$((EPOCHSECONDS + 60))
	for pid in "${writers[@]}"; do
		while :; do
			st=""
			read -r st <"/proc/$pid/stat" 2>/dev/null || true
			[[ $st =~ \)\ T ]] && break
			[ -n "$st" ] || die "writer $pid exited before it was released"
			[ "$EPOCHSECONDS" -lt "$deadline" ] || die "writer $pid did not stop"
			nap 0.05
		done
	done
}

release_writers() {
	local pid
	for pid in "${writers[@]}"; do kill -CONT "$pid"; done
}

# Stop the writers; fails if one of them had already exited (a writer
# that gets an error from the server exits).
stop_writers() {
	local pid ok=0
	for pid in "${writers[@]}"; do
		kill -0 "$pid" 2>/dev/null || ok=1
		kill -TERM "$pid" 2>/dev/null || true
		kill -CONT "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	writers=()
	return $ok
}
