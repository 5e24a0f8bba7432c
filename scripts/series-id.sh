#!/bin/bash
# series-id.sh [--list] [COMMIT]: which project commit and which kernel
# series a run was made with, as key=value lines for the run's meta file.
#
#   commit=...            the project's commit (git describe --always
#                         --dirty), or COMMIT
#   series_patches=N      the patches of patches/linux with a diff (the
#                         cover letter has none)
#   series_patch_ids=...  SHA-1 of their `git patch-id --stable` ids, one
#                         a line in file order: two runs with the same
#                         value ran the same series, whatever the commit
#                         messages, the base or the order of hunks
#
# Without COMMIT: the files in the work tree's patches/linux; with COMMIT:
# those of patches/linux at that commit.  --list adds one line per patch,
# "patch=PATCH_ID FILE".  Needs git; prints "unknown" for what it cannot
# find, and always exits 0, so that a run's meta never stops a run.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
list=false
[ "${1:-}" != --list ] || { list=true; shift; }
rev=${1:-}

# show FILE: the text of patches/linux/FILE in the work tree or at rev.
show() {
	if [ -n "$rev" ]; then
		git -C "$top" show "$rev:patches/linux/$1"
	else
		cat "$top/patches/linux/$1"
	fi
}

if [ -n "$rev" ]; then
	commit=$(git -C "$top" rev-parse --short "$rev^{commit}" 2>/dev/null) || commit=unknown
	files=$(git -C "$top" ls-tree --name-only "$rev" patches/linux/ 2>/dev/null |
		sed -n 's|^patches/linux/\(.*\.patch\)$|\1|p')
else
	commit=$(git -C "$top" describe --always --dirty 2>/dev/null) || commit=unknown
	files=$(cd "$top/patches/linux" 2>/dev/null && ls -- *.patch 2>/dev/null)
fi
echo "commit=$commit"

ids=""
lines=""
n=0
for f in $files; do
	id=$(show "$f" 2>/dev/null | git patch-id --stable 2>/dev/null | cut -d' ' -f1)
	[ -n "$id" ] || continue
	ids="$ids$id"$'\n'
	lines="${lines}patch=$id $f"$'\n'
	n=$((n + 1))
done
if [ "$n" = 0 ]; then
	echo "series_patches=0"
	echo "series_patch_ids=unknown"
	exit 0
fi
echo "series_patches=$n"
echo "series_patch_ids=$(printf '%s' "$ids" | sha1sum | cut -d' ' -f1)"
! $list || printf '%s' "$lines"
exit 0
