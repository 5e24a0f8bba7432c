#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that the user-space numbers the series adds are not mainline's.

The series' prctl options and clone flags are read from the patches
(patches/linux/*.patch by default: the "#define PR_..." lines that the
hunks of include/uapi/linux/prctl.h add and the "#define CLONE_..." (and
UNSHARE_..., CSIGNAL) lines of include/uapi/linux/sched.h, in patch
order, so that a later patch that changes a value wins) or, with
--header, from header files.  They are
compared with the list of mainline's numbers (mainline-uapi.txt, next to
this script): a prctl option collides when it is equal to a mainline
option, a clone flag when it shares a bit with a mainline flag (the exit
signal byte, CSIGNAL, included).  A name that mainline has too, with
mainline's value, is mainline's own (a backport), not a collision.

Sub-arguments are not options and are not checked: a "# define" line, as
mainline writes them, or a "#define PR_<X>_..." where the input or
mainline has an option PR_SET_<X>, PR_GET_<X> or PR_LOCK_<X> (mainline's
PR_CFI_BRANCH_LANDING_PADS).  No other rule: a name such as
PR_MCE_KILL_GET is an option.  Every define not taken for an option or a
flag is listed, with the reason, as TAP comments.

Then the checker tests itself on made-up patches and headers: values
that collide must be reported, values that do not must pass.

TAP on stdout, in the form of harness/bench/test_report.py: one
"# ok N uapi: ..." line per value and per self-test, then one line for
all.  Exits 1 when any test failed.

  check-uapi.py [--patches DIR] [--header FILE]... [--mainline FILE]
                [--no-self-test]
  check-uapi.py --dump HEADER...   (print a header's options and flags in
                                    the format of mainline-uapi.txt)
"""
import argparse
import ast
import glob
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, '..', '..'))
MAINLINE = os.path.join(HERE, 'mainline-uapi.txt')
PATCHES = os.path.join(TOP, 'patches', 'linux')

PRCTL_H = 'include/uapi/linux/prctl.h'
SCHED_H = 'include/uapi/linux/sched.h'
U64 = (1 << 64) - 1
U32 = (1 << 32) - 1

# The names of sched.h that share the clone flag bits: clone() takes the
# exit signal in its low byte, unshare() its own UNSHARE_ flags.
CLONE_NAMES = ('CLONE_', 'UNSHARE_', 'CSIGNAL')

DEFINE = re.compile(r'^\s*#(\s*)define\s+([A-Za-z_]\w*)(\()?\s*(.*)$')


class Define:
    """One "#define NAME EXPR" of the input."""

    def __init__(self, name, expr, indented, where):
        self.name = name
        self.expr = expr
        self.indented = indented
        self.where = where
        self.value = None
        self.error = None
        self.kind = None        # 'prctl', 'clone', 'arg' or 'other'
        self.why = ''


class Mainline:
    """The mainline numbers of mainline-uapi.txt."""

    def __init__(self, path):
        self.path = path
        self.prctl = []         # (value, name, note)
        self.clone = []         # (mask, name, note)
        self.errors = []
        with open(path) as f:
            for n, line in enumerate(f, 1):
                text = line.split('#', 1)[0].strip()
                if not text:
                    continue
                parts = text.split(None, 3)
                if len(parts) < 3 or parts[0] not in ('prctl', 'clone'):
                    self.errors.append('%s:%d: not "KIND VALUE NAME": %s'
                                       % (path, n, text))
                    continue
                try:
                    value = int(parts[1], 0)
                except ValueError:
                    self.errors.append('%s:%d: bad value %s'
                                       % (path, n, parts[1]))
                    continue
                note = parts[3] if len(parts) > 3 else ''
                entry = (value, parts[2], note)
                if parts[0] == 'prctl':
                    self.prctl.append(entry)
                else:
                    self.clone.append(entry)
        self.names = {}
        for value, name, _ in self.prctl:
            self.names[name] = ('prctl', value)
        for value, name, _ in self.clone:
            self.names[name] = ('clone', value)


# ---- reading defines ----------------------------------------------------

def strip_comment(text):
    text = re.sub(r'/\*.*?\*/', ' ', text)
    text = re.sub(r'/\*.*$', ' ', text)
    text = re.sub(r'//.*$', ' ', text)
    return text.strip()


def parse_define(text, where):
    """A Define for a PR_ or CLONE_ object-like macro on TEXT, or None."""
    m = DEFINE.match(text)
    if not m or m.group(3):     # function-like macro
        return None
    name = m.group(2)
    if not name.startswith(('PR_',) + CLONE_NAMES):
        return None
    return Define(name, strip_comment(m.group(4)), bool(m.group(1)), where)


def join_continued(lines):
    """Join the lines that end with a backslash to the next one."""
    out = []
    buf = ''
    for line in lines:
        if line.rstrip().endswith('\\'):
            buf += line.rstrip()[:-1] + ' '
            continue
        out.append(buf + line)
        buf = ''
    if buf:
        out.append(buf)
    return out


def defines_from_header(path):
    with open(path, errors='replace') as f:
        lines = join_continued(f.read().splitlines())
    found = []
    for n, line in enumerate(lines, 1):
        d = parse_define(line, '%s' % os.path.basename(path))
        if d:
            found.append(d)
    return found


HUNK = re.compile(r'^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@')


def defines_from_patches(paths):
    """The PR_ defines of prctl.h and the CLONE_ defines of sched.h after
    applying PATHS in order: what a hunk removes is dropped, what it adds
    is kept, the last definition of a name wins."""
    state = {}      # in the order of the last definition
    for path in paths:
        where = os.path.basename(path)
        with open(path, errors='replace') as f:
            lines = f.read().splitlines()
        target = None
        i = 0
        while i < len(lines):
            line = lines[i]
            i += 1
            if line.startswith('diff --git '):
                m = re.match(r'diff --git a/(\S+) b/(\S+)', line)
                target = m.group(2) if m else None
                continue
            if line.startswith('+++ '):
                p = line[4:].split('\t')[0].strip()
                if p.startswith('b/'):
                    target = p[2:]
                continue
            m = HUNK.match(line)
            if not m:
                continue
            old = int(m.group(1)) if m.group(1) is not None else 1
            new = int(m.group(2)) if m.group(2) is not None else 1
            removed, added = [], []
            while (old > 0 or new > 0) and i < len(lines):
                body = lines[i]
                i += 1
                if body.startswith('\\'):
                    continue
                tag, text = (body[:1], body[1:]) if body else (' ', '')
                if tag == '-':
                    old -= 1
                    removed.append(text)
                elif tag == '+':
                    new -= 1
                    added.append(text)
                else:
                    old -= 1
                    new -= 1
            prefix = {PRCTL_H: ('PR_',), SCHED_H: CLONE_NAMES}.get(target)
            if not prefix:
                continue
            for text in join_continued(removed):
                d = parse_define(text, where)
                if d and d.name.startswith(prefix):
                    state.pop(d.name, None)
            for text in join_continued(added):
                d = parse_define(text, where)
                if d and d.name.startswith(prefix):
                    state.pop(d.name, None)
                    state[d.name] = d
    return list(state.values())


# ---- evaluating ---------------------------------------------------------

CAST = re.compile(r'\(\s*(?:(?:unsigned|signed|long|int|short|char|'
                  r'__u64|__u32|__s64|__s32|__u16|__u8|u64|u32)\s*)+\)')
NUMBER = re.compile(r'\b(0[xX][0-9a-fA-F]+|\d+)([uUlL]*)\b')
BIT_MACROS = ('_BITUL', '_BITULL', 'BIT', 'BIT_ULL')


def c_number(m):
    digits = m.group(1)
    if digits[:2] in ('0x', '0X'):
        return str(int(digits, 16))
    if len(digits) > 1 and digits.startswith('0'):
        return str(int(digits, 8))
    return str(int(digits))


def evaluate(expr, env):
    """The value of the C integer expression EXPR, with the names of ENV;
    only integer literals, names, _BITUL()-style macros, casts to integer
    types and the operators + - * ~ << >> & | ^ are allowed."""
    if not expr:
        raise ValueError('empty definition')
    text = NUMBER.sub(c_number, CAST.sub(' ', expr))
    tree = ast.parse(text, mode='eval')

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int) \
                and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in env:
                raise ValueError('unknown name %s' % node.id)
            return env[node.id]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in BIT_MACROS and len(node.args) == 1 \
                and not node.keywords:
            return 1 << check_shift(ev(node.args[0]))
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            if isinstance(node.op, ast.Invert):
                return ~v & U64
            if isinstance(node.op, ast.USub):
                return -v
            if isinstance(node.op, ast.UAdd):
                return v
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left), ev(node.right)
            op = node.op
            if isinstance(op, ast.LShift):
                return a << check_shift(b)
            if isinstance(op, ast.RShift):
                return a >> check_shift(b)
            if isinstance(op, ast.BitOr):
                return a | b
            if isinstance(op, ast.BitAnd):
                return a & b
            if isinstance(op, ast.BitXor):
                return a ^ b
            if isinstance(op, ast.Add):
                return a + b
            if isinstance(op, ast.Sub):
                return a - b
            if isinstance(op, ast.Mult):
                return a * b
        raise ValueError('cannot evaluate %s' % ast.dump(node)[:60])

    value = ev(tree)
    if value < 0:
        value &= U64
    if value > U64:
        raise ValueError('more than 64 bits')
    return value


