#!/bin/bash
# Build the debug guest kernel (kernel-config/debug.config: KASAN, lockdep,
# DEBUG_VM, page-table check, fault injection) in build/linux-debug, a git
# worktree of build/linux at the same commit, so that the ordinary guest
# kernel in build/linux keeps its objects.  Prints the bzImage path last.
set -eu
. "$(dirname "$0")/lib.sh"

dbg=$BUILD/linux-debug
[ -d "$KSRC/.git" ] || die "no kernel tree in $KSRC (run: make series)"
head=$(git -C "$KSRC" rev-parse HEAD)
[ -z "$(git -C "$KSRC" status --porcelain --untracked-files=no)" ] ||
	note "warning: $KSRC has uncommitted changes; the debug kernel is built from its HEAD"

if [ ! -e "$dbg/.git" ]; then
	rm -rf "$dbg"
	git -C "$KSRC" worktree prune
	note "creating the debug worktree $dbg"
	git -C "$KSRC" worktree add -q --detach "$dbg" "$head"
elif [ "$(git -C "$dbg" rev-parse HEAD)" != "$head" ]; then
	note "moving $dbg to $(git -C "$KSRC" log -1 --format='%h %s' "$head")"
	git -C "$dbg" checkout -q --detach "$head"
fi

KSRC=$dbg KOUT=$dbg "$SCRIPT_DIR/build-kernel.sh" "$TOP/kernel-config/debug.config"
echo "$dbg/arch/x86/boot/bzImage"
