#!/bin/bash
# Build Valkey twice from the same upstream release: with the patches in
# patches/valkey (the fork-async option) into build/valkey, and unmodified
# into build/valkey-plain (the server that runs under async-fork-run, as an
# operator's own binary would).
#
# The source is upstream's release tarball as Debian's archive carries it
# (the .orig.tar.gz of Debian's valkey source package: Debian 12 has no
# Valkey, Debian 13 and later do), fetched once over HTTP from the archive's
# pool and checked against its SHA-256:
#
#   build/valkey-src/     the tarball and its unpacked tree
#   build/valkey/         patched copy, built (src/valkey-server,
#                         valkey-cli, valkey-benchmark, valkey-check-rdb,
#                         valkey-check-aof; runtest and tests/ for Valkey's
#                         own test suite)
#   build/valkey-plain/   unmodified copy, built the same way
#
# Idempotent: when the tarball, the patches and the make flags are the same
# as at the last successful build, it only checks that the binaries are
# there.  Installs what it lacks (scripts/deps.sh valkey, as root):
# build-essential, curl, ca-certificates, pkg-config, tcl (Valkey's test
# suite).
#
# Environment:
#   VALKEY_VERSION       the upstream version (default 9.1.2, the one
#                        patches/valkey is made against)
#   VALKEY_ORIG_SHA256   its tarball's SHA-256 (default: 9.1.2's)
#   VALKEY_POOL          where the tarballs are (default Debian's pool)
#   JOBS                 parallel make jobs (default: nproc)
set -eu
. "$(dirname "$0")/lib.sh"

VALKEY_VERSION=${VALKEY_VERSION:-9.1.2}
if [ -z "${VALKEY_ORIG_SHA256:-}" ] && [ "$VALKEY_VERSION" = 9.1.2 ]; then
	VALKEY_ORIG_SHA256=8e8557da7426a51b4e0fb514a65ef6241dc7c85cb408243af389070abf379cec
