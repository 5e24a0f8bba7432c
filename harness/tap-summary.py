#!/usr/bin/env python3
"""Summarise kselftest TAP output.

Counts the innermost results (the tests run_vmtests.sh runs, or the cases
of a harness test), lists every failure and every skip with its reason, and
prints "N passed, N failed, N skipped" as the last line.  Exits 1 when a test
failed or when no result was found at all.

It also holds every TAP stream, at every nesting level, to its plan: a
result line can vanish without a trace (glued to the end of a diagnostic
that lacked its newline, or never printed because the test died), and the
plan is the only record that it should have been there.  Each such broken
plan counts as one failure.
"""
import re
import sys

RESULT = re.compile(r'^((?:# )*)(not ok|ok) (\d+) (.*)$')
# "1..N", optionally with a directive ("1..0 # SKIP no hugetlb").
PLAN = re.compile(r'^((?:# )*)1\.\.(\d+)\s*(?:#.*)?$')
VERSION = re.compile(r'^((?:# )*)TAP version \d+\s*$')
# "# SKIP", "# skip: why" after the name, or alone ("ok 4 # SKIP why").
SKIP_DIRECTIVE = re.compile(r'(?:^|\s)#\s*SKIP\b', re.I)


def skip_reason(context):
    """The last line of a skipped test's output that says why."""
    for line in reversed(context):
        text = line.strip().lstrip('# ').strip()
        if text and text != '[SKIP]' and re.search(r'skip|not (found|avail|supported|enabled)|requires|missing', text, re.I):
            return text
    return ''


# A harness's or a script's words on why a case failed: "file.c:12:name:
# Expected ...", "[FAIL]", "not ok" and the like.
FAILURE_WORDS = re.compile(r':\d+:|expected|\bfail|error', re.I)


def failure_lines(lines, most=4):
    """The last MOST lines of LINES that say why a case failed."""
    found = [line.strip().lstrip('# ').strip() for line in lines]
    return [text for text in found if text and FAILURE_WORDS.search(text)][-most:]


def parse(lines, details=None):
    """Yield (depth, ok, name, directive) for every TAP result line.

    DETAILS, a dict, gets for each failed result at depth 1 or less (by
    its index among the results) the failed results nested in it, each
    with the lines before it that say why: so that a log's tail names the
    case that failed, not only the program.  A side dict rather than a
    fifth field, as tap-compare.py takes the results as they are.
    """
    context = []
    since = []          # lines since the result before
    nested = []         # failed deeper results since the last shallow one
    index = 0
    for line in lines:
        m = RESULT.match(line.rstrip('\n'))
        if not m:
            context.append(line)
            since.append(line)
            continue
        depth = len(m.group(1)) // 2
        failed = m.group(2) == 'not ok'
        if depth >= 2 and failed:
            nested.append((m.group(4).partition(' # ')[0].strip(),
                           failure_lines(since)))
        elif depth <= 1:
            if failed and details is not None:
                details[index] = nested
            nested = []
        since = []
        index += 1
        rest = m.group(4)
        name, _, directive = rest.partition(' # ')
        directive = directive.strip()
        if directive.upper() == 'SKIP':
            directive = 'SKIP ' + skip_reason(context)
        if depth <= 1:
            context = []
        yield depth, m.group(2) == 'ok', name.strip(), directive


class Block:
    """The results at one depth of one TAP stream, and the plan of them."""

    def __init__(self):
        self.plan = None        # N of its "1..N", until one is seen
        self.plan_line = 0
        self.results = []       # (number, not_ok) of each result line


def ranges(numbers, most=8):
    """'3, 5-7' for {3, 5, 6, 7}; only the first MOST runs are named."""
    runs = []
    for n in sorted(numbers):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    text = ', '.join(str(a) if a == b else '%d-%d' % (a, b)
                     for a, b in runs[:most])
    return text + (', ...' if len(runs) > most else '')


