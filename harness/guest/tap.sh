# shellcheck shell=bash
# Sourced by the guest's TAP checks (launcher-test.sh, deploy-test.sh,
# systemd-test.sh): numbered results and the async_fork counter.  The
# caller prints "TAP version 13" and its plan, reports each test with one
# of ok, not_ok or skip, in order, and exits with $failed.

n=0		# the number of the last test reported
failed=0	# 1 once a test failed

# ok DESCRIPTION / not_ok DESCRIPTION / skip DESCRIPTION [REASON]
ok() {
	n=$((n + 1))
	echo "ok $n $1"
}
not_ok() {
	n=$((n + 1))
	failed=1
	echo "not ok $n $1"
}
skip() {
	n=$((n + 1))
	echo "ok $n $1 # SKIP${2:+ $2}"
}

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
	local desc=$1

	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# diag: standard input as TAP comments, empty lines left out.
diag() { sed -e '/^$/d' -e 's/^/# /'; }

# The async_fork counter of /proc/vmstat; fails when there is none.
async_fork_counter() {
	awk '$1 == "async_fork" { print $2; found = 1 } END { exit !found }' \
		/proc/vmstat 2>/dev/null
}
