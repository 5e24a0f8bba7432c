# SPDX-License-Identifier: GPL-2.0
"""The data of `make bench`: what one guest session wrote (GUEST_OUT,
harness/guest/guest-bench.sh) turned into the files of RESULTS, and
those files read back for the report (report.py, bench_render.py).

Files in RESULTS (all times in microseconds unless the name says otherwise):
  meta-PART.txt            where and when PART (fork, redis, small-patched,
                           small-base) was measured, and the command; with
                           what scripts/bench.sh adds (report.py ingest
                           --host, --rerun, --meta): the guest's QEMU
                           accelerator (accel), the session's time in the
                           guest (guest_s), the host's own plain fork of
                           1 GiB (host_fork_1g_ms)
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
import bisect
import csv
import datetime
import os
import re
import shutil
import sys

from bench_stats import pct
from bench_tags import redis_series, redis_tags, tag_cfg, tag_title

# The parts of a run, each with its meta-PART.txt.
META_PARTS = ('fork', 'fork-arm64', 'redis', 'small-patched', 'small-base')

WARMUP_NS = 1_000_000_000       # requests of the first second are left out
TS_BUCKET_NS = 10_000_000       # time-series bucket
TS_MARGIN_NS = 1_000_000_000    # time series: this much before and after
FORK_ZOOM_NS = (300_000_000, 1_200_000_000)  # every request: before, after


# ---- files ------------------------------------------------------------------

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


# ---- the rules: which snapshot a request belongs to -------------------------

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


def stall_over(stalls, a, b):
    """The longest vCPU stall of STALLS ((start_ns, gap_ns)) overlapping
    [a, b], in ns."""
    return max([min(b, s + g) - max(a, s) for s, g in stalls
                if s < b and s + g > a] or [0])


# ---- ingest: the guest's output into RESULTS --------------------------------

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


def ingest_quiet_saves(src, dst, cfg):
    """Copy the BGSAVEs without client load (of the full server: idle; of
    its empty twin: floor) and return the server log's BGSAVEs under load:
    the full server's without load come first in its log, those of the twin
    are in the twin's own log."""
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
    return logs


def ingest_stalls(src, dst, cfg):
    """Copy the vCPU stalls, sorted; return them as (start_ns, gap_ns)."""
    rows = read_csv(os.path.join(src, 'redis-stalls-%s.csv' % cfg))
    cpu_stalls = sorted((int(r['start_ns']), int(r['gap_ns']),
                         int(r.get('cpu') or 0)) for r in rows)
    write_csv(os.path.join(dst, 'redis-stalls-%s.csv' % cfg),
              ['start_ns', 'gap_ns', 'cpu'], cpu_stalls)
    return [(st, g) for st, g, _ in cpu_stalls]


def ingest_info(src, dst, cfg, reqs):
    """The server's info, with the vmstat deltas over the measured run and
    the request rate."""
    info = read_kv(os.path.join(src, 'redis-info-%s.txt' % cfg))
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


BGSAVE_HEADER = ['idx', 'start_ns', 'fork_start_ns', 'reply_ns', 'end_ns',
                 'fork_us', 'fork_async', 'status', 'cow_bytes', 'child_pid',
                 'save_ms', 'total_ms', 'wall_ms', 'copy_us', 'copy_pmds',
                 'requests', 'max_latency_us', 'stall_in_max_us',
                 'fork_phase_ms', 'max_fork_phase_us', 'max_after_fork_us']


def bgsave_row(i, b, reqs, idx, log, ev, stalls):
    """The line of BGSAVE I (B, of redis-bgsave-CFG.csv) whose snapshot
    REQS[j] for j in IDX belong to; LOG: (child pid, started, saved) from
    the server log; EV: the copy events; STALLS: the vCPU stalls."""
    s, r, e = int(b['start_ns']), int(b['reply_ns']), int(b['end_ns'])
    fork_us = int(b['fork_usec'])
    lat = [reqs[j][1] for j in idx]
    jmax = max(idx, key=lambda j: reqs[j][1]) if lat else None
    smax = stall_over(stalls, reqs[jmax][0], sum(reqs[jmax])) if lat else 0
    pid, t_start, t_saved = log
    save_ms = (t_saved - t_start) * 1000 if t_saved else None
    total_ms = save_ms + fork_us / 1000 if save_ms is not None else None
    c = ev.get(pid) if pid else None
    # The fork phase: what differs between plain and async fork.  A plain
    # fork's parent is done when its BGSAVE is answered; an async one's
    # when the child has also copied its tables (counted from the reply,
    # which errs towards a longer phase).  After it, both parents only
    # take COW faults while the child writes.
    copy_ns = c[2] if c and c[0] == 0 and b['fork_async'] == '1' else 0
    fork_end = r + copy_ns
    in_fork = [reqs[j][1] for j in idx if reqs[j][0] <= fork_end]
    after = [reqs[j][1] for j in idx if reqs[j][0] > fork_end]
    return [i, s, r - fork_us * 1000, r, e, fork_us, b['fork_async'],
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
            '%.0f' % (max(after) / 1000) if after else '']


def window_names(cfg, saves):
    """The window of each BGSAVE of SAVES, all window names, and for an
    alternating configuration the outside window that follows each kind
    of snapshot ({during name: outside name})."""
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
    return wname, names, after


def window_rows(cfg, saves, windows, reqs, owners, stalls):
    """The lines of redis-latency-CFG.csv: requests and stalls inside and
    outside the snapshot windows (BGSAVE sent .. seen done); alternating
    plain and async forks: the windows of each apart."""
    wname, names, after = window_names(cfg, saves)
    t_first = reqs[0][0] if reqs else 0
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
    return rows


