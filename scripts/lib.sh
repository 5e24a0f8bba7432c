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
