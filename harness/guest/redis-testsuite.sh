#!/bin/bash
# Runs inside the guest: the store's own test suite (runtest) for the units
# that fork the most (snapshots, AOF rewrites, replication), with the patched
# server set to "fork-async yes" (and, if asked, "no"), one runtest per unit.
# The store is Redis (build/redis) or Valkey (build/valkey: a tree with
# src/valkey-server).  The tree is copied to tmpfs first: the tests write
# their servers' files under tests/tmp, and a server writing to the 9p root
# would pin pages and fork synchronously.
#
# Prints one TAP line per unit and setting (the unit's time, its passed,
# failed and skipped tests, and the async_fork* deltas of /proc/vmstat), the
# failing tests' names as comments, and a summary.  Exits non-zero when a
# unit has a failing test or runtest fails.  With GUEST_OUT set, copies the
# TAP output and the runtest logs there at the end.
#
# Environment:
#   UNITS        the units (default: integration/rdb integration/aof
#                integration/replication unit/other; for Valkey also
#                integration/replication once more with dual-channel
#                replication on, and integration/dual-channel-replication).
#                A unit may name a config every server of its run gets,
#                UNIT:NAME=VALUE (runtest --config NAME VALUE)
#   FORK_ASYNC   the settings to run each unit with (default "yes";
#                "yes no" for both)
#   REDIS_TREE   the built tree (default build/redis)
#   CLIENTS      runtest --clients (default 1: one unit per runtest anyway)
#   TIMEOUT      runtest --timeout, seconds without progress (default 1200)
#   TAGS         runtest --tags, e.g. "-slow" (default: all tests)
#   RUNTEST_ARGS more runtest arguments
#   SKIP_TESTS   newline-separated test names or /regexps to skip (default:
#                the tests known to be broken in Debian's Redis, below;
#                none for Valkey)
#   REDIS_WORKDIR where the copy goes (default /tmp)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/lib.sh"
export LC_ALL=C

FORK_ASYNC=${FORK_ASYNC:-yes}
TREE=${REDIS_TREE:-$TOP/build/redis}
# The store: its programs are src/$store-server, src/$store-cli, ...
store=redis
[ -x "$TREE/src/valkey-server" ] && store=valkey
if [ "$store" = valkey ]; then
	UNITS=${UNITS:-unit/other integration/rdb integration/aof
		integration/dual-channel-replication integration/replication
		integration/replication:dual-channel-replication-enabled=yes}
else
	UNITS=${UNITS:-integration/rdb integration/aof integration/replication unit/other}
fi
CLIENTS=${CLIENTS:-1}
TIMEOUT=${TIMEOUT:-1200}
TAGS=${TAGS:-}
WORK=${REDIS_WORKDIR:-/tmp}/$store-testsuite
# Known failures that have nothing to do with async fork:
# - Debian's CVE-2026-23631 backport adds a test that sets
#   repl-diskless-load to "yes", a value Redis 7.0 rejects; the exception
#   would end integration/replication there (fails on any machine).
# ("replica can handle EINTR if use diskless load" failed in the guest
# with fork-async yes and no until the guest kernel had POSIX timers: it
# needs Redis's watchdog, which setitimer() drives.)
default_skips=""
[ "$store" = redis ] && default_skips="/^Fullsync should not free scripting engine on a replica"
SKIP_TESTS=${SKIP_TESTS-$default_skips}

need_tool tclsh tar awk
[ -x "$TREE/src/$store-server" ] && [ -x "$TREE/runtest" ] ||
	die "no built Redis or Valkey tree in $TREE (run scripts/build-redis.sh or build-valkey.sh)"
for v in $FORK_ASYNC; do
	case $v in yes | no) ;; *) die "FORK_ASYNC: '$v' is not yes or no" ;; esac
