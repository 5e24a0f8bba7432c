#!/usr/bin/env python3
"""Summarise kselftest TAP output.

Counts the innermost results (the tests run_vmtests.sh runs, or the cases
of a harness test), lists every failure and every skip with its reason, and
prints "N passed, N failed, N skipped" as the last line.  Exits 1 when a test
failed or when no result was found at all.
"""
import re
import sys

RESULT = re.compile(r'^((?:# )*)(not ok|ok) (\d+) (.*)$')


def skip_reason(context):
    """The last line of a skipped test's output that says why."""
    for line in reversed(context):
        text = line.strip().lstrip('# ').strip()
        if text and text != '[SKIP]' and re.search(r'skip|not (found|avail|supported|enabled)|requires|missing', text, re.I):
            return text
    return ''


def parse(lines):
    """Yield (depth, ok, name, directive) for every TAP result line."""
    context = []
    for line in lines:
        m = RESULT.match(line.rstrip('\n'))
        if not m:
            context.append(line)
            continue
        depth = len(m.group(1)) // 2
        rest = m.group(4)
        name, _, directive = rest.partition(' # ')
        directive = directive.strip()
        if directive.upper() == 'SKIP':
            directive = 'SKIP ' + skip_reason(context)
        if depth <= 1:
            context = []
        yield depth, m.group(2) == 'ok', name.strip(), directive


def main():
    if len(sys.argv) < 2:
        sys.exit('usage: tap-summary.py TAPFILE...')
    results = []
    for path in sys.argv[1:]:
        with open(path, errors='replace') as f:
            lines = f.readlines()
        parsed = list(parse(lines))
        # Keep the leaves: a result line followed by none deeper that
        # belongs to it.  The runner's wrapper line ("ok 1 selftests: mm:
        # run_vmtests.sh") is only counted when nothing ran inside it.
        inner = [r for r in parsed if r[0] >= 1]
        outer = [r for r in parsed if r[0] == 0]
        leaves = inner if inner else outer
        # run_vmtests.sh reports at depth 1; a harness binary's own cases
        # at depth 2 are detail of the depth-1 result, keep depth 1 only.
        if inner:
            leaves = [r for r in inner if r[0] == 1] or inner
        results.extend(leaves)
        for depth, ok, name, directive in outer:
            if not ok and not directive.upper().startswith('SKIP'):
                if 'timeout' in directive.lower() or 'TIMEOUT' in name:
                    results.append((0, False, name, directive))

    passed = failed = skipped = 0
    for _, ok, name, directive in results:
        if directive.upper().startswith('SKIP'):
            skipped += 1
            print('SKIP %s: %s' % (name, directive[4:].strip(' :') or
                                   'no reason given'))
        elif ok:
            passed += 1
        else:
            failed += 1
            print('FAIL %s %s' % (name, directive))
    if not results:
        print('no test results found in %s' % ' '.join(sys.argv[1:]))
        failed += 1
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
