// SPDX-License-Identifier: GPL-2.0
/*
 * snapshot_torture: does a forked child see exactly the memory its parent
 * had at the instant of fork, while the parent keeps changing it?
 *
 * Written for async fork (clone3(CLONE_ASYNC), vm.async_fork), where the
 * child copies its PTE tables after fork returned and the parent copies a
 * table to the child before it changes it.  It works as a plain fork()
 * test on any kernel (-p).
 *
 * Memory: a region of 4 KiB pages (MADV_NOHUGEPAGE), a THP-aligned region
 * with MADV_HUGEPAGE, a region with the default THP policy, a MAP_SHARED
 * anonymous region and a small "mailbox" region.  Every page is a logical
 * page p with a generation gens[p]: word 0 holds (p << 32 | gen), the other
 * words a hash of it, so a wrong page says which page and generation it
 * really is.  Generation 0 means "reads as zeroes"; GEN_MAYBE_ZERO marks
 * pages given to MADV_FREE, which may read as their generation or as
 * zeroes.  gens[] lives in private memory too: a child inherits it as its
 * own copy, i.e. as the expectations for its snapshot.
 *
 * Each round the main thread forks a verifier child.  Meanwhile, mutator
 * threads (-t) keep writing pages, unmapping and remapping, mremap()ing
 * away and back, shrinking and growing, mprotect()ing, madvise()ing
 * (DONTNEED, FREE, PAGEOUT, COLD, COLLAPSE, WILLNEED, POPULATE_*),
 * mlock()ing, and now and then forking a child that exits or is killed at
 * once.  Each change of memory and of its gens[] entries is made under a
 * read lock that the forking thread takes for writing around fork, so
 * that at the instant of fork memory and gens[] agree; everything after
 * fork races with the child's copy, which is what is being tested.  The
 * chunk (2 MiB) a mutator works on is locked against other mutators.
 *
 * The child checks that its gens[] match a checksum the parent sends over
 * a pipe (pipes are not subject to page-table copying), verifies every
 * private page, writes some pages of its own, sometimes forks a grandchild
 * that verifies the child's memory while the child changes it (including
 * process_vm_writev() into itself, which pins pages), then verifies again
 * once the parent has had more time to change its memory.  The parent
 * may process_vm_writev() into the child's mailbox meanwhile.  Children
 * report through a MAP_SHARED page and their exit status.  Some rounds
 * first fork a victim child and SIGKILL it at once, mid-copy.  After each
 * round the parent verifies its own memory: it must never see what the
 * children wrote.
 *
 * Output goes to stdout/stderr only: a process that ever wrote a 9p file
 * has pinned pages and forks synchronously (async_fork_fallback_pinned).
 *
 * -x leaves operations out.  With swap on zram, leave out MADV_FREE
 * (-x free): 6.12 loses the data of a page shared by fork when another
 * sharer gives it to MADV_FREE after a read fault swapped it in, async
 * fork or not (see harness/guest/snapshot-torture.sh).
 *
 * Build: gcc -O2 -Wall -pthread -o snapshot_torture snapshot_torture.c
 * Run:   snapshot_torture -d 300 (CLONE_ASYNC), or with vm.async_fork=2:
 *        snapshot_torture -p -d 300; harness/guest/snapshot-torture.sh
 *        runs both and more.
 *
 * Without -p it first probes the kernel with prctl(PR_GET_ASYNC_FORK,
 * PR_ASYNC_FORK_PROBE) and issues no clone3(CLONE_ASYNC) if that fails
 * (../../tools/include/async_fork_abi.h: the numbers are provisional).
 *
 * Exit status: 0 all good, 1 a mismatch or an unexpected child status or
 * error, 2 usage, 4 CLONE_ASYNC not supported (the kernel lacks async fork).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "../../tools/include/async_fork_abi.h"

#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif

#define PAGE_SZ			4096UL
#define WORDS			(PAGE_SZ / sizeof(uint64_t))
#define CHUNK_PAGES		512UL
#define CHUNK_SZ		(CHUNK_PAGES * PAGE_SZ)	/* one PMD */
#define MAILBOX_PAGES		32UL	/* two halves, see mailbox_skip() */
#define MAILBOX_HALF		(MAILBOX_PAGES / 2)
#define PVM_BUF_PAGES		4UL
#define MAX_PRINTED		8	/* mismatches printed per process */
#define GOLDEN			0x9e3779b97f4a7c15ULL

#define GEN_MAYBE_ZERO		0x80000000U
#define GEN_MASK		0x7fffffffU

/* Exit statuses of verifier children. */
enum {
	ST_OK = 0,
	ST_PASS1 = 10,		/* snapshot wrong on the first check */
	ST_PASS2 = 11,		/* snapshot wrong on the second check */
	ST_GENS = 12,		/* the inherited gens[] are not the fork-time ones */
	ST_NESTED = 13,		/* the grandchild found a problem */
	ST_ERROR = 14,		/* a system call failed in the child */
	ST_PROTO = 15,		/* pipe protocol broken (parent gone?) */
};

enum region_kind { R_SMALL, R_THP, R_PLAIN, R_SHARED, R_MAILBOX, NR_KINDS };

static const char *const kind_name[NR_KINDS] = {
	"small", "thp", "plain", "shared", "mailbox",
};

struct chunk {
	pthread_mutex_t lock;		/* one mutator at a time */
	char *addr;			/* never changes: moves come back */
	unsigned long first;		/* logical index of the first page */
	unsigned long npages;
	enum region_kind kind;
};

/* What a verifier process leaves for its parent in shared memory. */
struct report {
	uint32_t magic;
	uint32_t status;
	uint64_t checked;
	uint64_t bad;
};
#define REPORT_MAGIC		0x5e1ec7edU
#define REPORT_VICTIM		3	/* slots 1, 2: by depth */

/* Parent to child, over a pipe, right after fork and before pass 2. */
struct msg_hello {
	uint32_t magic;
	uint32_t round;
	uint64_t gsum;
	uint32_t nest;			/* fork a grandchild */
	uint32_t pad;
};

struct msg_go {
	uint32_t magic;
	int32_t pvm_page;		/* logical page written into us, or -1 */
	uint32_t pvm_gen;
};
#define HELLO_MAGIC		0x48454c4fU
#define GO_MAGIC		0x474f2121U

enum op {
	OP_WRITE, OP_REMAP, OP_MOVE, OP_RESIZE, OP_MPROTECT, OP_MADVISE,
	OP_MLOCK, OP_READ, OP_PVM, OP_QUICKFORK, NR_OPS,
};

static const char *const op_name[NR_OPS] = {
	"write", "remap", "mremap-move", "mremap-resize", "mprotect",
	"madvise", "mlock", "read", "pvm-self", "quick-fork",
};

/* Relative frequencies of the operations; -x sets some to 0. */
static unsigned int op_weight[NR_OPS] = {
	[OP_WRITE] = 40, [OP_REMAP] = 6, [OP_MOVE] = 8, [OP_RESIZE] = 4,
	[OP_MPROTECT] = 8, [OP_MADVISE] = 22, [OP_MLOCK] = 3, [OP_READ] = 4,
	[OP_PVM] = 4, [OP_QUICKFORK] = 1,
};

/* The madvise() advice op_madvise() picks from; -x leaves some out. */
static struct {
	const char *name;
	int advice;
	bool off;
} advices[] = {
	{ "dontneed", MADV_DONTNEED, false }, { "free", MADV_FREE, false },
	{ "pageout", MADV_PAGEOUT, false }, { "cold", MADV_COLD, false },
	{ "collapse", MADV_COLLAPSE, false },
	{ "willneed", MADV_WILLNEED, false },
	{ "populate-read", MADV_POPULATE_READ, false },
	{ "populate-write", MADV_POPULATE_WRITE, false },
};
#define NR_ADVICES	ARRAY_SIZE(advices)

/*
 * What else happens to a verifier: it is written into from outside, or it
 * forks a verifier of its own.  Not both: the write pins the verifier's
 * pages, and an mm with pinned pages forks synchronously.
 */
enum plan { PLAN_NONE, PLAN_PVM, PLAN_NEST, NR_PLANS };

