#!/bin/bash
# Configure and build the guest kernel in build/linux with ccache.
# Usage: kernel.sh [extra-config-fragment ...]
#
# KARCH=arm64 cross-builds the arm64 guest's kernel (Image) instead, with
# gcc-aarch64-linux-gnu, from guest.config's architecture-neutral options
# and guest-arm64.config (scripts/build-arm64-kernel.sh sets up its tree).
set -eu
. "$(dirname "$0")/lib.sh"

karch=${KARCH:-x86_64}
case $karch in
x86_64)
	cross="" target=bzImage image=arch/x86/boot/bzImage
	;;
arm64)
	cross=aarch64-linux-gnu- target=Image image=arch/arm64/boot/Image
	;;
*) die "KARCH must be x86_64 or arm64, not '$karch'" ;;
esac
need_tool make "${cross}gcc" ccache flex bison bc
[ -f "$KSRC/Makefile" ] || die "no kernel tree in $KSRC (run: make kernel-source)"

frags="$TOP/kernel-config/guest.config"
if [ "$karch" = arm64 ]; then
	# guest.config is the x86-64 guest's; its x86-only options (and the
	# 8250 console, ACPI, the CMOS clock, soft-dirty bits, which this
	# guest lacks) would only be reported as missing here.
	common=$KSRC/.guest-common.config
	grep -v -E '^CONFIG_(X86_|HYPERVISOR_GUEST|PARAVIRT|KVM_GUEST|RETPOLINE|MITIGATION_RETPOLINE|CPU_MITIGATIONS|EARLY_PRINTK|SERIAL_8250|RTC_DRV_CMOS|ACPI|NUMA_EMU|MEM_SOFT_DIRTY)' \
		"$TOP/kernel-config/guest.config" >"$common.tmp"
	cmp -s "$common.tmp" "$common" 2>/dev/null && rm -f "$common.tmp" || mv "$common.tmp" "$common"
	frags="$common $TOP/kernel-config/guest-arm64.config"
fi
for f in "$@"; do
	[ -f "$f" ] || die "config fragment $f not found"
	# merge_config.sh runs in the kernel tree: make the path absolute.
	frags="$frags $(cd "$(dirname "$f")" && pwd)/$(basename "$f")"
done

jobs=$(nproc)
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.ccache}
export KBUILD_BUILD_TIMESTAMP="2024-12-01 00:00:00 UTC"
export KBUILD_BUILD_USER=async-fork KBUILD_BUILD_HOST=build
mk() {
	make -s -C "$KSRC" ARCH="$karch" CROSS_COMPILE="$cross" \
		CC="ccache ${cross}gcc" -j"$jobs" "$@"
}

# Regenerate .config only when a fragment changed, so that an unchanged
# config keeps its timestamp and nothing is rebuilt needlessly.
stamp="$KSRC/.config.fragments"
# The series may add Kconfig symbols the fragments set: a change to any
# Kconfig file also re-merges.
want=$( (cat $frags; git -C "$KSRC" diff base -- '*Kconfig*' 2>/dev/null) | sha256sum | cut -d' ' -f1)
if [ ! -f "$KSRC/.config" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	note "configuring $karch (tinyconfig + $(echo $frags | sed "s|$TOP/||g"))"
	mk tinyconfig >/dev/null
	# shellcheck disable=SC2086
	(cd "$KSRC" && ARCH=$karch KCONFIG_CONFIG=.config ./scripts/kconfig/merge_config.sh -m -Q .config $frags >/dev/null)
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

note "building $target (ccache, $jobs jobs)"
mk "$target"
note "kernel: $KSRC/$image ($(mk -s kernelrelease))"