fi
VALKEY_POOL=${VALKEY_POOL:-http://deb.debian.org/debian/pool/main/v/valkey}
SRC=$BUILD/valkey-src
PATCHES=$TOP/patches/valkey
JOBS=${JOBS:-$(nproc)}
# The bundled jemalloc and Lua (Valkey's defaults); no TLS, no systemd.
MAKE_FLAGS="BUILD_TLS=no USE_SYSTEMD=no"
BINS="valkey-server valkey-cli valkey-benchmark valkey-check-rdb valkey-check-aof"

# --- tools -------------------------------------------------------------------
# The commands this script runs and Valkey's build needs; when one is
# missing, scripts/deps.sh installs the valkey group.
TOOLS="gcc make curl pkg-config patch tclsh sha256sum tar"
have_tools() {
	local t
	for t in $TOOLS; do
		command -v "$t" >/dev/null 2>&1 || return 1
	done
	[ -d /etc/ssl/certs ]
}
if ! have_tools; then
	"$SCRIPT_DIR/deps.sh" valkey
	for t in $TOOLS; do
		command -v "$t" >/dev/null 2>&1 || die "'$t' still missing after scripts/deps.sh valkey"
	done
fi

# --- source ------------------------------------------------------------------
# The version and the tarball's SHA-256 that Debian's unstable suite has now
# ("VERSION SHA256"), from its Sources index.
current_in_debian() {
	local index=http://deb.debian.org/debian/dists/sid/main/source/Sources.xz
	curl -fsS "$index" | xz -dc | awk '
		/^Package: / { p = ($2 == "valkey") }
		p && /^Version: / { v = $2; sub(/^[0-9]+:/, "", v); sub(/-[^-]*$/, "", v) }
		p && /^Checksums-Sha256:/ { c = 1; next }
		p && c && /^ / { if ($3 ~ /\.orig\.tar\.gz$/) { print v, $1; exit } next }
		{ c = 0 }'
}

tarball=$SRC/valkey_$VALKEY_VERSION.orig.tar.gz
fetch_tarball() {
	local url=$VALKEY_POOL/valkey_$VALKEY_VERSION.orig.tar.gz cur
	mkdir -p "$SRC"
	note "fetching $url"
	if ! curl -fsS -o "$tarball.tmp" "$url"; then
		rm -f "$tarball.tmp"
		cur=$(current_in_debian 2>/dev/null || true)
		die "cannot fetch Valkey $VALKEY_VERSION from $VALKEY_POOL (the archive keeps only the versions its suites have;" \
			"Debian unstable has: ${cur:-unknown}). Try VALKEY_VERSION=<version> VALKEY_ORIG_SHA256=<sha256>;" \
			"patches/valkey may then need a rebase"
	fi
	mv "$tarball.tmp" "$tarball"
}

[ -f "$tarball" ] || fetch_tarball
[ -n "${VALKEY_ORIG_SHA256:-}" ] ||
	die "no SHA-256 known for Valkey $VALKEY_VERSION: set VALKEY_ORIG_SHA256"
if ! echo "$VALKEY_ORIG_SHA256  $tarball" | sha256sum -c --quiet - >/dev/null 2>&1; then
	mv "$tarball" "$tarball.bad"
	die "$tarball does not have the SHA-256 $VALKEY_ORIG_SHA256 (kept as $tarball.bad)"
fi
unpacked=$SRC/valkey-$VALKEY_VERSION
if [ ! -f "$unpacked/src/server.c" ]; then
	note "unpacking ${tarball##*/}"
	rm -rf "$unpacked" "$unpacked.tmp"
	mkdir -p "$unpacked.tmp"
	tar -C "$unpacked.tmp" --strip-components=1 -xzf "$tarball" ||
		die "cannot unpack $tarball"
	mv "$unpacked.tmp" "$unpacked"
fi

shopt -s nullglob
patches=("$PATCHES"/*.patch)
shopt -u nullglob
[ ${#patches[@]} -gt 0 ] || die "no patches in $PATCHES"

# build_tree TREE PATCH...: a copy of the release with PATCHes applied,
# built; left alone when it was built from the same inputs.
build_tree() {
	local tree=$1 stamp p out t0 b built=yes
	shift
	stamp=$( {
		echo "$VALKEY_VERSION $VALKEY_ORIG_SHA256 $MAKE_FLAGS"
		for p in "$@"; do sha256sum "$p"; done
	} | sha256sum | cut -d' ' -f1)
	for b in $BINS; do [ -x "$tree/src/$b" ] || built=no; done
	if [ "$built" = yes ] && [ "$(cat "$tree/.async-fork-build" 2>/dev/null)" = "$stamp" ]; then
		note "${tree#"$TOP"/} is up to date (Valkey $VALKEY_VERSION + $# patch(es))"
		return 0
	fi
	note "preparing ${tree#"$TOP"/}"
	rm -rf "$tree.tmp"
	cp -a "$unpacked" "$tree.tmp"
	for p in "$@"; do
		note "applying ${p#"$TOP"/}"
		if ! out=$(patch -d "$tree.tmp" -p1 --batch --forward --dry-run <"$p" 2>&1); then
			printf '%s\n' "$out" >&2
			die "${p#"$TOP"/} does not apply to Valkey $VALKEY_VERSION (the copy it was tried on: $tree.tmp)"
		fi
		patch -d "$tree.tmp" -p1 --batch --forward --quiet <"$p" >/dev/null ||
			die "patch ${p#"$TOP"/} failed"
	done
	{
		echo "Valkey $VALKEY_VERSION (upstream tarball, sha256 $VALKEY_ORIG_SHA256)"
		for p in "$@"; do echo "${p##*/}"; done
	} >"$tree.tmp/.async-fork-source"
	rm -rf "$tree"
	mv "$tree.tmp" "$tree"
	note "building ${tree#"$TOP"/} ($MAKE_FLAGS, $JOBS jobs)"
	t0=$EPOCHSECONDS
	# shellcheck disable=SC2086
	if ! GIT_CEILING_DIRECTORIES=$BUILD make -C "$tree" -j"$JOBS" $MAKE_FLAGS >"$tree/build.log" 2>&1; then
		tail -n 30 "$tree/build.log" >&2
		die "Valkey build failed (log: $tree/build.log)"
	fi
	for b in $BINS; do
		[ -x "$tree/src/$b" ] || die "the build made no $tree/src/$b (log: $tree/build.log)"
	done
	echo "$stamp" >"$tree/.async-fork-build"
	note "built $tree/src/valkey-server in $((EPOCHSECONDS - t0))s: $("$tree/src/valkey-server" --version)"
}

build_tree "$BUILD/valkey" "${patches[@]}"
build_tree "$BUILD/valkey-plain"
