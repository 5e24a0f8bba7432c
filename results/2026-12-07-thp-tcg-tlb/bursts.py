#!/usr/bin/env python3
# Host side: where a qemu vCPU thread spends runs of time in memset and
# in the host kernel (page faults of freshly allocated memory).
#
# usage: perf record -F 4999 -p "$(pgrep -n qemu-system-x86)" -o perf.data
#        perf script -i perf.data -F tid,time,ip,sym > ps.txt
#        python3 bursts.py ps.txt
# Prints, for the busiest thread (the parent's vCPU in these runs), each
# run of memset or host-kernel samples no more than 2.5 ms apart that
# holds at least 3 memset samples: start, length (ms), memset ms, all ms.
import collections
import sys

samples = []
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) >= 3:
        samples.append((int(p[0]), float(p[1].rstrip(':')), p[2],
                        ' '.join(p[3:])))
period = 1 / 4999
tid = collections.Counter(s[0] for s in samples).most_common(1)[0][0]
runs = []
for t, when, ip, sym in samples:
    if t != tid or not ('memset' in sym or ip.startswith('ffffffff')):
        continue
    mem = 'memset' in sym
    if runs and when - runs[-1][1] < 0.0025:
        runs[-1][1] = when
        runs[-1][2] += 1
        runs[-1][3] += mem
    else:
        runs.append([when, when, 1, int(mem)])
print(f'thread {tid}: start  length_ms  memset_ms  all_ms')
for start, end, n, nmem in runs:
    if nmem >= 3:
        print(f'{start:.3f} {(end - start) * 1e3:6.1f} {nmem * period * 1e3:6.1f}'
              f' {n * period * 1e3:6.1f}')
