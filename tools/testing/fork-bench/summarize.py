#!/usr/bin/env python3
"""Turn fork_bench CSV into a Markdown table of medians and maxima.

usage: summarize.py CSV ARCH GUEST_MEM_MB [KERNEL_TREE]
"""
import csv
import datetime
import os
import statistics
import subprocess
import sys


def main():
    path, arch, mem = sys.argv[1:4]
    tree = sys.argv[4] if len(sys.argv) > 4 else 'build/linux'
    rows = list(csv.DictReader(open(path)))
    groups = {}
    for r in rows:
        key = (r['case'], int(r['size_mib']), r['pages'], r['mode'])
        groups.setdefault(key, []).append(r)

    def med(key, field):
        return statistics.median(float(r[field]) for r in groups[key])

    try:
        kernel = subprocess.run(['git', '-C', tree, 'describe',
                                 '--always', '--dirty'], capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        kernel = '?'
    print('# Fork latency: plain fork against CLONE_ASYNC\n')
    print('Date: %s. Guest: QEMU TCG, 2 vCPUs, %s MiB, %s; kernel tree %s.'
          % (datetime.date.today(), mem, arch, kernel))
    print('Each row: median (max) of %d forks. Times in microseconds. TCG '
          'is several times slower than hardware: compare ratios.\n'
          % len(next(iter(groups.values()))))
    print('| case | MiB | pages | mode | parent in clone3 | max | '
          'until child runs | first write per 2 MiB |')
    print('|---|---:|---|---|---:|---:|---:|---:|')
    for key in sorted(groups, key=lambda k: (k[0] != 'floor', k[2], k[1], k[3])):
        vals = [float(r['parent_us']) for r in groups[key]]
        print('| %s | %d | %s | %s | %.0f | %.0f | %.0f | %.1f |' % (
            key[0], key[1], key[2], key[3], statistics.median(vals),
            max(vals), med(key, 'child_run_us'), med(key, 'first_write_us')))

    floor = [k for k in groups if k[0] == 'floor' and k[3] == 'plain']
    sizes = sorted({k[1] for k in groups if k[0] == 'size' and k[2] == '4k'})
    if floor and sizes:
        f = med(floor[0], 'parent_us')
        big, small = sizes[-1], sizes[0]
        a_big = med(('size', big, '4k', 'async'), 'parent_us')
        a_small = med(('size', small, '4k', 'async'), 'parent_us')
        p_big = med(('size', big, '4k', 'plain'), 'parent_us')
        print('\nRatios (4 KiB pages):\n')
        print('- async fork of %d MiB vs plain fork of the %s MiB floor: '
              '%.2fx' % (big, floor[0][1], a_big / f))
        print('- async fork, %d MiB vs %d MiB: %.2fx' % (big, small,
                                                       a_big / a_small))
        print('- plain vs async fork at %d MiB: %.0fx' % (big, p_big / a_big))
    if 'aarch64' in arch:
        print('\nRerun: `GUEST_ARCH=arm64 make bench-fork` '
              '(scripts/bench-fork.sh); raw data: results/%s.'
              % os.path.basename(path))
    else:
        print('\nRerun: `make bench-fork` (scripts/bench-fork.sh); raw data: '
              'results/%s.' % os.path.basename(path))


if __name__ == '__main__':
    main()