/* State of one mutating context: a mutator thread or a child. */
struct mctx {
	uint64_t rng;
	char *scratch;			/* 2 chunks, PMD-aligned, PROT_NONE */
	char *buf;			/* source for process_vm_writev() */
	bool child;			/* single-threaded: no locks, private only */
	bool allow_pvm;			/* may pin its own pages */
};

/* Options. */
static unsigned long opt_size_mb = 256;
static unsigned int opt_threads = 4;
static unsigned long opt_rounds;
static unsigned long opt_seconds;
static bool opt_plain;
static bool opt_verbose;
static bool opt_pvm_self;
static unsigned int opt_selftest;
static uint64_t opt_seed;
static unsigned int opt_hang_secs;

/* The memory under test and what is expected of it. */
static struct chunk *chunks;
static unsigned long nchunks;
static uint32_t *gens;			/* nchunks * CHUNK_PAGES entries */
static struct report *reports;		/* MAP_SHARED */
static struct mctx *mctxs;		/* one per thread, + main's (last) */

/* Run state. */
static pthread_rwlock_t fork_lock;
static int stop_mutators;		/* atomic: see the helpers below */
static int failed;
static unsigned long stats_ops[NR_OPS];
static unsigned long stats_quick_killed;
static unsigned int cur_round;
static int my_depth;			/* 0 parent, 1 child, 2 grandchild */
static unsigned int printed;

/* ---- small helpers ------------------------------------------------- */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Flags that threads read while others set them. */
static void set_flag(int *flag)
{
	__atomic_store_n(flag, 1, __ATOMIC_RELAXED);
}

static bool flag_set(int *flag)
{
	return __atomic_load_n(flag, __ATOMIC_RELAXED);
}

static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	/* No stdio: children of a raw clone3() must not take its locks. */
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (write(STDOUT_FILENO, buf, n) < 0)
		return;
}

static const char *who(void)
{
	static const char *const names[] = { "parent", "child", "grandchild" };

	return names[my_depth];
}

/* A failed system call or a broken expectation outside verification. */
static void fail_errno(const char *what)
{
	/* strerrorname_np(): no locale machinery, safe in any child. */
	say("snapshot_torture: %s[%d]: %s failed: %s\n", who(), getpid(), what,
	    strerrorname_np(errno) ? strerrorname_np(errno) : "?");
	set_flag(&failed);
	if (my_depth > 0)
		_exit(ST_ERROR);
}

static inline void count(unsigned long *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

static uint64_t rnd(struct mctx *m)
{
	/* xorshift64*: cheap, no locks, fine for picking things. */
	m->rng ^= m->rng >> 12;
	m->rng ^= m->rng << 25;
	m->rng ^= m->rng >> 27;
	return m->rng * 0x2545f4914f6cdd1dULL;
}

static unsigned long rnd_below(struct mctx *m, unsigned long n)
{
	return n ? rnd(m) % n : 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* ---- the pattern --------------------------------------------------- */

static inline uint64_t mix64(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline uint64_t page_head(unsigned long p, uint32_t gen)
{
	return ((uint64_t)p << 32) | gen;
}

static void fill_page(char *addr, unsigned long p, uint32_t gen)
{
	uint64_t *w = (uint64_t *)addr;
	uint64_t x;
	unsigned long i;

	w[0] = page_head(p, gen);
	x = mix64(w[0]);
	for (i = 1; i < WORDS; i++)
		w[i] = x + i * GOLDEN;
}

static uint32_t next_gen(uint32_t gen)
{
	gen = (gen & GEN_MASK) + 1;
	return gen > GEN_MASK ? 1 : gen;
}

static inline char *page_addr(unsigned long p)
{
	return chunks[p / CHUNK_PAGES].addr + (p % CHUNK_PAGES) * PAGE_SZ;
}

/*
 * Check one page against its expected generation.  Returns -1 if it is
 * right, else the index of the first wrong word.
 */
static long check_page(const char *addr, unsigned long p, uint32_t gen)
{
	const uint64_t *w = (const uint64_t *)addr;
	uint32_t g = gen & GEN_MASK;
	uint64_t x;
	unsigned long i;

	if ((gen & GEN_MAYBE_ZERO) && w[0] == 0)
		g = 0;
	if (g == 0) {
		for (i = 0; i < WORDS; i++)
			if (w[i])
				return i;
		return -1;
	}
	if (w[0] != page_head(p, g))
		return 0;
	x = mix64(w[0]);
	for (i = 1; i < WORDS; i++)
		if (w[i] != x + i * GOLDEN)
			return i;
	return -1;
}

/* What a wrong page looks like, from its first word. */
static void describe(const char *addr, char *buf, size_t len)
{
	uint64_t head = *(const uint64_t *)addr;
	unsigned long p = head >> 32;
	uint32_t g = (uint32_t)head;

	if (head == 0)
		snprintf(buf, len, "zero page or zero head");
	else if (p < nchunks * CHUNK_PAGES && check_page(addr, p, g) < 0)
		snprintf(buf, len, "intact page %lu gen %u", p, g);
	else
		snprintf(buf, len, "head says page %lu gen %u, body differs",
			 p, g);
}

static void report_mismatch(const char *what, unsigned long p, uint32_t gen,
			    long word)
{
	const char *addr = page_addr(p);
	const struct chunk *c = &chunks[p / CHUNK_PAGES];
	uint64_t got = ((const uint64_t *)addr)[word];
	uint32_t g = gen & GEN_MASK;
	uint64_t want = 0;
	char desc[96];

	if (++printed > MAX_PRINTED)
		return;
	if ((gen & GEN_MAYBE_ZERO) && ((const uint64_t *)addr)[0] == 0)
		g = 0;
	if (g)
		want = word ? mix64(page_head(p, g)) + word * GOLDEN :
			      page_head(p, g);
	describe(addr, desc, sizeof(desc));
	say("MISMATCH %s[%d] round %u %s: page %lu (%s, chunk %lu +%#lx, %p) "
	    "word %ld: expected gen %u%s (%#018" PRIx64 "), got %#018" PRIx64
	    " (%s)\n", who(), getpid(), cur_round, what, p, kind_name[c->kind],
	    p / CHUNK_PAGES, (p % CHUNK_PAGES) * PAGE_SZ, addr, word,
	    gen & GEN_MASK, gen & GEN_MAYBE_ZERO ? " or zero" : "", want, got,
	    desc);
}

/* Checksum of gens[], sent to a child over a pipe at fork. */
static uint64_t gens_sum(void)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned long i;

	for (i = 0; i < nchunks * CHUNK_PAGES; i++)
		h = (h ^ mix64(((uint64_t)i << 32) | gens[i])) *
		    0x100000001b3ULL;
	return h;
}

/* ---- verification -------------------------------------------------- */

/*
 * The mailbox is written by process_vm_writev() from outside: its first
 * half into a child by the parent, its second half into a grandchild by
 * the child, at a moment the target only learns of before its pass 2.
 * A half written into an ancestor is racy for its descendants.
 */
static bool mailbox_skip(unsigned long p, int depth, int pass)
{
	int half = (p % CHUNK_PAGES) < MAILBOX_HALF ? 1 : 2;

	return half < depth || (half == depth && pass == 1);
}

static bool kind_verified(enum region_kind kind, int depth)
{
	/* Shared memory is not part of a snapshot; -X 2 pretends it is. */
	return kind != R_SHARED || depth == 0 || opt_selftest == 2;
}

/* Verify the chunk; the caller keeps it from changing.  Returns bad pages. */
static unsigned long verify_chunk(struct chunk *c, int depth, int pass,
				  const char *what, uint64_t *checked)
{
	unsigned long p, bad = 0;
	long word;

	for (p = c->first; p < c->first + c->npages; p++) {
		if (c->kind == R_MAILBOX && mailbox_skip(p, depth, pass))
			continue;
		word = check_page(page_addr(p), p, gens[p]);
		(*checked)++;
		if (word >= 0) {
			report_mismatch(what, p, gens[p], word);
			bad++;
		}
	}
	return bad;
}

/* Verify every page a process at @depth can predict. */
static unsigned long verify_all(int depth, int pass, const char *what,
				uint64_t *checked)
{
	unsigned long i, bad = 0;

	for (i = 0; i < nchunks; i++) {
		struct chunk *c = &chunks[i];

		if (!kind_verified(c->kind, depth))
			continue;
		if (depth == 0)
			pthread_mutex_lock(&c->lock);
		bad += verify_chunk(c, depth, pass, what, checked);
		if (depth == 0)
			pthread_mutex_unlock(&c->lock);
	}
	return bad;
}

/* ---- forking ------------------------------------------------------- */

/*
 * clone3(CLONE_ASYNC), or with -p the C library's fork(), which the
 * vm.async_fork=2 sysctl makes async.  A child of the raw clone3() of a
 * threaded process must stay away from the C library's locks: it uses
 * write(2), mmap(2) and friends, and leaves with _exit().
 */
static pid_t do_fork(void)
{
	if (opt_plain)
		return fork();
	return async_fork_clone3(CLONE_ASYNC);
}

/* Wait for @pid for at most @timeout_s seconds.  Returns 0 or -1 (hang). */
static int wait_child(pid_t pid, int *status, unsigned int timeout_s)
{
	uint64_t deadline = now_ns() + timeout_s * 1000000000ULL;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR) {
			fail_errno("waitpid");
			return -1;
		}
		if (now_ns() > deadline)
			return -1;
		usleep(1000);
	}
}

