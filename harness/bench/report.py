#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The data and the report of `make bench` (scripts/bench.sh).

usage:
  report.py ingest GUEST_OUT RESULTS [--rerun CMD] [--meta KEY=VALUE]...
      Turn what one guest session wrote (harness/guest/guest-bench.sh)
      into the CSV files in RESULTS.  Only the parts that session ran are
      replaced; the others keep their earlier data.
  report.py report RESULTS [--work DIR]
      Write RESULTS/report.md and the PNG plots (gnuplot) from those files;
      the gnuplot scripts and their data go to DIR (default: a new
      temporary directory).

The parts: bench_ingest.py (the files of RESULTS, and the rules that put
each request in a snapshot or outside), bench_stats.py (the numbers and
the targets), bench_plot.py (the plots), bench_render.py with
report-template.md (the text of report.md), bench_tags.py (the names of
the Redis configurations).
"""
import argparse
import datetime
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_ingest  # noqa: E402
import bench_plot  # noqa: E402
import bench_render  # noqa: E402


def ingest(args):
    bench_ingest.ingest(args.guest_out, args.results, rerun=args.rerun,
                        session=args.session, clock=args.clock,
                        host=args.host, arch=args.arch,
                        extra=getattr(args, 'meta', None) or ())


def report(args):
    res = args.results
    work = args.work or tempfile.mkdtemp(prefix='bench-plot.')
    os.makedirs(work, exist_ok=True)
    data = bench_ingest.load_results(res)
    plots = bench_plot.plot_all(data, res, work)
    text, targets = bench_render.render(data, plots, datetime.date.today())
    with open(os.path.join(res, 'report.md'), 'w') as f:
        f.write(text)
    print('report.py: wrote %s (%d plots)' % (os.path.join(res, 'report.md'),
                                              len(plots)))
    for what, goal, measured, r in targets:
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
    a.add_argument('--meta', action='append', default=[], metavar='KEY=VALUE',
                   help='a fact about the session for the meta files '
                   '(empty values are left out); may be repeated')
    a.set_defaults(fn=ingest)
    a = sub.add_parser('report')
    a.add_argument('results')
    a.add_argument('--work', default='')
    a.set_defaults(fn=report)
    args = ap.parse_args()
    args.fn(args)


if __name__ == '__main__':
    main()