def plan_mismatches(raw_lines):
    """A message for each block whose results do not match its plan.

    RAW_LINES: the file read with newline='', so that a lone carriage
    return (progress output) splits lines as for parse() but the line
    numbers in the messages are those of an editor or grep -n.

    A block is the results at one depth that one plan governs.  It starts
    at a "TAP version" line, at a plan that is not the end of the block
    before it, or at a result numbered 1 after other results (TAP numbers
    from 1, so that is a new stream even without a header).  It ends at a
    plan after its results (the plan at the end, as run_vmtests.sh and
    harness-selftest.sh print it), at a shallower result (with which the
    runner reports the program whose output it was), at a shallower
    header or plan, or at the end of the file.  A block without a plan is
    not checked: kselftest prints none for some programs.
    """
    blocks = {}         # depth -> the open Block there
    found = []

    def close(depth, skipped=False):
        """Check and drop the blocks at DEPTH and deeper.  SKIPPED: the
        result that ends them is a skip, and a program that planned N
        tests may then give up (ksft_exit_skip after ksft_set_plan): it is
        counted as a skip already, so its short block is no failure."""
        for d in sorted(k for k in blocks if k >= depth):
            block = blocks.pop(d)
            if block.plan is None or skipped:
                continue
            # By number, not by line: a forked child that inherits an
            # unflushed stdout prints some results twice (ksm_functional_tests
            # in results/2026-11-26-check-debug/mm-0.tap).
            numbers = {n for n, _ in block.results}
            missing = set(range(1, block.plan + 1)) - numbers
            # A "not ok" past the plan is counted as a failure already:
            # check.sh appends "not ok 999 ..." to a complete stream
            # when something else went wrong.
            extra = {n for n, not_ok in block.results
                     if n > block.plan and not not_ok}
            if not missing and not extra:
                continue
            why = (['missing %s' % ranges(missing)] if missing else []) + \
                (['unplanned %s' % ranges(extra)] if extra else [])
            found.append('plan 1..%d (line %d) but %d results at depth %d: %s'
                         % (block.plan, block.plan_line, len(numbers), d,
                            ', '.join(why)))

    lineno = 1
    for raw in raw_lines:
        line = raw.rstrip('\r\n')
        m = RESULT.match(line)
        if m:
            depth = len(m.group(1)) // 2
            number = int(m.group(3))
            close(depth + 1, SKIP_DIRECTIVE.search(m.group(4)) is not None)
            block = blocks.get(depth)
            if block is not None and number == 1 and block.results:
                close(depth)
                block = None
            if block is None:
                block = blocks[depth] = Block()
            block.results.append((number, m.group(2) == 'not ok'))
        elif m := PLAN.match(line):
            depth = len(m.group(1)) // 2
            close(depth + 1)
            block = blocks.get(depth)
            if block is None or block.plan is not None:
                # The plan at the start of a new block.
                close(depth)
                block = blocks[depth] = Block()
            block.plan = int(m.group(2))
            block.plan_line = lineno
            # The plan at the end, or "1..0 # SKIP why": nothing follows.
            if block.results or block.plan == 0:
                close(depth)
        elif m := VERSION.match(line):
            depth = len(m.group(1)) // 2
            close(depth + 1)
            # A header between a plan and its results is a late header,
            # not a new stream: an mm-async2.tap of 2026-11-26, joined by
            # hand (results/check-debug/ at a18025f^), had "1..1" before
            # "TAP version 13".
            block = blocks.get(depth)
            if block is None or block.plan is None or block.results:
                close(depth)
        if raw.endswith('\n'):
            lineno += 1
    close(0)
    return found


def main():
    if len(sys.argv) < 2:
        sys.exit('usage: tap-summary.py TAPFILE...')
    results = []
    broken_plans = []
    for path in sys.argv[1:]:
        with open(path, errors='replace', newline='') as f:
            raw_lines = f.readlines()
        broken_plans += ['%s: %s' % (path, why)
                         for why in plan_mismatches(raw_lines)]
        # As a text-mode read would give them to parse().
        lines = [raw.rstrip('\r\n') + '\n' for raw in raw_lines]
        why = {}
        parsed = list(parse(lines, why))
        parsed = [r + (why.get(i, []),) for i, r in enumerate(parsed)]
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
        for depth, ok, name, directive, nested in outer:
            if not ok and not directive.upper().startswith('SKIP'):
                if 'timeout' in directive.lower() or 'TIMEOUT' in name:
                    results.append((0, False, name, directive, nested))

    passed = failed = skipped = 0
    for _, ok, name, directive, nested in results:
        if directive.upper().startswith('SKIP'):
            skipped += 1
            print('SKIP %s: %s' % (name, directive[4:].strip(' :') or
                                   'no reason given'))
        elif ok:
            passed += 1
        else:
            failed += 1
            print('FAIL %s %s' % (name, directive))
            for case, why in nested:
                print('  failed case: %s' % case)
                for text in why:
                    print('    %s' % text)
    for why in broken_plans:
        failed += 1
        print('FAIL %s' % why)
    if not results:
        print('no test results found in %s' % ' '.join(sys.argv[1:]))
        failed += 1
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
