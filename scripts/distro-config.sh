#!/bin/bash
# Make a kernel .config from Debian's own config for this kernel version
# (package linux-config-6.12) plus CONFIG_ASYNC_FORK=y, in a kernel tree.
#
# usage: distro-config.sh [--worktree] guest|deb TREE
#
#   guest  for make check-distro: Debian's config changed only as far as
#          the QEMU test guest needs (kernel-config/distro-guest.config: no
#          modules, 9p/virtio/zram built in, no debug info)
#   deb    for make deb: Debian's config with all its modules, plus
#          CONFIG_LOCALVERSION="-asyncfork"; nothing else
#
# Both: CONFIG_ASYNC_FORK=y, and Debian's certificate paths blanked
# (CONFIG_SYSTEM_TRUSTED_KEYS, CONFIG_SYSTEM_REVOCATION_KEYS; the module
# signing key becomes the one the build generates) so that the plain source
# builds.
#
# --worktree: TREE is a git worktree of build/linux (KSRC), made when
# missing and moved to build/linux's HEAD when behind, as build/linux-debug.
#
# After olddefconfig, checks that every option asked for has the asked
# value and that Debian's choices that matter here (KEEP below) stayed; on
# a mismatch, fails naming each option and, from the Kconfig files, why
# (unmet "depends on", a "select ... if" that does not apply, who selects
# what blocks it).  TREE/.config is replaced only by a config that passed,
# and only when it differs, so that nothing is rebuilt needlessly; a config
# that failed is kept as TREE/.config.distro-failed.  What differs from
# Debian's config is listed in TREE/.config.distro-changes.
#
# Environment:
#   DISTRO_CONFIG        the base config, plain or .xz (default: Debian's
#                        config.amd64_none_amd64.xz from linux-config-6.12;
#                        /boot/config-$(uname -r) works too)
#   DISTRO_LOCALVERSION  deb: CONFIG_LOCALVERSION (default -asyncfork)
set -eu
. "$(dirname "$0")/lib.sh"

CONFIG_PKG=linux-config-6.12
DISTRO_CONFIG=${DISTRO_CONFIG:-/usr/src/$CONFIG_PKG/config.amd64_none_amd64.xz}
DISTRO_LOCALVERSION=${DISTRO_LOCALVERSION:--asyncfork}
# Debian's choices this project must not lose: Xen PV guest support and
# with it PARAVIRT_XXL, the preemption model switchable at boot, page
# table isolation, user shadow stacks, the LSMs.  Each must keep the value
# the base config gives it (checked, never set).
KEEP="PARAVIRT PARAVIRT_XXL XEN XEN_PV PREEMPT_DYNAMIC PREEMPT_VOLUNTARY
MITIGATION_PAGE_TABLE_ISOLATION X86_USER_SHADOW_STACK SECURITY
SECURITY_APPARMOR SECURITY_SELINUX SECURITY_TOMOYO SECURITY_YAMA
SECURITY_LANDLOCK SECURITY_LOCKDOWN_LSM SECURITY_IPE DEFAULT_SECURITY_APPARMOR LSM"

worktree=false
if [ "${1:-}" = --worktree ]; then
	worktree=true
	shift
