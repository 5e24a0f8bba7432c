# SPDX-License-Identifier: GPL-2.0
"""The PNG plots of `make bench`'s report, drawn by gnuplot: the scripts
and their data go to a work folder, the images next to the report."""
import os
import shutil
import subprocess
import sys

from bench_ingest import FORK_ZOOM_NS, TS_MARGIN_NS
from bench_stats import fork_groups, median
from bench_tags import stores_title, tag_store

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


def write_fork_data(groups, sizes, data):
    """The medians of fork_bench's GROUPS of each size to file DATA, in ms:
    parent, child runs, first write p50, p99 of each pages and mode."""
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


def plot_fork(fork, results, work):
    """The fork_bench plots: [their names]."""
    groups = fork_groups(fork)
    sizes = sorted({k[1] for k in groups if k[0] == 'size'})
    if not sizes:
        return []
    data = os.path.join(work, 'fork.csv')
    write_fork_data(groups, sizes, data)
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


def plot_redis_latency(redis, results, work):
    """Percentiles inside and outside snapshots, of every configuration."""
    cfgs = list(redis)
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
    return gnuplot(work, 'redis-latency', script, results)


def plot_redis_series(c, d, sr, ymax, results, work):
    """The time series SR of configuration C (D: its data) around its
    plotted BGSAVE, and every request around its fork, with the stalls of
    the vCPUs; YMAX: the top of the latency axis, in ms."""
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
    return gnuplot(work, 'redis-ts-%s' % name, script, results)


def plot_redis(redis, results, work):
    """The plots of the Redis configurations: [their names]."""
    made = []
    if not redis:
        return made
    if plot_redis_latency(redis, results, work):
        made.append('redis-latency')
    ymax = 1
    series = [(c, sr) for c in redis for sr in redis[c]['series']]
    for c, sr in series:
        for r in sr['ts']:
            ymax = max(ymax, float(r['max_us']) / 1000)
    for c, sr in series:
        if not sr['ts'] or not sr['plotted']:
            continue
        if plot_redis_series(c, redis[c], sr, ymax, results, work):
            made.append('redis-ts-%s' % sr['name'])
    return made


def plot_all(data, results, work):
    """The plots of DATA (bench_ingest.load_results()) when gnuplot is
    installed: [their names]."""
    if not shutil.which('gnuplot'):
        print('report.py: gnuplot is not installed: no plots', file=sys.stderr)
        return []
    return (plot_fork(data['fork'], results, work) +
            plot_redis(data['redis'], results, work))