done
for u in $UNITS; do
	case ${u#*:} in "$u" | ?*=*) ;; *) die "UNITS: '$u' is not UNIT or UNIT:NAME=VALUE" ;; esac
	[ -f "$TREE/tests/${u%%:*}.tcl" ] || die "no test unit ${u%%:*} ($TREE/tests/${u%%:*}.tcl)"
done

# The tree without objects and dependencies: runtest, the tests, the
# binaries (the tests run src/$store-server, -cli, -benchmark, -check-aof,
# -check-rdb, -sentinel).
rm -rf "$WORK"
mkdir -p "$WORK/tree" "$WORK/logs"
progs=""
for p in server cli benchmark check-aof check-rdb sentinel; do progs="$progs src/$store-$p"; done
# shellcheck disable=SC2086 # the program list
(cd "$TREE" && tar -cf - --exclude=tests/tmp/'*' runtest "$store.conf" tests $progs) |
	tar -C "$WORK/tree" -xf - || die "cannot copy $TREE to $WORK"
mkdir -p "$WORK/tree/tests/tmp"
tap=$WORK/$store-testsuite.tap
: >"$tap"
out() { printf '%s\n' "$*" | tee -a "$tap"; }

copy_out() {
	if [ -n "${GUEST_OUT:-}" ] && [ -d "$GUEST_OUT" ]; then
		cp "$tap" "$GUEST_OUT/${tap##*/}" || true
		mkdir -p "$GUEST_OUT/$store-testsuite-logs" &&
			cp "$WORK"/logs/*.log "$GUEST_OUT/$store-testsuite-logs/" 2>/dev/null || true
	fi
}
trap copy_out EXIT

vm_async() { # the async_fork counters as "name value" lines
	grep '^async_fork' /proc/vmstat 2>/dev/null || true
}

nunits=0
for _ in $UNITS; do
	for _ in $FORK_ASYNC; do nunits=$((nunits + 1)); done
done
args=(--clients "$CLIENTS" --timeout "$TIMEOUT")
[ -z "$TAGS" ] || args+=(--tags "$TAGS")
if [ -n "$SKIP_TESTS" ]; then
	printf '%s\n' "$SKIP_TESTS" >"$WORK/skipfile"
	args+=(--skipfile "$WORK/skipfile")
fi
# shellcheck disable=SC2206 # extra arguments, split on spaces
[ -z "${RUNTEST_ARGS:-}" ] || args+=(${RUNTEST_ARGS})
sysctl=/proc/sys/vm/async_fork
vm_mode=none
[ -r "$sysctl" ] && vm_mode=$(cat "$sysctl")

out "TAP version 13"
out "1..$nunits"
out "# $store-testsuite: $("$WORK/tree/src/$store-server" --version | sed 's/ sha=.*//')"
out "# kernel $(uname -r), $(nproc) CPUs, vm.async_fork=$vm_mode; runtest ${args[*]}"

n=0
failed_units=0
total_pass=0
total_fail=0
total_time=0
for fa in $FORK_ASYNC; do
	for unit in $UNITS; do
		n=$((n + 1))
		file=${unit%%:*}
		extra=()
		if [ "$file" != "$unit" ]; then
			kv=${unit#*:}
			extra=(--config "${kv%%=*}" "${kv#*=}")
		fi
		log=$WORK/logs/${unit//[\/:=]/-}.fork-async-$fa.log
		before=$(vm_async)
		t0=$EPOCHSECONDS
		rc=0
		(cd "$WORK/tree" && TERM=dumb ./runtest --single "$file" --config fork-async "$fa" \
			"${extra[@]}" "${args[@]}" </dev/null) >"$log" 2>&1 || rc=$?
		secs=$((EPOCHSECONDS - t0))
		after=$(vm_async)
		total_time=$((total_time + secs))
		# runtest prints [ok]: / [err]: / [exception]: / [skip]: per test.
		pass=$(grep -c '^\[ok\]: ' "$log" || true)
		fail=$(grep -c -E '^\[(err|exception)\]: ' "$log" || true)
		skip=$(grep -c '^\[skip\]: ' "$log" || true)
		total_pass=$((total_pass + pass))
		total_fail=$((total_fail + fail))
		vmd=$(printf '%s\n%s\n' "$before" "$after" | awk '
			NF == 2 { if ($1 in a) { d = $2 - a[$1]; if (d) s = s " " $1 "+" d } else a[$1] = $2 }
			END { print s }')
		what="$unit [fork-async $fa]: ${secs}s, $pass passed, $fail failed, $skip skipped;${vmd:- no async_fork counts}"
		if [ "$rc" = 0 ] && [ "$fail" = 0 ] && grep -q 'All tests passed without errors' "$log"; then
			out "ok $n - $what"
		else
			failed_units=$((failed_units + 1))
			out "not ok $n - $what (runtest status $rc)"
			grep -E '^\[(err|exception)\]: ' "$log" | head -n 20 | sed 's/^/#   /' | tee -a "$tap"
			grep -q -E '^\[(err|exception)\]: ' "$log" || tail -n 15 "$log" | sed 's/^/#   /' | tee -a "$tap"
		fi
	done
done
out "# summary: $((n - failed_units))/$n units ok, $total_pass tests passed, $total_fail failed, ${total_time}s"
[ "$failed_units" = 0 ]
