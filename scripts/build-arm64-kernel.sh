#!/bin/bash
# Cross-build the arm64 guest's kernel (kernel-config/guest-arm64.config on
# guest.config's architecture-neutral options) in build/linux-arm64, a git
# worktree of build/linux at the same commit, so that the x86-64 guest
# kernel in build/linux keeps its objects.  Extra config fragments may be
# given (the debug kernel's).  Prints the Image path last.
#
# ARM64_TREE names another worktree (build/linux-arm64-debug for the
# debug kernel).
set -eu
. "$(dirname "$0")/lib.sh"

tree=${ARM64_TREE:-$BUILD/linux-arm64}
kernel_worktree "$tree" "arm64 kernel"

KARCH=arm64 KSRC=$tree KOUT=$tree "$SCRIPT_DIR/kernel.sh" "$@"
echo "$tree/arch/arm64/boot/Image"
