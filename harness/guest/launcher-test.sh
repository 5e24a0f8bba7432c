#!/bin/bash
# Runs inside the guest: checks async-fork-run with an unmodified,
# statically linked program that forks (static-fork-test).  Prints TAP and
# exits 0 if every test passed (or was skipped), 1 otherwise.
#
# Builds nothing.  Environment:
#   ASYNC_FORK_RUN     the launcher (default build/tools/async-fork-run)
#   STATIC_FORK_TEST   the program (default build/tools/static-fork-test)
#   STATIC_FORK_FORKS  how many forks the program makes (default 3)
#
# Test 3 expects this script itself to run with async fork off (not under
# async-fork-run), like any ordinary process.  Tests 7 and 8 make a cgroup
# under /sys/fs/cgroup with memory.async_fork=1 (root, cgroup2 with the
# memory controller; skipped without them).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
run=${ASYNC_FORK_RUN:-$top/build/tools/async-fork-run}
prog=${STATIC_FORK_TEST:-$top/build/tools/static-fork-test}
nr_forks=${STATIC_FORK_FORKS:-3}
sysctl=/proc/sys/vm/async_fork

sysctl_saved=
# shellcheck source=harness/guest/tap.sh
. "$here/tap.sh"

cg=
restore_sysctl() {
	if [ -n "$sysctl_saved" ]; then
		echo "$sysctl_saved" >"$sysctl" ||
			echo "# could not restore vm.async_fork to $sysctl_saved"
	fi
	[ -z "$cg" ] || rmdir "$cg" 2>/dev/null || echo "# could not remove $cg"
}
trap restore_sysctl EXIT

echo "TAP version 13"
echo "1..8"

for f in "$run" "$prog"; do
	if [ ! -x "$f" ]; then
		echo "Bail out! $f is missing or not executable"
		exit 1
	fi
done

# Tests 2 and 3 need vm.async_fork=1: the launcher's mode decides.
sysctl_now=
if [ -r "$sysctl" ]; then
	sysctl_now=$(cat "$sysctl")
	if [ "$sysctl_now" != 1 ] && [ -w "$sysctl" ]; then
		if echo 1 >"$sysctl"; then
			sysctl_saved=$sysctl_now
			echo "# vm.async_fork set from $sysctl_now to 1 for this test"
			sysctl_now=1
		fi
	fi
fi
echo "# vm.async_fork: ${sysctl_now:-(missing)}"

# 1 and 2: the program under the launcher.
desc1="static program under async-fork-run forks correctly"
before=$(async_fork_counter)
out=$("$run" "$prog" 2>&1)
rc=$?
after=$(async_fork_counter)
printf '%s\n' "$out" | diag
if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "all snapshots correct"; then
	ok "$desc1"
else
	echo "# exit status $rc"
	not_ok "$desc1"
fi

if [ -z "$before" ] || [ -z "$after" ]; then
	not_ok "its forks were async (no async_fork counter in /proc/vmstat)"
else
	delta=$((after - before))
	desc2="its forks were async (async_fork +$delta)"
	if [ "$sysctl_now" = 0 ]; then
		skip "$desc2" "vm.async_fork is 0 and cannot be changed"
	elif [ $rc -eq 0 ] && [ $delta -ge "$nr_forks" ]; then
		ok "$desc2"
	else
		echo "# expected at least $nr_forks async forks"
		not_ok "$desc2"
	fi
fi

# 3: the same program on its own.
desc3="the same program without the launcher does not fork async"
if [ "$sysctl_now" != 1 ]; then
	skip "$desc3" "vm.async_fork is ${sysctl_now:-missing}, not 1"
else
	before=$(async_fork_counter)
	out=$("$prog" 2>&1)
	rc=$?
	after=$(async_fork_counter)
	printf '%s\n' "$out" | diag
	if [ -z "$before" ] || [ -z "$after" ]; then
		echo "# no async_fork counter in /proc/vmstat"
		not_ok "$desc3"
	elif [ $rc -ne 0 ]; then
		echo "# exit status $rc"
		not_ok "$desc3"
	elif [ $((after - before)) -ne 0 ]; then
		echo "# async_fork +$((after - before)), expected +0"
		not_ok "$desc3"
	else
		echo "# async_fork +0"
		ok "$desc3"
	fi
