#!/bin/bash
# Export base..HEAD of build/linux into patches/linux/ (the cover letter,
# 0000-cover-letter.patch, is kept).
set -eu
. "$(dirname "$0")/lib.sh"

need_tool git
git -C "$KSRC" rev-parse -q --verify base >/dev/null 2>&1 || die "no 'base' tag in $KSRC"
[ -z "$(git -C "$KSRC" status --porcelain --untracked-files=no)" ] ||
	die "$KSRC has uncommitted changes; commit them first"
mkdir -p "$TOP/patches/linux"
find "$TOP/patches/linux" -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' -delete
git -C "$KSRC" format-patch -q --zero-commit --no-signature --no-cover-letter \
	-o "$TOP/patches/linux" base..HEAD
ls "$TOP/patches/linux"
