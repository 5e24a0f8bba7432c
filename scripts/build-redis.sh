#!/bin/bash
# Build Redis with the patches in patches/redis (the fork-async option) into
# build/redis, from Debian's own redis source package: the same Redis 7.0.15
# with Debian's fixes as the redis-server package the guest also runs.
#
#   build/redis-src/   what apt-get source fetched (.dsc, tarballs) and the
#                      unpacked Debian tree; fetched once, then reused
#   build/redis/       a copy of that tree with patches/redis applied, built
#                      (src/redis-server, src/redis-cli, src/redis-benchmark,
#                      ...; tests/ and runtest for Redis's own test suite)
#
# Idempotent: when the source, the patches and the make flags are unchanged
# since the last successful build, it only checks that the binaries are
# there.  Installs what it lacks (scripts/deps.sh redis, as root):
# build-essential, dpkg-dev (for apt-get source), libjemalloc-dev, tcl
# (Redis's test suite), and adds a deb-src entry for Debian's archive when
# apt has none.
#
# Environment:
#   REDIS_PKG_VERSION  the Debian source version to use
#                      (default 5:7.0.15-1~deb12u10, the one patches/redis is
#                      made against; the newest one apt has, with a warning,
#                      when that one is gone)
#   JOBS               parallel make jobs (default: nproc)
set -eu
. "$(dirname "$0")/lib.sh"

REDIS_PKG=redis
REDIS_PKG_VERSION=${REDIS_PKG_VERSION:-5:7.0.15-1~deb12u10}
SRC=$BUILD/redis-src
TREE=$BUILD/redis
PATCHES=$TOP/patches/redis
JOBS=${JOBS:-$(nproc)}
# Debian's jemalloc (as Debian's redis-server uses: its source package's
# patches only build with that one), the bundled Lua and hiredis; no TLS, no
# systemd.
MAKE_FLAGS="USE_SYSTEM_JEMALLOC=yes USE_JEMALLOC=yes USE_SYSTEMD=no BUILD_TLS=no"
STAMP=$TREE/.async-fork-build

# --- tools -------------------------------------------------------------------
# The commands this script runs and Redis's build needs; when one is
# missing, scripts/deps.sh installs the redis group.
TOOLS="gcc make dpkg-source patch tclsh sha256sum"
JEMALLOC_H=/usr/include/jemalloc/jemalloc.h
have_tools() {
	local t
	for t in $TOOLS; do
		command -v "$t" >/dev/null 2>&1 || return 1
	done
	[ -f "$JEMALLOC_H" ]
}
if ! have_tools; then
	"$SCRIPT_DIR/deps.sh" redis
	for t in $TOOLS; do
		command -v "$t" >/dev/null 2>&1 || die "'$t' still missing after scripts/deps.sh redis"
	done
	[ -f "$JEMALLOC_H" ] || die "$JEMALLOC_H still missing after scripts/deps.sh redis"
fi

