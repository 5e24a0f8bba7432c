#!/bin/bash
# make deb: Debian packages of the patched kernel for a real machine, built
# from Debian's own config for this version (linux-config-6.12) with all
# its modules, plus CONFIG_ASYNC_FORK=y, CONFIG_LOCALVERSION="-asyncfork"
# and Debian's certificate paths blanked (scripts/distro-config.sh deb), in
# its own tree build/linux-deb (a git worktree of build/linux).
#
# The config is checked before the build: when Kconfig drops
# CONFIG_ASYNC_FORK the run stops at once, naming the option and why.
# After the build, the config inside the linux-image package is checked
# too.  The packages go to build/deb/.
#
# Debian's config builds ~4000 modules (about 13,700 objects in all, ten
# times the test guest's) with full debug information and BTF (a -dbg
# package): an estimated 4 to 6 hours on 2 cores, and 30-40 GB of disk.
#
#   DEB_SKIP_BUILD=1   stop after the config check
#   KDEB_PKGVERSION    package version (default: <kernel version>-1+asyncfork.<id>,
#                      id: the first 8 hex digits of the series' diff's sha256)
#   DEB_CCACHE_DIR     ccache for this build (default build/ccache-deb, kept
#                      apart so that it does not evict the guest kernel's)
#   KERNEL_REV         build this commit of build/linux instead of its HEAD
#
# An interrupted build resumes where it stopped when run again at the same
# commit (bindeb-pkg does not clean first).  Each run appends its wall and
# CPU time to build/linux-deb-time.log, so that the total of a build
# spread over several runs is known.
set -eu
. "$(dirname "$0")/lib.sh"

S=$TOP/scripts
tree=$BUILD/linux-deb
debs=$BUILD/deb
t_start=$(date +%s)
mins() { printf '%dh%02dm%02ds' $(($1 / 3600)) $(($1 % 3600 / 60)) $(($1 % 60)); }

"$S/deps.sh" deb
"$S/kernel-source.sh"
"$S/series.sh"
"$S/distro-config.sh" --worktree deb "$tree"

if [ "${DEB_SKIP_BUILD:-0}" != 0 ]; then
	note "DEB_SKIP_BUILD=$DEB_SKIP_BUILD: the config is checked ($tree/.config); not building"
	exit 0
fi

need_tool ccache dpkg-buildpackage dh_builddeb dpkg-deb /usr/bin/time
kver=$(make -s -C "$tree" kernelversion)
id=$(git -C "$tree" diff base HEAD | sha256sum | cut -c1-8)
pkgver=${KDEB_PKGVERSION:-$kver-1+asyncfork.$id}
jobs=$(nproc)
export CCACHE_DIR=${DEB_CCACHE_DIR:-$BUILD/ccache-deb}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-20G}
avail=$(df -Pk "$BUILD" | awk 'NR == 2 { print int($4 / 1048576) }')
[ "$avail" -ge 40 ] ||
	note "warning: $avail GB free under $BUILD; the build with Debian's debug information wants about 40"

log=$BUILD/linux-deb-build.log
note "building Debian packages $pkgver in $tree ($jobs jobs; log: $log)"
t=$(date +%s)
# LOCALVERSION= (empty, but set): no "+" for the git tree after the
# release; the suffix is CONFIG_LOCALVERSION.  The packages land in the
# tree's parent directory, $BUILD.
echo "# $(date -u '+%F %T') $(git -C "$tree" log -1 --format='%h %s') $pkgver" \
	>>"$BUILD/linux-deb-time.log"
/usr/bin/time -a -o "$BUILD/linux-deb-time.log" \
	-f '%e s wall, %U s user, %S s system, exit %x' \
	make -C "$tree" ARCH=x86_64 CC="ccache gcc" LOCALVERSION= KBUILD_VERBOSE=0 \
	KDEB_PKGVERSION="$pkgver" -j"$jobs" bindeb-pkg >>"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT INT TERM
# A line every 10 minutes, so that hours of building are not silent.
while kill -0 "$pid" 2>/dev/null; do
	for _ in $(seq 60); do
		sleep 10
		kill -0 "$pid" 2>/dev/null || break 2
	done
	note "still building: $(grep -c '^  CC ' "$log" || true) files compiled, $(mins $(($(date +%s) - t)))"
done
rc=0
wait "$pid" || rc=$?
trap - EXIT INT TERM
if [ "$rc" != 0 ]; then
	tail -n 40 "$log" >&2
	die "make bindeb-pkg failed (status $rc; log: $log)"
fi
t_build=$(($(date +%s) - t))

krel=$(cat "$tree/include/config/kernel.release")
rm -rf "$debs"
mkdir -p "$debs"
find "$BUILD" -maxdepth 1 -type f -name "*_${pkgver}_*" -exec mv -t "$debs" {} +
img=$debs/linux-image-${krel}_${pkgver}_amd64.deb
[ -f "$img" ] || die "no $img after the build (log: $log)"

# The config the package installs, /boot/config-$krel, must have the feature.
dpkg-deb --fsys-tarfile "$img" | tar -xO "./boot/config-$krel" >"$debs/config-$krel" ||
	die "$img holds no ./boot/config-$krel"
grep -qx 'CONFIG_ASYNC_FORK=y' "$debs/config-$krel" ||
	die "the packaged config ($img: boot/config-$krel) lacks CONFIG_ASYNC_FORK=y"
note "packaged config has CONFIG_ASYNC_FORK=y$(grep -qx 'CONFIG_PARAVIRT_XXL=y' "$debs/config-$krel" && echo ', PARAVIRT_XXL=y')"

ls -l "$debs"
note "kernel $krel, packages $pkgver in $debs: build $(mins "$t_build"), total $(mins $(($(date +%s) - t_start)))"
note "install: dpkg -i $debs/linux-image-${krel}_${pkgver}_amd64.deb (and linux-headers-* for out-of-tree modules), then reboot"
