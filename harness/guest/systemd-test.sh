#!/bin/bash
# Runs inside the systemd guest (make check-systemd: scripts/run-guest.sh
# with GUEST_INIT=systemd, Debian 12's systemd as PID 1), as root: the
# systemd drop-in tools/systemd/async-fork-cgroup.conf, deployed on
# Debian's redis-server.service the way its header comment tells operators,
# and undeployed the way it says.
#
# The install commands are those of the drop-in's header (the indented
# lines after "Install for a unit"), run as they are written from the
# drop-in's directory; the check is its "Check:" line.  With the drop-in:
# systemd-analyze verify accepts the unit, the ExecStartPre= command
# succeeded (its "-" would hide a failure), the server's main process says
# "AsyncFork: cgroup", the unit's memory.async_fork reads 1, and a BGSAVE
# (after some data is written with a Lua loop: Debian's redis.conf keeps
# DEBUG off) succeeds and counts an async fork in /proc/vmstat.  With the
# drop-in removed (rm, daemon-reload, restart): "AsyncFork: off", the
# switch reads 0, and a BGSAVE succeeds without an async fork.
#
# Prints TAP; exits 0 when every test passed.  Environment:
#   SYSTEMD_TEST_KEYS    keys written before each BGSAVE (default 50000)
#   SYSTEMD_TEST_VALUE   bytes per value (default 1000)
#   SAVE_TIMEOUT         seconds a BGSAVE may take (default 600)
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dropin=$top/tools/systemd/async-fork-cgroup.conf
unit=redis-server
conf=/etc/systemd/system/$unit.service.d/${dropin##*/}
keys=${SYSTEMD_TEST_KEYS:-50000}
vsize=${SYSTEMD_TEST_VALUE:-1000}
save_timeout=${SAVE_TIMEOUT:-600}
ntests=13

echo "TAP version 13"
echo "1..$ntests"
# shellcheck source=harness/guest/tap.sh
. "$here/tap.sh"

prop() { systemctl show -P "$1" "$unit" 2>/dev/null; }
asyncfork() {
	local pid
	pid=$(prop MainPID)
	if [ -z "$pid" ] || [ "$pid" = 0 ]; then
		echo "(no MainPID)"
		return
	fi
	sed -n 's/^AsyncFork:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null
}
switch() {
	local f
	f=/sys/fs/cgroup$(prop ControlGroup)/memory.async_fork
	cat "$f" 2>/dev/null || echo "(no $f)"
}
vmstat() { awk -v n="$1" '$1 == n { print $2 }' /proc/vmstat; }
# info FIELD: a field of the server's INFO persistence/stats, into F.
info() {
	F=$(redis-cli INFO "$2" 2>/dev/null | tr -d '\r' | sed -n "s/^$1://p")
}
active() { [ "$(systemctl is-active "$unit")" = active ]; }

# bgsave: write the data, BGSAVE, wait for the child to be reaped.  Sets
# SAVE_OK (0 when the save succeeded), DELTA (async_fork's rise) and
# FORKS (total_forks' rise); the details go to the TAP as comments.
bgsave() {
	local before forks0 name v deadline reply
	local -A vm0
	SAVE_OK=1 DELTA=-1 FORKS=-1
	# No automatic save may fork in between (Debian's save points).
	redis-cli CONFIG SET save "" | diag
	# shellcheck disable=SC2016 # Lua, not shell
	reply=$(redis-cli EVAL 'for i = 1, tonumber(ARGV[1]) do
		redis.call("SET", "key:" .. i, string.rep("x", tonumber(ARGV[2]))) end
		return redis.call("DBSIZE")' 0 "$keys" "$vsize" 2>&1)
	info used_memory_human memory
	echo "dataset: $reply keys, used_memory $F" | diag
	while read -r name v; do
		case $name in async_fork*) vm0[$name]=$v ;; esac
	done </proc/vmstat
	info total_forks stats
	forks0=$F
	before=${vm0[async_fork]:-}
	reply=$(redis-cli BGSAVE 2>&1)
	echo "BGSAVE: $reply" | diag
	# BGSAVE answers after its fork; rdb_bgsave_in_progress is 1 until
	# the server has reaped the child.
	deadline=$((SECONDS + save_timeout))
	info rdb_bgsave_in_progress persistence
	while [ "$F" != 0 ] && [ $SECONDS -lt $deadline ]; do
		sleep 0.2
		info rdb_bgsave_in_progress persistence
	done
	[ "$F" = 0 ] || echo "the save still runs after ${save_timeout}s" | diag
	info total_forks stats
	[ -z "$forks0" ] || [ -z "$F" ] || FORKS=$((F - forks0))
	info rdb_last_bgsave_status persistence
	[ "$F" = ok ] && case $reply in *started*) true ;; *) false ;; esac && SAVE_OK=0
	redis-cli INFO persistence | tr -d '\r' |
		grep -E '^(rdb_last_bgsave_status|rdb_last_bgsave_time_sec|rdb_changes_since_last_save|rdb_last_cow_size):' | diag
	[ -z "$before" ] || DELTA=$(($(vmstat async_fork) - before))
	while read -r name v; do
		case $name in async_fork*)
			[ "$v" = "${vm0[$name]:-}" ] || echo "$name +$((v - ${vm0[$name]:-0}))" ;;
		esac
	done </proc/vmstat | diag
	echo "forks: $FORKS, async_fork +$DELTA" | diag
}