# --- source ------------------------------------------------------------------
# The .dsc in $SRC: the wanted version's if it is there, else the newest.
find_dsc() {
	local want=$SRC/${REDIS_PKG}_${REDIS_PKG_VERSION#*:}.dsc
	if [ -f "$want" ]; then
		echo "$want"
		return 0
	fi
	# shellcheck disable=SC2012 # file names without spaces
	ls -1 "$SRC"/"${REDIS_PKG}"_*.dsc 2>/dev/null | sort -V | tail -n 1
}

has_deb_src() {
	grep -qsE '^[[:space:]]*Types:.*deb-src' /etc/apt/sources.list.d/*.sources ||
		grep -qsE '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list
}

# Add deb-src entries mirroring the deb ones for Debian's archive.
add_deb_src() {
	local f
	[ "$(id -u)" = 0 ] || die "apt has no deb-src entry for '$REDIS_PKG'; run as root (to add one) or add it yourself"
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		# Debian 12's deb822 format: the same stanzas as Types: deb-src.
		f=/etc/apt/sources.list.d/debian-src.sources
		sed -e 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/' \
			/etc/apt/sources.list.d/debian.sources >"$f"
	elif grep -qsE '^[[:space:]]*deb[[:space:]].*debian' /etc/apt/sources.list; then
		f=/etc/apt/sources.list.d/debian-src.list
		sed -n -e 's/^[[:space:]]*deb[[:space:]]\(.*debian.*\)$/deb-src \1/p' \
			/etc/apt/sources.list >"$f"
	else
		f=/etc/apt/sources.list.d/debian-src.sources
		cat >"$f" <<-EOF
			Types: deb-src
			URIs: http://deb.debian.org/debian
			Suites: bookworm bookworm-updates
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

			Types: deb-src
			URIs: http://deb.debian.org/debian-security
			Suites: bookworm-security
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
	fi
	note "added deb-src entries: $f"
}

fetch_source() {
	local have ver
	mkdir -p "$SRC"
	if ! has_deb_src; then
		add_deb_src
		apt-get update -q
	fi
	have=$(apt-cache showsrc "$REDIS_PKG" 2>/dev/null | sed -n 's/^Version: //p' | sort -uV)
	if [ -z "$have" ]; then
		[ "$(id -u)" = 0 ] && apt-get update -q
		have=$(apt-cache showsrc "$REDIS_PKG" 2>/dev/null | sed -n 's/^Version: //p' | sort -uV)
	fi
	[ -n "$have" ] || die "apt knows no source package '$REDIS_PKG' (is there a deb-src entry? try apt-get update)"
	if printf '%s\n' "$have" | grep -qxF "$REDIS_PKG_VERSION"; then
		ver=$REDIS_PKG_VERSION
	else
		ver=$(printf '%s\n' "$have" | tail -n 1)
		echo "warning: $REDIS_PKG $REDIS_PKG_VERSION is no longer in apt (it has: ${have//$'\n'/ });" \
			"using $ver: patches/redis may not apply" >&2
	fi
	note "apt-get source $REDIS_PKG=$ver into $SRC"
	# Fetched as root the files cannot be handed to the _apt user: harmless.
	(cd "$SRC" && apt-get source -q --download-only "$REDIS_PKG=$ver") ||
		die "apt-get source $REDIS_PKG=$ver failed"
}

dsc=$(find_dsc)
if [ -z "$dsc" ]; then
	fetch_source
	dsc=$(find_dsc)
	[ -n "$dsc" ] || die "apt-get source left no .dsc file in $SRC"
fi
src_version=$(sed -n 's/^Version: //p' "$dsc" | head -n 1)
upstream=${src_version#*:}
upstream=${upstream%-*}
unpacked=$SRC/$REDIS_PKG-$src_version
if [ ! -f "$unpacked/src/server.c" ]; then
	note "unpacking ${dsc##*/} (with Debian's patches)"
	rm -rf "$unpacked" "$unpacked.tmp"
	dpkg-source -q -x "$dsc" "$unpacked.tmp" >/dev/null ||
		die "dpkg-source -x ${dsc##*/} failed"
	mv "$unpacked.tmp" "$unpacked"
fi
note "Redis source: Debian $REDIS_PKG $src_version (upstream $upstream)"

# --- patched tree ------------------------------------------------------------
shopt -s nullglob
patches=("$PATCHES"/*.patch)
shopt -u nullglob
# Everything the built tree depends on: the source, the patches, the flags.
stamp=$( {
	echo "$src_version $MAKE_FLAGS"
	sha256sum "$dsc"
	for p in "${patches[@]}"; do sha256sum "$p"; done
} | sha256sum | cut -d' ' -f1)

bins="redis-server redis-cli redis-benchmark redis-check-rdb redis-check-aof"
built=yes
for b in $bins; do [ -x "$TREE/src/$b" ] || built=no; done
if [ "$built" = yes ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$stamp" ]; then
	note "build/redis is up to date ($src_version + ${#patches[@]} patch(es))"
	exit 0
fi

# Patch a fresh copy; the old tree stays until the patches have applied.
note "preparing $TREE"
rm -rf "$TREE.tmp"
cp -a "$unpacked" "$TREE.tmp"
rm -rf "$TREE.tmp/.pc"
for p in "${patches[@]}"; do
	note "applying ${p#"$TOP"/}"
	if ! out=$(patch -d "$TREE.tmp" -p1 --batch --forward --dry-run <"$p" 2>&1); then
		printf '%s\n' "$out" >&2
		die "patch ${p#"$TOP"/} does not apply to Debian $REDIS_PKG $src_version (the copy it was tried on: $TREE.tmp)"
	fi
	patch -d "$TREE.tmp" -p1 --batch --forward --quiet <"$p" >/dev/null ||
		die "patch ${p#"$TOP"/} failed"
done
echo "Debian $REDIS_PKG $src_version${patches:+ + patches/redis}" >"$TREE.tmp/.async-fork-source"
for p in "${patches[@]}"; do echo "${p##*/}" >>"$TREE.tmp/.async-fork-source"; done
rm -rf "$TREE"
mv "$TREE.tmp" "$TREE"

note "building Redis ($MAKE_FLAGS, $JOBS jobs)"
t0=$EPOCHSECONDS
# The project's git commit is not the Redis build's sha1.
# shellcheck disable=SC2086
if ! GIT_CEILING_DIRECTORIES=$BUILD make -C "$TREE" -j"$JOBS" $MAKE_FLAGS >"$TREE/build.log" 2>&1; then
	tail -n 30 "$TREE/build.log" >&2
	die "Redis build failed (log: $TREE/build.log)"
fi
for b in $bins; do
	[ -x "$TREE/src/$b" ] || die "the build made no $TREE/src/$b (log: $TREE/build.log)"
done
echo "$stamp" >"$STAMP"
note "built $TREE/src/redis-server in $((EPOCHSECONDS - t0))s: $("$TREE/src/redis-server" --version)"
