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
 * A "floor" row forks a process with only FLOOR_MIB touched.
 *
 * Output: CSV on stdout, one line a fork.  Timings only: no pass/fail.
 *
 * usage: fork_bench [--thp] [--reps N] [--floor-mib N] SIZE_MIB...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_ASYNC
#define CLONE_ASYNC 0x400000000ULL
#endif

#define MIB (1024UL * 1024)
#define REGION (2 * MIB)

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static pid_t clone3_fork(uint64_t flags)
{
	struct clone_args args = {
		.flags = flags,
		.exit_signal = SIGCHLD,
	};

	return syscall(__NR_clone3, &args, sizeof(args));
}

static char *map_touched(size_t size, int thp)
{
	char *mem;
	size_t off;

	/* Over-map to align to 2 MiB, so THP can be used. */
	mem = mmap(NULL, size + REGION, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;
	mem = (char *)(((uintptr_t)mem + REGION - 1) & ~(REGION - 1));
	if (madvise(mem, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) &&
	    errno != EINVAL) {
		perror("madvise");
		return NULL;
	}
	for (off = 0; off < size; off += 4096)
		mem[off] = (char)(off >> 12) | 1;
	return mem;
}

/* One fork; prints one CSV line.  Returns 0, or -1 on error. */
static int one_fork(const char *label, size_t size, char *mem, int thp,
		    int async, int rep)
{
	double t0, t_parent, t_child, t_writes = 0;
	size_t nregions = size / REGION, i;
	int fds[2], status;
	double child_start;
	pid_t pid;

	if (pipe(fds))
		return -1;
	t0 = now_us();
	pid = clone3_fork(async ? CLONE_ASYNC : 0);
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

	/* The parent's first write to each 2 MiB region after fork. */
	if (mem && nregions) {
		double w0 = now_us();

		for (i = 0; i < nregions; i++)
			mem[i * REGION + 64] ^= 1;
		t_writes = (now_us() - w0) / nregions;
	}

	close(fds[1]);
	if (read(fds[0], &child_start, sizeof(child_start)) !=
	    sizeof(child_start))
		child_start = t0;
	close(fds[0]);
	t_child = child_start - t0;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "child failed (status 0x%x)\n", status);
		return -1;
	}
	printf("%s,%zu,%s,%s,%d,%.1f,%.1f,%.2f\n", label, size / MIB,
	       thp ? "thp" : "4k", async ? "async" : "plain", rep, t_parent,
	       t_child, t_writes);
	fflush(stdout);
	return 0;
}

static int bench(const char *label, size_t size, int thp, int reps)
{
	char *mem = map_touched(size, thp);
	int rep, async;

	if (!mem) {
		fprintf(stderr, "cannot map %zu MiB\n", size / MIB);
		return -1;
	}
	for (rep = 0; rep < reps; rep++)
		for (async = 0; async <= 1; async++)
			if (one_fork(label, size, mem, thp, async, rep))
				return -1;
	munmap(mem, size);
	return 0;
}

int main(int argc, char **argv)
{
	size_t floor_mib = 4;
	int thp = 0, reps = 5, i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--thp")) {
			thp = 1;
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			reps = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--floor-mib") && i + 1 < argc) {
			floor_mib = strtoul(argv[++i], NULL, 0);
		} else {
			fprintf(stderr, "usage: %s [--thp] [--reps N] [--floor-mib N] SIZE_MIB...\n",
				argv[0]);
			return 2;
		}
	}
	if (reps < 1) {
		fprintf(stderr, "--reps must be at least 1\n");
		return 2;
	}
	printf("case,size_mib,pages,mode,rep,parent_us,child_run_us,first_write_us\n");
	if (bench("floor", floor_mib * MIB, 0, reps))
		return 1;
	for (; i < argc; i++) {
		size_t mib = strtoul(argv[i], NULL, 0);

		if (!mib || bench("size", mib * MIB, thp, reps))
			return 1;
	}
	return 0;
}
