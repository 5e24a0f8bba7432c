#!/usr/bin/env python3
"""Print "START END" (decimal): the kernel text that an object's .text
functions occupy in vmlinux, from System.map and the object's symbol
table.  Functions whose name System.map holds more than once (static
functions of the same name elsewhere) are left out.

usage: text-range.py SYSTEM_MAP OBJECT.o
"""
import subprocess
import sys
from collections import defaultdict


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: text-range.py SYSTEM_MAP OBJECT.o')
    sizes = {}
    out = subprocess.run(['objdump', '-t', sys.argv[2]], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = line.split()
        # value, flags..., section, size, name
        if len(f) >= 5 and f[-3] == '.text' and 'F' in f[1:-3]:
            sizes[f[-1]] = int(f[-2], 16)
    addrs = defaultdict(list)
    with open(sys.argv[1]) as m:
        for line in m:
            f = line.split()
            if len(f) == 3 and f[1] in ('t', 'T') and f[2] in sizes:
                addrs[f[2]].append(int(f[0], 16))
    ranges = [(a[0], a[0] + sizes[n]) for n, a in addrs.items() if len(a) == 1]
    if not ranges:
        sys.exit('no symbols of %s in %s' % (sys.argv[2], sys.argv[1]))
    lo = min(r[0] for r in ranges)
    hi = max(r[1] for r in ranges)
    if hi - lo > (1 << 20):
        sys.exit('%s spans %d bytes of text: not one section' % (sys.argv[2], hi - lo))
    print(lo, hi)


if __name__ == '__main__':
    main()