{
	echo "kernel $(uname -r), systemd $(systemctl --version | head -n 1)"
	echo "vm.async_fork=$(cat /proc/sys/vm/async_fork 2>/dev/null || echo '(missing)')"
	echo "system state: $(systemctl is-system-running)"
} | diag

# 1-2: Debian's service as it comes, before the drop-in.
if active; then
	ok "$unit.service is active under systemd"
else
	systemctl status --no-pager "$unit" 2>&1 | diag
	not_ok "$unit.service is active under systemd"
fi
word=$(asyncfork)
echo "AsyncFork: $word" | diag
check "without the drop-in: AsyncFork: off" [ "$word" = off ]

# 3: the install, as the header has it.
cmds=$(sed -n '/^# Install for a unit/,/^# Check:/{/^#   /s/^#   //p}' "$dropin")
checkcmd=$(sed -n 's/^# Check: //p' "$dropin")
echo "$cmds" | diag
if [ -z "$cmds" ]; then
	not_ok "the drop-in's header has install commands"
elif out=$(cd "$(dirname "$dropin")" && bash -e -c "$cmds" 2>&1); rc=$?
	printf '%s\n' "$out" | diag
	[ $rc = 0 ] && active && prop DropInPaths | grep -qF "$conf"; then
	ok "installed as the header says: the unit restarts with the drop-in"
else
	systemctl status --no-pager "$unit" 2>&1 | diag
	echo "DropInPaths: $(prop DropInPaths)" | diag
	not_ok "installed as the header says: the unit restarts with the drop-in"
fi

# 4: systemd-analyze verify, the unit with its drop-in.  --man=no: the
# guest has no man, and Debian's unit names its man page.
if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze verify --man=no "$unit.service" 2>&1)
	rc=$?
	printf '%s\n' "$out" | diag
	check "systemd-analyze verify $unit.service accepts it with the drop-in" [ $rc = 0 ]
else
	skip "systemd-analyze verify (no systemd-analyze)"
fi

# 5-8: what the drop-in does.
pre=$(prop ExecStartPre)
echo "ExecStartPre: $pre" | diag
case $pre in
*"code=exited ; status=0"*) ok "its ExecStartPre= command ran and succeeded" ;;
*) not_ok "its ExecStartPre= command ran and succeeded" ;;
esac
# The header's check, run as written, and the main process's line.
word=$(asyncfork)
out=""
if [ -n "$checkcmd" ]; then
	echo "$checkcmd" | diag
	out=$(bash -c "$checkcmd" 2>&1)
	echo "$out" | diag
fi
case $out in *AsyncFork:*cgroup*) hdr=yes ;; *) hdr=no ;; esac
desc="with the drop-in: MainPID says AsyncFork: cgroup ('$word'), so does the header's Check: line"
if [ "$word" = cgroup ] && [ $hdr = yes ]; then ok "$desc"; else not_ok "$desc"; fi
val=$(switch)
check "with the drop-in: the unit's memory.async_fork reads 1 ('$val')" [ "$val" = 1 ]
bgsave
check "with the drop-in: BGSAVE succeeds" [ $SAVE_OK = 0 ]
# Every fork of the server must have been async (other processes'
# async forks can only add to the count).
desc="with the drop-in: the BGSAVE fork is async (async_fork +$DELTA, $FORKS fork)"
if [ "$FORKS" -ge 1 ] && [ "$DELTA" -ge "$FORKS" ]; then ok "$desc"; else not_ok "$desc"; fi

# 9-12: the drop-in removed, as the header says: the file, a reload, a
# restart.
out=$(rm "$conf" && rmdir "${conf%/*}" && systemctl daemon-reload &&
	timeout 300 systemctl restart "$unit" 2>&1)
rc=$?
printf '%s\n' "$out" | diag
if [ $rc = 0 ] && active && [ -z "$(prop DropInPaths)" ]; then
	ok "removed: the unit restarts without the drop-in"
else
	systemctl status --no-pager "$unit" 2>&1 | diag
	not_ok "removed: the unit restarts without the drop-in"
fi
word=$(asyncfork)
val=$(switch)
desc="removed: AsyncFork: off ('$word'), memory.async_fork 0 ('$val')"
if [ "$word" = off ] && [ "$val" = 0 ]; then ok "$desc"; else not_ok "$desc"; fi
bgsave
check "removed: BGSAVE succeeds" [ $SAVE_OK = 0 ]
desc="removed: the BGSAVE fork is not async (async_fork +$DELTA, $FORKS fork)"
if [ "$DELTA" = 0 ] && [ "$FORKS" -ge 1 ]; then ok "$desc"; else not_ok "$desc"; fi

[ "$n" = "$ntests" ] || echo "# $n results for a plan of $ntests"
exit $failed
