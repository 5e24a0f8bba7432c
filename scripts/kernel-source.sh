#!/bin/bash
# Unpack Debian's linux-source-6.12 into build/linux as a git tree whose
# first commit (tag "base") is the pristine source.  Does nothing when the
# tree already exists.
set -eu
. "$(dirname "$0")/lib.sh"

need_tool git tar xz

if git -C "$KSRC" rev-parse -q --verify base >/dev/null 2>&1; then
	exit 0
fi
[ ! -e "$KSRC" ] || die "$KSRC exists but has no 'base' tag; remove it and retry"

tarball=$(ls /usr/src/linux-source-6.12.tar.xz 2>/dev/null) ||
	die "/usr/src/linux-source-6.12.tar.xz missing (run: make deps)"
have=$(dpkg-query -W -f='${Version}' "$KPKG" 2>/dev/null || true)
case "$have" in
"$KVER_WANT"-*) ;;
*) echo "warning: $KPKG is $have, the series was made against $KVER_WANT" >&2 ;;
esac

mkdir -p "$BUILD"
tmp=$(mktemp -d "$BUILD/unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
note "unpacking $tarball"
tar -C "$tmp" -xf "$tarball"
src=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n 1)
[ -f "$src/Makefile" ] || die "unexpected layout in $tarball"

# Debian's tree ends .gitignore with a packaging stanza that ignores every
# top-level path; drop it so new files are committed and exported.
sed -i '/^# Debian packaging/,$d' "$src/.gitignore"

git -C "$src" init -q
git -C "$src" config user.name "Async-fork developers"
git -C "$src" config user.email "async-fork@localhost"
git -C "$src" config core.autocrlf false
git -C "$src" add -A
# A fixed date, so that the same package gives the same commit on every
# machine: the series' base-commit line then names it.
GIT_AUTHOR_DATE="2024-12-01T00:00:00Z" GIT_COMMITTER_DATE="2024-12-01T00:00:00Z" \
	git -C "$src" commit -q -m "Linux $(make -s -C "$src" kernelversion) from Debian $KPKG $have"
git -C "$src" tag base
# Test binaries that no ignore file covers: Debian's source package drops
# the tree's .gitignore files (tools/testing/selftests/mm/.gitignore
# among them), so the series cannot add its programs to that file as it
# would on mainline.
printf '%s\n' tools/testing/selftests/mm/async_fork \
	tools/testing/selftests/mm/async_fork_prctl \
	tools/testing/selftests/mm/hugetlb_dio \
	tools/testing/selftests/mm/pkey_sighandler_tests_64 \
	>>"$src/.git/info/exclude"
mv "$src" "$KSRC"
note "kernel source ready in $KSRC (tag base)"
