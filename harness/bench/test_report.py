#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks of the rules by which report.py (bench_ingest.py) sorts Redis
requests into snapshots, on made-up data whose answers are known: the
targets of `make bench` are computed with these rules; and of the report's
template (bench_render.py, report-template.md).  No timing is measured here.
TAP on stdout, in the form of harness-selftest.sh (one "# ok" line per
case, then one line for all).
"""
import argparse
import ast
import contextlib
import csv
import io
import math
import os
import re
import sys
import tempfile
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import bench_ingest  # noqa: E402
import bench_plot  # noqa: E402
import bench_render  # noqa: E402
import bench_stats  # noqa: E402
import bench_tags  # noqa: E402
import report  # noqa: E402
import tap_cases  # noqa: E402

MS = 1_000_000
S = 1_000_000_000


def test_owners_in_flight_at_bgsave():
    """A request still waiting for its reply when BGSAVE is sent belongs
    to that snapshot; one answered before, or exactly then, does not."""
    windows = [(100, 200), (500, 600)]
    reqs = [(50, 10), (90, 20), (99, 1), (150, 1), (300, 10), (450, 60),
            (600, 5), (700, 1)]
    got = bench_ingest.snapshot_owners(reqs, windows)
    assert got == [-1, 0, -1, 0, -1, 1, 1, -1], got


def test_owners_sent_inside_stays():
    """A request sent during one snapshot stays with it even if it is
    still in flight when the next one starts."""
    got = bench_ingest.snapshot_owners([(190, 400)], [(100, 200), (500, 600)])
    assert got == [0], got


def test_owners_no_snapshot():
    got = bench_ingest.snapshot_owners([(1, 1), (5, 100)], [])
    assert got == [-1, -1], got


def test_percentile_nearest_rank():
    vals = list(range(1, 101))
    assert bench_stats.pct(vals, 50) == 50
    assert bench_stats.pct(vals, 99) == 99
    assert bench_stats.pct(vals, 99.9) == 100
    assert bench_stats.pct(vals, 100) == 100
    assert bench_stats.pct([7], 50) == 7
    assert math.isnan(bench_stats.pct([], 50))


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
    assert bench_ingest.ingest_redis_cfg(src, dst, 'alt')

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
    assert bench_ingest.ingest_redis_cfg(src, dst, 'async')
    saves = rows_by(os.path.join(dst, 'redis-bgsave-async.csv'), 'idx')
    got = [(saves[i]['fork_phase_ms'], saves[i]['max_fork_phase_us'],
            saves[i]['max_after_fork_us']) for i in ('0', '1')]
    assert got == [('250.0', '300000', '20000'),
                   ('604.0', '9000', '30000')], got


def test_tags_valkey():
    """valkey-CFG[-MBm] tags: their own server, after Redis's; the same
    configuration names and sizes within each server."""
    with tempfile.TemporaryDirectory(prefix='test-report-') as tmp:
        for tag in ('valkey-async', 'plain-16m', 'async', 'valkey-plain',
                    'plain', 'alt', 'valkey-plain-4096m', 'async-16m',
                    'alt-plainfork', 'valkey-', 'valkeyplain', 'redis-plain'):
            open(os.path.join(tmp, 'redis-latency-%s.csv' % tag), 'w').close()
        got = bench_tags.redis_tags(tmp, 'redis-latency')
    assert got == ['plain', 'async', 'alt', 'plain-16m', 'async-16m',
                   'valkey-plain', 'valkey-async', 'valkey-plain-4096m'], got
    assert [bench_tags.tag_cfg(c) for c in got[-3:]] == \
        ['plain', 'async', 'plain'], got
    assert [bench_tags.tag_store(c) for c in ('async-16m', 'valkey-alt')] == \
        ['', 'valkey-']
    assert bench_tags.tag_with('valkey-async-4096m', 'plain') == \
        'valkey-plain-4096m'
    assert bench_tags.tag_with('valkey-async', 'plain') == 'valkey-plain'
    assert bench_tags.tag_with('async-4096m', 'plain') == 'plain-4096m'
    assert bench_tags.tag_with('async', 'plain') == 'plain'
    titles = [bench_tags.tag_title(c) for c in
              ('async', 'plain-16m', 'valkey-async', 'valkey-plain-4096m')]
    assert titles == ['async fork, 4 KiB pages',
                      'plain fork, 4 KiB pages, 16 MiB',
                      'Valkey, async fork, 4 KiB pages',
                      'Valkey, plain fork, 4 KiB pages, 4096 MiB'], titles


# The made-up servers of the report tests: TAG -> (fork_async, slowest
# request in a snapshot (ms), outside (ms), latest_fork_usec under load,
# the child's save (ms), latest_fork_usec without load, of the empty twin).
# Valkey's differ from Redis's in every number, so that a Valkey row
# computed against a Redis one shows.
SERVERS = {
    'plain': ('0', 300, 3, 250000, 500, 36000, 350),
    'async': ('1', 5, 4, 4000, 700, 600, 400),
    'valkey-plain': ('0', 200, 1, 200000, 400, 40000, 450),
    'valkey-async': ('1', 3, 2, 3000, 630, 800, 500),
}


def write_server(src, tag):
    """The guest output of configuration TAG as SERVERS says: a server of
    2048 MiB, two BGSAVEs (at 2 s and 5 s, each seen done 1 s later) with
    one request in each, sent 1 ms after the BGSAVE (in the fork phase),
    requests outside, two BGSAVEs without load and two of the empty
    twin."""
    fa, snap, out, fork_us, save_ms, idle, floor = SERVERS[tag]
    write(os.path.join(src, 'redis-req-%s.csv' % tag),
          ['start_ns', 'latency_ns', 'conn', 'op'],
          [[s, lat * MS, 0, 'S'] for s, lat in (
              (3 * S // 2, 1), (2 * S + MS, snap), (4 * S, out),
              (5 * S + MS, snap), (7 * S, 1))])
    write(os.path.join(src, 'redis-bgsave-%s.csv' % tag),
          ['idx', 'start_ns', 'reply_ns', 'end_ns', 'fork_usec',
           'fork_async', 'status', 'cow_bytes'],
          [[i, t * S, t * S + fork_us * 1000, (t + 1) * S, fork_us, fa,
            'ok', 0] for i, t in ((0, 2), (1, 5))])
    for which, us in (('idle', idle), ('floor', floor)):
        write(os.path.join(src, 'redis-%s-%s.csv' % (which, tag)),
              ['idx', 'fork_usec', 'fork_async'],
              [[i, us, fa if which == 'idle' else '0'] for i in (1, 2)])
    with open(os.path.join(src, 'redis-info-%s.txt' % tag), 'w') as f:
        f.write('config=%s\ntag=%s\nused_memory=%d\nkeys=1000\n' % (
            bench_tags.tag_cfg(tag), tag, 2048 << 20))
    # The log: the BGSAVEs without load first, then the measured ones.
    with open(os.path.join(src, 'redis-log-%s.txt' % tag), 'w') as f:
        for pid in (90, 91):
            f.write('7:M 01 Jan 2026 00:00:01.000 * Background saving '
                    'started by pid %d\n' % pid)
        for pid, t in ((100, 2), (101, 5)):
            f.write('7:M 01 Jan 2026 00:00:%02d.000 * Background saving '
                    'started by pid %d\n' % (t, pid))
            f.write('%d:C 01 Jan 2026 00:00:%02d.%03d * DB saved on disk\n'
                    % (pid, t, save_ms))


def bench_report(tags):
    """report.md of ingest and report on the servers TAGS, without plots:
    its lines, and its targets as {what: (goal, measured, result)}."""
    with tempfile.TemporaryDirectory(prefix='test-report-') as tmp:
        src = os.path.join(tmp, 'guest')
        dst = os.path.join(tmp, 'results')
        os.mkdir(src)
        with open(os.path.join(src, 'meta-patched.txt'), 'w') as f:
            f.write('label=patched\n')
        for tag in tags:
            write_server(src, tag)
        with contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()), \
                mock.patch.object(bench_plot.shutil, 'which',
                                  return_value=None):
            report.ingest(argparse.Namespace(
                guest_out=src, results=dst, rerun='', session=0,
                clock='wall', host='', arch='x86_64'))
            report.report(argparse.Namespace(
                results=dst, work=os.path.join(tmp, 'plot')))
        with open(os.path.join(dst, 'report.md')) as f:
            lines = f.read().split('\n')
    targets = {}
    for line in lines[lines.index('## Targets'):]:
        cells = line.split(' | ')
        if len(cells) == 4 and cells[3].startswith('**'):
            targets[cells[0][2:]] = (cells[1], cells[2], cells[3][2:-4])
        elif targets and not line:
            break
    return lines, targets


FORK_HEADER = ['case', 'size_mib', 'pages', 'mode', 'rep', 'parent_us',
               'child_run_us', 'first_write_us', 'first_write_p50_us',
               'first_write_p99_us', 'first_write_max_us', 'child_pid',
               'was_async', 'anon_huge_mib']


def write_fork_guest(src, label, parent):
    """A guest's fork part: PARENT maps (case, MiB, pages, mode) to the
    parent's time in µs, one fork each."""
    os.mkdir(src)
    with open(os.path.join(src, 'meta-%s.txt' % label), 'w') as f:
        f.write('label=%s\n' % label)
    write(os.path.join(src, 'fork-latency.csv'), FORK_HEADER, [
        [k[0], k[1], k[2], k[3], 0, us, us, 10, 10, 10, 10, 100 + i,
         1 if k[3] == 'async' else 0, 0]
        for i, (k, us) in enumerate(sorted(parent.items()))])


