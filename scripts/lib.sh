# Common settings for the project's scripts.  Sourced, not executed.
# shellcheck shell=bash

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$SCRIPT_DIR/.." && pwd)
BUILD=${BUILD:-$TOP/build}
KSRC=${KSRC:-$BUILD/linux}
KOUT=${KOUT:-$BUILD/linux}

# The upstream version the series is based on, and the Debian package
# that carries it.
KVER_WANT=6.12.117
KPKG=linux-source-6.12
KPKG_VERSION=6.12.117-1~deb12u1

die() {
	echo "error: $*" >&2
	exit 1
}

note() {
	echo "==> $*" >&2
}

need_tool() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			die "'$t' is not installed (run: make deps)"
	done
}

# Make TREE a git worktree of $KSRC at its HEAD (create it, or move it
# there when it is clean), for kernels built beside the test guest's
# (debug, distro, deb).  WHAT names it in messages.  KERNEL_REV, when set,
# names another commit of $KSRC: a build that takes hours can then be
# resumed at the commit it started from while the series moves on.
kernel_worktree() {
	local tree=$1 what=$2 head
	[ -d "$KSRC/.git" ] || die "no kernel tree in $KSRC (run: make series)"
	head=$(git -C "$KSRC" rev-parse --verify -q "${KERNEL_REV:-HEAD}^{commit}") ||
		die "KERNEL_REV=$KERNEL_REV is not a commit of $KSRC"
	[ -z "$(git -C "$KSRC" status --porcelain --untracked-files=no)" ] ||
		note "warning: $KSRC has uncommitted changes; the $what is made from ${KERNEL_REV:-its HEAD}"
	if [ ! -e "$tree/.git" ]; then
		rm -rf "$tree"
		git -C "$KSRC" worktree prune
		note "creating the $what worktree $tree"
		git -C "$KSRC" worktree add -q --detach "$tree" "$head"
	elif [ "$(git -C "$tree" rev-parse HEAD)" != "$head" ]; then
		[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
			die "$tree has uncommitted changes; commit, stash or remove them"
		note "moving $tree to $(git -C "$KSRC" log -1 --format='%h %s' "$head")"
		git -C "$tree" checkout -q --detach "$head"
	fi
}

# PREREQS_DONE=1: the top Makefile ran the build steps this script would
# run (its targets carry them as prerequisites), so build_prereqs skips
# them.  Taken out of the environment here, so that the scripts this one
# runs build what they need themselves.
prereqs_done=${PREREQS_DONE:-}
unset PREREQS_DONE

# build_prereqs SCRIPT...: run these scripts of scripts/ in order (each
# installs or builds something, and does little when it is there
# already), unless make did (PREREQS_DONE=1).
build_prereqs() {
	[ "$prereqs_done" != 1 ] || return 0
	local s
	for s in "$@"; do
		"$SCRIPT_DIR/$s"
	done
}

# The categories of run_vmtests.sh the guests run.  MM_QUICK (make check,
# the mm set of make check-arm64): the async fork tests and the mm tests
# closest to fork, page tables and GUP, a few minutes per mode.  MM_FULL
# (make check-full, make check-debug): everything that runs in the TCG
# guest, about 20 minutes per mode.  Left out of both: hugevm (128 TiB of
# address space, slow under TCG), compaction (fills all memory),
# vmalloc/hmm (need modules), ksm_numa and migration (need NUMA), pkey (no
# PKU under TCG by default).
# mremap_test picks random addresses for MAP_FIXED_NOREPLACE and now and
# then fails with EEXIST ("Failed to map dest preamble region"), whatever the
# kernel: it runs in the full set only; async_fork covers mremap.
# shellcheck disable=SC2034 # used by the scripts that source this
MM_QUICK="async_fork mmap gup_test mlock madv_populate memfd_secret process_mrelease soft_dirty pagemap cow mkdirty mdwe"
# shellcheck disable=SC2034
MM_FULL="$MM_QUICK mremap userfaultfd ksm thp hugetlb"

# tap_has_results FILE: whether FILE holds a TAP test result (at any
# nesting level).
tap_has_results() {
	grep -q -a -E '^(# )*(not )?ok [0-9]' "$1" 2>/dev/null
}

# guest_tap [-S] [-T TAP[=DEST]]... [-N TAP[=DEST]]... NAME OUTDIR
#           [RUN-GUEST OPTIONS] -- COMMAND
#
# Run COMMAND in a guest (scripts/run-guest.sh -q -o OUTDIR, with the
# options given: -k, -m, -t, -a, ...), then check the TAP files it wrote
# to OUTDIR: -T TAP for each (default NAME.tap), -N TAP for one whose
# results are to be nested one level (a harness's TAP, counted by its
# leaves).  Each checked TAP goes to DEST (default OUTDIR/TAP, in place).
# A guest failure counts as a failed test named after NAME (NAME: TAP
# when there are several) that names the console log:
#   - a TAP without any result becomes one "not ok 1 ..." line with the
#     guest's status;
#   - when the run failed (non-zero status: the command's, a time limit,
#     a crash, a kernel report), "not ok 999 ..." is added to each TAP
#     with results.  -S: the command's status is a verdict its TAP holds
#     already; then only a kernel report adds one.
# Sets GUEST_RC to run-guest.sh's exit status; returns 0.
guest_tap() {
	local opt OPTIND=1 status_in_tap=false specs=() spec kind name out
	local src dest label report="" console tmp
	while getopts "ST:N:" opt; do
		case $opt in
		S) status_in_tap=true ;;
		T) specs+=("T:$OPTARG") ;;
		N) specs+=("N:$OPTARG") ;;
		*) die "usage: guest_tap [-S] [-T TAP[=DEST]]... [-N TAP[=DEST]]... NAME OUTDIR [RUN-GUEST OPTIONS] -- COMMAND" ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# -ge 3 ] || die "guest_tap: NAME, OUTDIR and a command needed"
	name=$1 out=$2
	shift 2
	[ ${#specs[@]} -gt 0 ] || specs=("T:$name.tap")
	mkdir -p "$out"
	console=$out/console.log
	rm -f "$out/kernel-reports"
	GUEST_RC=0
	"$SCRIPT_DIR/run-guest.sh" -q -o "$out" "$@" || GUEST_RC=$?
	[ "$GUEST_RC" = 0 ] || [ ! -s "$out/kernel-reports" ] ||
		report=$(head -n 1 "$out/kernel-reports")
	for spec in "${specs[@]}"; do
		kind=${spec%%:*}
		spec=${spec#?:}
		src=${spec%%=*}
		dest=$out/$src
		case $spec in *=*) dest=${spec#*=} ;; esac
		label=$name
		[ ${#specs[@]} = 1 ] || label="$name: $src"
		mkdir -p "$(dirname "$dest")"
		if ! tap_has_results "$out/$src"; then
			echo "not ok 1 $label: no test results, guest status $GUEST_RC${report:+, kernel report: $report} (console: $console)" >"$dest"
			continue
		fi
		tmp=$dest.tmp.$$
		if [ "$kind" = N ]; then
			sed 's/^/# /' "$out/$src" >"$tmp"
		else
			cat "$out/$src" >"$tmp"
		fi
		if [ -n "$report" ]; then
			echo "not ok 999 $label: kernel report: $report (console: $console)" >>"$tmp"
		elif [ "$GUEST_RC" != 0 ] && ! $status_in_tap; then
			echo "not ok 999 $label: guest run failed, status $GUEST_RC (console: $console)" >>"$tmp"
		fi
		mv "$tmp" "$dest"
	done
	return 0
}
