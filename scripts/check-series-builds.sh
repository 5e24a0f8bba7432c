#!/bin/bash
# Check that every patch of the series builds on its own: for each commit
# base..HEAD of build/linux, check it out in a scratch worktree and compile
# the directories of every C file the series has touched so far (FULL=1:
# build the whole bzImage instead).  Uses the guest config with
# CONFIG_ASYNC_FORK on from the patch that adds it: before the patch that
# lets x86 select ARCH_SUPPORTS_ASYNC_FORK, the scratch tree's mm/Kconfig
# is made to say yes (shown as "forced"), so that the code of each patch
# is compiled, not only its stubs.  The last commit is then built once
# more with it off.  Leaves build/linux alone.
#
# FROM=N, TO=M: only patches N to M (numbered from 1 as in patches/linux;
# the =n build of the last commit runs only when TO is the last).
set -eu
. "$(dirname "$0")/lib.sh"

need_tool git make gcc ccache
git -C "$KSRC" rev-parse -q --verify base >/dev/null || die "no 'base' tag in $KSRC"
[ -f "$KSRC/.config" ] || die "build the kernel once first (make kernel)"
wt=$BUILD/series-check
# Made by kernel_worktree (at tag base), but only when missing: the loop
# below moves this scratch tree itself, with checkout -f, as it edits
# mm/Kconfig there; kernel_worktree would refuse to move it then.
[ -e "$wt/.git" ] || KERNEL_REV=base kernel_worktree "$wt" "series check"
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.ccache}
export KBUILD_BUILD_TIMESTAMP="2024-12-01 00:00:00 UTC"
export KBUILD_BUILD_USER=async-fork KBUILD_BUILD_HOST=build
commits=$(git -C "$KSRC" rev-list --reverse base..HEAD)
total=$(echo "$commits" | wc -l)
from=${FROM:-1} to=${TO:-$total}
for v in "$from" "$to"; do
	case $v in '' | *[!0-9]*) die "FROM and TO must be patch numbers, not '$v'" ;; esac
done
if [ "$from" -lt 1 ] || [ "$from" -gt "$to" ] || [ "$to" -gt "$total" ]; then
	die "FROM=$from TO=$to: the series has patches 1 to $total"
fi
fail=0
for c in $(echo "$commits" | sed -n "${from},${to}p"); do
	subject=$(git -C "$KSRC" log -1 --format=%s "$c")
	git -C "$wt" checkout -q -f --detach "$c"
	# Each commit starts from the guest config: symbols a commit lacks
	# are dropped by olddefconfig, and come back once they exist.
	cp "$KSRC/.config" "$wt/.config"
	forced=""
	if grep -q '^config ASYNC_FORK$' "$wt/mm/Kconfig" &&
		! grep -q 'select ARCH_SUPPORTS_ASYNC_FORK' "$wt/arch/x86/Kconfig"; then
		sed -i '/^config ARCH_SUPPORTS_ASYNC_FORK$/{n;s/def_bool n/def_bool y/}' "$wt/mm/Kconfig"
		forced=" (forced)"
	fi
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
		echo "ok   $subject$forced"
	else
		echo "FAIL $subject$forced (log: $BUILD/series-check.log)"
		fail=1
		break
	fi
done
[ "$fail" = 0 ] || exit 1
[ "$to" = "$total" ] || exit 0

# The last commit once more with CONFIG_ASYNC_FORK=n, the Kconfig default:
# nothing outside its stubs may need the feature to build.
subject="$(git -C "$KSRC" log -1 --format=%s HEAD) (CONFIG_ASYNC_FORK=n)"
git -C "$wt" checkout -q -f --detach "$(git -C "$KSRC" rev-parse HEAD)"
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
