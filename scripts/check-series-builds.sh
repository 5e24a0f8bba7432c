#!/bin/bash
# Check that every patch of the series builds on its own: for each commit
# base..HEAD of build/linux, check it out in a scratch worktree and compile
# the directories of every C file the series has touched so far (FULL=1:
# build the whole bzImage instead).  Uses the guest config, so
# CONFIG_ASYNC_FORK is on from the patch that lets x86 select it; the last
# commit is then built once more with it off.  Leaves build/linux alone.
set -eu
. "$(dirname "$0")/lib.sh"

need_tool git make gcc ccache
git -C "$KSRC" rev-parse -q --verify base >/dev/null || die "no 'base' tag in $KSRC"
[ -f "$KSRC/.config" ] || die "build the kernel once first (make kernel)"
wt=$BUILD/series-check
if [ ! -d "$wt" ]; then
	git -C "$KSRC" worktree add -q --detach "$wt" base
fi
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.ccache}
export KBUILD_BUILD_TIMESTAMP="2024-12-01 00:00:00 UTC"
export KBUILD_BUILD_USER=async-fork KBUILD_BUILD_HOST=build
fail=0
for c in $(git -C "$KSRC" rev-list --reverse base..HEAD); do
	subject=$(git -C "$KSRC" log -1 --format=%s "$c")
	git -C "$wt" checkout -q --detach "$c"
	# Each commit starts from the guest config: symbols a commit lacks
	# are dropped by olddefconfig, and come back once they exist.
	cp "$KSRC/.config" "$wt/.config"
	# The directories holding the C files touched so far: kbuild then
	# compiles what the config enables there.
	objs=$(git -C "$KSRC" diff --name-only base "$c" -- '*.c' |
		grep -v '^tools/' | xargs -r -n1 dirname | sort -u |
		sed 's|$|/|' | tr '\n' ' ')
	targets="olddefconfig ${FULL:+bzImage}"
	[ -n "${FULL:-}" ] || targets="$targets prepare $objs"
	# shellcheck disable=SC2086
	if make -s -C "$wt" ARCH=x86_64 CC="ccache gcc" -j"$(nproc)" $targets \
		>"$BUILD/series-check.log" 2>&1 &&
		! grep -q 'warning:' "$BUILD/series-check.log"; then
		echo "ok   $subject"
	else
		echo "FAIL $subject (log: $BUILD/series-check.log)"
		fail=1
		break
	fi
done
[ "$fail" = 0 ] || exit 1

# The last commit once more with CONFIG_ASYNC_FORK=n, the Kconfig default:
# nothing outside its stubs may need the feature to build.
subject="$(git -C "$KSRC" log -1 --format=%s HEAD) (CONFIG_ASYNC_FORK=n)"
git -C "$wt" checkout -q --detach "$(git -C "$KSRC" rev-parse HEAD)"
cp "$KSRC/.config" "$wt/.config"
"$wt/scripts/config" --file "$wt/.config" --disable ASYNC_FORK --disable DEBUG_ASYNC_FORK
objs=$(git -C "$KSRC" diff --name-only base HEAD -- '*.c' |
	grep -v '^tools/' | xargs -r -n1 dirname | sort -u |
	sed 's|$|/|' | tr '\n' ' ')
# shellcheck disable=SC2086
if make -s -C "$wt" ARCH=x86_64 CC="ccache gcc" -j"$(nproc)" olddefconfig prepare $objs \
	>"$BUILD/series-check.log" 2>&1 &&
	! grep -q 'warning:' "$BUILD/series-check.log"; then
	echo "ok   $subject"
else
	echo "FAIL $subject (log: $BUILD/series-check.log)"
	exit 1
fi