def check_shift(n):
    if not 0 <= n < 64:
        raise ValueError('shift by %d' % n)
    return n


# ---- classifying --------------------------------------------------------

def classify(defines, mainline):
    """Evaluate DEFINES in order and say what each is: a prctl option, a
    clone flag, a sub-argument or something else."""
    env = {}
    for name, (_, value) in mainline.names.items():
        env[name] = value
    for d in defines:
        try:
            d.value = evaluate(d.expr, env)
            env[d.name] = d.value
        except (ValueError, SyntaxError, TypeError, RecursionError) as e:
            d.error = '%s (%r)' % (e, d.expr)

    options = [d.name for d in defines if d.name.startswith('PR_')
               and not d.indented]
    options += [n for n, (k, _) in mainline.names.items() if k == 'prctl']
    stems = set()
    for n in options:
        m = re.match(r'^PR_(?:SET|GET|LOCK)_(\w+)$', n)
        if m:
            stems.add(m.group(1))
    for d in defines:
        known = mainline.names.get(d.name)
        if d.name.startswith(CLONE_NAMES):
            if d.name.startswith('CLONE_ARGS_SIZE'):
                d.kind, d.why = 'other', 'a size of struct clone_args'
            else:
                d.kind, d.why = 'clone', ''
        elif d.indented:
            d.kind, d.why = 'arg', 'written "# define"'
        elif known and known[0] == 'prctl':
            d.kind, d.why = 'prctl', ''
        else:
            stem = [s for s in stems if d.name.startswith('PR_%s_' % s)]
            if stem:
                d.kind = 'arg'
                d.why = 'PR_%s_* argument of PR_*_%s' % (stem[0], stem[0])
            else:
                d.kind, d.why = 'prctl', ''
    return defines


