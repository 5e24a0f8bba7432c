#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The data and the report of `make bench` (scripts/bench.sh).

usage:
  report.py ingest GUEST_OUT RESULTS [--rerun CMD]
      Turn what one guest session wrote (tools/testing/bench/guest-bench.sh)
      into the CSV files in RESULTS.  Only the parts that session ran are
      replaced; the others keep their earlier data.
  report.py report RESULTS [--work DIR]
      Write RESULTS/report.md and the PNG plots (gnuplot) from those files;
      the gnuplot scripts and their data go to DIR (default: a new
      temporary directory).

Files in RESULTS (all times in microseconds unless the name says otherwise):
  meta-PART.txt            where and when PART (fork, redis, small-patched,
                           small-base) was measured, and the command
  fork-latency.csv         every fork of fork_bench, with the child's copy
                           time from the async_fork_copy_done tracepoint
  small-fork-LABEL-sN.csv  the small-process fork loop, per repetition, of
                           guest session N; -icN.csv: of session N on the
                           instruction clock (sessions of the patched and
                           the unpatched kernel alternate)
  redis-info-CFG.txt       the server, its settings, dataset, vmstat deltas
  redis-bgsave-CFG.csv     one line a BGSAVE
  redis-latency-CFG.csv    latency percentiles inside and outside snapshots,
                           and the stalls of the vCPUs
  redis-stalls-CFG.csv     every stall of a vCPU (the client's tickers)
  redis-ts-CFG.csv         10 ms buckets of latency around one BGSAVE
  redis-fork-CFG.csv       every request around that BGSAVE's fork
                           (alt configurations: CFG-plainfork and
                           CFG-asyncfork, one BGSAVE of each kind)
  CFG is a configuration's tag (plain, async-4096m, ...); valkey-CFG one of
  the Valkey server, compared only with the other valkey- ones.
"""
import argparse
import bisect
import csv
import datetime
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

REDIS_CFGS = ('plain', 'thp', 'async', 'alt')
CFG_TITLE = {
    'plain': 'plain fork, 4 KiB pages',
    'thp': 'plain fork, THP',
    'async': 'async fork, 4 KiB pages',
    'alt': 'plain and async fork alternating, 4 KiB pages',
}
# Windows of redis-latency-TAG.csv.  An alt configuration's snapshots are
# split by the fork that started them.
WINDOW_TITLE = {
    'during_snapshot': 'during snapshot',
    'during_plain_snapshot': 'during snapshot, plain fork',
    'during_async_snapshot': 'during snapshot, async fork',
    'outside': 'outside',
    'outside_after_plain': 'outside, after a plain-fork snapshot',
    'outside_after_async': 'outside, after an async-fork snapshot',
}
# A Redis dataset below this (MiB) is a floor: what a BGSAVE costs when
# its fork copies almost nothing.  The report shows it beside the targets
# instead of computing them for it.
FLOOR_MIB = 64
# The servers: Redis, and Valkey (REDIS_CONFIGS entries valkey-CFG), each
# configuration compared only with those of its own server.
STORES = ('', 'valkey-')
STORE_NAME = {'': 'Redis', 'valkey-': 'Valkey'}
# A Redis configuration's results are tagged CFG (dataset REDIS_MB) or
# CFG-MBm (REDIS_CONFIGS entry CFG:MB); a Valkey one's valkey-CFG[-MBm].
TAG_RE = re.compile(r'((?:valkey-)?)(%s)(?:-(\d+)m)?$' % '|'.join(REDIS_CFGS))


def redis_tags(folder, prefix):
    """The tags of the files PREFIX-TAG.csv in FOLDER: Redis, then Valkey;
    the default size first, then by size; plain, thp, async within a
    size."""
    tags = []
    for f in os.listdir(folder):
        if f.startswith(prefix + '-') and f.endswith('.csv'):
            m = TAG_RE.match(f[len(prefix) + 1:-4])
            if m:
                tags.append((STORES.index(m.group(1)), int(m.group(3) or 0),
                             REDIS_CFGS.index(m.group(2)), m.group(0)))
    return [t for _, _, _, t in sorted(tags)]


def tag_store(tag):
    """The server prefix of TAG: '' (Redis) or 'valkey-'."""
    return TAG_RE.match(tag).group(1)


def tag_cfg(tag):
    return TAG_RE.match(tag).group(2)


def tag_title(tag):
    """Redis: plain fork, 4 KiB pages; Valkey: Valkey, plain fork, ..."""
    m = TAG_RE.match(tag)
    t = CFG_TITLE[m.group(2)]
    if m.group(1):
        t = '%s, %s' % (STORE_NAME[m.group(1)], t)
    return t + (', %s MiB' % m.group(3) if m.group(3) else '')


def tag_with(tag, cfg):
    """The tag of configuration CFG with TAG's server and dataset size."""
    m = TAG_RE.match(tag)
    return m.group(1) + cfg + ('-%sm' % m.group(3) if m.group(3) else '')


def stores_of(tags):
    """The servers to report on: Redis always, Valkey when TAGS has it."""
    return [s for s in STORES
            if not s or any(tag_store(c) == s for c in tags)]


def stores_title(tags):
    """'Redis', or 'Redis and Valkey' when TAGS has Valkey's."""
    return ' and '.join(STORE_NAME[s] for s in stores_of(tags))
WARMUP_NS = 1_000_000_000       # requests of the first second are left out
TS_BUCKET_NS = 10_000_000       # time-series bucket
TS_MARGIN_NS = 1_000_000_000    # time series: this much before and after
FORK_ZOOM_NS = (300_000_000, 1_200_000_000)  # every request: before, after


# ---- small helpers ----------------------------------------------------------

def pct(sorted_vals, p):
    """Nearest-rank percentile of sorted values."""
    if not sorted_vals:
        return float('nan')
    rank = max(1, min(len(sorted_vals), int(-(-p * len(sorted_vals) // 100))))
    return sorted_vals[rank - 1]


def median(vals):
    vals = list(vals)
    return statistics.median(vals) if vals else float('nan')


def read_kv(path):
    kv = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                k, sep, v = line.rstrip('\n').partition('=')
                if sep:
                    kv[k] = v
    return kv


def write_kv(path, kv):
    with open(path, 'w') as f:
        for k, v in kv.items():
            f.write('%s=%s\n' % (k, v))


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def write_csv(path, header, rows):
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def fmt_us(us):
    """A duration in us, readable."""
    if us != us:
        return 'n/a'
    if us >= 10000:
        return '%.0f ms' % (us / 1000)
    if us >= 1000:
        return '%.1f ms' % (us / 1000)
    return '%.0f µs' % us


def fmt_or_dash(us):
    return fmt_us(us) if us is not None else '-'


def copy_events(path):
    """child pid -> (err, pmds, duration_ns) from async_fork_copy_done."""
    ev = {}
    if not os.path.exists(path):
        return ev
    pat = re.compile(r'-(\d+)\s+\[\d+\].*async_fork_copy_done: err (-?\d+) '
                     r'pmds (\d+) duration_ns (\d+)')
    with open(path, errors='replace') as f:
        for line in f:
            m = pat.search(line)
            if m:
                ev[int(m.group(1))] = (int(m.group(2)), int(m.group(3)),
                                       int(m.group(4)))
    return ev


# ---- ingest -------------------------------------------------------------------

def ingest_fork(src, dst, suffix=''):
    """fork-latency.csv of a guest run into DST's fork-latency SUFFIX.csv,
    with the child's copy from the tracepoint."""
    rows = read_csv(os.path.join(src, 'fork-latency.csv'))
    if not rows:
        return False
    ev = copy_events(os.path.join(src, 'fork-trace.txt'))
    header = list(rows[0].keys()) + ['copy_us', 'copy_pmds']
    out = []
    for r in rows:
        e = ev.get(int(r.get('child_pid') or -1))
        r['copy_us'] = '%.1f' % (e[2] / 1000) if e and e[0] == 0 else ''
        r['copy_pmds'] = str(e[1]) if e else ''
        out.append([r[h] for h in header])
    write_csv(os.path.join(dst, 'fork-latency%s.csv' % suffix), header, out)
    vm = os.path.join(src, 'fork-vmstat.txt')
    if os.path.exists(vm):
        shutil.copy(vm, os.path.join(dst, 'fork-vmstat%s.txt' % suffix))
    return True


LOG_TIME = r'(\d+ \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3})'


def log_time(s):
    return datetime.datetime.strptime(s, '%d %b %Y %H:%M:%S.%f').timestamp()


def redis_log_saves(path):
    """[(child pid, started at, saved at or None)] in the order of the log."""
    started, saved = [], {}
    if not os.path.exists(path):
        return []
    p_start = re.compile(r'^\d+:M ' + LOG_TIME +
                         r' \* Background saving started by pid (\d+)')
    p_saved = re.compile(r'^(\d+):C ' + LOG_TIME + r' \* DB saved on disk')
    with open(path, errors='replace') as f:
        for line in f:
            m = p_start.match(line)
            if m:
                started.append((int(m.group(2)), log_time(m.group(1))))
                continue
            m = p_saved.match(line)
            if m:
                saved[int(m.group(1))] = log_time(m.group(2))
    return [(pid, t, saved.get(pid)) for pid, t in started]


def read_requests(path):
    """Sorted (start_ns, latency_ns) of every request."""
    reqs = []
    with open(path) as f:
        next(f, None)
        for line in f:
            a = line.split(',', 2)
            reqs.append((int(a[0]), int(a[1])))
    reqs.sort()
    return reqs


def snapshot_owners(reqs, windows):
    """The snapshot each request of REQS ((start_ns, latency_ns), sorted)
    belongs to: its index in WINDOWS ((start_ns, end_ns) of each snapshot,
    in order), or -1.  A request belongs to the snapshot it was sent in,
    and one sent before a snapshot and still waiting for its reply when
    that snapshot's BGSAVE was sent belongs to it too: it waits for the
    fork like the requests sent after the BGSAVE."""
    starts = [w[0] for w in windows]
    owners = []
    for st, lat in reqs:
        k = bisect.bisect_right(starts, st) - 1
        if k >= 0 and st <= windows[k][1]:
            owners.append(k)
        elif k + 1 < len(windows) and st + lat > windows[k + 1][0]:
            owners.append(k + 1)
        else:
            owners.append(-1)
    return owners


def ingest_redis_cfg(src, dst, cfg):
    req_path = os.path.join(src, 'redis-req-%s.csv' % cfg)
    if not os.path.exists(req_path):
        return False
    saves = read_csv(os.path.join(src, 'redis-bgsave-%s.csv' % cfg))
    info = read_kv(os.path.join(src, 'redis-info-%s.txt' % cfg))
    # The full server's BGSAVEs without load come first in its log: skip
    # them.  Those of the empty twin (floor) are in the twin's own log.
    logs = redis_log_saves(os.path.join(src, 'redis-log-%s.txt' % cfg))
    for which in ('floor', 'idle'):
        quiet = read_csv(os.path.join(src, 'redis-%s-%s.csv' % (which, cfg)))
        if which == 'idle':
            logs = logs[len(quiet):]
        if quiet:
            write_csv(os.path.join(dst, 'redis-%s-%s.csv' % (which, cfg)),
                      ['idx', 'fork_usec', 'fork_async'],
                      [[f['idx'], f['fork_usec'], f['fork_async']]
                       for f in quiet])
    ev = copy_events(os.path.join(src, 'redis-trace-%s.txt' % cfg))
    reqs = read_requests(req_path)
    starts = [r[0] for r in reqs]
    rows = read_csv(os.path.join(src, 'redis-stalls-%s.csv' % cfg))
    cpu_stalls = sorted((int(r['start_ns']), int(r['gap_ns']),
                         int(r.get('cpu') or 0)) for r in rows)
    write_csv(os.path.join(dst, 'redis-stalls-%s.csv' % cfg),
              ['start_ns', 'gap_ns', 'cpu'], cpu_stalls)
    stalls = [(st, g) for st, g, _ in cpu_stalls]

    def stall_over(a, b):
        """The longest vCPU stall overlapping [a, b], in ns."""
        return max([min(b, s + g) - max(a, s) for s, g in stalls
                    if s < b and s + g > a] or [0])

    # vmstat deltas over the measured run
    for k in list(info):
        if k.startswith('vmstat_after_'):
            name = k[len('vmstat_after_'):]
            before = int(info.get('vmstat_before_' + name, 0))
            info['delta_' + name] = str(int(info[k]) - before)
    info = {k: v for k, v in info.items() if not k.startswith('vmstat_')}
    info['requests'] = str(len(reqs))
    if reqs:
        span = (reqs[-1][0] - reqs[0][0]) / 1e9
        info['run_s'] = '%.1f' % span
        info['requests_per_s'] = '%.0f' % (len(reqs) / span if span else 0)
    write_kv(os.path.join(dst, 'redis-info-%s.txt' % cfg), info)

    # one line a BGSAVE
    windows = [(int(b['start_ns']), int(b['end_ns'])) for b in saves]
    owners = snapshot_owners(reqs, windows)
    members = [[] for _ in windows]
    for j, k in enumerate(owners):
        if k >= 0:
            members[k].append(j)
    header = ['idx', 'start_ns', 'fork_start_ns', 'reply_ns', 'end_ns',
              'fork_us', 'fork_async', 'status', 'cow_bytes', 'child_pid',
              'save_ms', 'total_ms', 'wall_ms', 'copy_us', 'copy_pmds',
              'requests', 'max_latency_us', 'stall_in_max_us',
              'fork_phase_ms', 'max_fork_phase_us', 'max_after_fork_us']
    out = []
    for i, b in enumerate(saves):
        s, r, e = int(b['start_ns']), int(b['reply_ns']), int(b['end_ns'])
        fork_us = int(b['fork_usec'])
        idx = members[i]
        lat = [reqs[j][1] for j in idx]
        jmax = max(idx, key=lambda j: reqs[j][1]) if lat else None
        smax = stall_over(reqs[jmax][0], sum(reqs[jmax])) if lat else 0
        pid, t_start, t_saved = logs[i] if i < len(logs) else (None, None, None)
        save_ms = (t_saved - t_start) * 1000 if t_saved else None
        total_ms = save_ms + fork_us / 1000 if save_ms is not None else None
        c = ev.get(pid) if pid else None
        # The fork phase: what differs between plain and async fork.  A
        # plain fork's parent is done when its BGSAVE is answered; an
        # async one's when the child has also copied its tables (counted
        # from the reply, which errs towards a longer phase).  After it,
        # both parents only take COW faults while the child writes.
        copy_ns = c[2] if c and c[0] == 0 and b['fork_async'] == '1' else 0
        fork_end = r + copy_ns
        in_fork = [reqs[j][1] for j in idx if reqs[j][0] <= fork_end]
        after = [reqs[j][1] for j in idx if reqs[j][0] > fork_end]
        out.append([i, s, r - fork_us * 1000, r, e, fork_us, b['fork_async'],
                    b['status'], b['cow_bytes'], pid or '',
                    '%.0f' % save_ms if save_ms is not None else '',
                    '%.0f' % total_ms if total_ms is not None else '',
                    '%.0f' % ((e - s) / 1e6),
                    '%.0f' % (c[2] / 1000) if c and c[0] == 0 else '',
                    c[1] if c else '', len(lat),
                    '%.0f' % (max(lat) / 1000) if lat else '',
                    '%.0f' % (smax / 1000),
                    '%.1f' % ((fork_end - s) / 1e6),
                    '%.0f' % (max(in_fork) / 1000) if in_fork else '',
                    '%.0f' % (max(after) / 1000) if after else ''])
    write_csv(os.path.join(dst, 'redis-bgsave-%s.csv' % cfg), header, out)

    # inside and outside the snapshot windows (BGSAVE sent .. seen done);
    # alternating plain and async forks: the windows of each apart.
    t_first = reqs[0][0] if reqs else 0
    if tag_cfg(cfg) == 'alt':
        wname = ['during_%s_snapshot' % ('async' if b['fork_async'] == '1'
                                         else 'plain') for b in saves]
        names = ['during_plain_snapshot', 'during_async_snapshot']
    else:
        wname = ['during_snapshot'] * len(saves)
        names = ['during_snapshot']
    # Outside: also, for alt, apart by the kind of the snapshot before.
    after = {n: n.replace('during', 'outside_after').replace('_snapshot', '')
             for n in names} if tag_cfg(cfg) == 'alt' else {}
    names = names + ['outside'] + [after[n] for n in names if n in after]
    inside = {n: ([], []) for n in names}
    span = dict.fromkeys(names, 0)      # ns of time in each kind of window
    t_last = reqs[-1][0] if reqs else 0
    prev_end, prev = t_first + WARMUP_NS, None
    for k, (ws, we) in enumerate(windows + [(t_last, t_last)]):
        gap = max(0, ws - prev_end)
        span['outside'] += gap
        if prev in after:
            span[after[prev]] += gap
        if k < len(windows):
            span[wname[k]] += we - ws
            prev_end, prev = we, wname[k]
    wstarts = [w[0] for w in windows]
    # A stall belongs to the snapshot it began in (as a request would that
    # got its reply at once).
    stall_owners = snapshot_owners([(st, 0) for st, _ in stalls], windows)
    for which, events, own in ((0, reqs, owners), (1, stalls, stall_owners)):
        for (st, v), k in zip(events, own):
            if k >= 0:
                inside[wname[k]][which].append(v)
            elif st >= t_first + WARMUP_NS:
                inside['outside'][which].append(v)
                k = bisect.bisect_right(wstarts, st) - 1
                if k >= 0 and wname[k] in after:
                    inside[after[wname[k]]][which].append(v)
    rows = []
    for name in names:
        vals, sv = inside[name]
        vals.sort()
        rows.append([name, len(vals)] +
                    ['%.1f' % (pct(vals, p) / 1000) if vals else ''
                     for p in (50, 99, 99.9, 100)] +
                    [len(sv), '%.0f' % (max(sv) / 1000) if sv else '0',
                     '%.0f' % (len(vals) / (span[name] / 1e9))
                     if span[name] else ''])
    write_csv(os.path.join(dst, 'redis-latency-%s.csv' % cfg),
              ['window', 'requests', 'p50_us', 'p99_us', 'p999_us', 'max_us',
               'stalls', 'longest_stall_us', 'per_s'], rows)

    # the BGSAVE with the worst request, as a time series and around its
    # fork; of an alternating configuration, one of each kind of fork
    info2 = read_kv(os.path.join(dst, 'redis-info-%s.txt' % cfg))
    for series, idx in redis_series(cfg, [r[6] for r in out]):
        if not idx:
            continue
        worst = max(idx, key=lambda i: float(out[i][16] or 0))
        s, e = windows[worst]
        fork_start = out[worst][2]
        lo = bisect.bisect_left(starts, s - TS_MARGIN_NS)
        hi = bisect.bisect_right(starts, e + TS_MARGIN_NS)
        buckets = {}
        for st, lat in reqs[lo:hi]:
            buckets.setdefault((st - s) // TS_BUCKET_NS, []).append(lat)
        ts = []
        for k in sorted(buckets):
            v = sorted(buckets[k])
            ts.append(['%.0f' % (k * TS_BUCKET_NS / 1e6), len(v),
                       '%.1f' % (pct(v, 50) / 1000), '%.1f' % (v[-1] / 1000)])
        write_csv(os.path.join(dst, 'redis-ts-%s.csv' % series),
                  ['t_ms', 'requests', 'p50_us', 'max_us'], ts)
        lo = bisect.bisect_left(starts, fork_start - FORK_ZOOM_NS[0])
        hi = bisect.bisect_right(starts, fork_start + FORK_ZOOM_NS[1])
        write_csv(os.path.join(dst, 'redis-fork-%s.csv' % series),
                  ['t_ms', 'latency_us'],
                  [['%.3f' % ((st - s) / 1e6), '%.1f' % (lat / 1000)]
                   for st, lat in reqs[lo:hi]])
        info2['plotted_bgsave' + series[len(cfg):]] = str(worst)
    write_kv(os.path.join(dst, 'redis-info-%s.txt' % cfg), info2)
    return True


def redis_series(tag, fork_async):
    """The time series of configuration TAG, whose BGSAVEs' forks were
    async or not as FORK_ASYNC says ('1', '0'): [(name, BGSAVE indexes)].
    An alternating configuration has one for each kind of fork."""
    idx = range(len(fork_async))
    if tag_cfg(tag) != 'alt':
        return [(tag, list(idx))]
    return [(tag + '-%sfork' % kind, [i for i in idx if fork_async[i] == a])
            for a, kind in (('0', 'plain'), ('1', 'async'))]


def ingest(args):
    src, dst = args.guest_out, args.results
    os.makedirs(dst, exist_ok=True)
    metas = [f for f in os.listdir(src) if f.startswith('meta-')]
    if not metas:
        sys.exit('report.py: no meta-*.txt in %s: did the guest run?' % src)
    meta = read_kv(os.path.join(src, metas[0]))
    label = meta.get('label', 'patched')
    if args.rerun:
        meta['rerun'] = args.rerun
    if args.host:
        meta['host'] = args.host
    done = []
    if args.arch != 'x86_64':
        # Another architecture's guest runs only the fork part.
        ok = ingest_fork(src, dst, '-' + args.arch)
        if ok:
            write_kv(os.path.join(dst, 'meta-fork-%s.txt' % args.arch), meta)
        print('report.py: ingested %s from %s' % (
            'fork (%s)' % args.arch if ok else 'nothing', src))
        return
    if ingest_fork(src, dst):
        done.append('fork')
    small = os.path.join(src, 'small-fork-%s.csv' % label)
    if os.path.exists(small):
        shutil.copy(small, os.path.join(dst, 'small-fork-%s-%s%d.csv' % (
            label, 'ic' if args.clock == 'icount' else 's', args.session)))
        done.append('small-' + label)
    tags = redis_tags(src, 'redis-req')
    if tags:
        # A new Redis run replaces all of an earlier one's results.
        for f in os.listdir(dst):
            if f.startswith('redis-'):
                os.remove(os.path.join(dst, f))
    if [c for c in tags if ingest_redis_cfg(src, dst, c)]:
        done.append('redis')
    for part in done:
        write_kv(os.path.join(dst, 'meta-%s.txt' % part), meta)
    print('report.py: ingested %s from %s' % (', '.join(done) or 'nothing', src))


# ---- plots ------------------------------------------------------------------------

PNG = 'set terminal pngcairo size 960,600 font "DejaVu Sans,11"\n'


def gnuplot(work, name, script, results):
    gp = os.path.join(work, name + '.gp')
    with open(gp, 'w') as f:
        f.write(PNG)
        f.write("set output '%s'\n" % os.path.join(results, name + '.png'))
        f.write("set datafile separator ','\n")
        f.write(script)
    r = subprocess.run(['gnuplot', gp], capture_output=True, text=True)
    if r.returncode:
        print('report.py: gnuplot failed for %s:\n%s' % (name, r.stderr),
              file=sys.stderr)
        return False
    return True


def plot_fork(fork, results, work):
    groups = fork_groups(fork)
    sizes = sorted({k[1] for k in groups if k[0] == 'size'})
    if not sizes:
        return []
    data = os.path.join(work, 'fork.csv')
    with open(data, 'w') as f:
        f.write('size')
        cols = [(p, m) for p in ('4k', 'thp') for m in ('plain', 'async')]
        for p, m in cols:
            f.write(',%s_%s_parent,%s_%s_child,%s_%s_w50,%s_%s_w99' %
                    ((p, m) * 4))
        f.write('\n')
        for s in sizes:
            f.write(str(s))
            for p, m in cols:
                g = groups.get(('size', s, p, m), [])
                f.write(',%s,%s,%s,%s' % tuple(
                    ('%.4f' % (median(float(r[c]) for r in g) / 1000)
                     if g else 'NaN')
                    for c in ('parent_us', 'child_run_us',
                              'first_write_p50_us', 'first_write_p99_us')))
            f.write('\n')
    floor = [float(r['parent_us']) for r in groups.get(('floor', 4, '4k',
                                                        'plain'), [])]
    floor_ms = median(floor) / 1000 if floor else None
    xt = ', '.join('"%s" %d' % (('%d GiB' % (s // 1024)) if s >= 1024
                               else '%d MiB' % s, s) for s in sizes)
    made = []
    common = ('set logscale x 2\nset logscale y 10\nset grid\n'
              'set xtics (%s)\nset key top left\nset xlabel "touched '
              'anonymous memory"\nset xrange [%g:%g]\n'
              % (xt, sizes[0] / 1.3, sizes[-1] * 1.3))
    script = common + 'set title "Parent\'s time in fork (median)"\n' \
        'set ylabel "ms"\n'
    if floor_ms:
        script += ('set arrow from graph 0, first %g to graph 1, first %g '
                   'nohead dt 2 lc rgb "#555555"\nset label "floor: plain '
                   'fork of a 4 MiB process" at graph 0.55, first %g offset '
                   '0,0.7\n' % (floor_ms, floor_ms, floor_ms))
    script += ("plot '%s' u 1:2 skip 1 w lp lw 2 pt 7 t 'plain, 4 KiB', "
               "'' u 1:6 skip 1 w lp lw 2 pt 5 t 'async, 4 KiB', "
               "'' u 1:10 skip 1 w lp lw 2 pt 6 dt 3 t 'plain, THP', "
               "'' u 1:14 skip 1 w lp lw 2 pt 4 dt 3 t 'async, THP'\n" % data)
    if gnuplot(work, 'fork-latency', script, results):
        made.append('fork-latency')
    script = common + ('set title "Until the child runs user code '
                       '(median; an async child has copied its page tables '
                       'by then)"\nset ylabel "ms"\n'
                       "plot '%s' u 1:3 skip 1 w lp lw 2 pt 7 t 'plain, 4 KiB', "
                       "'' u 1:7 skip 1 w lp lw 2 pt 5 t 'async, 4 KiB', "
                       "'' u 1:11 skip 1 w lp lw 2 pt 6 dt 3 t 'plain, THP', "
                       "'' u 1:15 skip 1 w lp lw 2 pt 4 dt 3 t 'async, THP'\n"
                       % data)
    if gnuplot(work, 'fork-child', script, results):
        made.append('fork-child')
    script = common + ('set title "Parent\'s first write to each 2 MiB '
                       'region after fork (per write, median of forks)"\n'
                       'set ylabel "µs"\n'
                       "plot '%s' u 1:($4*1000) skip 1 w lp lw 2 pt 7 t 'plain 4 KiB p50', "
                       "'' u 1:($5*1000) skip 1 w lp lw 2 pt 7 dt 2 t 'plain 4 KiB p99', "
                       "'' u 1:($8*1000) skip 1 w lp lw 2 pt 5 t 'async 4 KiB p50', "
                       "'' u 1:($9*1000) skip 1 w lp lw 2 pt 5 dt 2 t 'async 4 KiB p99', "
                       "'' u 1:($12*1000) skip 1 w lp lw 1 pt 6 dt 3 t 'plain THP p50', "
                       "'' u 1:($13*1000) skip 1 w lp lw 1 pt 6 dt 4 t 'plain THP p99', "
                       "'' u 1:($16*1000) skip 1 w lp lw 1 pt 4 dt 3 t 'async THP p50', "
                       "'' u 1:($17*1000) skip 1 w lp lw 1 pt 4 dt 4 t 'async THP p99'\n"
                       % data)
    if gnuplot(work, 'fork-first-write', script, results):
        made.append('fork-first-write')
    return made


def plot_redis(redis, results, work):
    made = []
    cfgs = list(redis)
    if not cfgs:
        return made
    # percentiles inside and outside snapshots
    data = os.path.join(work, 'redis-pct.csv')
    with open(data, 'w') as f:
        f.write('label,p50,p99,p999,max\n')
        for c in cfgs:
            for w in redis[c]['latency']:
                if w['window'].startswith('outside_after'):
                    continue
                f.write('"%s %s",%s\n' % (
                    c, {'during_snapshot': 'snapshot',
                        'during_plain_snapshot': 'snap. plain',
                        'during_async_snapshot': 'snap. async'}.get(
                            w['window'], 'outside'),
                    ','.join('%.3f' % (float(w[k] or 'nan') / 1000)
                             for k in ('p50_us', 'p99_us', 'p999_us',
                                       'max_us'))))
    script = ('set title "%s request latency, during snapshots and '
              'outside"\nset style data histograms\nset style histogram '
              'clustered gap 1\nset style fill solid 0.8 border -1\n'
              'set logscale y 10\nset ylabel "ms"\nset grid ytics\n'
              'set key top left\nset xtics rotate by -20\n'
              "plot '%s' u 2:xtic(1) skip 1 t 'p50', '' u 3 skip 1 t 'p99', "
              "'' u 4 skip 1 t 'p99.9', '' u 5 skip 1 t 'max'\n" % (
                  stores_title(cfgs), data))
    if gnuplot(work, 'redis-latency', script, results):
        made.append('redis-latency')
    ymax = 1
    series = [(c, sr) for c in cfgs for sr in redis[c]['series']]
    for c, sr in series:
        for r in sr['ts']:
            ymax = max(ymax, float(r['max_us']) / 1000)
    for c, sr in series:
        d = redis[c]
        if not sr['ts'] or not sr['plotted']:
            continue
        b = sr['plotted']
        name = sr['name']
        end_ms = (int(b['end_ns']) - int(b['start_ns'])) / 1e6
        f0 = (int(b['fork_start_ns']) - int(b['start_ns'])) / 1e6
        f1 = (int(b['reply_ns']) - int(b['start_ns'])) / 1e6
        ts = os.path.join(results, 'redis-ts-%s.csv' % name)
        fk = os.path.join(results, 'redis-fork-%s.csv' % name)
        sl = os.path.join(work, 'stalls-%s.csv' % c)
        s0 = int(b['start_ns'])
        with open(sl, 'w') as f:
            f.write('t_ms,gap_ms,cpu\n0,NaN,0\n')
            for r in d['stalls']:
                f.write('%.3f,%.3f,%d\n' % ((int(r['start_ns']) - s0) / 1e6,
                                            int(r['gap_ns']) / 1e6,
                                            int(r.get('cpu') or 0)))
        stall_plot = (", '%s' u 1:2:2:(0):($3 == 0 ? 0 : 0x999999) skip 1 "
                      "w vectors nohead lw 3 lc rgb variable "
                      "t 'vCPU stalled (black: 0, grey: 1)'" % sl)
        script = (
            'set multiplot layout 2,1 title "%s: latency around '
            'BGSAVE %s (the one with the slowest request)"\n'
            'set logscale y 10\nset grid\nset ylabel "ms"\nset yrange [0.01:%g]\n'
            'set key bottom left opaque\n'
            'set xrange [%g:%g]\n'
            'set object 1 rect from %g, graph 0 to %g, graph 1 behind '
            'fc rgb "#e8eef8" fs solid noborder\n'
            'set object 2 rect from %g, graph 0 to %g, graph 1 behind '
            'fc rgb "#f4b0b0" fs solid noborder\n'
            'set xlabel "ms since BGSAVE was sent (blue: until the save was '
            'seen done; red: the fork)"\n'
            "plot '%s' u 1:($4/1000) skip 1 w steps lw 1.5 t 'max per 10 ms', "
            "'' u 1:($3/1000) skip 1 w steps lw 1 t 'median per 10 ms'%s\n"
            'set xrange [%g:%g]\n'
            'set xlabel "ms since BGSAVE was sent (zoom on the fork: every '
            'request at its start time)"\n'
            "plot '%s' u 1:($2/1000) skip 1 w p pt 7 ps 0.3 t 'request'%s\n"
            'unset multiplot\n' % (
                sr['title'] if tag_store(c) else 'Redis, ' + sr['title'],
                b['idx'], ymax * 2, -TS_MARGIN_NS / 1e6,
                end_ms + TS_MARGIN_NS / 1e6, 0, end_ms, f0, max(f1, f0 + 0.5),
                ts, stall_plot, -FORK_ZOOM_NS[0] / 1e6 + f0,
                FORK_ZOOM_NS[1] / 1e6 + f0, fk, stall_plot))
        if gnuplot(work, 'redis-ts-%s' % name, script, results):
            made.append('redis-ts-%s' % name)
    return made


# ---- report ------------------------------------------------------------------------

def size_label(k):
    """The size column of a fork_bench group (case, MiB, pages, mode)."""
    if k[0] == 'sparse':
        return 'sparse %d GiB' % (k[1] // 1024)
    return '%s%d' % ('floor ' if k[0] == 'floor' else '', k[1])


def fork_groups(fork):
    groups = {}
    for r in fork:
        key = (r['case'], int(r['size_mib']), r['pages'], r['mode'])
        groups.setdefault(key, []).append(r)
    return groups


def meta_line(meta):
    if not meta:
        return 'no data'
    s = ('%s; guest: QEMU TCG, %s vCPUs, %s MiB; kernel %s (%s)' % (
        meta.get('date', '?'), meta.get('cpus', '?'), meta.get('mem_mib', '?'),
        meta.get('kernel', '?'), meta.get('kernel_build', '?')))
    if meta.get('host'):
        s += '; host: %s' % meta['host']
    return s


def phase_max(saves, key):
    """The largest value of column KEY over SAVES, in µs, or None."""
    v = [float(b[key]) for b in saves if b.get(key)]
    return max(v) if v else None


def phase_table(rows, lat):
    """Where in its snapshot the slowest requests were: in the fork phase
    (what async fork changes) or after it, while the child saves (the
    same for both kinds of fork).  ROWS: (tag, title, saves)."""
    out = ['The slowest requests of each snapshot by phase: the *fork '
           'phase* runs from the BGSAVE command until Redis answered it '
           '(its fork returned) and, after an async fork, until the child '
           'had also copied its page tables (the copy time from the '
           '`async_fork_copy_done` tracepoint, counted from the reply). '
           'That is where plain and async fork differ. *After* it, both '
           'parents take COW faults while the child writes the RDB file '
           'and competes with Redis and the client for the guest\'s vCPUs.\n',
           '| configuration | fork phase (median) | slowest request: fork '
           'phase | slowest request: after | max outside | fork phase / '
           'outside |',
           '|---|---:|---:|---:|---:|---:|']
    for c, title, sv in rows:
        if not sv or 'fork_phase_ms' not in sv[0]:
            continue
        ph = [float(b['fork_phase_ms']) * 1000 for b in sv
              if b.get('fork_phase_ms')]
        f_in = phase_max(sv, 'max_fork_phase_us')
        f_after = phase_max(sv, 'max_after_fork_us')
        o = lat.get(c, {}).get('outside', {}).get('max_us')
        o = float(o) if o else None
        out.append('| %s | %s | %s | %s | %s | %s |' % (
            title, fmt_us(median(ph)) if ph else '-', fmt_or_dash(f_in),
            fmt_or_dash(f_after), fmt_or_dash(o),
            '%.2fx' % (f_in / o) if f_in and o else '-'))
    out.append('')
    return out


class Targets:
    def __init__(self):
        self.rows = []

    def add(self, what, goal, measured, ok):
        res = 'n/a' if ok is None else ('PASS' if ok else 'MISS')
        self.rows.append((what, goal, measured, res))


def fork_section(fork, m, plots, heading):
    """The lines of a fork-latency section headed HEADING: every group of
    forks (case, size, pages, mode), the ratios, the sparse reservations
    and the plots that were made."""
    sec_fork = []
    groups = fork_groups(fork)
    if fork:
        sec_fork.append('## %s\n' % heading)
        sec_fork.append('Measured %s. Rerun: `%s`.\n' % (
            meta_line(m), m.get('rerun', 'make bench')))
        sec_fork.append(
            '`fork_bench` maps and touches the given amount of anonymous '
            'memory (4 KiB pages with MADV_NOHUGEPAGE, or THP with '
            'MADV_HUGEPAGE and THP `enabled=madvise`), then forks with '
            '`clone3()` alternately without and with `CLONE_ASYNC`. '
            '*Parent* is the time the parent spends in `clone3()`. *Child '
            'runs* is the time from the call until the child executes its '
            'first instruction (an async child has copied its PTE tables by '
            'then). *Copy* is the child\'s copy time from the '
            '`async_fork_copy_done` tracepoint. *First write* is the '
            'parent\'s first write to each 2 MiB region right after the '
            'fork, each timed: a COW fault after a plain fork, a proactive '
            'sync of the PTE table (if the child has not copied it yet) plus '
            'the COW fault after an async fork. Median (max) of the forks; '
            'first writes: median over forks of each fork\'s p50 and p99.\n')
        sec_fork.append('| MiB | pages | mode | forks | parent: median | '
                        'parent: max | child runs | copy | first write p50 | '
                        'first write p99 | THP MiB | async? |')
        sec_fork.append('|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|')
        order = sorted(groups, key=lambda k: (k[0] != 'floor', k[2], k[1],
                                             k[3] != 'plain'))
        for k in order:
            g = groups[k]
            par = [float(r['parent_us']) for r in g]
            cp = [float(r['copy_us']) for r in g if r.get('copy_us')]
            was = {r.get('was_async', '') for r in g}
            sec_fork.append('| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |' % (
                size_label(k), k[2], k[3], len(g),
                fmt_us(median(par)), fmt_us(max(par)),
                fmt_us(median(float(r['child_run_us']) for r in g)),
                fmt_us(median(cp)) if cp else '-',
                fmt_us(median(float(r['first_write_p50_us']) for r in g)),
                fmt_us(median(float(r['first_write_p99_us']) for r in g)),
                g[0].get('anon_huge_mib', '?'),
                '/'.join(sorted({{'1': 'yes', '0': 'no'}.get(w, '?')
                                 for w in was}))))
        sec_fork.append('')
        sec_fork.append('Ratios of the medians:\n')
        sec_fork.append('| MiB | plain / async, 4 KiB | async 4 KiB / floor | '
                        'plain / async, THP | async THP / floor |')
        sec_fork.append('|---:|---:|---:|---:|---:|')
        fl = groups.get(('floor', 4, '4k', 'plain'))
        flm = median(float(r['parent_us']) for r in fl) if fl else None
        for s in sorted({k[1] for k in groups if k[0] == 'size'}):
            cells = []
            for p in ('4k', 'thp'):
                pl = groups.get(('size', s, p, 'plain'))
                asy = groups.get(('size', s, p, 'async'))
                pm = median(float(r['parent_us']) for r in pl) if pl else None
                am = median(float(r['parent_us']) for r in asy) if asy else None
                cells.append('%.0fx' % (pm / am) if pm and am else '-')
                cells.append('%.2fx' % (am / flm) if am and flm else '-')
            sec_fork.append('| %d | %s |' % (s, ' | '.join(cells)))
        sec_fork.append('')
        sparse = sorted({k[1] for k in groups if k[0] == 'sparse'})
        if sparse:
            sec_fork.append(
                'Sparse reservations (`fork_bench --sparse`): GiB of '
                '`MAP_NORESERVE`, one 4 KiB page written at the start of each '
                'GiB; the first writes are to those pages. The floor is the '
                'plain fork of the 4 MiB process above.\n')
            sec_fork.append('| GiB | parent: plain | parent: async | async / '
                            'floor | child runs: plain | child runs: async | '
                            'async / plain | first write p50: plain / async |')
            sec_fork.append('|---:|---:|---:|---:|---:|---:|---:|---:|')
            for sz in sparse:
                pl = groups.get(('sparse', sz, '4k', 'plain'))
                asy = groups.get(('sparse', sz, '4k', 'async'))
                if not pl or not asy:
                    continue
                pp = median(float(r['parent_us']) for r in pl)
                ap = median(float(r['parent_us']) for r in asy)
                pc = median(float(r['child_run_us']) for r in pl)
                ac = median(float(r['child_run_us']) for r in asy)
                pw = median(float(r['first_write_p50_us']) for r in pl)
                aw = median(float(r['first_write_p50_us']) for r in asy)
                sec_fork.append('| %d | %s | %s | %s | %s | %s | %.2fx | %s / %s |' % (
                    sz // 1024, fmt_us(pp), fmt_us(ap),
                    '%.2fx' % (ap / flm) if flm else '-', fmt_us(pc),
                    fmt_us(ac), ac / pc if pc else 0, fmt_us(pw), fmt_us(aw)))
            sec_fork.append('')
        for p in ('fork-latency', 'fork-child', 'fork-first-write'):
            if p in plots:
                sec_fork.append('![%s](%s.png)\n' % (p, p))
    return sec_fork


def fork_targets(t, groups, arch=''):
    """Add the fork targets of GROUPS to T, each against the floor of the
    same run (the plain fork of a 4 MiB process).  ARCH, when given, names
    the architecture in each row."""
    pre = arch + ': ' if arch else ''

    def fmed(case, size, pages, mode, field='parent_us'):
        g = groups.get((case, size, pages, mode))
        return median(float(r[field]) for r in g) if g else None

    floor = fmed('floor', 4, '4k', 'plain')
    sizes = sorted({k[1] for k in groups if k[0] == 'size' and k[2] == '4k'})
    a2 = fmed('size', 2048, '4k', 'async')
    if floor and a2:
        t.add(pre + 'Async fork of 2 GiB (4 KiB pages) vs the floor (plain '
              'fork of a 4 MiB process)', '≤ 1.5x',
              '%s vs %s: %.2fx' % (fmt_us(a2), fmt_us(floor), a2 / floor),
              a2 / floor <= 1.5)
    else:
        big = sizes[-1] if sizes else None
        ab = fmed('size', big, '4k', 'async') if big else None
        t.add(pre + 'Async fork of 2 GiB vs the floor', '≤ 1.5x',
              'not measured at 2 GiB%s' % (
                  ' (at %d MiB: %s vs %s, %.2fx)' % (big, fmt_us(ab),
                                                     fmt_us(floor), ab / floor)
                  if ab and floor else ''), None)
    p4, a4 = fmed('size', 4096, '4k', 'plain'), fmed('size', 4096, '4k', 'async')
    if p4 and a4:
        t.add(pre + 'Plain vs async fork of 4 GiB (4 KiB pages)', '≥ 100x',
              '%s vs %s: %.0fx' % (fmt_us(p4), fmt_us(a4), p4 / a4),
              p4 / a4 >= 100)
    else:
        big = sizes[-1] if sizes else None
        pb = fmed('size', big, '4k', 'plain') if big else None
        ab = fmed('size', big, '4k', 'async') if big else None
        t.add(pre + 'Plain vs async fork of 4 GiB', '≥ 100x',
              'not measured at 4 GiB%s' % (
                  ' (at %d MiB: %s vs %s, %.0fx)' % (big, fmt_us(pb),
                                                     fmt_us(ab), pb / ab)
                  if pb and ab else ''), None)

    at4 = fmed('size', 4096, 'thp', 'async')
    if floor and at4:
        t.add(pre + 'Async fork of 4 GiB (THP) vs the floor', '≤ 1.5x',
              '%s vs %s: %.2fx' % (fmt_us(at4), fmt_us(floor), at4 / floor),
              at4 / floor <= 1.5)
    else:
        t.add(pre + 'Async fork of 4 GiB (THP) vs the floor', '≤ 1.5x',
              'not measured', None)

    for gib in (16384, 1024):
        sz = gib * 1024
        ap = fmed('sparse', sz, '4k', 'async')
        pc = fmed('sparse', sz, '4k', 'plain', 'child_run_us')
        ac = fmed('sparse', sz, '4k', 'async', 'child_run_us')
        what = 'Sparse reservation of %d TiB (one page per GiB)' % (gib // 1024)
        if not (ap and pc and ac and floor):
            t.add(pre + what + ': async fork vs the floor; the child\'s start vs '
                  'a plain fork\'s', '≤ 1.5x; ≤ 1.5x', 'not measured', None)
            continue
        t.add(pre + what + ': async fork vs the floor', '≤ 1.5x',
              '%s vs %s: %.2fx' % (fmt_us(ap), fmt_us(floor), ap / floor),
              ap / floor <= 1.5)
        t.add(pre + what + ': the child runs, async vs plain fork', '≤ 1.5x',
              '%s vs %s: %.2fx' % (fmt_us(ac), fmt_us(pc), ac / pc),
              ac / pc <= 1.5)


def report(args):
    res = args.results
    work = args.work or tempfile.mkdtemp(prefix='bench-plot.')
    os.makedirs(work, exist_ok=True)
    meta = {p: read_kv(os.path.join(res, 'meta-%s.txt' % p))
            for p in ('fork', 'fork-arm64', 'redis', 'small-patched',
                      'small-base')}
    fork = read_csv(os.path.join(res, 'fork-latency.csv'))
    redis = {}
    for c in redis_tags(res, 'redis-latency'):
        lat = read_csv(os.path.join(res, 'redis-latency-%s.csv' % c))
        if not lat:
            continue
        info = read_kv(os.path.join(res, 'redis-info-%s.txt' % c))
        saves = read_csv(os.path.join(res, 'redis-bgsave-%s.csv' % c))
        series = []
        for name, _ in redis_series(c, [b['fork_async'] for b in saves]):
            plotted = [b for b in saves if b['idx'] ==
                       info.get('plotted_bgsave' + name[len(c):])]
            series.append({
                'name': name,
                'title': tag_title(c) + {
                    '-plainfork': ', a plain fork',
                    '-asyncfork': ', an async fork'}.get(name[len(c):], ''),
                'ts': read_csv(os.path.join(res, 'redis-ts-%s.csv' % name)),
                'plotted': plotted[0] if plotted else None,
            })
        redis[c] = {
            'latency': lat, 'info': info, 'saves': saves, 'series': series,
            'stalls': read_csv(os.path.join(res, 'redis-stalls-%s.csv' % c)),
            'floor': read_csv(os.path.join(res, 'redis-floor-%s.csv' % c)),
            'idle': read_csv(os.path.join(res, 'redis-idle-%s.csv' % c)),
        }
    # small[clock]: the small-process fork rows of every session
    small = {'wall': [], 'icount': []}
    for f in sorted(os.listdir(res)):
        m = re.match(r'small-fork-(patched|base)-(s|ic)(\d+)\.csv$', f)
        for r in read_csv(os.path.join(res, f)) if m else []:
            r['session'] = m.group(3)
            small['icount' if m.group(2) == 'ic' else 'wall'].append(r)

    plots = []
    if shutil.which('gnuplot'):
        plots += plot_fork(fork, res, work)
        plots += plot_redis(redis, res, work)
    else:
        print('report.py: gnuplot is not installed: no plots', file=sys.stderr)

    t = Targets()
    phase_notes = []
    L = []
    any_meta = next((m for m in meta.values() if m), {})
    L.append('# Async fork: benchmarks\n')
    L.append('Written by `tools/testing/bench/report.py` on %s from the data in '
             'this directory (`make bench`, scripts/bench.sh).\n' %
             datetime.date.today())
    L.append('All measurements run in a QEMU **TCG** guest (software CPU '
             'emulation, no KVM) on a 2-core build machine that was running '
             'other work at the same time: absolute times are several times '
             'those of real hardware (a plain fork of 1 GiB takes 20 to 30 ms '
             'natively on this host), and there is noise. Compare the ratios, '
             'not the absolute numbers. The host\'s load average when each '
             'session started is given with it.\n')
    L.append('Full rerun: `make bench` (about 70 minutes here: 50 in the '
             'patched guest, most of it filling Redis and waiting for its '
             'saves, then the unpatched kernel\'s build and its short '
             'sessions).\n')

    # ---- fork -------------------------------------------------------------
    sec_fork = fork_section(fork, meta['fork'], plots, '1. Fork latency')
    fork_targets(t, fork_groups(fork))
    # The arm64 guest (part arm64 of make bench), against its own floor.
    fork_arm = read_csv(os.path.join(res, 'fork-latency-arm64.csv'))
    if fork_arm:
        sec_fork += fork_section(fork_arm, meta['fork-arm64'], [],
                                 '1b. Fork latency on arm64')
        fork_targets(t, fork_groups(fork_arm), 'arm64')
    # ---- redis ------------------------------------------------------------
    sec_redis = []
    lat = {}
    for c, d in redis.items():
        lat[c] = {w['window']: w for w in d['latency']}
    if redis:
        m = meta['redis']
        any_info = next((d['info'] for c, d in redis.items()
                         if not tag_store(c)),
                        next(iter(redis.values()))['info'])
        vk_info = next((d['info'] for c, d in redis.items()
                        if tag_store(c) == 'valkey-'), None)
        sec_redis.append('## 2. %s: latency during BGSAVE\n'
                         % stores_title(redis))
        sec_redis.append('Measured %s. Rerun: `%s`.\n' % (
            meta_line(m), m.get('rerun', 'make bench')))
        sec_redis.append(
            'Server: `%s` (%s).%s Dataset: `DEBUG POPULATE` with %s-byte '
            'values, to about %s MiB of `used_memory`. Load: '
            '`redis_latency`, %s connections, closed loop (one request in '
            'flight per connection), %s%% GET and the rest SET of random '
            'keys of the dataset; every request\'s latency recorded. %s '
            'BGSAVEs, %s s of plain load before, between and after them; a '
            'request is *during a snapshot* when it was sent between the '
            'BGSAVE command and the first `INFO persistence` (polled every '
            '20 ms) that showed the save finished, or was still waiting for '
            'its reply when the BGSAVE command was sent (it waits for the '
            'fork too). The first second of load '
            'is left out. *BGSAVE total* is the fork (`latest_fork_usec`) '
            'plus the child\'s time from the fork to "DB saved on disk" in '
            'the server log; *wall* is from the BGSAVE command until the '
            'save was seen finished (the server notices its child has '
            'exited at most 100 ms late: `hz 10`). *vCPU stalls*: on each '
            'vCPU a thread of the client (pinned, SCHED_FIFO) sleeps 1 ms at '
            'a time and records every wake-up more than 10 ms late. Such a '
            'stall means the vCPU did not run it: the host did not run '
            'QEMU\'s thread for that vCPU (other work on the machine), or '
            'the guest kernel (PREEMPT_NONE) stayed in a long kernel section '
            'there. Whatever was on that vCPU (Redis, its child, the client) '
            'waited too, whatever the fork did. The plots draw each stall at '
            'the height of its length, over the time it lasted.%s\n' % (
                any_info.get('server', '?'), any_info.get('server_version', '?'),
                ' The *Valkey* rows (`valkey-*`): server `%s` (%s), with '
                'the same options, client, load and `redis-cli`; Valkey\'s '
                'async fork is compared with Valkey\'s plain fork only.' % (
                    vk_info.get('server', '?'),
                    vk_info.get('server_version', '?'))
                if vk_info and vk_info is not any_info else '',
                any_info.get('value_size', '?'),
                max(int(d['info'].get('used_memory', 0)) >> 20
                    for d in redis.values()),
                any_info.get('conns', '?'), any_info.get('get_pct', '?'),
                any_info.get('saves', '?'), any_info.get('gap_s', '?'),
                ' *Alternating* (`alt`): one server, its BGSAVEs made with '
                'plain and async fork in turn (`CONFIG SET fork-async` '
                'before each, the first plain), under the same client load: '
                'the two kinds of fork see the same dataset, the same '
                'fragmentation and the same state of the host, which '
                'separate runs do not. Its rows below are split by the fork '
                'that started each snapshot.'
                if any(tag_cfg(c) == 'alt' for c in redis) else ''))
        sec_redis.append('| configuration | how | used_memory | keys | '
                         'AnonHugePages | requests/s | fork (median) | '
                         'forks async | BGSAVE total (median) | wall '
                         '(median) | child copy (median) | proactive syncs |')
        sec_redis.append('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
        rows = []
        for c, d in redis.items():
            if tag_cfg(c) != 'alt':
                rows.append((c, tag_title(c), d['saves']))
                continue
            for a, what in (('0', 'plain'), ('1', 'async')):
                rows.append((c, '%s: the %s forks' % (tag_title(c), what),
                             [b for b in d['saves'] if b['fork_async'] == a]))
        for c, title, sv in rows:
            i = redis[c]['info']
            if not sv:
                continue
            how = {'plain': 'disable-thp yes; THP enabled=madvise',
                   'thp': 'disable-thp no; THP enabled=always',
                   'async': 'disable-thp yes; ' + i.get('async_how', '?'),
                   'alt': 'disable-thp yes; fork-async no/yes in turn',
                   }[tag_cfg(c)]
            nasync = sum(1 for b in sv if b['fork_async'] == '1')
            unk = all(b['fork_async'] == '-1' for b in sv)
            copies = [float(b['copy_us']) for b in sv if b['copy_us']]
            sec_redis.append('| %s | %s | %d MiB | %s | %d MiB | %s | %s | %s | %s | %s | %s | %s |' % (
                title, how, int(i.get('used_memory', 0)) >> 20,
                i.get('keys', '?'),
                max(int(i.get('anon_huge_kb_before', 0)),
                    int(i.get('anon_huge_kb_after', 0))) >> 10,
                i.get('requests_per_s', '?'),
                fmt_us(median(float(b['fork_us']) for b in sv)),
                ('?' if unk else '%d of %d' % (nasync, len(sv))) +
                ('' if tag_cfg(c) == 'plain' or tag_cfg(c) == 'thp' else
                 ' (vmstat, whole run: %s)' % i.get('delta_async_fork', '?')),
                fmt_us(median(float(b['total_ms']) * 1000 for b in sv
                              if b['total_ms'])),
                fmt_us(median(float(b['wall_ms']) * 1000 for b in sv)),
                fmt_us(median(copies)) if copies else '-',
                i.get('delta_async_fork_sync_pmd', '-') +
                (' (whole run)' if tag_cfg(c) == 'alt' else '')))
        sec_redis.append('')
        if any(d['floor'] for d in redis.values()):
            sec_redis.append(
                '`latest_fork_usec` (Redis\'s own measure of its fork): '
                'BGSAVEs of the full server before the client load started '
                '(*no load*), alternating with as many of an empty twin '
                'server (same binary and options, next port), so that both '
                'see the same state of the machine; and the full server\'s '
                'BGSAVEs under load above:\n')
            sec_redis.append('| configuration | empty server: median (max) | '
                             'full, no load: median (max) | full / empty, '
                             'no load | full, under load: median (max) | '
                             'full / empty, under load |')
            sec_redis.append('|---|---:|---:|---:|---:|---:|')

            def cell(v, fl):
                if not v:
                    return '-', '-'
                return ('%s (%s)' % (fmt_us(median(v)), fmt_us(max(v))),
                        '%.2fx' % (median(v) / median(fl)))
            for c, d in redis.items():
                fl = [float(f['fork_usec']) for f in d['floor']]
                if not fl:
                    continue
                idle = cell([float(f['fork_usec']) for f in d['idle']], fl)
                load = cell([float(b['fork_us']) for b in d['saves']], fl)
                sec_redis.append('| %s | %s (%s) | %s | %s | %s | %s |' % (
                    tag_title(c), fmt_us(median(fl)), fmt_us(max(fl)),
                    *idle, *load))
            sec_redis.append('')
        sec_redis.append('Latency of requests (p50 / p99 / p99.9 / max):\n')
        sec_redis.append('| configuration | window | requests | requests/s | '
                         'p50 | p99 | p99.9 | max | vCPU stalls (longest) |')
        sec_redis.append('|---|---|---:|---:|---:|---:|---:|---:|---:|')
        for c, d in redis.items():
            for w in d['latency']:
                sec_redis.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
                    tag_title(c), WINDOW_TITLE.get(w['window'], w['window']),
                    w['requests'], w.get('per_s') or '-',
                    *(fmt_us(float(w[k])) if w[k] else '-'
                      for k in ('p50_us', 'p99_us', 'p999_us', 'max_us')),
                    '%s (%s)' % (w.get('stalls', '?'),
                                 fmt_us(float(w.get('longest_stall_us') or 0)))))
        sec_redis.append('')
        sec_redis.append('Every BGSAVE:\n')
        sec_redis.append('| configuration | # | fork | async | BGSAVE total '
                         '| wall | child copy | requests in window | slowest '
                         'request | vCPU stall in it | slowest: fork phase '
                         '| slowest: after | COW |')
        sec_redis.append('|---|---:|---:|---|---:|---:|---:|---:|---:|---:|'
                         '---:|---:|---:|')
        for c, d in redis.items():
            for b in d['saves']:
                sec_redis.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
                    c, b['idx'], fmt_us(float(b['fork_us'])),
                    {'1': 'yes', '0': 'no'}.get(b['fork_async'], '?'),
                    fmt_us(float(b['total_ms']) * 1000) if b['total_ms'] else '?',
                    fmt_us(float(b['wall_ms']) * 1000),
                    fmt_us(float(b['copy_us'])) if b['copy_us'] else '-',
                    b['requests'],
                    fmt_us(float(b['max_latency_us'])) if b['max_latency_us'] else '-',
                    fmt_us(float(b.get('stall_in_max_us') or 0)),
                    *(fmt_us(float(b[k])) if b.get(k) else '-'
                      for k in ('max_fork_phase_us', 'max_after_fork_us')),
                    '%.1f MiB' % (int(b['cow_bytes']) / 2**20)
                    if int(b['cow_bytes']) >= 0 else '?'))
        sec_redis.append('')
        sec_redis += phase_table(rows, lat)
        if 'redis-latency' in plots:
            sec_redis.append('![redis-latency](redis-latency.png)\n')
        for d in redis.values():
            for sr in d['series']:
                if 'redis-ts-%s' % sr['name'] in plots:
                    sec_redis.append('![redis-ts-%s](redis-ts-%s.png)\n' % (
                        sr['name'], sr['name']))

    def lmax(c, w):
        v = lat.get(c, {}).get(w, {}).get('max_us')
        return float(v) if v else None

    def stall_note(c, fork_async=None):
        """Whether the slowest request during c's snapshots (those of
        plain or async forks only: fork_async '0' or '1') sat out a stall
        of a vCPU."""
        sv = [b for b in redis.get(c, {}).get('saves', [])
              if b.get('max_latency_us') and
              fork_async in (None, b['fork_async'])]
        if not sv:
            return ''
        b = max(sv, key=lambda b: float(b['max_latency_us']))
        st = float(b.get('stall_in_max_us') or 0)
        if st < 0.5 * float(b['max_latency_us']):
            return ''
        return ' (%s\'s slowest request spans a %s stall of a vCPU)' % (
            c, fmt_us(st))

    def tot(c, fork_async=None):
        v = [float(b['total_ms']) for b in redis.get(c, {}).get('saves', [])
             if b['total_ms'] and fork_async in (None, b['fork_async'])]
        return median(v) if v else None

    def paired(c):
        """Each async BGSAVE's total over the mean of the plain ones
        just before and after it (alternating configurations)."""
        sv = redis.get(c, {}).get('saves', [])
        out = []
        for k, b in enumerate(sv):
            if b['fork_async'] != '1' or not b['total_ms']:
                continue
            nb = [float(x['total_ms']) for x in sv[max(0, k - 1):k + 2]
                  if x['fork_async'] == '0' and x['total_ms']]
            if nb:
                out.append(float(b['total_ms']) / (sum(nb) / len(nb)))
        return out

    def fork_usec(c, which):
        """Median latest_fork_usec of c's BGSAVEs: floor (empty server),
        idle (full, no load) or saves (full, under load)."""
        rows = redis.get(c, {}).get(which, [])
        v = [float(r['fork_us' if which == 'saves' else 'fork_usec'])
             for r in rows]
        return median(v) if v else None

    def redis_targets(name, size, a_in, a_out, p_in, a_note, p_note, ta,
                      tp, more=''):
        """The three targets of one server (NAME: Redis or Valkey) at one
        dataset size: max latency of async snapshots against outside and
        against plain snapshots, and the BGSAVE totals (medians; MORE: what
        else to say of them)."""
        t.add('%s, async fork: max latency during snapshots vs outside'
              % name + size, '≤ 2x', '%s vs %s: %.2fx%s' % (
                  fmt_us(a_in), fmt_us(a_out), a_in / a_out, a_note)
              if a_in and a_out else 'not measured',
              a_in / a_out <= 2 if a_in and a_out else None)
        t.add('%s: max latency during snapshots, async vs plain fork'
              % name + size, '≥ 95% lower', '%s vs %s: %.1f%% %s%s' % (
                  fmt_us(a_in), fmt_us(p_in), 100 * abs(1 - a_in / p_in),
                  'lower' if a_in <= p_in else 'higher', a_note + p_note)
              if a_in and p_in else 'not measured',
              1 - a_in / p_in >= 0.95 if a_in and p_in else None)
        t.add('%s: BGSAVE total time, async vs plain fork (median)'
              % name + size,
              'within 10%', '%s vs %s: %+.1f%%%s' % (
                  fmt_us(ta * 1000), fmt_us(tp * 1000), 100 * (ta / tp - 1),
                  more)
              if ta and tp else 'not measured',
              abs(ta / tp - 1) <= 0.10 if ta and tp else None)

    def mib(c):
        return int(redis[c]['info'].get('used_memory', 0)) >> 20

    # The same comparisons restricted to each snapshot's fork phase: not
    # targets of their own, but they show which part of a MISS async fork
    # is answerable for.
    def phase_note(size, a_sv, p_sv, out):
        a_f = phase_max(a_sv, 'max_fork_phase_us')
        p_f = phase_max(p_sv, 'max_fork_phase_us')
        a_a = phase_max(a_sv, 'max_after_fork_us')
        p_a = phase_max(p_sv, 'max_after_fork_us')
        if not (a_f and p_f and out):
            return
        phase_notes.append(
            '- %s: fork phase, async %s (%.2fx the %s outside), plain %s '
            '(async %.1f%% lower); after it, async %s, plain %s.' % (
                size, fmt_us(a_f), a_f / out, fmt_us(out), fmt_us(p_f),
                100 * (1 - a_f / p_f), fmt_or_dash(a_a), fmt_or_dash(p_a)))

    # Redis's targets, then Valkey's (when it ran): each server's async
    # fork against its own plain fork (tag_with keeps the server).
    for store in stores_of(redis):
        name = STORE_NAME[store]
        own = [c for c in redis if tag_store(c) == store]
        # Phase notes of Valkey name it; Redis's stay as they were.
        who = '%s, ' % name if store else ''

        # The latency targets, for each dataset size that has both plain
        # and async fork, but the floor's: it is the reference, not a
        # target.
        for c in [c for c in own if tag_cfg(c) == 'async']:
            pc = tag_with(c, 'plain')
            if mib(c) < FLOOR_MIB:
                continue
            redis_targets(name, ' (%d MiB)' % mib(c),
                          lmax(c, 'during_snapshot'), lmax(c, 'outside'),
                          lmax(pc, 'during_snapshot'), stall_note(c),
                          stall_note(pc), tot(c), tot(pc))

        # The same targets from alternating configurations: plain and
        # async snapshots of one server under one load.
        for c in [c for c in own if tag_cfg(c) == 'alt']:
            pr = paired(c)
            redis_targets(name,
                          ' (%d MiB, alternating on one server)' % mib(c),
                          lmax(c, 'during_async_snapshot'),
                          lmax(c, 'outside'),
                          lmax(c, 'during_plain_snapshot'),
                          stall_note(c, '1'), stall_note(c, '0'),
                          tot(c, '1'), tot(c, '0'),
                          '; each async save against the plain ones next '
                          'to it: %s' % ', '.join(
                              '%+.1f%%' % (100 * (r - 1)) for r in pr)
                          if pr else '')

        for c in [c for c in own if tag_cfg(c) == 'async']:
            pc = tag_with(c, 'plain')
            floor = mib(c) < FLOOR_MIB
            phase_note('%s%d MiB%s' % (who, mib(c), (
                ' (the floor: a server whose fork copies almost nothing; '
                'whole snapshots, async %s, plain %s)' % (
                    fmt_or_dash(lmax(c, 'during_snapshot')),
                    fmt_or_dash(lmax(pc, 'during_snapshot')))
                if floor else '')),
                       redis[c]['saves'],
                       redis.get(pc, {}).get('saves', []), lmax(c, 'outside'))
        for c in [c for c in own if tag_cfg(c) == 'alt']:
            sv = redis[c]['saves']
            phase_note('%s%d MiB, alternating' % (who, mib(c)),
                       [b for b in sv if b['fork_async'] == '1'],
                       [b for b in sv if b['fork_async'] == '0'],
                       lmax(c, 'outside'))

        # latest_fork_usec at the default dataset size (2 GiB).  The full
        # server is compared with its empty twin: BGSAVEs alternating
        # between the two, without client load.
        ac, pc = store + 'async', store + 'plain'
        af, ae = fork_usec(ac, 'idle'), fork_usec(ac, 'floor')
        al = fork_usec(ac, 'saves')
        pf, pl = fork_usec(pc, 'idle'), fork_usec(pc, 'saves')
        # Only the untagged configurations have the twin: name their size,
        # or none when they did not run (a run of size-tagged ones only).
        full = mib(ac) if ac in redis else 0
        size = ' with %d MiB' % full if full else ''
        t.add('%s `latest_fork_usec`%s, async fork vs the same '
              'server empty (a twin, saves alternating), without client '
              'load (medians)' % (name, size), '≤ 2x',
              '%s vs %s: %.2fx%s' % (
                  fmt_us(af), fmt_us(ae), af / ae,
                  '; under load %s: %.2fx' % (fmt_us(al), al / ae)
                  if al else '')
              if af and ae else 'not measured',
              af / ae <= 2 if af and ae else None)
        t.add('%s `latest_fork_usec`%s, plain vs async fork '
              '(medians, without client load)' % (name, size), '≥ 30x',
              '%s vs %s: %.1fx%s' % (
                  fmt_us(pf), fmt_us(af), pf / af,
                  '; under load %s vs %s: %.1fx' % (
                      fmt_us(pl), fmt_us(al), pl / al) if pl and al else '')
              if af and pf else 'not measured',
              pf / af >= 30 if af and pf else None)

    # ---- small fork -----------------------------------------------------------
    sec_small = []

    def small_stats(rows):
        """Per label: all repetitions, and each session's median (how much
        one boot differs from the next is the resolution)."""
        per, sess = {}, {}
        for r in rows:
            per.setdefault(r['label'], []).append(float(r['per_fork_us']))
            sess.setdefault(r['label'], {}).setdefault(
                int(r['session']), []).append(float(r['per_fork_us']))
        return per, {lbl: [median(v) for _, v in sorted(d.items())]
                     for lbl, d in sess.items()}

    stats = {c: small_stats(rows) for c, rows in small.items()}
    if small['wall'] or small['icount']:
        sec_small.append('## 3. No regression: fork of a small process\n')
        for lbl, key in (('patched', 'small-patched'), ('base', 'small-base')):
            mm = meta[key]
            if mm:
                sec_small.append('- %s kernel: measured %s. Rerun: `%s`.' % (
                    lbl, meta_line(mm), mm.get('rerun', 'make bench')))
        sec_small.append('')
        n = next((r['forks'] for rows in small.values() for r in rows), '?')
        sec_small.append(
            '`small_fork`: %s times fork + `_exit(0)` in the child + '
            '`waitpid()`, timed together, per repetition (after one '
            'warm-up repetition), in a fresh guest before anything else '
            'runs. *base* is the kernel built from the unpatched tree (tag '
            '`base`) with the same configuration; *patched-af0* is the '
            'patched kernel with `vm.async_fork=0`, *patched-af1* with the '
            'default `vm.async_fork=1` (the forks are plain: nobody asks '
            'for async).\n' % n)
        sec_small.append(
            'Two clocks. *Wall*: the guest of the other parts (its clock '
            'follows the host\'s), one session of each kernel; under TCG '
            'one boot of a kernel differs from the next by up to 12%%, more '
            'than the 3%% looked for. *Instruction*: guests run with QEMU '
            '`-icount shift=3` (the guest clock advances 8 ns per '
            'instruction executed, whatever the host does), 1 vCPU, '
            '`nokaslr norandmaps`; `BENCH_SMALL_PAIRS` sessions of the two '
            'kernels alternate. It counts the instructions fork, exit and '
            'wait execute, not cache or TLB effects: the measure of the '
            'added code\'s cost. Each line pools the repetitions of all '
            'sessions of that kernel; the last column gives each '
            'session\'s median.\n')
        sec_small.append('| clock | kernel | sessions | repetitions | per '
                         'fork: median | min | max | session medians |')
        sec_small.append('|---|---|---:|---:|---:|---:|---:|---|')
        for clock in ('wall', 'icount'):
            per, smed = stats[clock]
            for lbl in sorted(per):
                v = per[lbl]
                sec_small.append(
                    '| %s | %s | %d | %d | %.1f µs | %.1f µs | %.1f µs | %s |'
                    % ('instruction' if clock == 'icount' else 'wall', lbl,
                       len(smed[lbl]), len(v), median(v), min(v), max(v),
                       ', '.join('%.0f' % m for m in smed[lbl])))
        sec_small.append('')

    def small_target(clock, label, what):
        per, smed = stats[clock]
        pa, ba = per.get(label), per.get('base')
        if not (pa and ba):
            t.add('Fork of a small process, %s vs unpatched kernel' % what,
                  'within 3%', 'not measured', None)
            return
        d = median(pa) / median(ba) - 1
        spread = max((max(m) - min(m)) / median(m)
                     for m in (smed[label], smed['base']))
        t.add('Fork of a small process, %s vs unpatched kernel (median, '
              '%s clock)' % (what, 'instruction' if clock == 'icount'
                             else 'wall'), 'within 3%',
              '%.1f µs vs %.1f µs: %+.1f%% (%d + %d sessions; session '
              'medians of one kernel spread up to %.1f%%)' % (
                  median(pa), median(ba), 100 * d, len(smed[label]),
                  len(smed['base']), 100 * spread),
              d <= 0.03)

    clock = 'icount' if small['icount'] else 'wall'
    small_target(clock, 'patched-af0', 'patched (vm.async_fork=0)')
    small_target(clock, 'patched-af1', 'patched (vm.async_fork=1, no '
                 'CLONE_ASYNC)')

    L.append('## Targets\n')
    L.append('Computed from the data below; n/a: not measured in this run.\n')
    busy = []
    for part, mm in meta.items():
        m = re.search(r'(\d+) CPUs, load average ([\d.]+)', mm.get('host', ''))
        if m and float(m.group(2)) > 0.5 * int(m.group(1)):
            busy.append('%s (load average %s on %s CPUs)' % (
                part, m.group(2), m.group(1)))
    if busy:
        L.append('**The host was busy with other work when these were '
                 'measured: %s.** The guest then loses its vCPUs for tens to '
                 'hundreds of milliseconds at a time (see the vCPU stalls '
                 'below), and the latency numbers say more about the host '
                 'than about fork. Rerun on an idle machine.\n'
                 % ', '.join(busy))
    L.append('| | target | measured | result |')
    L.append('|---|---|---|---|')
    for what, goal, measured, r in t.rows:
        L.append('| %s | %s | %s | **%s** |' % (what, goal, measured, r))
    L.append('')
    if phase_notes:
        L.append('The %s rows count every request of a snapshot, which '
                 'lasts until the child has written the RDB file. Split by '
                 'phase (section 2, "by phase"): the slowest request of the '
                 '*fork phase* (BGSAVE until Redis answered it and, after an '
                 'async fork, until the child had copied its tables), where '
                 'the two kinds of fork differ, and the slowest *after* it, '
                 'when both parents run beside a child that saves:\n'
                 % stores_title(redis))
        L += phase_notes
        L.append('')
    L += sec_fork + sec_redis + sec_small
    L.append('## Files\n')
    L.append('Raw data next to this report: `fork-latency.csv` (every fork), '
             '`redis-bgsave-*.csv` (every BGSAVE), `redis-latency-*.csv`, '
             '`redis-ts-*.csv` and `redis-fork-*.csv` (the plotted time '
             'series), `redis-stalls-*.csv` (vCPU stalls), '
             '`redis-info-*.txt`, `small-fork-*.csv`, `meta-*.txt`. '
             'The log of every Redis request stays in the guest output '
             'directory under build/bench/ (too big to keep here).\n')
    with open(os.path.join(res, 'report.md'), 'w') as f:
        f.write('\n'.join(L))
    print('report.py: wrote %s (%d plots)' % (os.path.join(res, 'report.md'),
                                              len(plots)))
    for what, goal, measured, r in t.rows:
        print('  %-4s %s: %s (target %s)' % (r, what, measured, goal))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    a = sub.add_parser('ingest')
    a.add_argument('guest_out')
    a.add_argument('results')
    a.add_argument('--rerun', default='')
    a.add_argument('--session', type=int, default=0,
                   help='number of the guest session (small-process fork)')
    a.add_argument('--clock', choices=('wall', 'icount'), default='wall',
                   help='the guest\'s clock: the host\'s, or counting '
                   'instructions (QEMU -icount)')
    a.add_argument('--host', default='',
                   help='the host machine, and how busy it was')
    a.add_argument('--arch', choices=('x86_64', 'arm64'), default='x86_64',
                   help='the guest\'s architecture: arm64 keeps its fork '
                   'data beside the x86-64 guest\'s')
    a.set_defaults(fn=ingest)
    a = sub.add_parser('report')
    a.add_argument('results')
    a.add_argument('--work', default='')
    a.set_defaults(fn=report)
    args = ap.parse_args()
    args.fn(args)


if __name__ == '__main__':
    main()
