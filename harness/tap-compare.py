#!/usr/bin/env python3
"""Compare two kselftest TAP runs test by test.

usage: tap-compare.py LABEL_A TAP_A LABEL_B TAP_B

Takes the results that run_vmtests.sh reports (depth 1, or depth 0 when a
file has nothing deeper), matches them by name (and by occurrence, for a
test run more than once), and prints TAP: "ok" for a test whose result
(pass, fail or skip) is the same in both runs, "not ok" with both results
where they differ or where a test ran in only one of the runs.
"""
import sys
from collections import Counter

sys.path.insert(0, __file__.rsplit('/', 1)[0])
from importlib import import_module  # noqa: E402

summary = import_module('tap-summary')


def results(path):
    with open(path, errors='replace') as f:
        parsed = list(summary.parse(f.readlines()))
    depth = 1 if any(r[0] >= 1 for r in parsed) else 0
    seen = Counter()
    out = {}
    order = []
    for d, ok, name, directive in parsed:
        if d != depth:
            continue
        seen[name] += 1
        key = (name, seen[name])
        if directive.upper().startswith('SKIP'):
            out[key] = 'skip'
        else:
            out[key] = 'pass' if ok else 'fail'
        order.append(key)
    return out, order


def main():
    if len(sys.argv) != 5:
        sys.exit('usage: tap-compare.py LABEL_A TAP_A LABEL_B TAP_B')
    la, pa, lb, pb = sys.argv[1:]
    a, order_a = results(pa)
    b, order_b = results(pb)
    keys = order_a + [k for k in order_b if k not in a]
    if not keys:
        print('not ok 1 no results to compare in %s and %s' % (pa, pb))
        return 1
    bad = 0
    for i, key in enumerate(keys, 1):
        name = key[0] + ('' if key[1] == 1 else ' (#%d)' % key[1])
        ra, rb = a.get(key, 'missing'), b.get(key, 'missing')
        if ra == rb:
            print('ok %d same in %s and %s (%s): %s' % (i, la, lb, ra, name))
        else:
            bad += 1
            print('not ok %d differs: %s %s, %s %s: %s' % (i, la, ra, lb, rb, name))
    print('1..%d' % len(keys))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