# ---- checking -----------------------------------------------------------

def bits(mask):
    b = [i for i in range(64) if mask >> i & 1]
    if not b:
        return 'no bit'
    if len(b) == 1:
        return 'bit %d' % b[0]
    if b == list(range(b[0], b[-1] + 1)):
        return 'bits %d-%d' % (b[0], b[-1])
    return 'bits ' + ','.join(str(x) for x in b)


def fmt_prctl(v):
    return '%d (0x%x)' % (v, v) if v < 0x10000 else '0x%x' % v


def with_note(note):
    return ' [%s]' % note if note else ''


def check(defines, mainline):
    """[(ok, description, details)] for the defines of the series."""
    results = []
    opts = [d for d in defines if d.kind == 'prctl']
    flags = [d for d in defines if d.kind == 'clone']
    new_opts = [d for d in opts if d.name not in mainline.names]
    new_flags = [d for d in flags if d.name not in mainline.names]
    results.append((bool(new_opts) and bool(new_flags),
                    'the series adds at least one prctl option and one '
                    'clone flag (%d prctl option%s, %d clone flag%s)'
                    % (len(new_opts), '' if len(new_opts) == 1 else 's',
                       len(new_flags), '' if len(new_flags) == 1 else 's'),
                    []))
    for d in opts:
        where = ['from %s' % d.where]
        if d.error:
            results.append((False, 'prctl option %s: %s' % (d.name, d.error),
                            where))
            continue
        v = d.value
        known = mainline.names.get(d.name)
        if known:
            ok = known == ('prctl', v)
            results.append((ok, 'prctl option %s = %s is %s' % (
                d.name, fmt_prctl(v), "mainline's own (same name and value)"
                if ok else 'mainline\'s name with another value (mainline: '
                '%s)' % fmt_prctl(known[1])), where))
            continue
        if v > U32:
            results.append((False, 'prctl option %s = 0x%x does not fit the '
                            'int option of prctl() (it becomes %s)' % (
                                d.name, v, fmt_prctl(v & U32)), where))
            continue
        hits = ['mainline %s = %s%s' % (n, fmt_prctl(mv), with_note(note))
                for mv, n, note in mainline.prctl if mv == v]
        hits += ['the series\' %s' % o.name for o in opts
                 if o is not d and o.value == v and not o.error]
        if hits:
            results.append((False, 'prctl option %s = %s collides with %s'
                            % (d.name, fmt_prctl(v), ' and '.join(hits)),
                            where))
        else:
            results.append((True, 'prctl option %s = %s is no mainline '
                            'option' % (d.name, fmt_prctl(v)), where))
    for d in flags:
        where = ['from %s' % d.where]
        if d.error:
            results.append((False, 'clone flag %s: %s' % (d.name, d.error),
                            where))
            continue
        v = d.value
        known = mainline.names.get(d.name)
        if known:
            ok = known == ('clone', v)
            results.append((ok, 'clone flag %s = 0x%x is %s' % (
                d.name, v, "mainline's own (same name and value)" if ok else
                'mainline\'s name with another value (mainline: 0x%x)'
                % known[1]), where))
            continue
        if v == 0:
            results.append((False, 'clone flag %s is 0' % d.name, where))
            continue
        hits = ['mainline %s = 0x%x%s' % (n, m, with_note(note or bits(m)))
                for m, n, note in mainline.clone if m & v]
        hits += ['the series\' %s' % o.name for o in flags
                 if o is not d and not o.error and o.value & v]
        if hits:
            results.append((False, 'clone flag %s = 0x%x (%s) shares bits '
                            'with %s' % (d.name, v, bits(v),
                                         ' and '.join(hits)), where))
        else:
            results.append((True, 'clone flag %s = 0x%x (%s) shares no '
                            'bit with a mainline clone flag'
                            % (d.name, v, bits(v)), where))
    return results