def test_fork_arm64_beside_x86():
    """The arm64 guest's forks get their own section and targets, each
    against the arm64 floor; the x86-64 targets keep the x86-64 data."""
    x86 = {('floor', 4, '4k', 'plain'): 1000,
           ('size', 2048, '4k', 'plain'): 200000,
           ('size', 2048, '4k', 'async'): 1200,
           ('size', 4096, '4k', 'plain'): 400000,
           ('size', 4096, '4k', 'async'): 1400}
    arm = {('floor', 4, '4k', 'plain'): 500,
           ('size', 2048, '4k', 'plain'): 100000,
           ('size', 2048, '4k', 'async'): 1000,
           ('size', 4096, '4k', 'plain'): 300000,
           ('size', 4096, '4k', 'async'): 600}
    with tempfile.TemporaryDirectory(prefix='test-report-') as tmp:
        dst = os.path.join(tmp, 'results')
        with contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()), \
                mock.patch.object(bench_plot.shutil, 'which',
                                  return_value=None):
            for arch, data in (('x86_64', x86), ('arm64', arm)):
                src = os.path.join(tmp, arch)
                write_fork_guest(src, 'patched', data)
                report.ingest(argparse.Namespace(
                    guest_out=src, results=dst, rerun='', session=0,
                    clock='wall', host='', arch=arch))
            report.report(argparse.Namespace(
                results=dst, work=os.path.join(tmp, 'plot')))
        with open(os.path.join(dst, 'report.md')) as f:
            text = f.read()
    assert '## 1. Fork latency' in text, text
    assert '## 1b. Fork latency on arm64' in text, text
    rows = {}
    for line in text.split('\n'):
        cells = line.split(' | ')
        if len(cells) == 4 and cells[3].startswith('**'):
            rows[cells[0][2:]] = (cells[2], cells[3][2:-4])
    two = ('Async fork of 2 GiB (4 KiB pages) vs the floor (plain fork of '
           'a 4 MiB process)')
    four = 'Plain vs async fork of 4 GiB (4 KiB pages)'
    assert rows[two] == ('1.2 ms vs 1.0 ms: 1.20x', 'PASS'), rows
    assert rows['arm64: ' + two] == ('1.0 ms vs 500 µs: 2.00x', 'MISS'), rows
    assert rows[four] == ('400 ms vs 1.4 ms: 286x', 'PASS'), rows
    assert rows['arm64: ' + four] == ('300 ms vs 600 µs: 500x', 'PASS'), rows