static unsigned int child_timeout(void)
{
	if (opt_selftest == 3)
		return 10;
	if (opt_hang_secs)
		return opt_hang_secs;
	/* The TCG guest checks a few MiB per second under load. */
	return 300 + opt_size_mb;
}

/* Print /proc/@dir/{wchan,stack,syscall}, each line prefixed. */
static void show_task(const char *dir)
{
	static const char *const files[] = { "wchan", "stack", "syscall" };
	char path[96], buf[1024];
	unsigned int i;
	ssize_t n;
	int fd;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "/proc/%s/%s", dir, files[i]);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			say("  %s: %s\n", files[i], buf);
		}
	}
}

/* Minor and major faults and CPU ticks of task @pid, from /proc/@pid/stat. */
static bool read_fault_stat(pid_t pid, unsigned long v[4])
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	/* After the command name: fields 3 to 15, minflt is the 10th. */
	p = strrchr(buf, ')');
	return p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %lu %*u %lu %*u %lu %lu",
			   &v[0], &v[1], &v[2], &v[3]) == 4;
}

/* Write @val to the tracefs file @name; false if there is none. */
static bool trace_write(const char *name, const char *val)
{
	char path[160];
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/tracing/%s", name);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return false;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok;
}

/*
 * The first @max events of the trace buffer, how many there were, and how
 * many distinct fault addresses (a loop has one or a few).
 */
static unsigned long trace_show(unsigned int max)
{
	unsigned long events = 0, addrs[64], nr_addrs = 0, a, i;
	bool more_addrs = false;
	char line[512], *p;
	FILE *f;

	f = fopen("/sys/kernel/tracing/trace", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		if (events++ < max)
			say("    %s", line);
		p = strstr(line, "page_fault_user: address=");
		if (!p || sscanf(p + 25, "%lx", &a) != 1)
			continue;
		for (i = 0; i < nr_addrs && addrs[i] != a; i++)
			;
		if (i < nr_addrs)
			continue;
		if (nr_addrs < ARRAY_SIZE(addrs))
			addrs[nr_addrs++] = a;
		else
			more_addrs = true;
	}
	fclose(f);
	say("  %lu events in the trace, user faults at %s%lu distinct addresses\n",
	    events, more_addrs ? "more than " : "", nr_addrs);
	return nr_addrs ? addrs[0] : 0;
}

/*
 * What task @pid maps at @addr: its /proc/PID/pagemap entry (a migration
 * entry that nothing will put back shows as a swap entry of a type past
 * the swap files) and the VMA around it.
 */
static void show_mapping_at(pid_t pid, unsigned long addr)
{
	unsigned long start, end;
	char path[64], line[512];
	uint64_t e = 0;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY);
	if (fd >= 0 && pread(fd, &e, sizeof(e), (addr / PAGE_SZ) * sizeof(e)) ==
	    (ssize_t)sizeof(e))
		say("  pagemap at %#lx: %#" PRIx64 " (%s, frame or swap entry %#"
		    PRIx64 ")\n", addr, e,
		    e >> 63 & 1 ? "present" : e >> 62 & 1 ? "swap" : "none",
		    e & ((1ULL << 55) - 1));
	if (fd >= 0)
		close(fd);
	/*
	 * A swap entry past the swap files (migration, say) names a page
	 * frame: its flags say whether anybody still works on it (bit 0,
	 * locked, while it migrates).  The frame is the low bits of the
	 * offset; those above it may hold the young and dirty bits.
	 */
	fd = open("/proc/kpageflags", O_RDONLY);
	if (fd >= 0 && (e >> 62 & 1)) {
		uint64_t pfn = ((e & ((1ULL << 55) - 1)) >> 5) & ((1ULL << 34) - 1);
		uint64_t flags;

		if (pread(fd, &flags, sizeof(flags), pfn * sizeof(flags)) ==
		    (ssize_t)sizeof(flags))
			say("  kpageflags of frame %#" PRIx64 ": %#" PRIx64 "\n",
			    pfn, flags);
	}
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &start, &end) == 2 &&
		    addr >= start && addr < end)
			say("  VMA: %s", line);
	if (f)
		fclose(f);
}

/*
 * A loop or a slow child?  Count the child's faults over one second, and
 * trace where they hit (the user page faults, async fork's own events):
 * a loop faults over and over at the same address.
 */
static void show_fault_activity(pid_t pid)
{
	static const char *const events[] = {
		"events/exceptions/page_fault_user", "events/async_fork",
	};
	unsigned long a[4], b[4], addr = 0;
	char filter[64];
	bool traced = true;
	unsigned int i;

	if (access("/sys/kernel/tracing/trace", F_OK))
		mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	snprintf(filter, sizeof(filter), "common_pid == %d", pid);
	trace_write("trace", "");
	for (i = 0; i < ARRAY_SIZE(events); i++) {
		char name[128];

		snprintf(name, sizeof(name), "%s/filter", events[i]);
		traced &= trace_write(name, filter);
		snprintf(name, sizeof(name), "%s/enable", events[i]);
		traced &= trace_write(name, "1");
	}
	if (!read_fault_stat(pid, a)) {
		say("  (no /proc/%d/stat)\n", pid);
		return;
	}
	sleep(1);
	for (i = 0; i < ARRAY_SIZE(events); i++) {
		char name[128];

		snprintf(name, sizeof(name), "%s/enable", events[i]);
		trace_write(name, "0");
	}
	if (read_fault_stat(pid, b))
		say("  in 1 s: %lu minor and %lu major faults, %lu user and %lu system ticks\n",
		    b[0] - a[0], b[1] - a[1], b[2] - a[2], b[3] - a[3]);
	if (traced)
		addr = trace_show(12);
	else
		say("  (no tracefs events to say where it faults)\n");
	if (addr)
		show_mapping_at(pid, addr);
}

/*
 * A child that does not finish: show where it sits, and where our own
 * threads sit (an async fork child waits for its parent's mmap_lock and
 * claims), then kill it.
 */
static void report_hang(pid_t pid)
{
	char dir[64];
	struct dirent *de;
	DIR *tasks;
	int fd, i;

	say("HANG %s[%d]: child %d did not finish within %us\n", who(),
	    getpid(), pid, child_timeout());
	snprintf(dir, sizeof(dir), "%d", pid);
	/* A few looks: one stack cannot tell a loop from a wait. */
	for (i = 0; i < 4; i++) {
		if (i)
			usleep(200 * 1000);
		show_task(dir);
	}
	show_fault_activity(pid);
	tasks = opendir("/proc/self/task");
	while (tasks && (de = readdir(tasks))) {
		if (de->d_name[0] == '.')
			continue;
		say(" our thread %s:\n", de->d_name);
		snprintf(dir, sizeof(dir), "self/task/%.40s", de->d_name);
		show_task(dir);
	}
	if (tasks)
		closedir(tasks);
	/*
	 * Blocked tasks to the console, for the record, then every task:
	 * whoever holds what the blocked ones wait for may be running.
	 */
	fd = open("/proc/sysrq-trigger", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "w", 1) < 0 || write(fd, "t", 1) < 0)
			say("  (sysrq-w or sysrq-t failed)\n");
		close(fd);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	set_flag(&failed);
}

