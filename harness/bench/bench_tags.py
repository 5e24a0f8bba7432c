# SPDX-License-Identifier: GPL-2.0
"""The Redis configurations of `make bench` (REDIS_CONFIGS), as the tags of
their result files (redis-*-TAG.csv), and their titles in the report."""
import os
import re

REDIS_CFGS = ('plain', 'thp', 'async', 'alt')
CFG_TITLE = {
    'plain': 'plain fork, 4 KiB pages',
    'thp': 'plain fork, THP',
    'async': 'async fork, 4 KiB pages',
    'alt': 'plain and async fork alternating, 4 KiB pages',
}
# The servers: Redis, and Valkey (REDIS_CONFIGS entries valkey-CFG), each
# configuration compared only with those of its own server.
STORES = ('', 'valkey-')
STORE_NAME = {'': 'Redis', 'valkey-': 'Valkey'}
# A Redis configuration's results are tagged CFG (dataset REDIS_MB) or
# CFG-MBm (REDIS_CONFIGS entry CFG:MB); a Valkey one's valkey-CFG[-MBm].
TAG_RE = re.compile(r'((?:valkey-)?)(%s)(?:-(\d+)m)?$' % '|'.join(REDIS_CFGS))


def redis_tags(folder, prefix):
    """The tags of the files PREFIX-TAG.csv in FOLDER: Redis, then Valkey;
    the default size first, then by size; plain, thp, async within a
    size."""
    tags = []
    for f in os.listdir(folder):
        if f.startswith(prefix + '-') and f.endswith('.csv'):
            m = TAG_RE.match(f[len(prefix) + 1:-4])
            if m:
                tags.append((STORES.index(m.group(1)), int(m.group(3) or 0),
                             REDIS_CFGS.index(m.group(2)), m.group(0)))
    return [t for _, _, _, t in sorted(tags)]


def tag_store(tag):
    """The server prefix of TAG: '' (Redis) or 'valkey-'."""
    return TAG_RE.match(tag).group(1)


def tag_cfg(tag):
    return TAG_RE.match(tag).group(2)


def tag_title(tag):
    """Redis: plain fork, 4 KiB pages; Valkey: Valkey, plain fork, ..."""
    m = TAG_RE.match(tag)
    t = CFG_TITLE[m.group(2)]
    if m.group(1):
        t = '%s, %s' % (STORE_NAME[m.group(1)], t)
    return t + (', %s MiB' % m.group(3) if m.group(3) else '')


def tag_with(tag, cfg):
    """The tag of configuration CFG with TAG's server and dataset size."""
    m = TAG_RE.match(tag)
    return m.group(1) + cfg + ('-%sm' % m.group(3) if m.group(3) else '')


def stores_of(tags):
    """The servers to report on: Redis always, Valkey when TAGS has it."""
    return [s for s in STORES
            if not s or any(tag_store(c) == s for c in tags)]


def stores_title(tags):
    """'Redis', or 'Redis and Valkey' when TAGS has Valkey's."""
    return ' and '.join(STORE_NAME[s] for s in stores_of(tags))


def redis_series(tag, fork_async):
    """The time series of configuration TAG, whose BGSAVEs' forks were
    async or not as FORK_ASYNC says ('1', '0'): [(name, BGSAVE indexes)].
    An alternating configuration has one for each kind of fork."""
    idx = range(len(fork_async))
    if tag_cfg(tag) != 'alt':
        return [(tag, list(idx))]
    return [(tag + '-%sfork' % kind, [i for i in idx if fork_async[i] == a])
            for a, kind in (('0', 'plain'), ('1', 'async'))]