REDIS_TARGETS = {
    'Redis, async fork: max latency during snapshots vs outside (2048 MiB)':
        ('≤ 2x', '5.0 ms vs 4.0 ms: 1.25x', 'PASS'),
    'Redis: max latency during snapshots, async vs plain fork (2048 MiB)':
        ('≥ 95% lower', '5.0 ms vs 300 ms: 98.3% lower', 'PASS'),
    'Redis: BGSAVE total time, async vs plain fork (median) (2048 MiB)':
        ('within 10%', '704 ms vs 750 ms: -6.1%', 'PASS'),
    'Redis `latest_fork_usec` with 2048 MiB, async fork vs the same server '
    'empty (a twin, saves alternating), without client load (medians)':
        ('≤ 2x', '600 µs vs 400 µs: 1.50x; under load 4.0 ms: 10.00x',
         'PASS'),
    'Redis `latest_fork_usec` with 2048 MiB, plain vs async fork (medians, '
    'without client load)':
        ('≥ 30x', '36 ms vs 600 µs: 60.0x; under load 250 ms vs 4.0 ms: '
         '62.5x', 'PASS'),
}


def test_report_redis_only():
    """Without Valkey results the report is Redis's as it always was: the
    same targets, titles and section, no word of Valkey."""
    lines, targets = bench_report(['plain', 'async'])
    got = {k: v for k, v in targets.items() if 'Redis' in k}
    assert got == REDIS_TARGETS, got
    assert '## 2. Redis: latency during BGSAVE' in lines
    assert not [x for x in lines if 'alkey' in x], \
        [x for x in lines if 'alkey' in x]
    assert any(x.startswith('| async fork, 4 KiB pages | during snapshot | 2 '
                            '|') for x in lines), lines
    assert any(x.startswith('The Redis rows count every request') and
               x.endswith('saves:') for x in lines), lines
    notes = [x for x in lines if x.startswith('- ') and 'fork phase' in x]
    assert notes == ['- 2048 MiB: fork phase, async 5.0 ms (1.25x the '
                     '4.0 ms outside), plain 300 ms (async 98.3% lower); '
                     'after it, async -, plain -.'], notes


