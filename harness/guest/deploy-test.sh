#!/bin/bash
# Runs inside the guest, as root: the two ways an operator deploys the
# cgroup switch, tried as they are written for operators.
#
# Tests 1-4: a container runtime sets the switch on the container's cgroup,
# and the unmodified program in the container forks async.
# runc (Debian's package) runs build/tools/static-fork-test, an ordinary
# statically linked program that forks and checks each child's snapshot,
# in a container whose OCI config asks for memory.async_fork=1 through
# linux.resources.unified: the runtime writes the file when it makes the
# container's cgroup (podman's --cgroup-conf=memory.async_fork=1 passes the
# same to runc or crun).  Then the same container without that entry.
# Only a mount namespace: the test guest's kernel has no others, and the
# switch does not care.
#
# Test 5: the systemd drop-in tools/systemd/async-fork-cgroup.conf.  The
# guest has no systemd; its ExecStartPre= command (with systemd's "$$"
# unescaped) runs as systemd runs it, in a shell in the service's cgroup,
# and must set that cgroup's switch.
#
# Prints TAP and exits 0 if every test passed (or was skipped), 1
# otherwise.  Environment:
#   STATIC_FORK_TEST   the program (default build/tools/static-fork-test)
#   STATIC_FORK_FORKS  how many forks it makes (default 3)
#   RUNC               the runtime (default: runc from PATH)
#   BUSYBOX            a static busybox (default /bin/busybox)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
prog=${STATIC_FORK_TEST:-$top/build/tools/static-fork-test}
nr_forks=${STATIC_FORK_FORKS:-3}
runc=${RUNC:-runc}
busybox=${BUSYBOX:-/bin/busybox}
sysctl=/proc/sys/vm/async_fork
cgroot=/sys/fs/cgroup
work=/tmp/deploy-test.$$
dropin=$top/tools/systemd/async-fork-cgroup.conf
unit_cg=
name=async-fork-test-$$

# shellcheck source=harness/guest/tap.sh
. "$here/tap.sh"

