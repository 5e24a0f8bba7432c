# SPDX-License-Identifier: GPL-2.0
"""Run the test_* functions of a checking script as one TAP test, in the
form of harness-selftest.sh: a "# ok N TITLE: case" comment per case (with
the traceback of a failed one as comments), then one result line for all.
"""
import traceback


def run(title, namespace):
    """Run every callable test_* of NAMESPACE (a module's globals()) in
    name order; print TAP; return the exit status (0: all passed)."""
    tests = [(n, f) for n, f in sorted(namespace.items())
             if n.startswith('test_') and callable(f)]
    print('TAP version 13')
    fails = 0
    for i, (name, fn) in enumerate(tests, 1):
        try:
            fn()
            print('# ok %d %s: %s' % (i, title, name[5:]))
        except Exception:
            fails += 1
            print('# not ok %d %s: %s' % (i, title, name[5:]))
            for line in traceback.format_exc().splitlines():
                print('# # ' + line)
    print('# 1..%d' % len(tests))
    print('%s 1 %s' % ('ok' if not fails else 'not ok', title))
    return 1 if fails else 0