def test_report_valkey_pairing():
    """Valkey's async fork is compared with Valkey's plain fork, never with
    Redis's, for the same targets; its rows come after Redis's, titled
    Valkey; the Redis rows are those of a report without Valkey."""
    redis_lines, _ = bench_report(['plain', 'async'])
    lines, targets = bench_report(['plain', 'async', 'valkey-plain',
                                   'valkey-async'])
    want = dict(REDIS_TARGETS)
    want.update({
        'Valkey, async fork: max latency during snapshots vs outside '
        '(2048 MiB)': ('≤ 2x', '3.0 ms vs 2.0 ms: 1.50x', 'PASS'),
        'Valkey: max latency during snapshots, async vs plain fork '
        '(2048 MiB)': ('≥ 95% lower', '3.0 ms vs 200 ms: 98.5% lower',
                       'PASS'),
        'Valkey: BGSAVE total time, async vs plain fork (median) '
        '(2048 MiB)': ('within 10%', '633 ms vs 600 ms: +5.5%', 'PASS'),
        'Valkey `latest_fork_usec` with 2048 MiB, async fork vs the same '
        'server empty (a twin, saves alternating), without client load '
        '(medians)': ('≤ 2x', '800 µs vs 500 µs: 1.60x; under load 3.0 ms: '
                      '6.00x', 'PASS'),
        'Valkey `latest_fork_usec` with 2048 MiB, plain vs async fork '
        '(medians, without client load)':
            ('≥ 30x', '40 ms vs 800 µs: 50.0x; under load 200 ms vs 3.0 ms: '
             '66.7x', 'PASS'),
    })
    got = {k: v for k, v in targets.items()
           if k.startswith(('Redis', 'Valkey'))}
    assert got == want, sorted(set(got.items()) ^ set(want.items()))
    order = [k.split()[0].strip(',:') for k in targets
             if k.startswith(('Redis', 'Valkey'))]
    assert order == ['Redis'] * 5 + ['Valkey'] * 5, order
    assert '## 2. Redis and Valkey: latency during BGSAVE' in lines
    # Every table row of the Redis-only report is there unchanged.
    missing = [x for x in redis_lines if x.startswith('| ') and
               x not in lines]
    assert not missing, missing
    # The latency table: Redis's configurations, then Valkey's.
    titles = [x.split(' | ')[0][2:] for x in lines
              if ' | during snapshot | ' in x]
    assert titles == ['plain fork, 4 KiB pages', 'async fork, 4 KiB pages',
                      'Valkey, plain fork, 4 KiB pages',
                      'Valkey, async fork, 4 KiB pages'], titles
    notes = [x for x in lines if x.startswith('- ') and 'fork phase' in x]
    assert notes[1:] == ['- Valkey, 2048 MiB: fork phase, async 3.0 ms '
                         '(1.50x the 2.0 ms outside), plain 200 ms (async '
                         '98.5% lower); after it, async -, plain -.'], notes
    assert any(x.startswith('The Redis and Valkey rows count every') for x
               in lines), lines


def test_template_paragraphs():
    """A block's lines are joined into paragraphs, a table's header keeps
    its lines, placeholders are filled, text before the first block is no
    block."""
    blocks = bench_render.parse_template(
        'a comment\n@@ one\nA {x}\n  wrapped line.\n\n| a | b |\n'
        '|---|---|\n\n@@ two\n- an item,\n  wrapped\n\n')
    assert blocks == {'one': 'A {x} wrapped line.\n\n| a | b |\n|---|---|',
                      'two': '- an item, wrapped'}, blocks
    t = bench_render.Template()
    t.blocks = blocks
    assert t('one', x='filled').startswith('A filled wrapped'), t('one', x=1)
    assert t.para('two') == '- an item, wrapped\n'