/* ---- mutations ----------------------------------------------------- */

static void write_pages(unsigned long p, unsigned long n)
{
	for (; n; n--, p++) {
		uint32_t g = next_gen(gens[p]);

		fill_page(page_addr(p), p, g);
		gens[p] = g;
	}
}

static void set_gens(unsigned long p, unsigned long n, uint32_t gen)
{
	for (; n; n--, p++)
		gens[p] = gen;
}

/* Pick a range of pages in @c: sometimes all of it, often a few pages. */
static void pick_range(struct mctx *m, struct chunk *c, unsigned long *first,
		       unsigned long *n)
{
	switch (rnd_below(m, 8)) {
	case 0:
		*n = c->npages;
		break;
	case 1:
		*n = 1;
		break;
	case 2: case 3: case 4:
		*n = 2 + rnd_below(m, 15);
		break;
	default:
		*n = 1 + rnd_below(m, c->npages);
		break;
	}
	if (*n > c->npages)
		*n = c->npages;
	*first = c->first + rnd_below(m, c->npages - *n + 1);
}

static int map_flags(enum region_kind kind)
{
	return (kind == R_SHARED ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS;
}

/* The THP advice of a region's kind, to reapply to a fresh mapping. */
static int set_thp_advice(char *addr, size_t len, enum region_kind kind)
{
	if (kind == R_SMALL)
		return madvise(addr, len, MADV_NOHUGEPAGE);
	if (kind == R_THP)
		return madvise(addr, len, MADV_HUGEPAGE);
	return 0;
}

static int op_write(struct mctx *m, struct chunk *c)
{
	unsigned long p, n;

	pick_range(m, c, &p, &n);
	if (n > 32)
		n = 32;		/* keep ops short: the forker waits for them */
	write_pages(p, n);
	return 0;
}

/* munmap() and mmap() again, or mmap(MAP_FIXED) over it: zero pages. */
static int op_remap(struct mctx *m, struct chunk *c)
{
	unsigned long p, n;
	char *addr;
	size_t len;

	pick_range(m, c, &p, &n);
	addr = page_addr(p);
	len = n * PAGE_SZ;
	if (rnd_below(m, 2) && munmap(addr, len)) {
		fail_errno("munmap");
		return -1;
	}
	if (mmap(addr, len, PROT_READ | PROT_WRITE,
		 map_flags(c->kind) | MAP_FIXED, -1, 0) != addr) {
		fail_errno("mmap(MAP_FIXED)");
		return -1;
	}
	if (set_thp_advice(addr, len, c->kind)) {
		fail_errno("madvise(THP advice)");
		return -1;
	}
	set_gens(p, n, 0);
	if (rnd_below(m, 2))
		write_pages(p + rnd_below(m, n), 1);
	return 0;
}

/* Give back the scratch area an mremap() moved over. */
static int rereserve_scratch(struct mctx *m)
{
	if (mmap(m->scratch, 2 * CHUNK_SZ, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		 -1, 0) != m->scratch) {
		fail_errno("mmap(scratch)");
		return -1;
	}
	return 0;
}

/*
 * mremap() a range to @to, in as many pieces as it has VMAs: before 6.17
 * a move cannot span VMAs (EFAULT), and earlier operations split them.
 */
static int move_pieces(char *from, size_t len, char *to, int flags)
{
	size_t half;

	if (mremap(from, len, len, flags, to) == to)
		return 0;
	if (errno != EFAULT || len == PAGE_SZ)
		return -1;
	half = len / PAGE_SZ / 2 * PAGE_SZ;
	if (move_pieces(from, half, to, flags))
		return -1;
	return move_pieces(from + half, len - half, to + half, flags);
}

/*
 * Move a range to the scratch area and back: keeping the offset within
 * the PMD lets whole page tables move, shifting it moves PTEs.  While the
 * range is away, some of its pages are written there.
 */
static int op_move(struct mctx *m, struct chunk *c)
{
	unsigned long p, n, i, shift = 0;
	char *addr, *away;
	int flags = MREMAP_MAYMOVE | MREMAP_FIXED;
	size_t len;

	pick_range(m, c, &p, &n);
	addr = page_addr(p);
	len = n * PAGE_SZ;
	if (rnd_below(m, 2))
		shift = 1 + rnd_below(m, CHUNK_PAGES - 1);
	away = m->scratch + (p % CHUNK_PAGES + shift) * PAGE_SZ;
	/* DONTUNMAP leaves the source mapped and empty: private anon only. */
	if (c->kind != R_SHARED && !rnd_below(m, 3))
		flags |= MREMAP_DONTUNMAP;
	if (move_pieces(addr, len, away, flags)) {
		fail_errno("mremap(away)");
		return -1;
	}
	for (i = rnd_below(m, 4); i; i--) {
		unsigned long q = rnd_below(m, n);
		uint32_t g = next_gen(gens[p + q]);

		fill_page(away + q * PAGE_SZ, p + q, g);
		gens[p + q] = g;
	}
	if (move_pieces(away, len, addr, MREMAP_MAYMOVE | MREMAP_FIXED)) {
		fail_errno("mremap(back)");
		return -1;
	}
	return rereserve_scratch(m);
}

/* Shrink the range to its first half and grow it back: the tail is new. */
static int op_resize(struct mctx *m, struct chunk *c)
{
	unsigned long p, n, keep;
	char *addr, *tail;

	pick_range(m, c, &p, &n);
	if (n < 2)
		n = 2;
	if (p + n > c->first + c->npages)
		p = c->first + c->npages - n;
	keep = n / 2;
	addr = page_addr(p);
	tail = addr + keep * PAGE_SZ;
	if (mremap(addr, n * PAGE_SZ, keep * PAGE_SZ, 0) != addr) {
		fail_errno("mremap(shrink)");
		return -1;
	}
	set_gens(p + keep, n - keep, 0);
	/*
	 * Grow in place from the last page before the tail: the range may
	 * span several VMAs, but that page's VMA ends there now and the tail
	 * is free.
	 */
	if (mremap(tail - PAGE_SZ, PAGE_SZ, (n - keep + 1) * PAGE_SZ, 0) !=
	    tail - PAGE_SZ) {
		if (errno != ENOMEM) {
			fail_errno("mremap(grow)");
			return -1;
		}
		if (mmap(tail, (n - keep) * PAGE_SZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			 -1, 0) != tail) {
			fail_errno("mmap(regrow)");
			return -1;
		}
		if (set_thp_advice(tail, (n - keep) * PAGE_SZ, c->kind)) {
			fail_errno("madvise(THP advice)");
			return -1;
		}
	}
	if (rnd_below(m, 2))
		write_pages(p + keep + rnd_below(m, n - keep), 1);
	return 0;
}

static uint64_t touch_read(unsigned long p, unsigned long n)
{
	uint64_t sum = 0;

	/* volatile: the access itself is the point */
	for (; n; n--, p++)
		sum += *(volatile uint64_t *)(page_addr(p) + 8 * (p % WORDS));
	return sum;
}

/* Read-only (or no access) for a moment, then writable again. */
static int op_mprotect(struct mctx *m, struct chunk *c)
{
	unsigned long p, n;
	int prot = rnd_below(m, 4) ? PROT_READ : PROT_NONE;
	char *addr;

	pick_range(m, c, &p, &n);
	addr = page_addr(p);
	if (mprotect(addr, n * PAGE_SZ, prot)) {
		fail_errno("mprotect");
		return -1;
	}
	if (prot == PROT_READ)
		touch_read(p, n);
	if (mprotect(addr, n * PAGE_SZ, PROT_READ | PROT_WRITE)) {
		fail_errno("mprotect(RW)");
		return -1;
	}
	return 0;
}

static int op_madvise(struct mctx *m, struct chunk *c)
{
	unsigned long p, n, i;
	int adv;

	do
		i = rnd_below(m, NR_ADVICES);
	while (advices[i].off);
	adv = advices[i].advice;

	pick_range(m, c, &p, &n);
	if (adv == MADV_FREE && c->kind == R_SHARED)
		adv = MADV_COLD;	/* MADV_FREE is for private anon only */
	if (adv == MADV_COLLAPSE) {
		/* The whole PMD, or nothing can collapse. */
		p = c->first;
		n = c->npages;
	}
	if (madvise(page_addr(p), n * PAGE_SZ, adv)) {
		/* Collapse may be refused or fail transiently: not our business. */
		if (adv == MADV_COLLAPSE && (errno == EINVAL ||
		    errno == EAGAIN || errno == ENOMEM || errno == EBUSY))
			return 0;
		fail_errno("madvise");
		return -1;
	}
	if (adv == MADV_DONTNEED && c->kind != R_SHARED)
		set_gens(p, n, 0);
	if (adv == MADV_FREE)
		for (i = p; i < p + n; i++)
			if (gens[i])
				gens[i] |= GEN_MAYBE_ZERO;
	return 0;
}

/* mlock() populates and breaks COW of private writable memory. */
static int op_mlock(struct mctx *m, struct chunk *c)
{
	unsigned long p, n;
	char *addr;

	pick_range(m, c, &p, &n);
	addr = page_addr(p);
	if (mlock(addr, n * PAGE_SZ)) {
		if (errno == ENOMEM || errno == EPERM || errno == EAGAIN)
			return 0;	/* no lockable memory left: fine */
		fail_errno("mlock");
		return -1;
	}
	if (munlock(addr, n * PAGE_SZ)) {
		fail_errno("munlock");
		return -1;
	}
	return 0;
}

static int op_read(struct mctx *m, struct chunk *c)
{
	unsigned long p, n;

	pick_range(m, c, &p, &n);
	touch_read(p, n);
	return 0;
}

/* Write pages through the kernel (pinning them): sets MMF_HAS_PINNED. */
static int op_pvm(struct mctx *m, struct chunk *c)
{
	unsigned long p, n, i;
	struct iovec local, remote;
	ssize_t done;

	pick_range(m, c, &p, &n);
	if (n > PVM_BUF_PAGES)
		n = PVM_BUF_PAGES;
	for (i = 0; i < n; i++)
		fill_page(m->buf + i * PAGE_SZ, p + i, next_gen(gens[p + i]));
	local.iov_base = m->buf;
	local.iov_len = n * PAGE_SZ;
	remote.iov_base = page_addr(p);
	remote.iov_len = n * PAGE_SZ;
	done = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
	if (done != (ssize_t)(n * PAGE_SZ)) {
		if (done >= 0)
			errno = EIO;
		fail_errno("process_vm_writev(self)");
		return -1;
	}
	for (i = 0; i < n; i++)
		gens[p + i] = next_gen(gens[p + i]);
	return 0;
}

/*
 * Fork a child that leaves at once or is killed at once, while other
 * threads go on changing memory: the parent must not care, and a second
 * fork while a child copies must work (synchronously).
 */
static int op_quickfork(struct mctx *m)
{
	bool kill_it = rnd_below(m, 2);
	int status;
	pid_t pid;

	pid = do_fork();
	if (pid < 0) {
		fail_errno("fork(quick)");
		return -1;
	}
	if (pid == 0)
		_exit(0);
	if (kill_it)
		kill(pid, SIGKILL);
	if (wait_child(pid, &status, child_timeout())) {
		report_hang(pid);
		return -1;
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		count(&stats_quick_killed);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		say("snapshot_torture: quick child %d: unexpected status %#x\n",
		    pid, status);
		set_flag(&failed);
		return -1;
	}
	return 0;
}

static enum op pick_op(struct mctx *m)
{
	unsigned int total = 0, r;
	int i;

	for (i = 0; i < NR_OPS; i++)
		total += op_weight[i];
	r = rnd_below(m, total);
	for (i = 0; i < NR_OPS; i++) {
		if (r < op_weight[i])
			break;
		r -= op_weight[i];
	}
	/* Rarer still: every quick child copies the whole mm, too. */
	if ((i == OP_PVM && !m->allow_pvm) ||
	    (i == OP_QUICKFORK && (m->child || rnd_below(m, 8))))
		i = op_weight[OP_WRITE] ? OP_WRITE : OP_READ;
	return i;
}

static int do_op(struct mctx *m, enum op op, struct chunk *c)
{
	switch (op) {
	case OP_WRITE:		return op_write(m, c);
	case OP_REMAP:		return op_remap(m, c);
	case OP_MOVE:		return op_move(m, c);
	case OP_RESIZE:
		/* Growing a shared mapping back maps its old shmem pages. */
		return c->kind == R_SHARED ? op_write(m, c) : op_resize(m, c);
	case OP_MPROTECT:	return op_mprotect(m, c);
	case OP_MADVISE:	return op_madvise(m, c);
	case OP_MLOCK:		return op_mlock(m, c);
	case OP_READ:		return op_read(m, c);
	case OP_PVM:		return op_pvm(m, c);
	default:		return -1;
	}
}

static bool chunk_mutable(const struct chunk *c, bool child)
{
	if (c->kind == R_MAILBOX)
		return false;
	/* A child's shared-memory writes would be the parent's, too. */
	return !child || c->kind != R_SHARED;
}

/* A chunk a child may change. */
static struct chunk *child_chunk(struct mctx *m)
{
	struct chunk *c;

	do
		c = &chunks[rnd_below(m, nchunks)];
	while (!chunk_mutable(c, true));
	return c;
}

/* One mutation in a child: no other threads, so no locks. */
static void child_mutate(struct mctx *m)
{
	do_op(m, pick_op(m), child_chunk(m));	/* errors _exit() the child */
}

/* One mutation in a parent thread, under the fork lock (read). */
static int parent_mutate(struct mctx *m)
{
	enum op op = pick_op(m);
	struct chunk *c;
	int ret, tries;

	if (op == OP_QUICKFORK) {
		/* Not under the fork lock: it is not a snapshot. */
		count(&stats_ops[op]);
		return op_quickfork(m);
	}
	pthread_rwlock_rdlock(&fork_lock);
	for (tries = 0; ; tries++) {
		c = &chunks[rnd_below(m, nchunks)];
		if (chunk_mutable(c, false) &&
		    !pthread_mutex_trylock(&c->lock))
			break;
		if (tries > 64) {
			c = NULL;
			break;
		}
	}
	ret = 0;
	if (c) {
		ret = do_op(m, op, c);
		pthread_mutex_unlock(&c->lock);
		count(&stats_ops[op]);
	}
	pthread_rwlock_unlock(&fork_lock);
	return ret;
}

static void *mutator(void *arg)
{
	struct mctx *m = arg;

	while (!flag_set(&stop_mutators) && !flag_set(&failed))
		if (parent_mutate(m))
			break;
	return NULL;
}

/* ---- verifier children --------------------------------------------- */

static void child_report(int depth, unsigned int status, uint64_t checked,
			 uint64_t bad)
{
	struct report *r = &reports[depth];

	r->checked = checked;
	r->bad = bad;
	r->status = status;
	__atomic_store_n(&r->magic, REPORT_MAGIC, __ATOMIC_RELEASE);
}

static int run_verifier(struct mctx *m, int depth, enum plan plan,
			uint64_t *fork_ns);

/*
 * A victim: forked and killed at once, mid-copy if the kernel is slow
 * enough.  If it gets to run, it checks its snapshot like anyone else.
 */
static void victim_main(void)
{
	uint64_t checked = 0;
	unsigned long bad;

	my_depth = 1;
	bad = verify_all(1, 1, "victim", &checked);
	child_report(REPORT_VICTIM, bad ? ST_PASS1 : ST_OK, checked, bad);
	_exit(bad ? ST_PASS1 : ST_OK);
}

/* Self-test 3: a child that faults at one address until it is killed. */
static void __attribute__((noreturn)) fault_forever(void)
{
	volatile char *p = (volatile char *)page_addr(chunks[0].first);

	for (;;) {
		madvise((void *)p, PAGE_SZ, MADV_DONTNEED);
		(void)*p;
	}
}

/*
 * The verifier: check the fork-time gens[], verify, change own memory
 * (and maybe fork a grandchild to verify that), then verify again once
 * the parent says it has gone on changing its memory for a while.
 */
static void verifier_main(struct mctx *m, int depth, int rfd, int wfd)
{
	uint64_t checked = 0, fork_ns;
	struct msg_hello hello;
	struct msg_go go;
	unsigned long bad = 0, i;
	unsigned int status = ST_OK;
	int nested;

	my_depth = depth;
	printed = 0;
	m->child = true;
	m->allow_pvm = true;	/* our own mm: pinning it is harmless */
	m->rng = mix64(m->rng ^ getpid());

	if (read_full(rfd, &hello, sizeof(hello)) || hello.magic != HELLO_MAGIC)
		_exit(ST_PROTO);
	cur_round = hello.round;
	if (gens_sum() != hello.gsum) {
		say("MISMATCH %s[%d] round %u: inherited generation table "
		    "differs from the parent's at fork\n", who(), getpid(),
		    cur_round);
		status = ST_GENS;
	}

	if (opt_selftest == 3 && depth == 1)
		fault_forever();
	if (opt_selftest == 1 && depth == 1) {
		/* Self-test: a corrupt snapshot must be reported. */
		for (i = 0; chunks[i].kind != R_SMALL; i++)
			;
		page_addr(chunks[i].first + rnd_below(m, chunks[i].npages))
			[100] ^= 0x40;
	}

	bad = verify_all(depth, 1, "pass 1", &checked);
	if (bad && !status)
		status = ST_PASS1;

	/* Our own writes: the parent must never see them. */
	for (i = 0; i < 8; i++) {
		struct chunk *c = child_chunk(m);

		write_pages(c->first + rnd_below(m, c->npages), 1);
	}

	if (hello.nest) {
		nested = run_verifier(m, depth,
				      rnd_below(m, 2) ? PLAN_PVM : PLAN_NONE,
				      &fork_ns);
		if (nested && !status)
			status = ST_NESTED;
	}

	if (write_full(wfd, "r", 1) || read_full(rfd, &go, sizeof(go)) ||
	    go.magic != GO_MAGIC)
		_exit(ST_PROTO);
	if (go.pvm_page >= 0)
		gens[go.pvm_page] = go.pvm_gen;

	i = verify_all(depth, 2, "pass 2", &checked);
	if (i && !status)
		status = ST_PASS2;
	bad += i;
	child_report(depth, status, checked, bad);
	_exit(status);
}

/* process_vm_writev() one mailbox page of the child, mid-copy perhaps. */
static int pvm_into(struct mctx *m, pid_t pid, int depth, struct msg_go *go)
{
	const struct chunk *c = &chunks[nchunks - 1];	/* the mailbox */
	unsigned long p = c->first + (depth - 1) * MAILBOX_HALF +
			  rnd_below(m, MAILBOX_HALF);
	uint32_t gen = next_gen(gens[p]) + 1000;
	struct iovec local = { m->buf, PAGE_SZ };
	struct iovec remote = { page_addr(p), PAGE_SZ };
	ssize_t done;

	fill_page(m->buf, p, gen);
	done = process_vm_writev(pid, &local, 1, &remote, 1, 0);
	if (done != (ssize_t)PAGE_SZ) {
		if (done >= 0)
			errno = EIO;
		fail_errno("process_vm_writev(child)");
		return -1;
	}
	go->pvm_page = p;
	go->pvm_gen = gen;
	return 0;
}

/* What the parent of a verifier does while the verifier runs pass 1. */
static void meanwhile(struct mctx *m, int depth)
{
	int i;

	/* The parent's mutator threads are busy already. */
	if (depth == 0)
		return;
	for (i = 0; i < 48; i++)
		child_mutate(m);
}

/* Did the verifier at @depth + 1 end well?  Prints why not. */
static int judge(pid_t pid, int depth, int status)
{
	const struct report *r = &reports[depth + 1];

	if (WIFEXITED(status) && WEXITSTATUS(status) == ST_OK &&
	    r->magic == REPORT_MAGIC && r->status == ST_OK && r->checked)
		return 0;
	if (WIFEXITED(status) && r->magic != REPORT_MAGIC &&
	    WEXITSTATUS(status) == ST_OK)
		say("FAIL %s[%d] round %u: verifier %d left no report in "
		    "shared memory\n", who(), getpid(), cur_round, pid);
	else
		say("FAIL %s[%d] round %u: verifier %d %s %d (report: %s, "
		    "%" PRIu64 " pages checked, %" PRIu64 " bad)\n", who(),
		    getpid(), cur_round, pid,
		    WIFEXITED(status) ? "exited with" : "killed by signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		    r->magic == REPORT_MAGIC ? "yes" : "none", r->checked,
		    r->bad);
	return -1;
}

/*
 * Fork a verifier of depth @depth + 1 and see it through.  In the parent
 * the fork happens under the fork lock, so that memory and gens[] agree.
 * Returns 0 if the verifier found its snapshot exact.
 */
static int run_verifier(struct mctx *m, int depth, enum plan plan,
			uint64_t *fork_ns)
{
	struct msg_hello hello = {
		.magic = HELLO_MAGIC,
		.round = cur_round,
		.nest = plan == PLAN_NEST,
	};
	struct msg_go go = { GO_MAGIC, -1, 0 };
	int p2c[2], c2p[2], status;
	struct pollfd pfd;
	uint64_t t0;
	char byte;
	pid_t pid;

	if (pipe(p2c) || pipe(c2p)) {
		fail_errno("pipe");
		return -1;
	}
	memset(&reports[depth + 1], 0, sizeof(reports[0]));
	if (depth == 0)
		pthread_rwlock_wrlock(&fork_lock);
	hello.gsum = gens_sum();
	t0 = now_ns();
	pid = do_fork();
	*fork_ns = now_ns() - t0;
	if (pid == 0) {
		close(p2c[1]);
		close(c2p[0]);
		verifier_main(m, depth + 1, p2c[0], c2p[1]);
	}
	if (depth == 0)
		pthread_rwlock_unlock(&fork_lock);
	close(p2c[0]);
	close(c2p[1]);
	if (pid < 0) {
		fail_errno("fork");
		close(p2c[1]);
		close(c2p[0]);
		return -1;
	}

	if (write_full(p2c[1], &hello, sizeof(hello)))
		fail_errno("write(hello)");
	if (plan == PLAN_PVM)
		pvm_into(m, pid, depth + 1, &go);
	meanwhile(m, depth);

	/* The verifier is done with pass 1 (or gone). */
	pfd.fd = c2p[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, child_timeout() * 1000) == 0) {
		report_hang(pid);
		close(p2c[1]);
		close(c2p[0]);
		return -1;
	}
	if (read(c2p[0], &byte, 1) == 1 && write_full(p2c[1], &go, sizeof(go)))
		fail_errno("write(go)");
	close(p2c[1]);
	close(c2p[0]);
	if (wait_child(pid, &status, child_timeout())) {
		report_hang(pid);
		return -1;
	}
	return judge(pid, depth, status);
}