def describe(defines):
    """Comment lines: what every define read was taken for."""
    out = []
    for d in defines:
        if d.kind in ('arg', 'other'):
            out.append('%s = %s: %s, not checked (%s; %s)' % (
                d.name, d.expr, 'sub-argument' if d.kind == 'arg' else
                'not a flag', d.why, d.where))
    return out


def mainline_sane(mainline):
    """(ok, description) for the list itself."""
    cover = 0
    for m, _, _ in mainline.clone:
        cover |= m
    ok = not mainline.errors and len(mainline.prctl) >= 80 \
        and cover == (1 << 38) - 1
    desc = ('mainline list %s read: %d prctl option numbers (%d names), '
            'clone %s' % (os.path.relpath(mainline.path, TOP),
                          len(set(v for v, _, _ in mainline.prctl)),
                          len(mainline.prctl), bits(cover)))
    return ok, desc, mainline.errors


# ---- self-tests ---------------------------------------------------------

PATCH = """From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
Subject: [PATCH] made-up

---
diff --git a/include/uapi/linux/prctl.h b/include/uapi/linux/prctl.h
index 1111111..2222222 100644
--- a/include/uapi/linux/prctl.h
+++ b/include/uapi/linux/prctl.h
@@ -328,3 +328,7 @@ struct prctl_mm_map {
 # define PR_PPC_DEXCR_CTRL_MASK\t\t0x1f
 
+/* made up */
+#define PR_SET_FOO\t\t%(opt)s
+# define PR_FOO_OFF\t\t0
+#define PR_FOO_MODE\t\t1 /* unindented argument */
 #endif /* _LINUX_PRCTL_H */
diff --git a/include/uapi/linux/sched.h b/include/uapi/linux/sched.h
index 3333333..4444444 100644
--- a/include/uapi/linux/sched.h
+++ b/include/uapi/linux/sched.h
@@ -36,6 +36,7 @@
 /* Flags for the clone3() syscall. */
 #define CLONE_CLEAR_SIGHAND 0x100000000ULL /* Clear any signal handler and reset to SIG_DFL. */
 #define CLONE_INTO_CGROUP 0x200000000ULL /* Clone into a specific cgroup given the right permissions. */
+#define CLONE_FOO %(flag)s /* made up */
 
 /*
  * cloning flags intersect with CSIGNAL so can be used with unshare and clone3
diff --git a/tools/testing/selftests/mm/foo.c b/tools/testing/selftests/mm/foo.c
--- /dev/null
+++ b/tools/testing/selftests/mm/foo.c
@@ -0,0 +1,2 @@
+#define PR_SET_BAR 74
+#define CLONE_BAR 0x400000000ULL
-- 
2.39.5
"""

