# SPDX-License-Identifier: GPL-2.0
"""The numbers of `make bench`'s report: percentiles and medians, and the
targets of the project measured against them (each row: what, the goal,
what was measured, PASS, MISS or n/a)."""
import re
import statistics

from bench_tags import STORE_NAME, stores_of, tag_cfg, tag_store, tag_with

# A Redis dataset below this (MiB) is a floor: what a BGSAVE costs when
# its fork copies almost nothing.  The report shows it beside the targets
# instead of computing them for it.
FLOOR_MIB = 64


# ---- numbers ----------------------------------------------------------------

def pct(sorted_vals, p):
    """Nearest-rank percentile of sorted values."""
    if not sorted_vals:
        return float('nan')
    rank = max(1, min(len(sorted_vals), int(-(-p * len(sorted_vals) // 100))))
    return sorted_vals[rank - 1]


def median(vals):
    vals = list(vals)
    return statistics.median(vals) if vals else float('nan')


def fmt_us(us):
    """A duration in us, readable."""
    if us != us:
        return 'n/a'
    if us >= 10000:
        return '%.0f ms' % (us / 1000)
    if us >= 1000:
        return '%.1f ms' % (us / 1000)
    return '%.0f µs' % us


def fmt_or_dash(us):
    return fmt_us(us) if us is not None else '-'


def fork_groups(fork):
    """The forks of fork_bench by (case, MiB, pages, mode)."""
    groups = {}
    for r in fork:
        key = (r['case'], int(r['size_mib']), r['pages'], r['mode'])
        groups.setdefault(key, []).append(r)
    return groups


def group_median(groups, key, field='parent_us'):
    """The median of FIELD over group KEY of GROUPS, or None."""
    g = groups.get(key)
    return median(float(r[field]) for r in g) if g else None


def phase_max(saves, key):
    """The largest value of column KEY over SAVES, in µs, or None."""
    v = [float(b[key]) for b in saves if b.get(key)]
    return max(v) if v else None


def small_stats(rows):
    """Per label: all repetitions, and each session's median (how much
    one boot differs from the next is the resolution)."""
    per, sess = {}, {}
    for r in rows:
        per.setdefault(r['label'], []).append(float(r['per_fork_us']))
        sess.setdefault(r['label'], {}).setdefault(
            int(r['session']), []).append(float(r['per_fork_us']))
    return per, {lbl: [median(v) for _, v in sorted(d.items())]
                 for lbl, d in sess.items()}


def busy_parts(meta):
    """The parts of META ({part: meta}) measured while the host's load
    average was above half its CPUs: [(part, load average, CPUs)]."""
    busy = []
    for part, mm in meta.items():
        m = re.search(r'(\d+) CPUs, load average ([\d.]+)', mm.get('host', ''))
        if m and float(m.group(2)) > 0.5 * int(m.group(1)):
            busy.append((part, m.group(2), m.group(1)))
    return busy


# ---- targets ----------------------------------------------------------------

class Targets:
    def __init__(self):
        self.rows = []

    def add(self, what, goal, measured, ok):
        res = 'n/a' if ok is None else ('PASS' if ok else 'MISS')
        self.rows.append((what, goal, measured, res))


def fork_targets(t, groups, arch=''):
    """Add the fork targets of GROUPS to T, each against the floor of the
    same run (the plain fork of a 4 MiB process).  ARCH, when given, names
    the architecture in each row."""
    pre = arch + ': ' if arch else ''

    def fmed(case, size, pages, mode, field='parent_us'):
        return group_median(groups, (case, size, pages, mode), field)

    floor = fmed('floor', 4, '4k', 'plain')
    sizes = sorted({k[1] for k in groups if k[0] == 'size' and k[2] == '4k'})
    big = sizes[-1] if sizes else None
    a2 = fmed('size', 2048, '4k', 'async')
    if floor and a2:
        t.add(pre + 'Async fork of 2 GiB (4 KiB pages) vs the floor (plain '
              'fork of a 4 MiB process)', '≤ 1.5x',
              '%s vs %s: %.2fx' % (fmt_us(a2), fmt_us(floor), a2 / floor),
              a2 / floor <= 1.5)
    else:
        ab = fmed('size', big, '4k', 'async') if big else None
        t.add(pre + 'Async fork of 2 GiB vs the floor', '≤ 1.5x',
              'not measured at 2 GiB%s' % (
                  ' (at %d MiB: %s vs %s, %.2fx)' % (big, fmt_us(ab),
                                                     fmt_us(floor), ab / floor)
                  if ab and floor else ''), None)
    p4, a4 = fmed('size', 4096, '4k', 'plain'), fmed('size', 4096, '4k', 'async')
    if p4 and a4:
        t.add(pre + 'Plain vs async fork of 4 GiB (4 KiB pages)', '≥ 100x',
              '%s vs %s: %.0fx' % (fmt_us(p4), fmt_us(a4), p4 / a4),
              p4 / a4 >= 100)
    else:
        pb = fmed('size', big, '4k', 'plain') if big else None
        ab = fmed('size', big, '4k', 'async') if big else None
        t.add(pre + 'Plain vs async fork of 4 GiB', '≥ 100x',
              'not measured at 4 GiB%s' % (
                  ' (at %d MiB: %s vs %s, %.0fx)' % (big, fmt_us(pb),
                                                     fmt_us(ab), pb / ab)
                  if pb and ab else ''), None)

    at4 = fmed('size', 4096, 'thp', 'async')
    if floor and at4:
        t.add(pre + 'Async fork of 4 GiB (THP) vs the floor', '≤ 1.5x',
              '%s vs %s: %.2fx' % (fmt_us(at4), fmt_us(floor), at4 / floor),
              at4 / floor <= 1.5)
    else:
        t.add(pre + 'Async fork of 4 GiB (THP) vs the floor', '≤ 1.5x',
              'not measured', None)
    sparse_targets(t, fmed, floor, pre)


def sparse_targets(t, fmed, floor, pre):
    """The targets of the sparse reservations (fork_targets)."""
    for gib in (16384, 1024):
        sz = gib * 1024
        ap = fmed('sparse', sz, '4k', 'async')
        pc = fmed('sparse', sz, '4k', 'plain', 'child_run_us')
        ac = fmed('sparse', sz, '4k', 'async', 'child_run_us')
        what = 'Sparse reservation of %d TiB (one page per GiB)' % (gib // 1024)
        if not (ap and pc and ac and floor):
            t.add(pre + what + ': async fork vs the floor; the child\'s start vs '
                  'a plain fork\'s', '≤ 1.5x; ≤ 1.5x', 'not measured', None)
            continue
        t.add(pre + what + ': async fork vs the floor', '≤ 1.5x',
              '%s vs %s: %.2fx' % (fmt_us(ap), fmt_us(floor), ap / floor),
              ap / floor <= 1.5)
        t.add(pre + what + ': the child runs, async vs plain fork', '≤ 1.5x',
              '%s vs %s: %.2fx' % (fmt_us(ac), fmt_us(pc), ac / pc),
              ac / pc <= 1.5)


class RedisStats:
    """The numbers of the Redis (and Valkey) configurations REDIS ({tag:
    what bench_ingest.load_redis() read})."""

    def __init__(self, redis):
        self.redis = redis
        self.lat = {c: {w['window']: w for w in d['latency']}
                    for c, d in redis.items()}

    def saves(self, c):
        return self.redis.get(c, {}).get('saves', [])

    def lmax(self, c, w):
        """The slowest request of C in window W, in µs, or None."""
        v = self.lat.get(c, {}).get(w, {}).get('max_us')
        return float(v) if v else None

    def stall_note(self, c, fork_async=None):
        """Whether the slowest request during c's snapshots (those of
        plain or async forks only: fork_async '0' or '1') sat out a stall
        of a vCPU."""
        sv = [b for b in self.saves(c)
              if b.get('max_latency_us') and
              fork_async in (None, b['fork_async'])]
        if not sv:
            return ''
        b = max(sv, key=lambda b: float(b['max_latency_us']))
        st = float(b.get('stall_in_max_us') or 0)
        if st < 0.5 * float(b['max_latency_us']):
            return ''
        return ' (%s\'s slowest request spans a %s stall of a vCPU)' % (
            c, fmt_us(st))

    def tot(self, c, fork_async=None):
        """The median BGSAVE total of C (of one kind of fork), in ms."""
        v = [float(b['total_ms']) for b in self.saves(c)
             if b['total_ms'] and fork_async in (None, b['fork_async'])]
        return median(v) if v else None

    def paired(self, c):
        """Each async BGSAVE's total over the mean of the plain ones
        just before and after it (alternating configurations)."""
        sv = self.saves(c)
        out = []
        for k, b in enumerate(sv):
            if b['fork_async'] != '1' or not b['total_ms']:
                continue
            nb = [float(x['total_ms']) for x in sv[max(0, k - 1):k + 2]
                  if x['fork_async'] == '0' and x['total_ms']]
            if nb:
                out.append(float(b['total_ms']) / (sum(nb) / len(nb)))
        return out

    def fork_usec(self, c, which):
        """Median latest_fork_usec of c's BGSAVEs: floor (empty server),
        idle (full, no load) or saves (full, under load)."""
        rows = self.redis.get(c, {}).get(which, [])
        v = [float(r['fork_us' if which == 'saves' else 'fork_usec'])
             for r in rows]
        return median(v) if v else None

    def mib(self, c):
        return int(self.redis[c]['info'].get('used_memory', 0)) >> 20

    def phase_note(self, a_sv, p_sv, out, **label):
        """The slowest requests of the fork phase and after it, of the
        async (A_SV) and the plain (P_SV) snapshots of one size, against
        OUT, the slowest outside; None when a number is missing.  LABEL:
        what bench_render needs to name the size."""
        a_f = phase_max(a_sv, 'max_fork_phase_us')
        p_f = phase_max(p_sv, 'max_fork_phase_us')
        if not (a_f and p_f and out):
            return None
        return dict(label, a_f=a_f, p_f=p_f, out=out,
                    a_a=phase_max(a_sv, 'max_after_fork_us'),
                    p_a=phase_max(p_sv, 'max_after_fork_us'))


def snapshot_targets(t, name, size, a_in, a_out, p_in, a_note, p_note, ta,
                     tp, more=''):
    """The three targets of one server (NAME: Redis or Valkey) at one
    dataset size: max latency of async snapshots against outside and
    against plain snapshots, and the BGSAVE totals (medians; MORE: what
    else to say of them)."""
    t.add('%s, async fork: max latency during snapshots vs outside'
          % name + size, '≤ 2x', '%s vs %s: %.2fx%s' % (
              fmt_us(a_in), fmt_us(a_out), a_in / a_out, a_note)
          if a_in and a_out else 'not measured',
          a_in / a_out <= 2 if a_in and a_out else None)
    t.add('%s: max latency during snapshots, async vs plain fork'
          % name + size, '≥ 95% lower', '%s vs %s: %.1f%% %s%s' % (
              fmt_us(a_in), fmt_us(p_in), 100 * abs(1 - a_in / p_in),
              'lower' if a_in <= p_in else 'higher', a_note + p_note)
          if a_in and p_in else 'not measured',
          1 - a_in / p_in >= 0.95 if a_in and p_in else None)
    t.add('%s: BGSAVE total time, async vs plain fork (median)'
          % name + size,
          'within 10%', '%s vs %s: %+.1f%%%s' % (
              fmt_us(ta * 1000), fmt_us(tp * 1000), 100 * (ta / tp - 1),
              more)
          if ta and tp else 'not measured',
          abs(ta / tp - 1) <= 0.10 if ta and tp else None)


def store_snapshot_targets(t, rs, store, own):
    """The snapshot targets of server STORE (configurations OWN), for each
    dataset size that has both plain and async fork, but the floor's: it
    is the reference, not a target; then those of alternating
    configurations: plain and async snapshots of one server under one
    load."""
    name = STORE_NAME[store]
    for c in [c for c in own if tag_cfg(c) == 'async']:
        pc = tag_with(c, 'plain')
        if rs.mib(c) < FLOOR_MIB:
            continue
        snapshot_targets(t, name, ' (%d MiB)' % rs.mib(c),
                         rs.lmax(c, 'during_snapshot'), rs.lmax(c, 'outside'),
                         rs.lmax(pc, 'during_snapshot'), rs.stall_note(c),
                         rs.stall_note(pc), rs.tot(c), rs.tot(pc))
    for c in [c for c in own if tag_cfg(c) == 'alt']:
        pr = rs.paired(c)
        snapshot_targets(t, name,
                         ' (%d MiB, alternating on one server)' % rs.mib(c),
                         rs.lmax(c, 'during_async_snapshot'),
                         rs.lmax(c, 'outside'),
                         rs.lmax(c, 'during_plain_snapshot'),
                         rs.stall_note(c, '1'), rs.stall_note(c, '0'),
                         rs.tot(c, '1'), rs.tot(c, '0'),
                         '; each async save against the plain ones next '
                         'to it: %s' % ', '.join(
                             '%+.1f%%' % (100 * (r - 1)) for r in pr)
                         if pr else '')


def store_phase_notes(rs, store, own):
    """The same comparisons restricted to each snapshot's fork phase, of
    server STORE: not targets of their own, but they show which part of a
    MISS async fork is answerable for.  [RedisStats.phase_note()]"""
    notes = []
    for c in [c for c in own if tag_cfg(c) == 'async']:
        pc = tag_with(c, 'plain')
        floor = rs.mib(c) < FLOOR_MIB
        notes.append(rs.phase_note(
            rs.saves(c), rs.saves(pc), rs.lmax(c, 'outside'),
            store=store, mib=rs.mib(c), kind='floor' if floor else '',
            whole=(rs.lmax(c, 'during_snapshot'),
                   rs.lmax(pc, 'during_snapshot'))))
    for c in [c for c in own if tag_cfg(c) == 'alt']:
        sv = rs.saves(c)
        notes.append(rs.phase_note(
            [b for b in sv if b['fork_async'] == '1'],
            [b for b in sv if b['fork_async'] == '0'],
            rs.lmax(c, 'outside'), store=store, mib=rs.mib(c), kind='alt',
            whole=None))
    return [n for n in notes if n]


def fork_usec_targets(t, rs, store):
    """latest_fork_usec of server STORE at the default dataset size (2 GiB).
    The full server is compared with its empty twin: BGSAVEs alternating
    between the two, without client load."""
    name = STORE_NAME[store]
    ac, pc = store + 'async', store + 'plain'
    af, ae = rs.fork_usec(ac, 'idle'), rs.fork_usec(ac, 'floor')
    al = rs.fork_usec(ac, 'saves')
    pf, pl = rs.fork_usec(pc, 'idle'), rs.fork_usec(pc, 'saves')
    # Only the untagged configurations have the twin: name their size,
    # or none when they did not run (a run of size-tagged ones only).
    full = rs.mib(ac) if ac in rs.redis else 0
    size = ' with %d MiB' % full if full else ''
    t.add('%s `latest_fork_usec`%s, async fork vs the same '
          'server empty (a twin, saves alternating), without client '
          'load (medians)' % (name, size), '≤ 2x',
          '%s vs %s: %.2fx%s' % (
              fmt_us(af), fmt_us(ae), af / ae,
              '; under load %s: %.2fx' % (fmt_us(al), al / ae)
              if al else '')
          if af and ae else 'not measured',
          af / ae <= 2 if af and ae else None)
    t.add('%s `latest_fork_usec`%s, plain vs async fork '
          '(medians, without client load)' % (name, size), '≥ 30x',
          '%s vs %s: %.1fx%s' % (
              fmt_us(pf), fmt_us(af), pf / af,
              '; under load %s vs %s: %.1fx' % (
                  fmt_us(pl), fmt_us(al), pl / al) if pl and al else '')
          if af and pf else 'not measured',
          pf / af >= 30 if af and pf else None)


def redis_targets(t, redis):
    """Redis's targets, then Valkey's (when it ran): each server's async
    fork against its own plain fork (tag_with keeps the server).  Return
    the phase notes (store_phase_notes) of all servers."""
    rs = RedisStats(redis)
    notes = []
    for store in stores_of(redis):
        own = [c for c in redis if tag_store(c) == store]
        store_snapshot_targets(t, rs, store, own)
        notes += store_phase_notes(rs, store, own)
        fork_usec_targets(t, rs, store)
    return notes


def small_target(t, stats, clock, label, what):
    """The small-process fork of kernel LABEL against the unpatched one,
    on CLOCK; STATS: small_stats() of each clock."""
    per, smed = stats[clock]
    pa, ba = per.get(label), per.get('base')
    if not (pa and ba):
        t.add('Fork of a small process, %s vs unpatched kernel' % what,
              'within 3%', 'not measured', None)
        return
    d = median(pa) / median(ba) - 1
    spread = max((max(m) - min(m)) / median(m)
                 for m in (smed[label], smed['base']))
    t.add('Fork of a small process, %s vs unpatched kernel (median, '
          '%s clock)' % (what, 'instruction' if clock == 'icount'
                         else 'wall'), 'within 3%',
          '%.1f µs vs %.1f µs: %+.1f%% (%d + %d sessions; session '
          'medians of one kernel spread up to %.1f%%)' % (
              median(pa), median(ba), 100 * d, len(smed[label]),
              len(smed['base']), 100 * spread),
          d <= 0.03)


def small_targets(t, small):
    """The small-process fork targets, on the instruction clock when it
    was measured.  Return small_stats() of each clock."""
    stats = {c: small_stats(rows) for c, rows in small.items()}
    clock = 'icount' if small['icount'] else 'wall'
    small_target(t, stats, clock, 'patched-af0', 'patched (vm.async_fork=0)')
    small_target(t, stats, clock, 'patched-af1',
                 'patched (vm.async_fork=1, no CLONE_ASYNC)')
    return stats