/* ---- the parent's rounds ------------------------------------------- */

struct totals {
	unsigned long rounds, verified, killed, mismatches, forks;
	uint64_t fork_ns_sum, fork_ns_max;
};

/* Fork a victim and kill it straight away. */
static int victim_round(struct mctx *m, struct totals *t)
{
	int status;
	pid_t pid;

	pthread_rwlock_wrlock(&fork_lock);
	pid = do_fork();
	if (pid == 0)
		victim_main();
	pthread_rwlock_unlock(&fork_lock);
	if (pid < 0) {
		fail_errno("fork(victim)");
		return -1;
	}
	t->forks++;
	switch (rnd_below(m, 3)) {
	case 0:
		break;
	case 1:
		sched_yield();
		break;
	default:
		usleep(rnd_below(m, 3000));
		break;
	}
	kill(pid, SIGKILL);
	if (wait_child(pid, &status, child_timeout())) {
		report_hang(pid);
		return -1;
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		t->killed++;
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == ST_OK) {
		t->verified++;
		return 0;
	}
	say("FAIL parent round %u: victim %d: status %#x\n", cur_round, pid,
	    status);
	if (WIFEXITED(status) && WEXITSTATUS(status) == ST_PASS1)
		t->mismatches += reports[REPORT_VICTIM].bad;
	set_flag(&failed);
	return -1;
}