FIXUP = """Subject: [PATCH] made-up renumbering
---
diff --git a/include/uapi/linux/prctl.h b/include/uapi/linux/prctl.h
--- a/include/uapi/linux/prctl.h
+++ b/include/uapi/linux/prctl.h
@@ -330,4 +330,3 @@
 /* made up */
-#define PR_SET_FOO\t\t74
+#define PR_SET_FOO\t\t0x464f4f31
 # define PR_FOO_OFF\t\t0
-#define PR_FOO_MODE\t\t1 /* unindented argument */
diff --git a/include/uapi/linux/sched.h b/include/uapi/linux/sched.h
--- a/include/uapi/linux/sched.h
+++ b/include/uapi/linux/sched.h
@@ -38,1 +38,1 @@
-#define CLONE_FOO 0x400000000ULL /* made up */
+#define CLONE_FOO (1ULL << 61) /* made up */
"""

HEADER = """/* made up */
#define PR_SET_PDEATHSIG  1
#define PR_SET_FOO\t%(opt)s
# define PR_FOO_OFF\t0
#define CLONE_FOO\t%(flag)s
#define CLONE_ARGS_SIZE_VER0 64
"""


class SelfTest:
    def __init__(self, mainline):
        self.mainline = mainline
        self.tmp = tempfile.mkdtemp(prefix='check-uapi.')

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def run_patches(self, *paths):
        return check(classify(defines_from_patches(list(paths)),
                              self.mainline), self.mainline)

    def run_header(self, path):
        return check(classify(defines_from_header(path), self.mainline),
                     self.mainline)

    @staticmethod
    def find(results, what):
        got = [r for r in results if r[1].startswith(what)]
        assert len(got) == 1, 'no single result for %r in %r' % (what, results)
        return got[0]

    def cleanup(self):
        for f in os.listdir(self.tmp):
            os.unlink(os.path.join(self.tmp, f))
        os.rmdir(self.tmp)

    def test_colliding_patch_is_reported(self):
        """PR_SET_FOO 74 and CLONE_FOO bit 34 in a patch: both reported,
        naming the mainline numbers they collide with."""
        r = self.run_patches(self.write('bad.patch', PATCH % {
            'opt': '74', 'flag': '0x400000000ULL'}))
        opt = self.find(r, 'prctl option PR_SET_FOO')
        flag = self.find(r, 'clone flag CLONE_FOO')
        assert not opt[0] and 'PR_GET_SHADOW_STACK_STATUS' in opt[1], opt
        assert not flag[0] and 'CLONE_AUTOREAP' in flag[1], flag
        assert self.find(r, 'the series adds')[0], r
        # Neither the arguments nor the selftest's copy are options.
        assert len(r) == 3, r

    def test_clean_patch_passes(self):
        r = self.run_patches(self.write('good.patch', PATCH % {
            'opt': '0x464f4f31', 'flag': '(1ULL << 61)'}))
        assert all(ok for ok, _, _ in r) and len(r) == 3, r

    def test_colliding_header_is_reported(self):
        r = self.run_header(self.write('bad.h', HEADER % {
            'opt': '74', 'flag': '_BITULL(34)'}))
        assert not self.find(r, 'prctl option PR_SET_FOO')[0], r
        assert not self.find(r, 'clone flag CLONE_FOO')[0], r
        assert self.find(r, 'prctl option PR_SET_PDEATHSIG ')[0], r

    def test_clean_header_passes(self):
        r = self.run_header(self.write('good.h', HEADER % {
            'opt': '0x464f4f31', 'flag': '0x2000000000000000ULL'}))
        assert all(ok for ok, _, _ in r), r

    def test_later_patch_wins(self):
        """A fix-up patch that renumbers: the last value counts."""
        first = self.write('0001.patch', PATCH % {
            'opt': '74', 'flag': '0x400000000ULL'})
        second = self.write('0002.patch', FIXUP)
        r = self.run_patches(first, second)
        assert all(ok for ok, _, _ in r) and len(r) == 3, r
        names = [d.name for d in defines_from_patches([first, second])]
        assert sorted(names) == ['CLONE_FOO', 'PR_FOO_OFF', 'PR_SET_FOO'], \
            names

    def test_nothing_found_fails(self):
        r = self.run_patches(self.write('empty.patch', 'Subject: nothing\n'))
        assert r and not r[0][0], r

    def test_csignal_and_series_overlap(self):
        """The exit-signal byte counts; two series values must differ."""
        text = PATCH % {'opt': '0x464f4f31', 'flag': '0x40'}
        text = text.replace('+#define PR_FOO_MODE\t\t1',
                            '+#define PR_GET_FOO\t\t0x464f4f31')
        r = self.run_patches(self.write('overlap.patch', text))
        flag = self.find(r, 'clone flag CLONE_FOO')
        assert not flag[0] and 'CSIGNAL' in flag[1], flag
        opt = self.find(r, 'prctl option PR_GET_FOO')
        assert not opt[0] and "series' PR_SET_FOO" in opt[1], opt

    def test_bad_values_fail(self):
        """An option wider than int, an expression that cannot be read."""
        r = self.run_patches(self.write('wide.patch', PATCH % {
            'opt': '0x10000004aULL', 'flag': 'CLONE_SOMETHING_ELSE'}))
        opt = self.find(r, 'prctl option PR_SET_FOO')
        assert not opt[0] and 'int' in opt[1], opt
        flag = self.find(r, 'clone flag CLONE_FOO')
        assert not flag[0] and 'unknown name' in flag[1], flag

    def test_expressions(self):
        env = {'X_SHIFT': 3}
        for expr, want in (('74', 74), ('0x4a', 74), ('0112', 74),
                           ('0x400000000ULL', 1 << 34), ('(1ULL << 60)',
                           1 << 60), ('_BITUL(2)', 4),
                           ('(0xffffUL << X_SHIFT)', 0xffff << 3),
                           ('((unsigned long)-1)', U64), ('(1 | 2) & ~1', 2)):
            got = evaluate(expr, env)
            assert got == want, (expr, got, want)
        for expr in ('__import__("os")', 'open', '1 / 2', '1 << 99', ''):
            try:
                evaluate(expr, env)
            except (ValueError, SyntaxError):
                continue
            raise AssertionError('%r was evaluated' % expr)


