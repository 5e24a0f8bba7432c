#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the timeline of a traced BGSAVE (harness/guest/trace-bgsave.sh):
the Redis server's scheduling, page faults and proactive syncs, and the
child's copy, from the BGSAVE command until just after its reply, in ms
from the fork; then totals, and the requests that waited for the fork.

usage: trace-bgsave.py GUEST_OUT
"""
import csv
import re
import sys

LINE = re.compile(r'^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+\S+\s+([\d.]+): (\S+): (.*)$')
SWITCH = re.compile(r'prev_pid=(\d+).*prev_state=(\S+) ==> '
                    r'next_comm=(\S+) next_pid=(\d+)')


def events(path):
    with open(path, errors='replace') as f:
        for line in f:
            m = LINE.match(line)
            if m:
                comm, pid, cpu, t, name, rest = m.groups()
                yield float(t), comm, int(pid), int(cpu), name, rest


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    d = sys.argv[1]
    with open(d + '/bgsave.csv', newline='') as f:
        b = next(csv.DictReader(f))
    sent, reply = int(b['start_ns']) / 1e9, int(b['reply_ns']) / 1e9
    ev = list(events(d + '/trace.txt'))
    forks = [e for e in ev if e[4] == 'sched_process_fork' and
             e[0] >= sent and 'redis-server' in e[1]]
    if not forks:
        sys.exit('trace-bgsave.py: no fork of redis-server after the BGSAVE')
    t_fork, _, parent, _, _, rest = forks[0]
    child = int(re.search(r'child_pid=(\d+)', rest).group(1))
    print('BGSAVE sent %.3f ms before the fork event, reply %.3f ms after; '
          'latest_fork_usec %s, async %s' % ((t_fork - sent) * 1e3,
                                             (reply - t_fork) * 1e3,
                                             b['fork_usec'], b['fork_async']))
    totals = {'faults': 0, 'syncs': 0, 'blocked_ms': 0.0, 'preempted_ms': 0.0}
    off = None      # (state, since) of the parent while off its CPU
    for t, comm, pid, cpu, name, rest in ev:
        if t < sent or t > reply + 0.005:
            continue
        show = False
        if pid == parent and name in ('page_fault_user', 'async_fork_sync_pmd'):
            show = True
            if t >= t_fork:
                totals['faults' if name == 'page_fault_user' else 'syncs'] += 1
        elif pid == child and name.startswith('async_fork'):
            show = True
        elif name == 'sched_switch':
            m = SWITCH.search(rest)
            prev, state, nxt = int(m.group(1)), m.group(2), int(m.group(4))
            show = parent in (prev, nxt) or child in (prev, nxt)
            if prev == parent:
                off = (state, t)
            elif nxt == parent and off:
                if off[1] >= t_fork:
                    key = 'blocked_ms' if off[0].startswith('D') else \
                        'preempted_ms' if off[0].startswith('R') else None
                    if key:
                        totals[key] += (t - off[1]) * 1e3
                off = None
        if show:
            print('%9.3f cpu%d %-15s %-7d %-22s %s' % (
                (t - t_fork) * 1e3, cpu, comm[:15], pid, name, rest[:100]))
    print('after the fork, until the reply: %d page faults, %d syncs; '
          'parent blocked %.1f ms, runnable but not running %.1f ms' % (
              totals['faults'], totals['syncs'], totals['blocked_ms'],
              totals['preempted_ms']))
    with open(d + '/req.csv', newline='') as f:
        for r in csv.DictReader(f):
            st, lat = int(r['start_ns']) / 1e9, int(r['latency_ns']) / 1e9
            if st < reply and st + lat > sent:
                print('request %s sent %8.3f ms, answered %8.3f ms: %.2f ms' % (
                    r['op'], (st - t_fork) * 1e3, (st + lat - t_fork) * 1e3,
                    lat * 1e3))


if __name__ == '__main__':
    main()