static void one_round(struct mctx *m, struct totals *t)
{
	uint64_t checked = 0, fork_ns = 0;
	unsigned long bad;
	int ret;

	if (!rnd_below(m, 4) && victim_round(m, t))
		return;
	memset(&reports[2], 0, sizeof(reports[2]));	/* no grandchild yet */

	ret = run_verifier(m, 0, rnd_below(m, NR_PLANS), &fork_ns);
	t->forks++;
	t->fork_ns_sum += fork_ns;
	if (fork_ns > t->fork_ns_max)
		t->fork_ns_max = fork_ns;
	if (reports[1].magic == REPORT_MAGIC)
		t->mismatches += reports[1].bad;
	if (reports[2].magic == REPORT_MAGIC) {
		t->verified += reports[2].status == ST_OK;
		t->mismatches += reports[2].bad;
		t->forks++;
	}
	if (ret)
		set_flag(&failed);
	else
		t->verified++;

	/* Our own memory: nothing the children wrote may show. */
	bad = verify_all(0, 2, "after round", &checked);
	if (bad) {
		t->mismatches += bad;
		set_flag(&failed);
	}
	if (opt_verbose)
		say("round %u: fork %" PRIu64 " us, verifier %s%s, parent "
		    "checked %" PRIu64 " pages, %lu bad\n", cur_round,
		    fork_ns / 1000, ret ? "FAILED" : "ok",
		    reports[2].magic == REPORT_MAGIC ? " (+grandchild)" : "",
		    checked, bad);
}

