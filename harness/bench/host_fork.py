#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The host's own plain fork of a process with 1 GiB of anonymous memory
touched (4 KiB pages), for the report of `make bench` to set its guest's
times beside: prints the parent's time in fork(), median of REPS forks,
in ms.  Exit status 1, and nothing printed, when the host cannot spare
the memory.

usage: host_fork.py [MIB [REPS]]
"""
import mmap
import os
import statistics
import sys
import time


def available_mib():
    with open('/proc/meminfo') as f:
        for line in f:
            if line.startswith('MemAvailable:'):
                return int(line.split()[1]) >> 10
    return 0


def fork_ms(mib, reps):
    """The parent's time in each of REPS forks, in ms."""
    size = mib << 20
    m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(mmap, 'MADV_NOHUGEPAGE'):
        m.madvise(mmap.MADV_NOHUGEPAGE)
    for off in range(0, size, mmap.PAGESIZE):
        m[off] = 1
    times = []
    for _ in range(reps):
        t = time.perf_counter_ns()
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        times.append((time.perf_counter_ns() - t) / 1e6)
        os.waitpid(pid, 0)
    m.close()
    return times


def main():
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    if available_mib() < 2 * mib:
        return 1
    print('%.1f' % statistics.median(fork_ms(mib, reps)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
