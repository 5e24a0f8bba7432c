#!/bin/bash
# Runs inside a guest booted with a CONFIG_DEBUG_ASYNC_FORK kernel: shows
# that the check catches what each sync point protects.  First the whole
# async_fork selftest runs with every sync in place and every fork async,
# and async_fork_unsynced in /proc/vmstat must stay 0.  Then, for each line "FUNCTION TEST...", the
# syncs called from FUNCTION are skipped (debugfs async_fork/skip_sync)
# while TEST... run, and the counter must grow.  The tests themselves may
# fail then (the child's snapshot is wrong): only the counter is judged.
# One TAP line per site, and per variant of the async_fork fixture when
# it has variants (with pending PUDs: "pmd" and "pud", each sync point
# checked at both levels).  A site written FUNCTION@VARIANT is checked in
# that variant only: a sync that only pending PUDs need.
#
# Environment:
#   KSELFTEST_DIR   installed kselftests (default build/kselftest)
#   SYNC_SITES      the sites file (default harness/sync-sites/sites.txt)
#   SYNC_BASELINE   "all" (default): the whole async_fork selftest first;
#                   "sites": only the tests that sites.txt names
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ksdir=${KSELFTEST_DIR:-$top/build/kselftest}
sites=${SYNC_SITES:-$top/harness/sync-sites/sites.txt}
baseline=${SYNC_BASELINE:-all}
case $baseline in all | sites) ;; *) echo "Bail out! SYNC_BASELINE must be all or sites"; exit 1 ;; esac
knob=/sys/kernel/debug/async_fork/skip_sync
bin=$ksdir/mm/async_fork

mount -t debugfs none /sys/kernel/debug 2>/dev/null
[ -w "$knob" ] || { echo "Bail out! no $knob: not a CONFIG_DEBUG_ASYNC_FORK kernel"; exit 1; }
[ -x "$bin" ] || { echo "Bail out! no $bin (make selftests)"; exit 1; }
[ -r "$sites" ] || { echo "Bail out! no sites file $sites"; exit 1; }
# The swap tests want swap; every fork async so that each test's forks
# leave pending PMDs.
if [ -e /sys/block/zram0 ] && ! grep -q zram0 /proc/swaps; then
	echo 1G >/sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null &&
		swapon /dev/zram0
fi
echo madvise >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
# hugetlb_in_pending_gib wants a free huge page of the default size.
if [ -w /proc/sys/vm/nr_hugepages ] && [ "$(cat /proc/sys/vm/nr_hugepages)" -lt 4 ]; then
	echo 4 >/proc/sys/vm/nr_hugepages
fi
echo 2 >/proc/sys/vm/async_fork || { echo "Bail out! no vm.async_fork"; exit 1; }

unsynced() { awk '$1 == "async_fork_unsynced" { print $2 }' /proc/vmstat; }
[ -n "$(unsynced)" ] || { echo "Bail out! no async_fork_unsynced in /proc/vmstat"; exit 1; }

# The fixture's variants, from the harness's list (none: no variants).
variants=$("$bin" -l 2>&1 | awk '/^---/ { in_af = 0 }
	$1 == "async_fork" && NF == 3 { in_af = 1; print $2; next }
	in_af && NF == 2 { print $1 }')

# run [-v VARIANT] TEST...: the selftests named, of that variant only if
# given (all without a name), in /tmp (some create files).
run() {
	local t v="" args=()
	if [ "${1:-}" = -v ]; then
		v=$2
		shift 2
	fi
	for t in "$@"; do
		if [ -n "$v" ]; then
			args+=(-r "async_fork.$v.$t")
		else
			args+=(-t "$t")
		fi
	done
	local rc=0
	(cd /tmp && "$bin" "${args[@]}") >/tmp/sync-sites.out 2>&1 || rc=$?
	# The selftests' own results, as comments that no TAP reader counts:
	# with a sync skipped they may fail, and only the counter is judged.
	grep -E '^(ok|not ok) ' /tmp/sync-sites.out | head -n 60 | sed 's/^/# selftest: /'
	# How much went through pending PUDs: a pud-variant site that counts
	# nothing may have found the child's copy done already.
	grep -E 'PMD tables copied from pending PUDs' /tmp/sync-sites.out |
		head -n 10 | sed 's/^#* */# selftest: /'
	return "$rc"
}

n=0
failed=0
result() {	# result OK DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 1 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
	fi
}

nvariants=$(echo "$variants" | grep -c .)
[ "$nvariants" -gt 0 ] || nvariants=1
# Sites of one variant count once, the others once per variant.
nsites=$(grep -v -E '^[[:space:]]*(#|$)' "$sites" | cut -f 1 | grep -c -v @)
nsites1=$(grep -v -E '^[[:space:]]*(#|$)' "$sites" | cut -f 1 | grep -c @)
while read -r s; do
	if ! echo "$variants" | grep -qx -- "${s#*@}"; then
		echo "Bail out! site $s: the async_fork fixture has no variant '${s#*@}'"
		exit 1
	fi
done < <(grep -v -E '^[[:space:]]*(#|$)' "$sites" | cut -f 1 | grep @)
echo "TAP version 13"
echo "1..$((nsites * nvariants + nsites1 + 1))"

# Baseline: every sync in place.
echo "" >"$knob"
tests=""
[ "$baseline" = all ] ||
	tests=$(grep -v -E '^[[:space:]]*(#|$)' "$sites" | cut -f 2- | tr '\t ' '\n\n' | sort -u)
before=$(unsynced)
# shellcheck disable=SC2086
run $tests
status=$?
after=$(unsynced)
# With every sync in place the selftests must pass as well.
result "$([ "$after" = "$before" ] && [ "$status" = 0 ] && echo 1)" \
	"sync-sites: all syncs in place ($baseline): async_fork_unsynced $before -> $after, selftests exit $status"

# check SITE VARIANT TEST...: with SITE's syncs skipped, the tests (of
# VARIANT, if not empty) must make the check count.
check() {
	local site=$1 v=$2 before after
	shift 2
	echo "$site" >"$knob"
	before=$(unsynced)
	if [ -n "$v" ]; then
		run -v "$v" "$@" || true
	else
		run "$@" || true
	fi
	after=$(unsynced)
	echo "" >"$knob"
	result "$([ "$after" -gt "$before" ] && echo 1)" \
		"sync-sites: without the sync in $site, $*${v:+ ($v)}: async_fork_unsynced $before -> $after"
}

while IFS=$'\t' read -r site tests; do
	case $site in '' | \#*) continue ;; esac
	case $site in
	*@*)
		# shellcheck disable=SC2086
		check "${site%@*}" "${site#*@}" $tests
		continue
		;;
	esac
	if [ -z "$variants" ]; then
		# shellcheck disable=SC2086
		check "$site" "" $tests
		continue
	fi
	for v in $variants; do
		# shellcheck disable=SC2086
		check "$site" "$v" $tests
	done
done <"$sites"
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
