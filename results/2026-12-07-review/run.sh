#!/bin/bash
# Guest side of the two reproducers (build them first, beside this
# script: gcc -O2 -I../../tools/include -o NAME NAME.c).
set -u
O=${GUEST_OUT:-/tmp}
D=$(cd "$(dirname "$0")" && pwd)
echo 8 >/proc/sys/vm/nr_hugepages
{
	for i in 1 2; do "$D/remote_text"; echo "rc=$?"; done
	for m in plain async plain async; do
		if [ $m = plain ]; then timeout 60 "$D/dontfork_hugetlb" plain
		else timeout 60 "$D/dontfork_hugetlb"; fi
		echo "rc=$?"
	done
	dmesg | grep -iE "rss-counter|BUG:|WARNING" | head
} >/tmp/repro.txt 2>&1
cp /tmp/repro.txt "$O/"