def self_tests(mainline):
    st = SelfTest(mainline)
    out = []
    try:
        for name in sorted(n for n in dir(st) if n.startswith('test_')):
            try:
                getattr(st, name)()
                out.append((True, 'self-test: %s' % name[5:], []))
            except AssertionError as e:
                out.append((False, 'self-test: %s' % name[5:],
                            str(e).splitlines()))
    finally:
        st.cleanup()
    return out


# ---- main ---------------------------------------------------------------

def dump(paths, known):
    """Print the options and flags of mainline headers as list lines."""
    defines = []
    for p in paths:
        defines += defines_from_header(p)
    for d in classify(defines, known):
        if d.error:
            print('# %s: %s' % (d.name, d.error))
        elif d.kind == 'prctl':
            print('prctl %-11s %s' % (d.value if d.value < 0x10000
                                      else '0x%x' % d.value, d.name))
        elif d.kind == 'clone':
            print('clone 0x%016x  %-21s %s' % (d.value, d.name, bits(d.value)))
    for line in describe(defines):
        print('# ' + line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--patches', default=PATCHES,
                    help='folder of the series (default patches/linux)')
    ap.add_argument('--header', action='append', default=[],
                    help='read the series\' values from this header '
                    'instead of the patches (may be repeated)')
    ap.add_argument('--mainline', default=MAINLINE,
                    help='the list of mainline numbers')
    ap.add_argument('--no-self-test', action='store_true')
    ap.add_argument('--dump', nargs='+', metavar='HEADER',
                    help='print the options and flags of HEADERs and exit')
    args = ap.parse_args()
    if args.dump:
        dump(args.dump, Mainline(args.mainline))
        return 0

    mainline = Mainline(args.mainline)
    if args.header:
        source = 'header%s %s' % ('s' if len(args.header) > 1 else '',
                                  ' '.join(args.header))
        defines = []
        for h in args.header:
            defines += defines_from_header(h)
    else:
        paths = sorted(glob.glob(os.path.join(args.patches, '*.patch')))
        source = '%d patches in %s' % (len(paths), args.patches)
        defines = defines_from_patches(paths)
    classify(defines, mainline)

    print('TAP version 13')
    print('# series values from %s' % source)
    for line in describe(defines):
        print('# ' + line)
    results = [mainline_sane(mainline)] + check(defines, mainline)
    if not args.no_self_test:
        results += self_tests(mainline)
    fails = 0
    for i, (ok, desc, details) in enumerate(results, 1):
        print('# %s %d uapi: %s' % ('ok' if ok else 'not ok', i, desc))
        for line in details:
            print('# # ' + line)
        fails += not ok
    print('# 1..%d' % len(results))
    print('%s 1 uapi numbers against mainline' % ('not ok' if fails else 'ok'))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