fi

# 4: no program.
desc4="async-fork-run without arguments fails with usage"
out=$("$run" 2>&1 >/dev/null)
rc=$?
printf '%s\n' "$out" | head -n 2 | diag
if [ $rc -eq 2 ] && printf '%s\n' "$out" | grep -q "^usage: "; then
	ok "$desc4"
else
	echo "# exit status $rc, expected 2 and a usage message on stderr"
	not_ok "$desc4"
fi

# 5: a program that does not exist.
desc5="async-fork-run of a missing program fails with 127"
missing=/nonexistent/async-fork-run-test/no-such-program
out=$("$run" "$missing" 2>&1 >/dev/null)
rc=$?
printf '%s\n' "$out" | diag
if [ $rc -eq 127 ] && printf '%s\n' "$out" | grep -qF "async-fork-run: $missing: "; then
	ok "$desc5"
else
	echo "# exit status $rc, expected 127 and \"async-fork-run: $missing: ...\""
	not_ok "$desc5"
fi

# 6: --never with --once or --strict makes no sense.
desc6="async-fork-run --never with --once or --strict fails with usage"
rc1=0 rc2=0
out=$("$run" --never --once "$prog" 2>&1 >/dev/null) || rc1=$?
"$run" --strict --never "$prog" >/dev/null 2>&1 || rc2=$?
printf '%s\n' "$out" | head -n 1 | diag
if [ $rc1 -eq 2 ] && [ $rc2 -eq 2 ] && printf '%s\n' "$out" | grep -q -- "--never"; then
	ok "$desc6"
else
	echo "# exit status $rc1 and $rc2, expected 2 and a message naming --never"
	not_ok "$desc6"
fi

# in_cgroup CMD...: run CMD in $cg, as a service manager starts a service;
# sets out, rc and delta (the async_fork counter's change).
in_cgroup() {
	local before after
	before=$(async_fork_counter)
	# shellcheck disable=SC2016 # the inner shell's $$ and $1
	out=$(sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' _ "$cg" "$@" 2>&1)
	rc=$?
	after=$(async_fork_counter)
	delta=$((after - before))
	printf '%s\n' "$out" | diag
}

# 7 and 8: in a cgroup whose memory.async_fork is 1, the program forks
# async on its own; under async-fork-run --never it does not.
desc7="the program in a cgroup with memory.async_fork=1 forks async"
desc8="the same program there under async-fork-run --never forks plain"
cgroot=/sys/fs/cgroup
why=
if [ "$sysctl_now" != 1 ]; then
	why="vm.async_fork is ${sysctl_now:-missing}, not 1"
elif [ "$(id -u)" != 0 ] || ! grep -qw memory "$cgroot/cgroup.controllers" 2>/dev/null; then
	why="needs root and a cgroup2 memory controller at $cgroot"
elif ! echo +memory >"$cgroot/cgroup.subtree_control" 2>/dev/null ||
	! mkdir "$cgroot/launcher-test.$$"; then
	why="cannot make a cgroup with the memory controller under $cgroot"
else
	cg=$cgroot/launcher-test.$$
	if ! echo 1 >"$cg/memory.async_fork"; then
		why="no memory.async_fork to set in $cg"
	fi
fi
if [ -n "$why" ]; then
	skip "$desc7" "$why"
	skip "$desc8" "$why"
else
	in_cgroup "$prog"
	if [ $rc -eq 0 ] && [ $delta -ge "$nr_forks" ] &&
		printf '%s\n' "$out" | grep -q "all snapshots correct"; then
		ok "$desc7 (async_fork +$delta)"
	else
		echo "# exit status $rc, async_fork +$delta, expected 0 and at least +$nr_forks"
		not_ok "$desc7"
	fi
	in_cgroup "$run" --never "$prog"
	if [ $rc -eq 0 ] && [ $delta -eq 0 ] &&
		printf '%s\n' "$out" | grep -q "all snapshots correct"; then
		ok "$desc8 (async_fork +0)"
	else
		echo "# exit status $rc, async_fork +$delta, expected 0 and +0"
		not_ok "$desc8"
	fi
fi

exit $failed