sysctl_saved=
cleanup() {
	"$runc" delete -f "$name" >/dev/null 2>&1
	rm -rf "$work"
	[ -z "$unit_cg" ] || rmdir "$unit_cg" 2>/dev/null
	[ -z "$sysctl_saved" ] || echo "$sysctl_saved" >"$sysctl"
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..5"

why=
if [ "$(id -u)" != 0 ]; then
	why="needs root"
elif ! command -v "$runc" >/dev/null 2>&1; then
	why="no $runc (Debian package runc; make deps installs it)"
elif [ ! -x "$busybox" ]; then
	why="no $busybox (Debian package busybox-static)"
elif [ ! -x "$prog" ]; then
	why="no $prog (scripts/tools.sh)"
elif [ ! -w "$sysctl" ]; then
	why="no $sysctl: a kernel without async fork"
elif ! grep -qw memory "$cgroot/cgroup.controllers" 2>/dev/null; then
	why="no cgroup2 memory controller at $cgroot"
fi
if [ -n "$why" ]; then
	for d in "the runtime runs the container with memory.async_fork=1 in its config" \
		"the process in the container has AsyncFork: cgroup" \
		"its forks are async, snapshots correct" \
		"without the unified entry: AsyncFork: off, forks plain" \
		"the systemd drop-in's ExecStartPre= sets the service cgroup's switch"; do
		skip "$d" "$why"
	done
	exit 0
fi
echo "# $("$runc" --version | head -n 1), kernel $(uname -r)"
sysctl_saved=$(cat "$sysctl")
echo 1 >"$sysctl"

# bundle WITH_SWITCH: the OCI bundle in $work.  The rootfs holds a static
# busybox and the program; the container's shell prints its own
# AsyncFork: line, then becomes the program.
bundle() {
	local unified=
	[ "$1" = yes ] && unified='"unified": { "memory.async_fork": "1" },'
	rm -rf "$work"
	mkdir -p "$work/rootfs/proc"
	cp "$prog" "$work/rootfs/static-fork-test"
	cp "$busybox" "$work/rootfs/busybox"
	cat >"$work/config.json" <<-EOF
		{
			"ociVersion": "1.0.2",
			"process": {
				"terminal": false,
				"user": { "uid": 0, "gid": 0 },
				"args": [ "/busybox", "sh", "-c",
					"/busybox grep AsyncFork: /proc/self/status; exec /static-fork-test" ],
				"env": [ "PATH=/" ],
				"cwd": "/",
				"noNewPrivileges": true
			},
			"root": { "path": "rootfs", "readonly": true },
			"mounts": [
				{ "destination": "/proc", "type": "proc", "source": "proc" }
			],
			"linux": {
				"cgroupsPath": "/$name",
				"resources": { $unified "devices": [] },
				"namespaces": [ { "type": "mount" } ]
			}
		}
	EOF
}

# run_container: runc run in the foreground; sets out, rc, delta (the
# async_fork counter's change) and word (the AsyncFork: line's value).
run_container() {
	local before after
	before=$(async_fork_counter)
	out=$(cd "$work" && "$runc" run "$name" </dev/null 2>&1)
	rc=$?
	after=$(async_fork_counter)
	delta=$((after - before))
	word=$(printf '%s\n' "$out" | awk '$1 == "AsyncFork:" { print $2 }')
	printf '%s\n' "$out" | diag
	"$runc" delete -f "$name" >/dev/null 2>&1
}

bundle yes
run_container
if [ $rc -eq 0 ]; then
	ok "the runtime runs the container with memory.async_fork=1 in its config"
else
	echo "# runc run exit status $rc"
	not_ok "the runtime runs the container with memory.async_fork=1 in its config"
fi
if [ "$word" = cgroup ]; then
	ok "the process in the container has AsyncFork: cgroup"
else
	echo "# AsyncFork: '$word', expected 'cgroup'"
	not_ok "the process in the container has AsyncFork: cgroup"
fi
if [ $rc -eq 0 ] && [ $delta -ge "$nr_forks" ] &&
	printf '%s\n' "$out" | grep -q "all snapshots correct"; then
	ok "its forks are async (async_fork +$delta), snapshots correct"
else
	echo "# exit status $rc, async_fork +$delta, expected 0 and at least +$nr_forks"
	not_ok "its forks are async, snapshots correct"
fi

bundle no
run_container
if [ $rc -eq 0 ] && [ "$word" = off ] && [ $delta -eq 0 ] &&
	printf '%s\n' "$out" | grep -q "all snapshots correct"; then
	ok "without the unified entry: AsyncFork: off, forks plain (async_fork +0)"
else
	echo "# exit status $rc, AsyncFork: '$word', async_fork +$delta; expected 0, off, +0"
	not_ok "without the unified entry: AsyncFork: off, forks plain"
fi

# 5: the drop-in's command, in a cgroup like the one systemd makes for a
# service (the memory controller enabled by MemoryAccounting=yes).
desc5="the systemd drop-in's ExecStartPre= sets the service cgroup's switch"
cmd=$(sed -n 's/^ExecStartPre=[-+@!:]*//p' "$dropin" 2>/dev/null)
cmd=${cmd//\$\$/\$}
unit_cg=$cgroot/system.slice/deploy-test-$$.service
if [ -z "$cmd" ]; then
	not_ok "$desc5 (no ExecStartPre= in $dropin)"
elif ! mkdir -p "$unit_cg" || ! echo +memory >"$cgroot/cgroup.subtree_control" ||
	! echo +memory >"$cgroot/system.slice/cgroup.subtree_control"; then
	not_ok "$desc5 (cannot make $unit_cg with the memory controller)"
else
	echo "# $cmd"
	# shellcheck disable=SC2016 # the inner shell's $$ and $1
	out=$(sh -c 'echo $$ >"$1/cgroup.procs" && exec sh -c "$2"' _ "$unit_cg" "$cmd" 2>&1)
	rc=$?
	printf '%s\n' "$out" | diag
	val=$(cat "$unit_cg/memory.async_fork" 2>/dev/null)
	if [ $rc -eq 0 ] && [ "$val" = 1 ]; then
		ok "$desc5"
	else
		echo "# exit status $rc, memory.async_fork '$val', expected 0 and 1"
		not_ok "$desc5"
	fi
	rmdir "$unit_cg" "$cgroot/system.slice" 2>/dev/null
fi
exit $failed
