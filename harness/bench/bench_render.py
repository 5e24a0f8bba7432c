# SPDX-License-Identifier: GPL-2.0
"""report.md of `make bench`: the text of report-template.md around the
tables and numbers of one results folder (bench_ingest.load_results()).

The report is made of lines, as in report.md; a paragraph is one line,
followed by an empty one.  Template.para() gives a block of the template
as such a paragraph, Template() as lines that table rows follow.
"""
import os
import re

from bench_stats import (Targets, busy_parts, fmt_or_dash, fmt_us,
                         fork_groups, fork_targets, group_median, median,
                         phase_max, redis_targets, small_targets)
from bench_tags import STORE_NAME, stores_title, tag_cfg, tag_store, tag_title

TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'report-template.md')
# Windows of redis-latency-TAG.csv.  An alt configuration's snapshots are
# split by the fork that started them.
WINDOW_TITLE = {
    'during_snapshot': 'during snapshot',
    'during_plain_snapshot': 'during snapshot, plain fork',
    'during_async_snapshot': 'during snapshot, async fork',
    'outside': 'outside',
    'outside_after_plain': 'outside, after a plain-fork snapshot',
    'outside_after_async': 'outside, after an async-fork snapshot',
}
# How each kind of Redis configuration was set up.
CFG_HOW = {
    'plain': 'disable-thp yes; THP enabled=madvise',
    'thp': 'disable-thp no; THP enabled=always',
    'async': 'disable-thp yes; %s',
    'alt': 'disable-thp yes; fork-async no/yes in turn',
}


# ---- the template -----------------------------------------------------------

def unwrap(lines):
    """The text of a block's LINES: its paragraphs, each on one line (a
    table's lines kept apart), separated by an empty line."""
    paras, cur = [], []
    for line in lines + ['']:
        if line.strip():
            cur.append(line.strip())
        elif cur:
            paras.append(('\n' if cur[0].startswith('|') else ' ').join(cur))
            cur = []
    return '\n\n'.join(paras)


def parse_template(text):
    """{name: text} of the blocks of TEXT ("@@ NAME" lines start them)."""
    blocks, name, lines = {}, None, []
    for line in text.split('\n') + ['@@']:
        if line.startswith('@@'):
            if name:
                blocks[name] = unwrap(lines)
            name, lines = line[2:].strip(), []
        elif name:
            lines.append(line)
    return blocks


class Template:
    """The blocks of report-template.md (or of PATH)."""

    def __init__(self, path=TEMPLATE):
        with open(path) as f:
            self.blocks = parse_template(f.read())

    def __call__(self, name, **kw):
        """Block NAME with its placeholders filled from KW."""
        return self.blocks[name].format_map(kw)

    def para(self, name, **kw):
        """Block NAME as the report's lines before an empty one."""
        return self(name, **kw) + '\n'


# ---- pieces -----------------------------------------------------------------

def accel_of(meta):
    """The accelerator of the guest of META: 'tcg', 'kvm', or None when
    not recorded.  Runs before scripts/bench.sh recorded it (accel=) name
    TCG in their x86-64 guest's CPU model."""
    a = meta.get('accel', '')
    if a.startswith(('tcg', 'kvm')):
        return a[:3]
    if not a and meta.get('cpu_model', '').startswith('QEMU TCG'):
        return 'tcg'
    return None


ACCEL_NAME = {'tcg': 'TCG', 'kvm': 'KVM', None: '(accelerator not recorded)'}


def meta_line(meta):
    """Where and when a part was measured (its meta-PART.txt)."""
    if not meta:
        return 'no data'
    s = ('%s; guest: QEMU %s, %s vCPUs, %s MiB; kernel %s (%s)' % (
        meta.get('date', '?'), ACCEL_NAME[accel_of(meta)],
        meta.get('cpus', '?'), meta.get('mem_mib', '?'),
        meta.get('kernel', '?'), meta.get('kernel_build', '?')))
    if meta.get('host'):
        s += '; host: %s' % meta['host']
    return s


def measured(T, m):
    return T.para('measured', meta=meta_line(m),
                  rerun=m.get('rerun', 'make bench'))