def test_template_blocks_match():
    """Every block bench_render.py asks for is in report-template.md, and
    every block there is asked for."""
    with open(os.path.join(HERE, 'bench_render.py')) as f:
        code = f.read()
    asked = set(re.findall(r"T(?:\.para)?\('(\w+)'", code))
    have = set(bench_render.Template().blocks)
    assert asked == have, (sorted(asked - have), sorted(have - asked))


def test_functions_short():
    """No function of the report's modules is longer than 100 lines
    (issue 24: each part in its place)."""
    long = []
    for name in ('report', 'bench_ingest', 'bench_stats', 'bench_plot',
                 'bench_render', 'bench_tags'):
        with open(os.path.join(HERE, name + '.py')) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > 100:
                    long.append('%s.%s: %d lines' % (name, node.name, n))
    assert not long, long


def test_ingest_meta_facts():
    """report.py ingest --meta KEY=VALUE adds the facts scripts/bench.sh
    knows to the meta file of each part; empty ones are left out."""
    with tempfile.TemporaryDirectory(prefix='test-report-') as tmp:
        src = os.path.join(tmp, 'guest')
        dst = os.path.join(tmp, 'results')
        write_fork_guest(src, 'patched', {('floor', 4, '4k', 'plain'): 1000})
        with contextlib.redirect_stdout(io.StringIO()):
            report.ingest(argparse.Namespace(
                guest_out=src, results=dst, rerun='make bench', session=0,
                clock='wall', host='AMD EPYC, 2 CPUs', arch='x86_64',
                meta=['accel=tcg,thread=multi', 'guest_s=1450',
                      'host_fork_1g_ms=']))
        meta = bench_ingest.read_kv(os.path.join(dst, 'meta-fork.txt'))
    assert meta == {'label': 'patched', 'rerun': 'make bench',
                    'host': 'AMD EPYC, 2 CPUs',
                    'accel': 'tcg,thread=multi', 'guest_s': '1450'}, meta


def head_of(meta):
    """The head of a report on parts META ({part: meta file})."""
    full = dict.fromkeys(bench_ingest.META_PARTS, {})
    full.update(meta)
    return bench_render.head(bench_render.Template(), full, '2027-01-01')[0]


def test_run_facts_from_meta():
    """The guest's accelerator, the host's CPUs and fork, and the time in
    each guest session come from the meta files."""
    one = {'accel': 'tcg,thread=multi', 'guest_s': '1450',
           'host_fork_1g_ms': '21.5', 'host': 'X, 4 CPUs, load average 0.1'}
    small = dict(one, guest_s='45', host_fork_1g_ms='30.2')
    text = head_of({'fork': one, 'redis': one, 'small-base': small})
    for want in ('in a QEMU **TCG** guest (software CPU emulation, no KVM) '
                 'on a 4-core build machine: absolute times are several '
                 'times those of real hardware (a plain fork of 1 GiB takes '
                 '22 ms to 30 ms natively on this host)',
                 'by the last session of each part: fork, redis 24 min; '
                 'small-base 45 s;'):
        assert want in text, text
    kvm = dict(one, accel='kvm -cpu host')
    assert 'QEMU guest with KVM' in head_of({'fork': kvm}), head_of(
        {'fork': kvm})
    assert 'with KVM for some parts' in head_of({'fork': kvm, 'redis': one})
    assert bench_render.meta_line(kvm).startswith(
        '?; guest: QEMU KVM, ?'), bench_render.meta_line(kvm)


def test_run_facts_not_recorded():
    """A run from before the facts were recorded says so; its x86-64
    guest's CPU model still names TCG."""
    old = {'label': 'patched', 'cpu_model': 'QEMU TCG CPU version 2.5+',
           'date': 'then'}
    text = head_of({'redis': old})
    for want in ('in a QEMU **TCG** guest', 'a build machine (its CPUs: not '
                 'recorded)', '(a plain fork of 1 GiB natively on this '
                 'host: not recorded)', '(time it takes here: not recorded;'):
        assert want in text, (want, text)
    assert 'accelerator: not recorded' in head_of({'redis': {'label': 'x'}})
    arm = dict(old, cpu_model='')
    assert bench_render.meta_line(arm).startswith(
        'then; guest: QEMU (accelerator not recorded), ?'), \
        bench_render.meta_line(arm)
    assert bench_render.meta_line(old).startswith('then; guest: QEMU TCG, ')


def main():
    return tap_cases.run('bench report', globals())


if __name__ == '__main__':
    sys.exit(main())