/* ---- setup --------------------------------------------------------- */

/* A PMD-aligned mapping of @len bytes (a multiple of CHUNK_SZ). */
static char *map_aligned(size_t len, int prot, int flags)
{
	char *raw, *addr;

	raw = mmap(NULL, len + CHUNK_SZ, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	addr = (char *)(((uintptr_t)raw + CHUNK_SZ - 1) & ~(CHUNK_SZ - 1));
	if (addr > raw)
		munmap(raw, addr - raw);
	munmap(addr + len, raw + CHUNK_SZ - addr);
	if (mmap(addr, len, prot, flags | MAP_FIXED, -1, 0) != addr)
		return NULL;
	return addr;
}

static int add_region(enum region_kind kind, unsigned long npages,
		      unsigned long *ci)
{
	size_t len = (npages + CHUNK_PAGES - 1) / CHUNK_PAGES * CHUNK_SZ;
	unsigned long i, p;
	char *base;

	if (kind == R_MAILBOX)
		len = npages * PAGE_SZ;
	base = map_aligned(kind == R_MAILBOX ? CHUNK_SZ : len,
			   PROT_READ | PROT_WRITE, map_flags(kind));
	if (!base) {
		fail_errno("mmap(region)");
		return -1;
	}
	if (kind == R_MAILBOX)
		munmap(base + len, CHUNK_SZ - len);
	if (set_thp_advice(base, len, kind)) {
		fail_errno("madvise(THP advice)");
		return -1;
	}
	for (p = 0; p < npages; p += CHUNK_PAGES) {
		struct chunk *c = &chunks[(*ci)++];

		pthread_mutex_init(&c->lock, NULL);
		c->addr = base + p * PAGE_SZ;
		c->first = (c - chunks) * CHUNK_PAGES;
		c->npages = npages - p < CHUNK_PAGES ? npages - p : CHUNK_PAGES;
		c->kind = kind;
		for (i = 0; i < c->npages; i++) {
			fill_page(c->addr + i * PAGE_SZ, c->first + i, 1);
			gens[c->first + i] = 1;
		}
	}
	return 0;
}

static int setup_memory(void)
{
	unsigned long total = opt_size_mb * (1UL << 20) / CHUNK_SZ;
	unsigned long n[4], ci = 0, i;
	pthread_rwlockattr_t attr;

	/* 3/8 small pages, 3/8 THP, 3/16 default policy, 1/16 shared. */
	n[R_SMALL] = total * 3 / 8;
	n[R_THP] = total * 3 / 8;
	n[R_SHARED] = total / 16 ? total / 16 : 1;
	n[R_PLAIN] = total - n[R_SMALL] - n[R_THP] - n[R_SHARED];
	nchunks = total + 1;	/* + the mailbox */

	chunks = mmap(NULL, nchunks * sizeof(*chunks), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gens = mmap(NULL, nchunks * CHUNK_PAGES * sizeof(*gens),
		    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reports = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	mctxs = mmap(NULL, (opt_threads + 1) * sizeof(*mctxs),
		     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (chunks == MAP_FAILED || gens == MAP_FAILED ||
	    reports == MAP_FAILED || mctxs == MAP_FAILED) {
		fail_errno("mmap(tables)");
		return -1;
	}
	for (i = 0; i < 4; i++)
		if (add_region(i, n[i] * CHUNK_PAGES, &ci))
			return -1;
	if (add_region(R_MAILBOX, MAILBOX_PAGES, &ci))
		return -1;

	for (i = 0; i <= opt_threads; i++) {
		struct mctx *m = &mctxs[i];

		m->rng = mix64(opt_seed + i + 1);
		m->allow_pvm = opt_pvm_self;
		m->scratch = map_aligned(2 * CHUNK_SZ, PROT_NONE,
					 MAP_PRIVATE | MAP_ANONYMOUS |
					 MAP_NORESERVE);
		m->buf = mmap(NULL, PVM_BUF_PAGES * PAGE_SZ,
			      PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (!m->scratch || m->buf == MAP_FAILED) {
			fail_errno("mmap(scratch)");
			return -1;
		}
	}

	/* The forker must not starve behind a stream of mutators. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
			PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&fork_lock, &attr);
	return 0;
}

/* The async fork counters in /proc/vmstat; -1 where missing. */
struct vmstat_af {
	long long async, fallback, pinned, busy, uffd, child_pmd, sync_pmd,
		  abort;
};

static void read_vmstat(struct vmstat_af *v)
{
	struct { const char *name; long long *val; } f[] = {
		{ "async_fork", &v->async },
		{ "async_fork_fallback", &v->fallback },
		{ "async_fork_fallback_pinned", &v->pinned },
		{ "async_fork_fallback_busy", &v->busy },
		{ "async_fork_fallback_uffd", &v->uffd },
		{ "async_fork_child_pmd", &v->child_pmd },
		{ "async_fork_sync_pmd", &v->sync_pmd },
		{ "async_fork_abort", &v->abort },
	};
	char name[64];
	long long val;
	unsigned int i;
	FILE *fp;

	for (i = 0; i < ARRAY_SIZE(f); i++)
		*f[i].val = -1;
	fp = fopen("/proc/vmstat", "r");
	if (!fp)
		return;
	while (fscanf(fp, "%63s %lld", name, &val) == 2)
		for (i = 0; i < ARRAY_SIZE(f); i++)
			if (!strcmp(name, f[i].name))
				*f[i].val = val;
	fclose(fp);
}

static long long delta(long long after, long long before)
{
	return after < 0 || before < 0 ? -1 : after - before;
}

/*
 * Does this kernel take CLONE_ASYNC?  Asks with the prctl probe first, and
 * only then forks one child that exits.
 */
static int probe_clone_async(void)
{
	int status;
	pid_t pid;

	if (opt_plain)
		return 0;
	if (!async_fork_supported()) {
		printf("snapshot_torture: clone3(CLONE_ASYNC) not supported, "
		       "this kernel lacks async fork (probe with "
		       "PR_GET_ASYNC_FORK: %s); use -p for plain fork()\n",
		       strerror(errno));
		return 4;
	}
	pid = do_fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0) {
		if (errno == EINVAL || errno == ENOSYS || errno == E2BIG) {
			printf("snapshot_torture: clone3(CLONE_ASYNC) not "
			       "supported (%s); use -p for plain fork()\n",
			       strerror(errno));
			return 4;
		}
		fail_errno("clone3(CLONE_ASYNC)");
		return 1;
	}
	waitpid(pid, &status, 0);
	return 0;
}

static void usage(FILE *fp)
{
	fprintf(fp,
"usage: snapshot_torture [-s MiB] [-t threads] [-r rounds] [-d seconds]\n"
"                        [-p] [-W] [-x ops] [-S seed] [-T seconds]\n"
"                        [-X test] [-v] [-h]\n"
"  -s MiB      memory under test (default 256, at least 32)\n"
"  -t N        mutator threads in the parent (default 4, 0..64)\n"
"  -r N        rounds (default 20 unless -d is given)\n"
"  -d SECONDS  run for this long (with -r: whichever ends first)\n"
"  -p          plain fork() instead of clone3(CLONE_ASYNC); async only\n"
"              with vm.async_fork=2\n"
"  -W          the parent also uses process_vm_writev() on itself: its\n"
"              mm then has pinned pages and forks synchronously\n"
"  -x OPS      leave out operations, comma-separated: write, remap,\n"
"              mremap-move, mremap-resize, mprotect, madvise, mlock, read,\n"
"              pvm-self, quick-fork, or madvise advice: dontneed, free,\n"
"              pageout, cold, collapse, willneed, populate-read,\n"
"              populate-write\n"
"  -S SEED     seed for the random choices (default: time)\n"
"  -T SECONDS  a child still running after this long is reported as hung\n"
"              and killed (default 300 + MiB)\n"
"  -X TEST     self-test that must fail: 1 corrupts a byte in the child\n"
"              before it verifies, 2 verifies shared memory as a snapshot,\n"
"              3 makes the child fault in a loop (a hang, reported in 10 s)\n"
"  -v          a line per round\n"
"  -h          this help\n");
}

static unsigned long parse_num(const char *arg, char opt, unsigned long min,
			       unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' || v < min ||
	    v > max) {
		fprintf(stderr, "snapshot_torture: -%c: '%s' is not a number "
			"in %lu..%lu (-h for help)\n", opt, arg, min, max);
		exit(2);
	}
	return v;
}

/* -x: turn off the named operations and madvise() advice. */
static void exclude_ops(char *list)
{
	char *name, *save = NULL;
	unsigned int i, left;
	bool found;

	for (name = strtok_r(list, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		found = false;
		for (i = 0; i < NR_OPS; i++)
			if (!strcmp(name, op_name[i])) {
				op_weight[i] = 0;
				found = true;
			}
		for (i = 0; i < NR_ADVICES; i++)
			if (!strcmp(name, advices[i].name)) {
				advices[i].off = true;
				found = true;
			}
		if (!found) {
			fprintf(stderr, "snapshot_torture: -x: unknown "
				"operation '%s' (-h for help)\n", name);
			exit(2);
		}
	}
	for (i = left = 0; i < NR_ADVICES; i++)
		left += !advices[i].off;
	if (!left)
		op_weight[OP_MADVISE] = 0;
	/* pick_op() falls back on these two. */
	if (!op_weight[OP_WRITE] && !op_weight[OP_READ])
		op_weight[OP_READ] = 1;
}

static void parse_options(int argc, char **argv)
{
	int c;

	opt_seed = now_ns() ^ getpid();
	while ((c = getopt(argc, argv, ":s:t:r:d:pWx:S:T:X:vh")) != -1) {
		switch (c) {
		case 's':
			opt_size_mb = parse_num(optarg, c, 32, 1UL << 20);
			break;
		case 't':
			opt_threads = parse_num(optarg, c, 0, 64);
			break;
		case 'r':
			opt_rounds = parse_num(optarg, c, 1, ~0UL);
			break;
		case 'd':
			opt_seconds = parse_num(optarg, c, 1, ~0UL);
			break;
		case 'p':
			opt_plain = true;
			break;
		case 'W':
			opt_pvm_self = true;
			break;
		case 'x':
			exclude_ops(optarg);
			break;
		case 'S':
			opt_seed = parse_num(optarg, c, 0, ~0UL);
			break;
		case 'T':
			opt_hang_secs = parse_num(optarg, c, 1, 86400);
			break;
		case 'X':
			opt_selftest = parse_num(optarg, c, 1, 3);
			break;
		case 'v':
			opt_verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			fprintf(stderr, "snapshot_torture: -%c needs a value "
				"(-h for help)\n", optopt);
			exit(2);
		default:
			fprintf(stderr, "snapshot_torture: unknown option -%c "
				"(-h for help)\n", optopt);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "snapshot_torture: unexpected argument '%s' "
			"(-h for help)\n", argv[optind]);
		exit(2);
	}
	if (!opt_rounds && !opt_seconds)
		opt_rounds = 20;
}

int main(int argc, char **argv)
{
	struct totals t = { 0 };
	struct vmstat_af before, after;
	pthread_t *threads;
	uint64_t start, checked = 0;
	unsigned long bad;
	unsigned int i;
	int ret;

	parse_options(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("snapshot_torture: %lu MiB, %u threads, %s, seed %" PRIu64 "%s\n",
	       opt_size_mb, opt_threads,
	       opt_plain ? "fork()" : "clone3(CLONE_ASYNC)", opt_seed,
	       opt_selftest ? " (self-test: must fail)" : "");
	ret = probe_clone_async();
	if (ret)
		return ret;
	if (setup_memory())
		return 1;

	threads = calloc(opt_threads ? opt_threads : 1, sizeof(*threads));
	read_vmstat(&before);
	start = now_ns();
	for (i = 0; i < opt_threads; i++)
		if (pthread_create(&threads[i], NULL, mutator, &mctxs[i])) {
			fprintf(stderr, "snapshot_torture: pthread_create failed\n");
			return 1;
		}

	while (!flag_set(&failed)) {
		if (opt_rounds && t.rounds >= opt_rounds)
			break;
		if (opt_seconds &&
		    now_ns() - start >= opt_seconds * 1000000000ULL)
			break;
		cur_round = t.rounds + 1;
		one_round(&mctxs[opt_threads], &t);
		t.rounds++;
	}

	set_flag(&stop_mutators);
	for (i = 0; i < opt_threads; i++)
		pthread_join(threads[i], NULL);
	bad = verify_all(0, 2, "final", &checked);
	t.mismatches += bad;
	if (bad)
		set_flag(&failed);
	read_vmstat(&after);

	printf("ops:");
	for (i = 0; i < NR_OPS; i++)
		printf(" %s %lu%s", op_name[i], stats_ops[i],
		       i + 1 < NR_OPS ? "," : "\n");
	printf("forks: %lu verifier/victim (+ %lu quick, %lu of them killed), "
	       "parent in fork: avg %" PRIu64 " us, max %" PRIu64 " us, "
	       "%.1f s in all\n",
	       t.forks, stats_ops[OP_QUICKFORK], stats_quick_killed,
	       t.rounds ? t.fork_ns_sum / t.rounds / 1000 : 0,
	       t.fork_ns_max / 1000, (now_ns() - start) / 1e9);
	printf("vmstat: async_fork %lld, fallback %lld (pinned %lld, busy %lld, "
	       "uffd %lld), child_pmd %lld, sync_pmd %lld, abort %lld\n",
	       delta(after.async, before.async),
	       delta(after.fallback, before.fallback),
	       delta(after.pinned, before.pinned),
	       delta(after.busy, before.busy), delta(after.uffd, before.uffd),
	       delta(after.child_pmd, before.child_pmd),
	       delta(after.sync_pmd, before.sync_pmd),
	       delta(after.abort, before.abort));
	printf("rounds %lu, children verified %lu, killed %lu, mismatches %lu, "
	       "fallbacks (sync forks) %lld\n", t.rounds, t.verified,
	       t.killed + stats_quick_killed, t.mismatches,
	       delta(after.fallback, before.fallback));
	if (flag_set(&failed) || t.mismatches) {
		printf("snapshot_torture: FAILED\n");
		return 1;
	}
	printf("snapshot_torture: OK\n");
	return 0;
}
