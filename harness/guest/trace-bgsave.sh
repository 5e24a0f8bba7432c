#!/bin/bash
# Runs in the guest: one BGSAVE of the patched Redis under the bench's
# client load, with ftrace recording the scheduler, the async_fork events and
# the server's page faults around it, to see what a request that is in
# flight at the fork waits for.  Not a benchmark: tracing slows the guest.
# Writes to $GUEST_OUT: trace.txt (trace_clock mono, the clock of
# redis_latency), req.csv, bgsave.csv, stalls.csv.  On the host,
# harness/bench/trace-bgsave.py GUEST_OUT prints the timeline.
#
# usage (host): scripts/run-guest.sh -m 6144 -o DIR -- harness/guest/trace-bgsave.sh
# Environment: TRACE_KEYS (keys of 1000 bytes, default 1950000: ~2 GiB),
# TRACE_ASYNC (fork-async yes/no, default yes).
set -eu
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../../scripts/lib.sh"
# shellcheck source=harness/redis-lib.sh
. "$(dirname "$0")/../redis-lib.sh"

SRC=$BUILD/redis/src
TL=$BUILD/tools
T=/sys/kernel/tracing
PORT=6390
[ -x "$SRC/redis-server" ] || die "$SRC/redis-server is missing (make redis)"
[ -x "$TL/redis_latency" ] || die "$TL/redis_latency is missing (scripts/tools.sh)"
[ -d "$T/events/sched" ] || die "no tracefs at $T"
: "${GUEST_OUT:?run this in the guest (scripts/run-guest.sh)}"

dir=$(mktemp -d /tmp/trace-bgsave.XXXXXX)
cli() { "$SRC/redis-cli" -p "$PORT" "$@"; }
nap_init "$dir"
ports_free "$PORT"
echo 1 >/proc/sys/vm/overcommit_memory
REDIS_SERVER_CMD=("$SRC/redis-server")
start_server "$PORT" "$dir" --disable-thp yes --fork-async "${TRACE_ASYNC:-yes}"
cli DEBUG POPULATE "${TRACE_KEYS:-1950000}" key 1000 >/dev/null
keys=$(cli DBSIZE)
note "trace-bgsave: $keys keys"

echo 0 >"$T/tracing_on"
echo mono >"$T/trace_clock"
echo 65536 >"$T/buffer_size_kb"
for e in sched/sched_switch sched/sched_wakeup sched/sched_wakeup_new \
	sched/sched_migrate_task sched/sched_process_fork async_fork; do
	if [ -d "$T/events/$e" ]; then
		echo 1 >"$T/events/$e/enable"
	fi
done
if [ -d "$T/events/exceptions/page_fault_user" ]; then
	echo "common_pid == $(server_pid "$dir/redis.pid")" >"$T/events/exceptions/page_fault_user/filter"
	echo 1 >"$T/events/exceptions/page_fault_user/enable"
fi
: >"$T/trace"
echo 1 >"$T/tracing_on"
# The BGSAVE is sent 3 s into the load: stop 0.6 s later, by the clock
# rather than by polling, which would run on the vCPUs being traced.
( sleep 3.6; echo 0 >"$T/tracing_on" ) &
"$TL/redis_latency" -p "$PORT" -c 4 -k "$keys" -s 1000 -g 50 -n 1 -b 3 -d 600 \
	-o "$dir/req.csv" -B "$GUEST_OUT/bgsave.csv" -T "$GUEST_OUT/stalls.csv"
wait
grep -v '^#' "$T/trace" >"$GUEST_OUT/trace.txt"
cp "$dir/req.csv" "$GUEST_OUT/req.csv"
echo 0 >"$T/events/enable"
stop_server "$PORT" "$dir" || true
rm -rf "$dir"
