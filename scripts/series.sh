#!/bin/bash
# Make build/linux hold exactly base + patches/linux/*.patch.
# Does nothing when the tree's commits already match the series; refuses to
# touch a tree with uncommitted changes.
set -eu
. "$(dirname "$0")/lib.sh"

need_tool git
git -C "$KSRC" rev-parse -q --verify base >/dev/null 2>&1 ||
	die "no kernel tree with a 'base' tag in $KSRC (run: make kernel-source)"

series=$(ls "$TOP"/patches/linux/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v '/0000-' || true)

ids_of() { git patch-id --stable | cut -d' ' -f1 | sort; }
want=$(for p in $series; do cat "$p"; done | ids_of)
have=$(git -C "$KSRC" format-patch --stdout base..HEAD | ids_of)
if [ "$want" = "$have" ]; then
	note "kernel tree already holds the series ($(echo "$series" | grep -c . || true) patches)"
	exit 0
fi

if [ -n "$(git -C "$KSRC" status --porcelain --untracked-files=no)" ]; then
	die "$KSRC has uncommitted changes; commit or stash them first"
fi

# Commits made in the tree and not exported yet (make export-series) would
# be lost from every branch: keep them where they can be found.
if [ -n "$have" ]; then
	git -C "$KSRC" branch -f series-replaced HEAD
	note "the tree's commits differ from patches/linux: its previous HEAD is kept in branch 'series-replaced'"
fi
note "applying the series onto base (branch 'series')"
git -C "$KSRC" checkout -q -B series base
for p in $series; do
	if ! git -C "$KSRC" am -q --keep-cr "$p" >/dev/null 2>"$BUILD/git-am.log"; then
		git -C "$KSRC" am --abort >/dev/null 2>&1 || true
		sed 's/^/  /' "$BUILD/git-am.log" >&2
		die "patch does not apply: ${p#"$TOP"/}"
	fi
	echo "  applied ${p#"$TOP"/}" >&2
done