def ingest_series(dst, cfg, out, windows, reqs):
    """The BGSAVE with the worst request, as a time series and around its
    fork; of an alternating configuration, one of each kind of fork.  OUT:
    the lines of redis-bgsave-CFG.csv."""
    starts = [r[0] for r in reqs]
    info = read_kv(os.path.join(dst, 'redis-info-%s.txt' % cfg))
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
        info['plotted_bgsave' + series[len(cfg):]] = str(worst)
    write_kv(os.path.join(dst, 'redis-info-%s.txt' % cfg), info)


def ingest_redis_cfg(src, dst, cfg):
    """The files of Redis configuration CFG in SRC into DST; False when
    SRC has none."""
    req_path = os.path.join(src, 'redis-req-%s.csv' % cfg)
    if not os.path.exists(req_path):
        return False
    saves = read_csv(os.path.join(src, 'redis-bgsave-%s.csv' % cfg))
    logs = ingest_quiet_saves(src, dst, cfg)
    ev = copy_events(os.path.join(src, 'redis-trace-%s.txt' % cfg))
    reqs = read_requests(req_path)
    stalls = ingest_stalls(src, dst, cfg)
    ingest_info(src, dst, cfg, reqs)

    # one line a BGSAVE
    windows = [(int(b['start_ns']), int(b['end_ns'])) for b in saves]
    owners = snapshot_owners(reqs, windows)
    members = [[] for _ in windows]
    for j, k in enumerate(owners):
        if k >= 0:
            members[k].append(j)
    out = [bgsave_row(i, b, reqs, members[i],
                      logs[i] if i < len(logs) else (None, None, None),
                      ev, stalls)
           for i, b in enumerate(saves)]
    write_csv(os.path.join(dst, 'redis-bgsave-%s.csv' % cfg),
              BGSAVE_HEADER, out)
    write_csv(os.path.join(dst, 'redis-latency-%s.csv' % cfg),
              ['window', 'requests', 'p50_us', 'p99_us', 'p999_us', 'max_us',
               'stalls', 'longest_stall_us', 'per_s'],
              window_rows(cfg, saves, windows, reqs, owners, stalls))
    ingest_series(dst, cfg, out, windows, reqs)
    return True


def ingest(src, dst, rerun='', session=0, clock='wall', host='',
           arch='x86_64', extra=()):
    """What one guest session wrote in SRC into the files of DST (report.py
    ingest).  EXTRA: KEY=VALUE facts added to the meta files."""
    os.makedirs(dst, exist_ok=True)
    metas = [f for f in os.listdir(src) if f.startswith('meta-')]
    if not metas:
        sys.exit('report.py: no meta-*.txt in %s: did the guest run?' % src)
    meta = read_kv(os.path.join(src, metas[0]))
    label = meta.get('label', 'patched')
    if rerun:
        meta['rerun'] = rerun
    if host:
        meta['host'] = host
    for kv in extra:
        k, sep, v = kv.partition('=')
        if sep and v:
            meta[k] = v
    if arch != 'x86_64':
        # Another architecture's guest runs only the fork part.
        ok = ingest_fork(src, dst, '-' + arch)
        if ok:
            write_kv(os.path.join(dst, 'meta-fork-%s.txt' % arch), meta)
        print('report.py: ingested %s from %s' % (
            'fork (%s)' % arch if ok else 'nothing', src))
        return
    done = []
    if ingest_fork(src, dst):
        done.append('fork')
    small = os.path.join(src, 'small-fork-%s.csv' % label)
    if os.path.exists(small):
        shutil.copy(small, os.path.join(dst, 'small-fork-%s-%s%d.csv' % (
            label, 'ic' if clock == 'icount' else 's', session)))
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


# ---- the files of RESULTS, read back for the report -------------------------

def load_redis(res, c):
    """What the report uses of configuration C, or None without its
    latency file."""
    lat = read_csv(os.path.join(res, 'redis-latency-%s.csv' % c))
    if not lat:
        return None
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
    return {
        'latency': lat, 'info': info, 'saves': saves, 'series': series,
        'stalls': read_csv(os.path.join(res, 'redis-stalls-%s.csv' % c)),
        'floor': read_csv(os.path.join(res, 'redis-floor-%s.csv' % c)),
        'idle': read_csv(os.path.join(res, 'redis-idle-%s.csv' % c)),
    }


def load_results(res):
    """Everything the report is made of: {'meta': {part: meta}, 'fork',
    'fork_arm': the forks of fork_bench (x86-64, arm64), 'redis': {tag:
    load_redis()}, 'small': {clock: the small-process fork rows of every
    session, each with its 'session'}}."""
    redis = {}
    for c in redis_tags(res, 'redis-latency'):
        d = load_redis(res, c)
        if d:
            redis[c] = d
    small = {'wall': [], 'icount': []}
    for f in sorted(os.listdir(res)):
        m = re.match(r'small-fork-(patched|base)-(s|ic)(\d+)\.csv$', f)
        for r in read_csv(os.path.join(res, f)) if m else []:
            r['session'] = m.group(3)
            small['icount' if m.group(2) == 'ic' else 'wall'].append(r)
    return {
        'meta': {p: read_kv(os.path.join(res, 'meta-%s.txt' % p))
                 for p in META_PARTS},
        'fork': read_csv(os.path.join(res, 'fork-latency.csv')),
        'fork_arm': read_csv(os.path.join(res, 'fork-latency-arm64.csv')),
        'redis': redis,
        'small': small,
    }