def size_label(k):
    """The size column of a fork_bench group (case, MiB, pages, mode)."""
    if k[0] == 'sparse':
        return 'sparse %d GiB' % (k[1] // 1024)
    return '%s%d' % ('floor ' if k[0] == 'floor' else '', k[1])


def table_row(cells):
    return '| %s |' % ' | '.join(cells)


# ---- head and targets -------------------------------------------------------

def distinct(vals):
    """VALS without repeats, in order."""
    return list(dict.fromkeys(vals))


def guest_times(meta):
    """How long the guest session of each part took (guest_s of its
    meta file; parts measured in one session together), or ''."""
    sessions = []
    for part, m in meta.items():
        if not m.get('guest_s'):
            continue
        for sm, parts in sessions:
            if sm == m:
                parts.append(part)
                break
        else:
            sessions.append((m, [part]))
    return '; '.join('%s %s' % (', '.join(parts), fmt_minutes(
        int(m['guest_s']))) for m, parts in sessions)


def fmt_minutes(s):
    return '%d min' % round(s / 60) if s >= 60 else '%d s' % s


def head(T, meta, today):
    """The title, and what the numbers are worth: the facts of the run
    from its meta files."""
    metas = [m for m in meta.values() if m]
    kinds = distinct(k for k in map(accel_of, metas) if k)
    kind = kinds[0] if len(kinds) == 1 else 'mixed' if kinds else None
    guest = {'tcg': T('guest_tcg'), 'kvm': T('guest_kvm'),
             'mixed': T('guest_mixed'), None: T('guest_unknown')}[kind]
    absolute = T('absolute_tcg') if kind == 'tcg' else T('absolute_other')
    cpus = distinct(m.group(1) for m in (
        re.search(r'(\d+) CPUs', mm.get('host', '')) for mm in metas) if m)
    machine = (T('machine', cpus='/'.join(cpus)) if cpus
               else T('machine_unknown'))
    forks = sorted(float(m['host_fork_1g_ms']) for m in metas
                   if m.get('host_fork_1g_ms'))
    if forks:
        ms = fmt_us(forks[0] * 1000)
        if forks[-1] != forks[0]:
            ms += ' to ' + fmt_us(forks[-1] * 1000)
        native = T('native_fork', ms=ms)
    else:
        native = T('native_fork_unknown')
    times = guest_times(meta)
    duration = (T('guest_time', sessions=times) if times
                else T('guest_time_unknown'))
    return [T.para('head', today=today, guest=guest, machine=machine,
                   absolute=absolute, native_fork=native, duration=duration)]


def phase_note(T, n):
    """One line of bench_stats.store_phase_notes()."""
    who = '%s, ' % STORE_NAME[n['store']] if n['store'] else ''
    label = '%s%d MiB' % (who, n['mib'])
    if n['kind'] == 'alt':
        label += ', alternating'
    elif n['kind'] == 'floor':
        label += ' ' + T('phase_note_floor',
                         a_whole=fmt_or_dash(n['whole'][0]),
                         p_whole=fmt_or_dash(n['whole'][1]))
    return T('phase_note', label=label, a_f=fmt_us(n['a_f']),
             ratio='%.2f' % (n['a_f'] / n['out']), out=fmt_us(n['out']),
             p_f=fmt_us(n['p_f']),
             lower='%.1f' % (100 * (1 - n['a_f'] / n['p_f'])),
             a_a=fmt_or_dash(n['a_a']), p_a=fmt_or_dash(n['p_a']))


def targets_section(T, t, meta, notes, redis):
    """The targets T, the warning of a busy host, the phase NOTES."""
    out = [T.para('targets')]
    busy = busy_parts(meta)
    if busy:
        out.append(T.para('busy', parts=', '.join(
            '%s (load average %s on %s CPUs)' % b for b in busy)))
    out.append(T('targets_table'))
    for what, goal, value, r in t.rows:
        out.append('| %s | %s | %s | **%s** |' % (what, goal, value, r))
    out.append('')
    if notes:
        out.append(T.para('phase_notes', stores=stores_title(redis)))
        out += [phase_note(T, n) for n in notes]
        out.append('')
    return out


# ---- 1. fork latency --------------------------------------------------------

def fork_rows(groups):
    """The lines of the table of every group of forks."""
    out = []
    order = sorted(groups, key=lambda k: (k[0] != 'floor', k[2], k[1],
                                         k[3] != 'plain'))
    for k in order:
        g = groups[k]
        par = [float(r['parent_us']) for r in g]
        cp = [float(r['copy_us']) for r in g if r.get('copy_us')]
        was = {r.get('was_async', '') for r in g}
        out.append(table_row([
            size_label(k), k[2], k[3], str(len(g)),
            fmt_us(median(par)), fmt_us(max(par)),
            fmt_us(median(float(r['child_run_us']) for r in g)),
            fmt_us(median(cp)) if cp else '-',
            fmt_us(median(float(r['first_write_p50_us']) for r in g)),
            fmt_us(median(float(r['first_write_p99_us']) for r in g)),
            g[0].get('anon_huge_mib', '?'),
            '/'.join(sorted({{'1': 'yes', '0': 'no'}.get(w, '?')
                             for w in was}))]))
    return out


def fork_ratios(T, groups):
    """The ratios of the medians, per size."""
    out = [T('fork_ratios')]
    flm = group_median(groups, ('floor', 4, '4k', 'plain'))
    for s in sorted({k[1] for k in groups if k[0] == 'size'}):
        cells = []
        for p in ('4k', 'thp'):
            pm = group_median(groups, ('size', s, p, 'plain'))
            am = group_median(groups, ('size', s, p, 'async'))
            cells.append('%.0fx' % (pm / am) if pm and am else '-')
            cells.append('%.2fx' % (am / flm) if am and flm else '-')
        out.append('| %d | %s |' % (s, ' | '.join(cells)))
    out.append('')
    return out


def fork_sparse(T, groups):
    """The sparse reservations, when there were any."""
    sparse = sorted({k[1] for k in groups if k[0] == 'sparse'})
    if not sparse:
        return []
    out = [T('fork_sparse')]
    flm = group_median(groups, ('floor', 4, '4k', 'plain'))
    for sz in sparse:
        pl, asy = ('sparse', sz, '4k', 'plain'), ('sparse', sz, '4k', 'async')
        if not groups.get(pl) or not groups.get(asy):
            continue
        pp, ap = group_median(groups, pl), group_median(groups, asy)
        pc = group_median(groups, pl, 'child_run_us')
        ac = group_median(groups, asy, 'child_run_us')
        pw = group_median(groups, pl, 'first_write_p50_us')
        aw = group_median(groups, asy, 'first_write_p50_us')
        out.append('| %d | %s | %s | %s | %s | %s | %.2fx | %s / %s |' % (
            sz // 1024, fmt_us(pp), fmt_us(ap),
            '%.2fx' % (ap / flm) if flm else '-', fmt_us(pc),
            fmt_us(ac), ac / pc if pc else 0, fmt_us(pw), fmt_us(aw)))
    out.append('')
    return out


def fork_section(T, fork, m, plots, heading):
    """The lines of a fork-latency section headed HEADING: every group of
    forks (case, size, pages, mode), the ratios, the sparse reservations
    and the plots that were made."""
    if not fork:
        return []
    groups = fork_groups(fork)
    out = [heading + '\n', measured(T, m), T('fork')]
    out += fork_rows(groups)
    out.append('')
    out += fork_ratios(T, groups)
    out += fork_sparse(T, groups)
    for p in ('fork-latency', 'fork-child', 'fork-first-write'):
        if p in plots:
            out.append('![%s](%s.png)\n' % (p, p))
    return out


# ---- 2. Redis ---------------------------------------------------------------

def redis_method(T, redis):
    """The server, its load and how the numbers are taken."""
    any_info = next((d['info'] for c, d in redis.items()
                     if not tag_store(c)),
                    next(iter(redis.values()))['info'])
    vk_info = next((d['info'] for c, d in redis.items()
                    if tag_store(c) == 'valkey-'), None)
    valkey = ''
    if vk_info and vk_info is not any_info:
        valkey = ' ' + T('redis_valkey', server=vk_info.get('server', '?'),
                         version=vk_info.get('server_version', '?'))
    alt = ''
    if any(tag_cfg(c) == 'alt' for c in redis):
        alt = ' ' + T('redis_alt')
    return T('redis_method', server=any_info.get('server', '?'),
             version=any_info.get('server_version', '?'), valkey=valkey,
             value_size=any_info.get('value_size', '?'),
             mib=max(int(d['info'].get('used_memory', 0)) >> 20
                     for d in redis.values()),
             conns=any_info.get('conns', '?'),
             get_pct=any_info.get('get_pct', '?'),
             saves=any_info.get('saves', '?'),
             gap_s=any_info.get('gap_s', '?'), alt=alt)


def config_rows(redis):
    """(tag, title, BGSAVEs) of each configuration; an alternating one's
    plain and async forks apart."""
    rows = []
    for c, d in redis.items():
        if tag_cfg(c) != 'alt':
            rows.append((c, tag_title(c), d['saves']))
            continue
        for a, what in (('0', 'plain'), ('1', 'async')):
            rows.append((c, '%s: the %s forks' % (tag_title(c), what),
                         [b for b in d['saves'] if b['fork_async'] == a]))
    return rows


def config_table(redis, rows):
    """The lines of the table of the configurations ROWS (config_rows())."""
    out = []
    for c, title, sv in rows:
        i = redis[c]['info']
        if not sv:
            continue
        how = CFG_HOW[tag_cfg(c)]
        if tag_cfg(c) == 'async':
            how = how % i.get('async_how', '?')
        nasync = sum(1 for b in sv if b['fork_async'] == '1')
        unk = all(b['fork_async'] == '-1' for b in sv)
        copies = [float(b['copy_us']) for b in sv if b['copy_us']]
        out.append(table_row([
            title, how, '%d MiB' % (int(i.get('used_memory', 0)) >> 20),
            i.get('keys', '?'),
            '%d MiB' % (max(int(i.get('anon_huge_kb_before', 0)),
                            int(i.get('anon_huge_kb_after', 0))) >> 10),
            i.get('requests_per_s', '?'),
            fmt_us(median(float(b['fork_us']) for b in sv)),
            ('?' if unk else '%d of %d' % (nasync, len(sv))) +
            ('' if tag_cfg(c) == 'plain' or tag_cfg(c) == 'thp' else
             ' (vmstat, whole run: %s)' % i.get('delta_async_fork', '?')),
            fmt_us(median(float(b['total_ms']) * 1000 for b in sv
                          if b['total_ms'])),
            fmt_us(median(float(b['wall_ms']) * 1000 for b in sv)),
            fmt_us(median(copies)) if copies else '-',
            i.get('delta_async_fork_sync_pmd', '-') +
            (' (whole run)' if tag_cfg(c) == 'alt' else '')]))
    out.append('')
    return out


def twin_table(T, redis):
    """latest_fork_usec of the full server against its empty twin."""
    if not any(d['floor'] for d in redis.values()):
        return []
    out = [T('redis_twins')]

    def cell(v, fl):
        if not v:
            return '-', '-'
        return ('%s (%s)' % (fmt_us(median(v)), fmt_us(max(v))),
                '%.2fx' % (median(v) / median(fl)))
    for c, d in redis.items():
        fl = [float(f['fork_usec']) for f in d['floor']]
        if not fl:
            continue
        idle = cell([float(f['fork_usec']) for f in d['idle']], fl)
        load = cell([float(b['fork_us']) for b in d['saves']], fl)
        out.append('| %s | %s (%s) | %s | %s | %s | %s |' % (
            tag_title(c), fmt_us(median(fl)), fmt_us(max(fl)),
            *idle, *load))
    out.append('')
    return out


def latency_table(T, redis):
    """The latency of requests in each window of each configuration."""
    out = [T('redis_latency')]
    for c, d in redis.items():
        for w in d['latency']:
            out.append(table_row([
                tag_title(c), WINDOW_TITLE.get(w['window'], w['window']),
                w['requests'], w.get('per_s') or '-',
                *(fmt_us(float(w[k])) if w[k] else '-'
                  for k in ('p50_us', 'p99_us', 'p999_us', 'max_us')),
                '%s (%s)' % (w.get('stalls', '?'),
                             fmt_us(float(w.get('longest_stall_us') or 0)))]))
    out.append('')
    return out


def bgsave_table(T, redis):
    """Every BGSAVE of every configuration."""
    out = [T('redis_bgsaves')]
    for c, d in redis.items():
        for b in d['saves']:
            out.append(table_row([
                c, b['idx'], fmt_us(float(b['fork_us'])),
                {'1': 'yes', '0': 'no'}.get(b['fork_async'], '?'),
                fmt_us(float(b['total_ms']) * 1000) if b['total_ms'] else '?',
                fmt_us(float(b['wall_ms']) * 1000),
                fmt_us(float(b['copy_us'])) if b['copy_us'] else '-',
                b['requests'],
                fmt_us(float(b['max_latency_us']))
                if b['max_latency_us'] else '-',
                fmt_us(float(b.get('stall_in_max_us') or 0)),
                *(fmt_us(float(b[k])) if b.get(k) else '-'
                  for k in ('max_fork_phase_us', 'max_after_fork_us')),
                '%.1f MiB' % (int(b['cow_bytes']) / 2**20)
                if int(b['cow_bytes']) >= 0 else '?']))
    out.append('')
    return out


def phase_table(T, rows, redis):
    """Where in its snapshot the slowest requests were: in the fork phase
    (what async fork changes) or after it, while the child saves (the
    same for both kinds of fork).  ROWS: config_rows()."""
    lat = {c: {w['window']: w for w in d['latency']}
           for c, d in redis.items()}
    out = [T('redis_phases')]
    for c, title, sv in rows:
        if not sv or 'fork_phase_ms' not in sv[0]:
            continue
        ph = [float(b['fork_phase_ms']) * 1000 for b in sv
              if b.get('fork_phase_ms')]
        f_in = phase_max(sv, 'max_fork_phase_us')
        f_after = phase_max(sv, 'max_after_fork_us')
        o = lat.get(c, {}).get('outside', {}).get('max_us')
        o = float(o) if o else None
        out.append('| %s | %s | %s | %s | %s | %s |' % (
            title, fmt_us(median(ph)) if ph else '-', fmt_or_dash(f_in),
            fmt_or_dash(f_after), fmt_or_dash(o),
            '%.2fx' % (f_in / o) if f_in and o else '-'))
    out.append('')
    return out


def redis_section(T, redis, m, plots):
    """Section 2: the Redis (and Valkey) configurations, their BGSAVEs and
    the latency of the requests around them."""
    if not redis:
        return []
    rows = config_rows(redis)
    out = [T.para('redis', stores=stores_title(redis)), measured(T, m),
           redis_method(T, redis)]
    out += config_table(redis, rows)
    out += twin_table(T, redis)
    out += latency_table(T, redis)
    out += bgsave_table(T, redis)
    out += phase_table(T, rows, redis)
    if 'redis-latency' in plots:
        out.append('![redis-latency](redis-latency.png)\n')
    for d in redis.values():
        for sr in d['series']:
            if 'redis-ts-%s' % sr['name'] in plots:
                out.append('![redis-ts-%s](redis-ts-%s.png)\n' % (
                    sr['name'], sr['name']))
    return out


# ---- 3. small fork ----------------------------------------------------------

def small_section(T, small, stats, meta):
    """Section 3: the small-process fork on each kernel; STATS: small_stats()
    of each clock."""
    if not (small['wall'] or small['icount']):
        return []
    out = [T.para('small')]
    for lbl, key in (('patched', 'small-patched'), ('base', 'small-base')):
        mm = meta[key]
        if mm:
            out.append(T('small_kernel', kernel=lbl, meta=meta_line(mm),
                         rerun=mm.get('rerun', 'make bench')))
    out.append('')
    n = next((r['forks'] for rows in small.values() for r in rows), '?')
    out.append(T('small_method', forks=n))
    for clock in ('wall', 'icount'):
        per, smed = stats[clock]
        for lbl in sorted(per):
            v = per[lbl]
            out.append(
                '| %s | %s | %d | %d | %.1f µs | %.1f µs | %.1f µs | %s |'
                % ('instruction' if clock == 'icount' else 'wall', lbl,
                   len(smed[lbl]), len(v), median(v), min(v), max(v),
                   ', '.join('%.0f' % m for m in smed[lbl])))
    out.append('')
    return out


# ---- the report -------------------------------------------------------------

def render(data, plots, today, text=None):
    """report.md of DATA (bench_ingest.load_results()) with PLOTS (the
    names of the plots made), written on TODAY; TEXT: the Template.
    Return its text and its targets (what, goal, measured, result)."""
    T = text or Template()
    meta, redis = data['meta'], data['redis']
    t = Targets()
    sec_fork = fork_section(T, data['fork'], meta['fork'], plots,
                            T('fork_x86_64'))
    fork_targets(t, fork_groups(data['fork']))
    # The arm64 guest (part arm64 of make bench), against its own floor.
    if data['fork_arm']:
        sec_fork += fork_section(T, data['fork_arm'], meta['fork-arm64'], [],
                                 T('fork_arm64'))
        fork_targets(t, fork_groups(data['fork_arm']), 'arm64')
    sec_redis = redis_section(T, redis, meta['redis'], plots)
    notes = redis_targets(t, redis)
    stats = small_targets(t, data['small'])
    sec_small = small_section(T, data['small'], stats, meta)
    lines = head(T, meta, today)
    lines += targets_section(T, t, meta, notes, redis)
    lines += sec_fork + sec_redis + sec_small
    lines.append(T.para('files'))
    return '\n'.join(lines), t.rows
