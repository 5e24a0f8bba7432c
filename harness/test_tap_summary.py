#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks of tap-summary.py, which gives make check its verdict, on
made-up TAP whose answers are known: the counts of passed, failed and
skipped tests, and the check of each TAP stream against its plan (a
result line that vanished, glued to a diagnostic without its newline,
must fail the run).  The summariser runs as make check runs it, as a
program on files.  TAP on stdout, in the form of harness-selftest.sh (one
"# ok" line per case, then one line for all).
"""
import os
import subprocess
import sys
import tempfile

import tap_cases

SUMMARY = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       'tap-summary.py')


def summarise(*texts):
    """Run tap-summary.py on one file per text; (exit status, lines)."""
    with tempfile.TemporaryDirectory(prefix='test-tap-summary-') as tmp:
        paths = []
        for i, text in enumerate(texts, 1):
            path = os.path.join(tmp, '%d.tap' % i)
            with open(path, 'w') as f:
                f.write(text)
            paths.append(path)
        run = subprocess.run([sys.executable, SUMMARY] + paths,
                             capture_output=True, text=True, check=False)
    # Only the summariser's own lines go into assertion messages: they
    # are printed as "# # " comments, where made-up TAP would be read as
    # results by the summary of make check itself.
    return run.returncode, run.stdout.splitlines()


def plan_failures(lines):
    return [line for line in lines if ': plan 1..' in line]


def expect(texts, last, rc, plan_fails=0):
    """Summarise TEXTS; the last line must be LAST, the exit status RC,
    and PLAN_FAILS streams must be reported as not matching their plan."""
    got_rc, lines = summarise(*texts)
    assert lines and lines[-1] == last, lines
    assert got_rc == rc, (got_rc, lines)
    assert len(plan_failures(lines)) == plan_fails, lines
    return lines


# The output of run_kselftest.sh for run_vmtests.sh, as guest-mm-tests.sh
# saves it: a harness binary's cases at depth 2, each program at depth 1
# with its plan at the end, the wrapper at depth 0.
KSELFTEST = '''TAP version 13
1..1
# selftests: mm: run_vmtests.sh
# TAP version 13
# # running ./async_fork
# # TAP version 13
# # 1..3
# # #  RUN           global.einval ...
# # ok 1 global.einval
# # ok 2 async_fork.write_every_page
# # ok 3 async_fork.thp
# # # Totals: pass:3 fail:0 xfail:0 xpass:0 skip:0 error:0
# ok 1 async_fork
# # running ./mkdirty
# ok 2 mkdirty
# # running ./memfd_secret
# # memfd_secret not supported
# ok 3 memfd_secret # SKIP
# # SUMMARY: PASS=2 SKIP=1 FAIL=0
# 1..3
ok 1 selftests: mm: run_vmtests.sh
'''


def test_complete_stream_passes():
    """Every result there: the programs of run_vmtests.sh are counted
    (not the harness binary's cases, nor the wrapper), no plan fails."""
    lines = expect([KSELFTEST], '2 passed, 0 failed, 1 skipped', 0)
    assert not [line for line in lines if line.startswith('FAIL')], lines


def test_glued_result_fails():
    """A diagnostic copied from stderr without its newline swallows the
    next result line: 4 results where the plan says 5 must fail, though
    all 4 passed."""
    text = '''TAP version 13
1..5
ok 1 foo
ok 2 bar
ok 3 baz
ok 4 qux
# warning: blah ok 5 foo
'''
    lines = expect([text], '4 passed, 1 failed, 0 skipped', 1, 1)
    fail = plan_failures(lines)[0]
    assert 'plan 1..5' in fail and '4 results' in fail, fail
    assert 'depth 0' in fail and 'missing 5' in fail, fail


def test_glued_result_in_harness_binary_fails():
    """The same at depth 2, below the programs that are counted: the
    harness binary's own plan catches it."""
    text = KSELFTEST.replace('# # ok 2 async_fork.write_every_page\n',
                             '# # # note: no newline ok 2 '
                             'async_fork.write_every_page\n')
    lines = expect([text], '2 passed, 1 failed, 1 skipped', 1, 1)
    fail = plan_failures(lines)[0]
    assert 'plan 1..3' in fail and 'depth 2' in fail, fail
    assert 'missing 2' in fail, fail


def test_skipped_plan_is_not_a_failure():
    """"1..0 # SKIP why" promises no result: a whole file of it beside
    another, a stream of it before another, or a harness binary of it
    inside run_vmtests.sh."""
    expect(['TAP version 13\n1..0 # SKIP no redis-server\n',
            'TAP version 13\n1..1\nok 1 config\n'],
           '1 passed, 0 failed, 0 skipped', 0)
    expect(['1..0 # SKIP no redis-server\nok 1 config\n1..1\n'],
           '1 passed, 0 failed, 0 skipped', 0)
    text = KSELFTEST.replace('# # memfd_secret not supported\n',
                             '# # TAP version 13\n'
                             '# # 1..0 # SKIP memfd_secret not supported\n')
    expect([text], '2 passed, 0 failed, 1 skipped', 0)


def test_planned_then_skipped_is_not_a_failure():
    """A harness binary that planned 3 cases and gave up after one
    (ksft_exit_skip after ksft_set_plan) is reported as a skip by
    run_vmtests.sh; its short block is that skip, not one more failure."""
    text = KSELFTEST.replace('# # ok 2 async_fork.write_every_page\n'
                             '# # ok 3 async_fork.thp\n',
                             '# # ok 2 # SKIP no THP\n').replace(
                                 '# ok 1 async_fork\n',
                                 '# ok 1 async_fork # SKIP\n')
    expect([text], '1 passed, 0 failed, 2 skipped', 0)


def test_plan_at_end():
    """"# 1..8" after the results, as harness-selftest.sh and
    test_report.py print it: all 8 pass; 7 of them fail the plan."""
    cases = ''.join('# ok %d case %d\n' % (i, i) for i in range(1, 9))
    text = 'TAP version 13\n%s# 1..8\nok 1 harness\n' % cases
    expect([text], '8 passed, 0 failed, 0 skipped', 0)
    short = text.replace('# ok 6 case 6\n', '')
    lines = expect([short], '7 passed, 1 failed, 0 skipped', 1, 1)
    assert 'plan 1..8' in plan_failures(lines)[0], lines


def test_concatenated_streams():
    """Two scripts' outputs nested in one file, each with its own plan,
    with or without their headers, the plan first or last: each stream
    is held to its own plan only."""
    first = '# TAP version 13\n# 1..2\n# ok 1 a\n# ok 2 b\n'
    second = '# TAP version 13\n# 1..3\n# ok 1 c\n# ok 2 d\n# ok 3 e\n'
    expect([first + second], '5 passed, 0 failed, 0 skipped', 0)
    headless_last = '# ok 1 c\n# ok 2 d\n# ok 3 e\n# 1..3\n'
    expect(['# 1..2\n# ok 1 a\n# ok 2 b\n' + headless_last],
           '5 passed, 0 failed, 0 skipped', 0)
    # A stream without a plan (sync-sites.sh's inner one) before one
    # with it first: that plan is the second's, not the end of the first.
    expect(['# ok 1 a\n# ok 2 b\n' + second],
           '5 passed, 0 failed, 0 skipped', 0)
    # The first one short by a result: its plan, not the second's, fails.
    lines = expect([first.replace('# ok 2 b\n', '') + second],
                   '4 passed, 1 failed, 0 skipped', 1, 1)
    assert 'plan 1..2' in plan_failures(lines)[0], lines


def test_not_ok_is_failed():
    """A "not ok" is a failure, named; the plan is met, so only one."""
    text = 'TAP version 13\n1..3\nok 1 a\nnot ok 2 b # exit=1\nok 3 c\n'
    lines = expect([text], '2 passed, 1 failed, 0 skipped', 1)
    assert 'FAIL b exit=1' in lines, lines


def test_failed_case_is_named():
    """A harness case that failed is named under its program's FAIL line,
    with the harness's words on why; the cases that passed are not."""
    inner = ('TAP version 13\n1..2\n'
             '# RUN async_fork.pmd.a ...\n# OK async_fork.pmd.a\n'
             'ok 1 async_fork.pmd.a\n'
             '# RUN async_fork.pmd.b ...\n'
             '# async_fork.c:3061:b:Expected after - at_sent (9) <= 2 (2)\n'
             '# b: Test failed\n# FAIL async_fork.pmd.b\n'
             'not ok 2 async_fork.pmd.b\n# Totals: pass:1 fail:1\n')
    nested = ''.join('# # ' + line + '\n' for line in inner.splitlines())
    text = ('TAP version 13\n1..1\n# selftests: mm: run_vmtests.sh\n'
            + nested + '# not ok 1 async_fork # exit=1\n# 1..1\n'
            'not ok 1 selftests: mm: run_vmtests.sh # exit=1\n')
    lines = expect([text], '0 passed, 1 failed, 0 skipped', 1)
    at = lines.index('FAIL async_fork exit=1')
    assert lines[at + 1] == '  failed case: async_fork.pmd.b', lines
    assert 'Expected after - at_sent (9) <= 2 (2)' in lines[at + 2], lines
    assert not [line for line in lines if 'pmd.a' in line], lines


def test_real_run_shapes_are_not_plan_failures():
    """Shapes of complete real runs: a forked child that prints results
    again (ksm_functional_tests, results/2026-11-26-check-debug/mm-0.tap),
    a header after the plan (an mm-async2.tap joined by hand, in git history),
    and the "not ok 999" check.sh appends to a complete stream."""
    text = KSELFTEST.replace('# # ok 3 async_fork.thp\n',
                             '# # ok 2 async_fork.write_every_page\n'
                             '# # ok 3 async_fork.thp\n')
    expect([text], '2 passed, 0 failed, 1 skipped', 0)
    text = KSELFTEST.replace('TAP version 13\n1..1\n',
                             '1..1\nguest: vm.async_fork = 2\n'
                             'TAP version 13\n', 1)
    expect([text], '2 passed, 0 failed, 1 skipped', 0)
    text = 'TAP version 13\n1..2\nok 1 a\nok 2 b\nnot ok 999 guest failed\n'
    expect([text], '2 passed, 1 failed, 0 skipped', 1)


def test_empty_file_has_no_results():
    lines = expect([''], '0 passed, 1 failed, 0 skipped', 1)
    assert lines[0].startswith('no test results found'), lines


def main():
    return tap_cases.run('tap summary', globals())


if __name__ == '__main__':
    sys.exit(main())
