#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks of the rules by which report.py sorts Redis requests into
snapshots, on made-up data whose answers are known: the targets of
`make bench` are computed with these rules.  No timing is measured here.
TAP on stdout, in the form of harness-selftest.sh (one "# ok" line per
case, then one line for all).
"""
import csv
import math
import os
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

MS = 1_000_000
S = 1_000_000_000


def test_owners_in_flight_at_bgsave():
    """A request still waiting for its reply when BGSAVE is sent belongs
    to that snapshot; one answered before, or exactly then, does not."""
    windows = [(100, 200), (500, 600)]
    reqs = [(50, 10), (90, 20), (99, 1), (150, 1), (300, 10), (450, 60),
            (600, 5), (700, 1)]
    got = report.snapshot_owners(reqs, windows)
    assert got == [-1, 0, -1, 0, -1, 1, 1, -1], got


def test_owners_sent_inside_stays():
    """A request sent during one snapshot stays with it even if it is
    still in flight when the next one starts."""
    got = report.snapshot_owners([(190, 400)], [(100, 200), (500, 600)])
    assert got == [0], got


def test_owners_no_snapshot():
    got = report.snapshot_owners([(1, 1), (5, 100)], [])
    assert got == [-1, -1], got


def test_percentile_nearest_rank():
    vals = list(range(1, 101))
    assert report.pct(vals, 50) == 50
    assert report.pct(vals, 99) == 99
    assert report.pct(vals, 99.9) == 100
    assert report.pct(vals, 100) == 100
    assert report.pct([7], 50) == 7
    assert math.isnan(report.pct([], 50))


def write(path, header, rows):
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def rows_by(path, key):
    with open(path, newline='') as f:
        return {r[key]: r for r in csv.DictReader(f)}


def write_two_saves(src, cfg, reqs):
    """The guest output of configuration CFG: REQS ((start_ns,
    latency_ns)) and two BGSAVEs, a plain fork at 2 s answered 250 ms
    later and an async one at 5 s answered 4 ms later, each seen done
    1 s after it started."""
    write(os.path.join(src, 'redis-req-%s.csv' % cfg),
          ['start_ns', 'latency_ns', 'conn', 'op'],
          [[s, lat, 0, 'S'] for s, lat in reqs])
    write(os.path.join(src, 'redis-bgsave-%s.csv' % cfg),
          ['idx', 'start_ns', 'reply_ns', 'end_ns', 'fork_usec',
           'fork_async', 'status', 'cow_bytes'],
          [[0, 2 * S, 2 * S + 250 * MS, 3 * S, 250000, 0, 'ok', 0],
           [1, 5 * S, 5 * S + 4 * MS, 6 * S, 4000, 1, 'ok', 0]])


def in_guest_and_results_dirs(check):
    """Run CHECK(src, dst) on an empty guest output and results folder."""
    with tempfile.TemporaryDirectory(prefix='test-report-') as tmp:
        src = os.path.join(tmp, 'guest')
        dst = os.path.join(tmp, 'results')
        os.mkdir(src)
        os.mkdir(dst)
        check(src, dst)


def test_ingest_alternating_windows():
    """An alternating run, end to end through ingest: each request lands
    in the window the rules say, the first second is left out, and each
    BGSAVE counts the requests that waited for it."""
    in_guest_and_results_dirs(check_ingest_alternating)


def check_ingest_alternating(src, dst):
    reqs = [
        (0, 1 * MS),                 # first second: left out
        (S // 2, 1 * MS),            # first second: left out
        (3 * S // 2, 1 * MS),        # outside
        (2 * S - MS, 300 * MS),      # waits for the plain fork at 2 s
        (5 * S // 2, 2 * MS),        # during the plain snapshot
        (4 * S, 3 * MS),             # outside, after the plain snapshot
        (11 * S // 2, 10 * MS),      # during the async snapshot
        (13 * S // 2, 4 * MS),       # outside, after the async snapshot
        (7 * S, 1 * MS),             # outside, after the async snapshot
    ]
    write_two_saves(src, 'alt', reqs)
    assert report.ingest_redis_cfg(src, dst, 'alt')

    lat = rows_by(os.path.join(dst, 'redis-latency-alt.csv'), 'window')
    want = {
        'during_plain_snapshot': ('2', '300000.0'),
        'during_async_snapshot': ('1', '10000.0'),
        'outside': ('4', '4000.0'),
        'outside_after_plain': ('1', '3000.0'),
        'outside_after_async': ('2', '4000.0'),
    }
    for window, (n, mx) in want.items():
        got = (lat[window]['requests'], lat[window]['max_us'])
        assert got == (n, mx), (window, got, (n, mx))
    assert set(lat) == set(want), sorted(lat)

    saves = rows_by(os.path.join(dst, 'redis-bgsave-alt.csv'), 'idx')
    assert (saves['0']['requests'], saves['0']['max_latency_us']) == \
        ('2', '300000'), saves['0']
    assert (saves['1']['requests'], saves['1']['max_latency_us']) == \
        ('1', '10000'), saves['1']
    assert saves['0']['fork_start_ns'] == str(2 * S), saves['0']


def test_ingest_fork_phase():
    """A snapshot's fork phase ends when BGSAVE is answered or, after an
    async fork, when the child's copy (from its tracepoint) is done,
    counted from the reply; requests sent later are "after" it."""
    in_guest_and_results_dirs(check_fork_phase)


def check_fork_phase(src, dst):
    reqs = [
        (3 * S // 2, 1 * MS),        # outside
        (2 * S - MS, 300 * MS),      # in flight at the plain BGSAVE
        (2 * S + 260 * MS, 20 * MS),  # after the plain reply: after
        (5 * S - MS, 7 * MS),        # in flight at the async BGSAVE
        (5 * S + 500 * MS, 9 * MS),  # before reply + copy: fork phase
        (5 * S + 700 * MS, 30 * MS),  # after reply + copy: after
    ]
    write_two_saves(src, 'async', reqs)
    with open(os.path.join(src, 'redis-log-async.txt'), 'w') as f:
        f.write('7:M 01 Jan 2026 00:00:02.000 * Background saving started '
                'by pid 100\n'
                '7:M 01 Jan 2026 00:00:05.000 * Background saving started '
                'by pid 101\n')
    # The plain child (100) has a copy event too, as a stray one would:
    # only an async fork's copy may lengthen the phase.
    with open(os.path.join(src, 'redis-trace-async.txt'), 'w') as f:
        f.write('redis-server-100 [000] ..... 1.0: async_fork_copy_done: '
                'err 0 pmds 9 duration_ns 900000000\n'
                'redis-server-101 [001] ..... 5.6: async_fork_copy_done: '
                'err 0 pmds 9 duration_ns 600000000\n')
    assert report.ingest_redis_cfg(src, dst, 'async')
    saves = rows_by(os.path.join(dst, 'redis-bgsave-async.csv'), 'idx')
    got = [(saves[i]['fork_phase_ms'], saves[i]['max_fork_phase_us'],
            saves[i]['max_after_fork_us']) for i in ('0', '1')]
    assert got == [('250.0', '300000', '20000'),
                   ('604.0', '9000', '30000')], got


def main():
    tests = [(n, f) for n, f in sorted(globals().items())
             if n.startswith('test_') and callable(f)]
    print('TAP version 13')
    fails = 0
    for i, (name, fn) in enumerate(tests, 1):
        try:
            fn()
            print('# ok %d bench report: %s' % (i, name[5:]))
        except Exception:
            fails += 1
            print('# not ok %d bench report: %s' % (i, name[5:]))
            for line in traceback.format_exc().splitlines():
                print('# # ' + line)
    print('# 1..%d' % len(tests))
    print('%s 1 bench report' % ('ok' if not fails else 'not ok'))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
