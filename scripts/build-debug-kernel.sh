#!/bin/bash
# Build the debug guest kernel (kernel-config/debug.config: KASAN, lockdep,
# DEBUG_VM, page-table check, fault injection) in build/linux-debug, a git
# worktree of build/linux at the same commit, so that the ordinary guest
# kernel in build/linux keeps its objects.  Prints the bzImage path last.
set -eu
. "$(dirname "$0")/lib.sh"

dbg=$BUILD/linux-debug
kernel_worktree "$dbg" "debug kernel"

KSRC=$dbg KOUT=$dbg "$SCRIPT_DIR/kernel.sh" "$TOP/kernel-config/debug.config"
echo "$dbg/arch/x86/boot/bzImage"
