#!/bin/bash
# Make the arm64 guest's root file system (build/arm64-root): Debian 12
# made with debootstrap, its second stage run by qemu-user-static.  Kept
# for its callers; scripts/guest-root.sh does the work and says what the
# root holds.
#
# ARM64_MIRROR (or DEBIAN_MIRROR): the Debian mirror (default
# http://deb.debian.org/debian).
set -eu
exec "$(dirname "$0")/guest-root.sh" arm64
