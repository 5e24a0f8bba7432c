// SPDX-License-Identifier: GPL-2.0
/*
 * fork_bench: the parent's time in fork, plain against CLONE_ASYNC.
 *
 * For each size, maps and touches that much anonymous memory (4 KiB pages,
 * or THP with --thp), then forks REPS times each way and records:
 *   parent_us       time the parent spends in clone3()
 *   child_run_us    time from the clone3() call until the child runs user
 *                   code (for an async fork this includes the child's copy)
 *   first_write_us  mean cost of the parent's first write to each 2 MiB
 *                   region right after fork (COW fault, or proactive sync
 *                   plus COW fault)
 *   first_write_p50_us, first_write_p99_us, first_write_max_us
 *                   the same writes timed one by one
 *   child_pid       the child (to match tracepoint events)
 *   was_async       prctl(PR_GET_ASYNC_FORK, PR_ASYNC_FORK_LAST): 1 if
 *                   the kernel made the fork async, 0 if not, -1 if it
 *                   cannot tell
 *   anon_huge_mib   AnonHugePages of the process before the fork
 * A "floor" row forks a process with only FLOOR_MIB touched (none with
 * --floor-mib 0).
 *
 * With --sparse, each SIZE is in GiB: a MAP_NORESERVE reservation of that
 * many GiB, GiB-aligned, with one 4 KiB page written at the start of each
 * GiB (a reserved heap, a sanitizer's shadow): rows of case "sparse", the
 * first writes timed on those pages.
 *
 * With --wait-child, the parent waits for the child's first instruction
 * before its writes: child_run_us is then the child's copy and start with
 * the parent out of its way (not competing for a CPU, a claim or the
 * mmap_lock), and the first writes come after the copy.
 *
 * Output: CSV on stdout, one line a fork.  Timings only: no pass/fail.
 *
 * usage: fork_bench [--thp | --sparse] [--wait-child] [--reps N]
 *                   [--floor-mib N] SIZE...
 *
 * Before anything else it probes the kernel with
 * prctl(PR_GET_ASYNC_FORK, PR_ASYNC_FORK_PROBE) (../../tools/include/async_fork_abi.h:
 * the numbers are provisional); without async fork it forks nothing.
 *
 * Exit status: 0 done, 1 an error, 2 usage, 4 the kernel lacks async fork.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../tools/include/async_fork_abi.h"

#define EXIT_NO_ASYNC_FORK 4

#define MIB (1024UL * 1024)
#define GIB (1024 * MIB)
#define REGION (2 * MIB)

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n sorted values. */
static double percentile(const double *v, size_t n, double pct)
{
	size_t rank;

	if (!n)
		return 0;
	rank = (size_t)(pct / 100 * n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

/* AnonHugePages of this process in MiB, or -1. */
static long anon_huge_mib(void)
{
	char line[256];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/smaps_rollup", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb / 1024;
}

static char *map_touched(size_t size, int thp)
{
	char *raw, *mem;
	size_t off;

	/* Over-map to align to 2 MiB, so THP can be used. */
	raw = mmap(NULL, size + REGION, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	mem = (char *)(((uintptr_t)raw + REGION - 1) & ~(REGION - 1));
	/* Keep only the aligned part, so that munmap(mem, size) frees it all. */
	if ((mem > raw && munmap(raw, mem - raw)) ||
	    munmap(mem + size, raw + REGION - mem)) {
		perror("munmap");
		return NULL;
	}
	if (madvise(mem, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) &&
	    errno != EINVAL) {
		perror("madvise");
		return NULL;
	}
	for (off = 0; off < size; off += 4096)
		mem[off] = (char)(off >> 12) | 1;
	return mem;
}

/* @size reserved, GiB-aligned, the first page of each GiB written. */
static char *map_sparse(size_t size)
{
	char *raw, *mem;
	size_t off;

	raw = mmap(NULL, size + GIB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	mem = (char *)(((uintptr_t)raw + GIB - 1) & ~(GIB - 1));
	/* Keep only the aligned part, so that munmap(mem, size) frees it all. */
	if ((mem > raw && munmap(raw, mem - raw)) ||
	    munmap(mem + size, raw + GIB - mem)) {
		perror("munmap");
		return NULL;
	}
	if (madvise(mem, size, MADV_NOHUGEPAGE) && errno != EINVAL) {
		perror("madvise");
		return NULL;
	}
	for (off = 0; off < size; off += GIB)
		mem[off] = (char)(off >> 30) | 1;
	return mem;
}

/* Set by --wait-child: see the top of this file. */
static int wait_child;

/* The child's timestamp from the pipe: 0, or -1. */
static int read_child_start(int fd, double *child_start)
{
	return read(fd, child_start, sizeof(*child_start)) ==
	       sizeof(*child_start) ? 0 : -1;
}

/*
 * One fork; prints one CSV line.  The parent's first writes after it go to
 * every @stride bytes of @mem.  Returns 0, or -1 on error.
 */
static int one_fork(const char *label, size_t size, char *mem, int thp,
		    size_t stride, int async, int rep, long huge_mib,
		    double *wt)
{
	double t0, t_parent, t_child, t_writes = 0;
	size_t nregions = size / stride, i;
	int fds[2], status, was_async;
	double child_start;
	pid_t pid;

	if (pipe(fds))
		return -1;
	t0 = now_us();
	pid = async_fork_clone3(async ? CLONE_ASYNC : 0);
	if (pid < 0) {
		fprintf(stderr, "clone3(%s): %s\n", async ? "CLONE_ASYNC" : "0",
			strerror(errno));
		return -1;
	}
	if (pid == 0) {
		child_start = now_us();
		if (write(fds[1], &child_start, sizeof(child_start)) < 0)
			_exit(1);
		_exit(0);
	}
	t_parent = now_us() - t0;
	close(fds[1]);
	if (wait_child && read_child_start(fds[0], &child_start))
		child_start = t0;

	/*
	 * The parent's first write to each region after fork, each one
	 * timed, and all of them together.
	 */
	if (mem && nregions) {
		double w0 = now_us(), a, b = w0;

		for (i = 0; i < nregions; i++) {
			a = b;
			mem[i * stride + 64] ^= 1;
			b = now_us();
			wt[i] = b - a;
		}
		t_writes = (b - w0) / nregions;
		qsort(wt, nregions, sizeof(*wt), cmp_double);
	}
	was_async = prctl(PR_GET_ASYNC_FORK, PR_ASYNC_FORK_LAST, 0, 0, 0);
	if (was_async < 0)
		was_async = -1;

	if (!wait_child && read_child_start(fds[0], &child_start))
		child_start = t0;
	close(fds[0]);
	t_child = child_start - t0;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "child failed (status 0x%x)\n", status);
		return -1;
	}
	printf("%s,%zu,%s,%s,%d,%.1f,%.1f,%.2f,%.2f,%.2f,%.2f,%d,%d,%ld\n",
	       label, size / MIB, thp ? "thp" : "4k", async ? "async" : "plain",
	       rep, t_parent, t_child, t_writes,
	       percentile(wt, nregions, 50), percentile(wt, nregions, 99),
	       nregions ? wt[nregions - 1] : 0, (int)pid, was_async, huge_mib);
	fflush(stdout);
	return 0;
}

static int bench(const char *label, size_t size, int thp, int sparse,
		 int reps)
{
	char *mem = sparse ? map_sparse(size) : map_touched(size, thp);
	size_t stride = sparse ? GIB : REGION;
	int rep, async, ret = 0;
	long huge_mib;
	double *wt;

	if (!mem) {
		fprintf(stderr, "cannot map %zu MiB\n", size / MIB);
		return -1;
	}
	huge_mib = anon_huge_mib();
	wt = calloc(size / stride + 1, sizeof(*wt));
	if (!wt)
		return -1;
	for (rep = 0; rep < reps && !ret; rep++) {
		for (async = 0; async <= 1 && !ret; async++) {
			/*
			 * The first writes split the huge PMDs they hit: a
			 * second fork would copy PTE tables.  Every THP fork
			 * gets a fresh region.
			 */
			if (thp && (rep || async)) {
				munmap(mem, size);
				mem = map_touched(size, thp);
				if (!mem) {
					fprintf(stderr, "cannot map %zu MiB\n",
						size / MIB);
					ret = -1;
					break;
				}
				huge_mib = anon_huge_mib();
			}
			ret = one_fork(label, size, mem, thp, stride, async,
				       rep, huge_mib, wt);
		}
	}
	free(wt);
	if (mem)
		munmap(mem, size);
	return ret;
}

int main(int argc, char **argv)
{
	size_t floor_mib = 4;
	int thp = 0, sparse = 0, reps = 5, i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--thp")) {
			thp = 1;
		} else if (!strcmp(argv[i], "--sparse")) {
			sparse = 1;
		} else if (!strcmp(argv[i], "--wait-child")) {
			wait_child = 1;
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			reps = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--floor-mib") && i + 1 < argc) {
			floor_mib = strtoul(argv[++i], NULL, 0);
		} else {
			fprintf(stderr, "usage: %s [--thp | --sparse] [--wait-child] [--reps N] [--floor-mib N] SIZE...\n"
				"  SIZE: MiB touched; with --sparse, GiB reserved\n",
				argv[0]);
			return 2;
		}
	}
	if (thp && sparse) {
		fprintf(stderr, "--thp and --sparse do not go together\n");
		return 2;
	}
	if (reps < 1) {
		fprintf(stderr, "--reps must be at least 1\n");
		return 2;
	}
	/* No CLONE_ASYNC and no PR_ASYNC_FORK_LAST without it. */
	if (!async_fork_supported()) {
		fprintf(stderr, "fork_bench: this kernel lacks async fork, clone3(CLONE_ASYNC) not supported (probe with PR_GET_ASYNC_FORK: %s)\n",
			strerror(errno));
		return EXIT_NO_ASYNC_FORK;
	}
	printf("case,size_mib,pages,mode,rep,parent_us,child_run_us,first_write_us,"
	       "first_write_p50_us,first_write_p99_us,first_write_max_us,"
	       "child_pid,was_async,anon_huge_mib\n");
	if (floor_mib && bench("floor", floor_mib * MIB, 0, 0, reps))
		return 1;
	for (; i < argc; i++) {
		size_t n = strtoul(argv[i], NULL, 0);

		if (!n) {
			fprintf(stderr, "bad size '%s'\n", argv[i]);
			return 2;
		}
		if (bench(sparse ? "sparse" : "size", n * (sparse ? GIB : MIB),
			  thp, sparse, reps))
			return 1;
	}
	return 0;
}
