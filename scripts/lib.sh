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