fi
usage="usage: distro-config.sh [--worktree] guest|deb TREE"
[ $# = 2 ] || die "$usage"
flavour=$1
tree=$2
case $flavour in
guest | deb) ;;
*) die "$usage" ;;
esac
need_tool make gcc ccache python3 xz
t0=$(date +%s)
case $tree in
/*) ;;
*) tree=$PWD/$tree ;;
esac

# --worktree: make or move TREE, a worktree of $KSRC at its HEAD.
! $worktree || kernel_worktree "$tree" "$flavour kernel"
{ [ -f "$tree/Makefile" ] && [ -f "$tree/Kconfig" ]; } || die "$tree is not a kernel tree"
tree=$(cd "$tree" && pwd)

# The base config.
[ -r "$DISTRO_CONFIG" ] ||
	die "$DISTRO_CONFIG not found (Debian's kernel configs: apt-get install $CONFIG_PKG, or run: make deps)"
new=$tree/.config.distro-new
base=$tree/.config.distro-base
asked=$tree/.config.distro-asked
rm -f "$new" "$new.old" "$tree/.config.distro-failed"
case $DISTRO_CONFIG in
*.xz) xz -dc "$DISTRO_CONFIG" >"$base" ;;
*) cat "$DISTRO_CONFIG" >"$base" ;;
esac
grep -q '^CONFIG_' "$base" || die "$DISTRO_CONFIG holds no kernel config"
kver=$(make -s -C "$tree" kernelversion)
cver=$(sed -n 's/^# Linux\/[^ ]* \([^ ]*\) Kernel Configuration$/\1/p' "$base" | head -n 1)
[ -z "$cver" ] || [ "$cver" = "$kver" ] ||
	note "$(basename "$DISTRO_CONFIG") is a config for $cver, the tree is $kver: olddefconfig settles the difference (see .config.distro-changes)"
note "making the $flavour config in $tree from $DISTRO_CONFIG"

cp "$base" "$new"
if [ "$flavour" = guest ]; then
	# Every module off before MODULES=n, or Kconfig would build each in.
	sed -i 's/^\(CONFIG_[A-Za-z0-9_]*\)=m$/# \1 is not set/' "$new"
fi

# What is asked for: the fragment (guest), the feature, the version
# suffix (deb), the certificate paths.
{
	if [ "$flavour" = guest ]; then
		echo "# kernel-config/distro-guest.config"
		grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set)' \
			"$TOP/kernel-config/distro-guest.config"
	fi
	echo "# scripts/distro-config.sh"
	echo "CONFIG_ASYNC_FORK=y"
	[ "$flavour" = deb ] && echo "CONFIG_LOCALVERSION=\"$DISTRO_LOCALVERSION\""
	# Debian's own builds point these at debian/certs/, which the plain
	# source lacks.  Empty: no extra trusted or revoked keys.
	if grep -q '^CONFIG_SYSTEM_TRUSTED_KEYRING=y' "$base" || grep -q '^CONFIG_SYSTEM_TRUSTED_KEYS=' "$base"; then
		echo 'CONFIG_SYSTEM_TRUSTED_KEYS=""'
	fi
	grep -q '^CONFIG_SYSTEM_REVOCATION_KEYS=' "$base" && echo 'CONFIG_SYSTEM_REVOCATION_KEYS=""'
	# Modules are signed with a key the build makes (certs/signing_key.pem,
	# the default).  The guest has no modules.
	if [ "$flavour" = deb ] && grep -q '^CONFIG_MODULE_SIG_KEY=' "$base"; then
		echo 'CONFIG_MODULE_SIG_KEY="certs/signing_key.pem"'
	fi
	true
} >"$asked"

(cd "$tree" && KCONFIG_CONFIG=$new ./scripts/kconfig/merge_config.sh -m -Q "$new" "$asked" >/dev/null)
KCONFIG_CONFIG=$new make -s -C "$tree" ARCH=x86_64 CC="ccache gcc" olddefconfig >/dev/null
rm -f "$new.old"

# Check: each asked line, and each KEEP option as the base config has it
# (after the guest's module step).  Explain what was dropped.
rc=0
python3 - "$tree" "$new" "$asked" "$base" "$flavour" "$KEEP" <<'EOF' || rc=$?
import os
import re
import sys

tree, newcfg, askedf, basef, flavour, keep = sys.argv[1:7]
LINE = re.compile(r'^CONFIG_([A-Za-z0-9_]+)=(.*)$')
UNSET = re.compile(r'^# CONFIG_([A-Za-z0-9_]+) is not set$')


def read_config(path, guest_modules_off=False):
    vals = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip('\n')
            m = LINE.match(line)
            if m:
                v = m.group(2)
                if guest_modules_off and v == 'm':
                    v = 'n'
                vals[m.group(1)] = v
            elif UNSET.match(line):
                vals[UNSET.match(line).group(1)] = 'n'
    return vals


cfg = read_config(newcfg)
base_raw = read_config(basef)
base = read_config(basef, guest_modules_off=(flavour == 'guest'))


def val(sym):
    return cfg.get(sym, 'n')


def show(v):
    return v if v != 'n' else 'n'


# ---- Kconfig: definitions, dependencies, selects ------------------------

class Entry:
    def __init__(self, sym, path, lineno, ctx):
        self.sym, self.path, self.lineno = sym, path, lineno
        self.ctx = list(ctx)        # conditions of enclosing if/menu/choice
        self.deps = []              # own "depends on"
        self.prompt = False
        self.prompt_cond = None
        self.defaults = []          # (value text, cond)
        self.in_choice = False

    def where(self):
        return '%s:%d' % (self.path, self.lineno)


TOK = re.compile(r'\s*(&&|\|\||!=|<=|>=|=|<|>|!|\(|\)|"[^"]*"|\'[^\']*\'|[A-Za-z0-9_]+)')


def tokenize(s):
    out, i = [], 0
    s = s.strip()
    while i < len(s):
        if s[i].isspace():
            i += 1
            continue
        if s.startswith('$(', i):       # a macro: keep it whole
            depth, j = 0, i
            while j < len(s):
                if s[j] == '(':
                    depth += 1
                elif s[j] == ')':
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append(s[i:j + 1])
            i = j + 1
            continue
        m = TOK.match(s, i)
        if not m:
            raise ValueError(s)
        out.append(m.group(1))
        i = m.end()
    return out


def parse_expr(s):
    toks = tokenize(s)
    pos = [0]

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else None

    def take():
        pos[0] += 1
        return toks[pos[0] - 1]

    def p_or():
        node = p_and()
        while peek() == '||':
            take()
            node = ('or', node, p_and())
        return node

    def p_and():
        node = p_not()
        while peek() == '&&':
            take()
            node = ('and', node, p_not())
        return node

    def p_not():
        if peek() == '!':
            take()
            return ('not', p_not())
        if peek() == '(':
            take()
            node = p_or()
            if peek() == ')':
                take()
            return node
        a = take()
        if peek() in ('=', '!=', '<', '>', '<=', '>='):
            op = take()
            return ('cmp', op, a, take())
        return ('sym', a)

    node = p_or()
    return node


defs = {}       # symbol -> [Entry]
selects = {}    # symbol -> [(selector Entry, cond or None, path, lineno)]


def parse_file(rel, inherited, seen_files):
    """Read one Kconfig file and, in place, the files it sources; the
    conditions of the if/menu/choice blocks around a source line hold for
    everything in the sourced file."""
    path = os.path.join(tree, rel)
    if rel in seen_files or not os.path.isfile(path):
        return
    seen_files.add(rel)
    with open(path, errors='replace') as f:
        raw = f.read().split('\n')
    frames = []         # [kind, [conds]]
    cur = None          # Entry being defined
    pending = None      # frame whose "depends on" lines follow (menu/choice)
    help_indent = None
    in_help = False
    choice_depth = 0
    i = 0
    while i < len(raw):
        lineno = i + 1
        line = raw[i]
        while line.endswith('\\') and i + 1 < len(raw):
            i += 1
            line = line[:-1] + ' ' + raw[i]
        i += 1
        if in_help:
            if not line.strip():
                continue
            ind = len(line.expandtabs()) - len(line.expandtabs().lstrip())
            if help_indent is None:
                help_indent = ind
            if ind >= help_indent and ind > 0:
                continue
            in_help = False
        s = line.strip()
        if not s or s.startswith('#'):
            continue
        # strip a trailing comment outside quotes
        q, out = None, ''
        for ch in s:
            if q:
                if ch == q:
                    q = None
            elif ch in '"\'':
                q = ch
            elif ch == '#':
                break
            out += ch
        s = out.strip()
        word = s.split(None, 1)[0]
        rest = s[len(word):].strip()
        ctx = list(inherited) + [c for fr in frames for c in fr[1]]
        try:
            if word in ('config', 'menuconfig'):
                cur = Entry(rest, rel, lineno, ctx)
                cur.in_choice = choice_depth > 0
                defs.setdefault(rest, []).append(cur)
                pending = None
            elif word in ('menu', 'choice'):
                frames.append([word, []])
                pending = frames[-1]
                cur = None
                if word == 'choice':
                    choice_depth += 1
            elif word in ('endmenu', 'endchoice', 'endif'):
                if frames:
                    frames.pop()
                if word == 'endchoice':
                    choice_depth = max(0, choice_depth - 1)
                cur = pending = None
            elif word == 'if':
                frames.append(['if', [parse_expr(rest)]])
                cur = pending = None
            elif word in ('source', 'rsource', 'osource', 'orsource'):
                cur = pending = None
                target = rest.strip('"\'').replace('$(SRCARCH)', 'x86').replace('$(HEADER_ARCH)', 'x86')
                if word in ('rsource', 'orsource'):
                    target = os.path.normpath(os.path.join(os.path.dirname(rel), target))
                parse_file(target, ctx, seen_files)
            elif word in ('comment', 'mainmenu'):
                cur = pending = None
            elif word == 'depends' and rest.startswith('on'):
                e = parse_expr(rest[2:])
                if cur is not None:
                    cur.deps.append(e)
                elif pending is not None:
                    pending[1].append(e)
            elif word == 'select' and cur is not None:
                m = re.match(r'([A-Za-z0-9_]+)(?:\s+if\s+(.*))?$', rest)
                if m:
                    cond = parse_expr(m.group(2)) if m.group(2) else None
                    selects.setdefault(m.group(1), []).append((cur, cond, rel, lineno))
            elif word in ('bool', 'tristate', 'string', 'int', 'hex', 'prompt') and cur is not None:
                m = re.match(r'("[^"]*"|\'[^\']*\')(?:\s+if\s+(.*))?$', rest)
                if m:
                    cur.prompt = True
                    cur.prompt_cond = parse_expr(m.group(2)) if m.group(2) else None
            elif word in ('def_bool', 'def_tristate', 'default') and cur is not None:
                m = re.match(r'(.+?)(?:\s+if\s+(.*))?$', rest)
                if m:
                    cur.defaults.append((m.group(1), parse_expr(m.group(2)) if m.group(2) else None))
            elif word in ('help', '---help---'):
                in_help, help_indent = True, None
        except (ValueError, IndexError):
            pass    # an expression this reader does not follow


parse_file('Kconfig', [], set())


def tri(v):
    return {'y': 2, 'm': 1}.get(v, 0)


def sym_value(tok):
    if tok in ('y', 'm', 'n'):
        return tok
    if tok.startswith('"') or tok.startswith("'"):
        return tok[1:-1]
    if tok.startswith('$('):
        return 'y'      # a toolchain test: taken as true
    if tok in defs or tok in cfg:
        v = val(tok)
        return v[1:-1] if v.startswith('"') else v
    return tok          # a number


def ev(node):
    kind = node[0]
    if kind == 'sym':
        t = node[1]
        if t in ('y', 'm', 'n'):
            return tri(t)
        if t.startswith('$('):
            return 2
        return tri(val(t)) if (t in defs or t in cfg) else 0
    if kind == 'not':
        return 2 - ev(node[1])
    if kind == 'and':
        return min(ev(node[1]), ev(node[2]))
    if kind == 'or':
        return max(ev(node[1]), ev(node[2]))
    if kind == 'cmp':
        op, a, b = node[1], sym_value(node[2]), sym_value(node[3])
        if op in ('=', '!='):
            eq = a == b
            return 2 if eq == (op == '=') else 0
        try:
            ia, ib = int(a, 0), int(b, 0)
        except ValueError:
            return 0
        return 2 if {'<': ia < ib, '>': ia > ib, '<=': ia <= ib, '>=': ia >= ib}[op] else 0
    return 0


def render(node, top=True):
    kind = node[0]
    if kind == 'sym':
        return node[1]
    if kind == 'not':
        return '!' + render(node[1], False)
    if kind == 'cmp':
        return '%s%s%s' % (node[2], node[1], node[3])
    s = render(node[1], False) + (' && ' if kind == 'and' else ' || ') + render(node[2], False)
    return s if top else '(' + s + ')'


def symbols(node, negated=False, out=None):
    """[(symbol, negated)] of an expression, in order."""
    if out is None:
        out = []
    kind = node[0]
    if kind == 'sym':
        t = node[1]
        if t not in ('y', 'm', 'n') and not t.startswith('$(') and (t in defs or t in cfg):
            if (t, negated) not in out:
                out.append((t, negated))
    elif kind == 'not':
        symbols(node[1], not negated, out)
    elif kind in ('and', 'or'):
        symbols(node[1], negated, out)
        symbols(node[2], negated, out)
    elif kind == 'cmp':
        for t in (node[2], node[3]):
            if t in defs and (t, negated) not in out:
                out.append((t, negated))
    return out


def conjuncts(node):
    if node[0] == 'and':
        return conjuncts(node[1]) + conjuncts(node[2])
    return [node]


def values_of(node):
    return ', '.join('%s=%s' % (s, show(val(s))) for s, _ in symbols(node))


def why_on(sym, depth, seen, out, ind):
    """Why a symbol is y/m: who selects it, or the config sets it."""
    if sym in seen or depth > 4:
        return
    seen.add(sym)
    active = [(e, c, p, n) for e, c, p, n in selects.get(sym, [])
              if tri(val(e.sym)) > 0 and (c is None or ev(c) > 0)]
    if active:
        for e, c, p, n in active[:4]:
            out.append('%s%s=%s is selected by %s=%s (%s:%d)' % (
                ind, sym, val(sym), e.sym, val(e.sym), p, n))
            why_on(e.sym, depth + 1, seen, out, ind + '  ')
    elif any(d.prompt for d in defs.get(sym, [])):
        out.append('%s%s=%s comes from the base config' % (
            ind, sym, val(sym)))
    else:
        out.append('%s%s=%s by default' % (ind, sym, val(sym)))


def why_not(sym, need, depth, seen, out, ind):
    """Why a symbol is below the tristate value need (1 m, 2 y)."""
    if sym in seen or depth > 4:
        return
    seen.add(sym)
    entries = defs.get(sym)
    if not entries:
        out.append('%sCONFIG_%s is defined in no Kconfig file of this tree' % (ind, sym))
        return
    explained = False
    for d in entries:
        for c in [c for cond in d.ctx + d.deps for c in conjuncts(cond)]:
            v = ev(c)
            if v >= need:
                continue
            explained = True
            out.append('%s%s (%s) depends on %s, which is %s: %s' % (
                ind, sym, d.where(), render(c), 'ymn'[2 - v] if v else 'n', values_of(c)))
            for s, neg in symbols(c):
                if neg and tri(val(s)) > 0:
                    why_on(s, depth + 1, seen, out, ind + '  ')
                elif not neg and tri(val(s)) < need:
                    why_not(s, need, depth + 1, seen, out, ind + '  ')
        if d.prompt and d.prompt_cond is not None and ev(d.prompt_cond) == 0:
            explained = True
            out.append('%s%s (%s): its prompt shows only if %s: %s' % (
                ind, sym, d.where(), render(d.prompt_cond), values_of(d.prompt_cond)))
    if explained:
        return
    if not any(d.prompt for d in entries):
        sel = selects.get(sym, [])
        dflt = [t + (' if ' + render(c) if c is not None else '') for d in entries for t, c in d.defaults]
        out.append('%s%s has no prompt: only "select" or its default (%s) set it' % (
            ind, sym, '; '.join(dflt) or 'n'))
        if not sel:
            out.append('%s  and nothing selects it' % ind)
        for e, c, p, n in sel:
            sv = tri(val(e.sym))
            if sv and (c is None or ev(c)):
                continue
            if c is None:
                out.append('%s  selected by %s (%s:%d), which is %s' % (ind, e.sym, p, n, val(e.sym)))
                why_not(e.sym, need, depth + 1, seen, out, ind + '    ')
                continue
            out.append('%s  "select %s if %s" in %s=%s (%s:%d) does not apply: %s' % (
                ind, sym, render(c), e.sym, val(e.sym), p, n, values_of(c)))
            for cj in conjuncts(c):
                if ev(cj) >= need:
                    continue
                for s, neg in symbols(cj):
                    if neg and tri(val(s)) > 0:
                        why_on(s, depth + 1, seen, out, ind + '    ')
                    elif not neg and tri(val(s)) < need:
                        why_not(s, need, depth + 1, seen, out, ind + '    ')
        return
    raw = base_raw.get(sym)
    if raw == 'm' and flavour == 'guest':
        out.append('%s%s is a module in the base config, and this flavour has no modules' % (ind, sym))
        return
    if base.get(sym, 'n') == 'n' and sym not in asked_syms:
        out.append('%s%s is off in the base config' % (ind, sym))
        return
    if any(d.in_choice for d in entries):
        out.append('%s%s is in a choice; olddefconfig chose another of its options' % (ind, sym))
    else:
        out.append('%s%s: its dependencies hold; olddefconfig still gave it another value' % (ind, sym))


# ---- the check ----------------------------------------------------------

asked = []      # (symbol, wanted value, where from)
src = 'asked'
with open(askedf) as f:
    for line in f:
        line = line.rstrip('\n')
        if line.startswith('# ') and not UNSET.match(line):
            src = line[2:]
            continue
        m = LINE.match(line) or UNSET.match(line)
        if m:
            asked.append((m.group(1), m.group(2) if LINE.match(line) else 'n', src))
for sym in keep.split():
    if sym in base and base[sym] != 'n':
        asked.append((sym, base[sym], 'kept from the base config'))

asked_syms = set(sym for sym, _, _ in asked)
bad = []
for sym, want, where in asked:
    got = val(sym)
    if want == 'n':
        ok = got == 'n'
    else:
        ok = got == want
    if not ok:
        bad.append((sym, want, got, where))

changes = []
for sym in sorted(set(base_raw) | set(cfg)):
    b, n = base_raw.get(sym, '(absent)'), cfg.get(sym, '(absent)')
    if b != n and not (b == 'n' and n == '(absent)') and not (b == '(absent)' and n == 'n'):
        changes.append((sym, b, n))
with open(os.path.join(tree, '.config.distro-changes'), 'w') as f:
    for sym, b, n in changes:
        f.write('CONFIG_%s: %s -> %s\n' % (sym, b, n))
mods = sum(1 for _, b, n in changes if b == 'm' and n in ('n', '(absent)'))
other = len(changes) - mods
print('==> %d options checked; %d differ from the base config%s' % (
    len(asked), len(changes), ' (%d modules dropped, %d other)' % (mods, other) if mods else ''),
    file=sys.stderr)

if not bad:
    sys.exit(0)
print('error: the %s config lost %d option%s it asked for:' % (
    flavour, len(bad), '' if len(bad) == 1 else 's'), file=sys.stderr)
for sym, want, got, where in bad:
    print('  CONFIG_%s: asked %s, got %s%s  [%s]' % (
        sym, want, got, ' (not in .config)' if sym not in cfg else '', where), file=sys.stderr)
    out = []
    if want == 'n' or (tri(got) > tri(want) and want in ('y', 'm', 'n')):
        why_on(sym, 0, set(), out, '    ')
    elif want in ('y', 'm'):
        why_not(sym, tri(want), 0, set(), out, '    ')
    for line in out:
        print(line, file=sys.stderr)
sys.exit(1)
EOF
[ "$rc" = 0 ] || {
	mv "$new" "$tree/.config.distro-failed"
	die "$flavour config: options were dropped (above); the failed config is $tree/.config.distro-failed"
}

if cmp -s "$new" "$tree/.config"; then
	rm -f "$new"
	note "$tree/.config is unchanged"
else
	mv "$new" "$tree/.config"
	note "wrote $tree/.config"
fi
note "$flavour config ready in $(($(date +%s) - t0))s: CONFIG_ASYNC_FORK=y$(
	grep -q '^CONFIG_PARAVIRT_XXL=y' "$tree/.config" && echo ', PARAVIRT_XXL=y')"
