#!/bin/bash
# Configure and build the guest kernel in build/linux with ccache.
# Usage: build-kernel.sh [extra-config-fragment ...]
set -eu
. "$(dirname "$0")/lib.sh"

need_tool make gcc ccache flex bison bc
[ -f "$KSRC/Makefile" ] || die "no kernel tree in $KSRC (run: make kernel-source)"

frags="$TOP/kernel-config/guest.config"
for f in "$@"; do
	[ -f "$f" ] || die "config fragment $f not found"
	frags="$frags $f"
done

jobs=$(nproc)
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.ccache}
export KBUILD_BUILD_TIMESTAMP="2024-12-01 00:00:00 UTC"
export KBUILD_BUILD_USER=async-fork KBUILD_BUILD_HOST=build
mk() { make -s -C "$KSRC" ARCH=x86_64 CC="ccache gcc" -j"$jobs" "$@"; }

# Regenerate .config only when a fragment changed, so that an unchanged
# config keeps its timestamp and nothing is rebuilt needlessly.
stamp="$KSRC/.config.fragments"
# The series may add Kconfig symbols the fragments set: a change to any
# Kconfig file also re-merges.
want=$( (cat $frags; git -C "$KSRC" diff base -- '*Kconfig*' 2>/dev/null) | sha256sum | cut -d' ' -f1)
if [ ! -f "$KSRC/.config" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	note "configuring (tinyconfig + $(echo $frags | sed "s|$TOP/||g"))"
	mk tinyconfig >/dev/null
	# shellcheck disable=SC2086
	(cd "$KSRC" && KCONFIG_CONFIG=.config ./scripts/kconfig/merge_config.sh -m -Q .config $frags >/dev/null)
	mk olddefconfig >/dev/null
	# Report fragment options that did not survive (missing dependency).
	for f in $frags; do
		grep -E '^CONFIG_[A-Z0-9_]+=' "$f" | while IFS= read -r line; do
			grep -qx "$line" "$KSRC/.config" ||
				{ [ "${line#*=}" = n ] && ! grep -q "^${line%%=*}=" "$KSRC/.config"; } ||
				echo "note: $line not set in .config" >&2
		done
	done
	echo "$want" >"$stamp"
fi

note "building bzImage (ccache, $jobs jobs)"
mk bzImage
note "kernel: $KSRC/arch/x86/boot/bzImage ($(mk -s kernelrelease))"
