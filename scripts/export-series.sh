#!/bin/bash
# Export base..HEAD of build/linux into patches/linux/, with a cover letter
# (0000-cover-letter.patch) made from patches/cover-letter.txt, ending in a
# base-commit: line that names the tag base (scripts/kernel-source.sh makes
# the same commit from the same package on every machine).
set -eu
. "$(dirname "$0")/lib.sh"

need_tool git
git -C "$KSRC" rev-parse -q --verify base >/dev/null 2>&1 || die "no 'base' tag in $KSRC"
[ -z "$(git -C "$KSRC" status --porcelain --untracked-files=no)" ] ||
	die "$KSRC has uncommitted changes; commit them first"
mkdir -p "$TOP/patches/linux"
find "$TOP/patches/linux" -name '[0-9][0-9][0-9][0-9]-*.patch' -delete
rm -f "$TOP/patches/linux/0000-cover-letter.patch"
git -C "$KSRC" format-patch -q --zero-commit --no-signature --cover-letter --base=base \
	-o "$TOP/patches/linux" base..HEAD

# The cover letter's subject and text live in patches/cover-letter.txt
# (first line: subject; the rest: the text); format-patch adds the
# shortlog and the diffstat.
cover=$TOP/patches/linux/0000-cover-letter.patch
if [ -f "$TOP/patches/cover-letter.txt" ]; then
	python3 - "$cover" "$TOP/patches/cover-letter.txt" <<'PY'
import sys
cover, text = sys.argv[1], open(sys.argv[2]).read().split('\n', 1)
s = open(cover).read()
s = s.replace('*** SUBJECT HERE ***', text[0].strip(), 1)
s = s.replace('*** BLURB HERE ***', text[1].strip('\n'), 1)
open(cover, 'w').write(s)
PY
fi
ls "$TOP/patches/linux"
