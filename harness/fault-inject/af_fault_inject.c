// SPDX-License-Identifier: GPL-2.0
/*
 * Async fork under allocation failures.
 *
 * Maps a region (default 256 MiB), gives every 8-byte word a value derived
 * from its address and a per-page generation, and forks with CLONE_ASYNC
 * many times.  Each child checks every page against the generations of the
 * fork instant and exits 0, or 1 on a mismatch.  Right after each fork the
 * parent writes one word in every 2 MiB, which makes it copy pending PTE
 * tables to the child (proactive synchronization), then waits for the
 * child and checks its own memory.
 *
 * Run it with fail_page_alloc and failslab aimed at mm/async_fork.c (see
 * harness/guest/fault-inject.sh): the copy in the child and the parent's
 * synchronization then meet failed allocations.  What must hold, whatever fails:
 *   - a child either completes its check (exit 0) or is killed with
 *     SIGKILL before it runs (never a wrong snapshot: exit 1);
 *   - fork itself may fail with ENOMEM (counted), never otherwise;
 *   - the parent never gets a signal and its memory is exactly what it
 *     wrote;
 *   - nothing leaks: PageTables and MemFree in /proc/meminfo come back
 *     to where they were (checked by the caller with -l).
 *
 * Prints one line:
 *   rounds N, completed N, killed N, fork_enomem N, mismatches N, async N, sync N
 * and exits 1 if any child saw a wrong snapshot, ended otherwise than above,
 * or the parent's memory is wrong; 2 on another error or a usage error.
 *
 * Without -p it first probes the kernel with prctl(PR_GET_ASYNC_FORK,
 * PR_ASYNC_FORK_PROBE) (../../tools/include/async_fork_abi.h: the numbers are
 * provisional) and exits 4 without forking if the kernel lacks async fork.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../tools/include/async_fork_abi.h"

#define PAGE		4096UL
#define SZ_2M		(2UL << 20)
#define CHILD_MISMATCH	1
#define EXIT_NO_ASYNC_FORK 4

static size_t region_size = 256UL << 20;
static unsigned int rounds = 50;
static bool plain_fork;
static bool verbose;

static char *region;
static uint32_t *gen;		/* generation of each page */
static size_t nr_pages;

static uint64_t word_value(size_t page, size_t word, uint32_t g)
{
	uint64_t x = ((uint64_t)page << 20) ^ ((uint64_t)g << 44) ^ word;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static void fill_page(size_t page)
{
	uint64_t *w = (uint64_t *)(region + page * PAGE);
	size_t i;

	for (i = 0; i < PAGE / sizeof(*w); i++)
		w[i] = word_value(page, i, gen[page]);
}

/* The first page whose contents do not match its generation, or -1. */
static long check_region(void)
{
	size_t page, i;

	for (page = 0; page < nr_pages; page++) {
		const uint64_t *w = (uint64_t *)(region + page * PAGE);

		for (i = 0; i < PAGE / sizeof(*w); i++)
			if (w[i] != word_value(page, i, gen[page]))
				return page;
	}
	return -1;
}

static pid_t do_fork(void)
{
	if (plain_fork)
		return fork();
	return async_fork_clone3(CLONE_ASYNC);
}

static unsigned long long vmstat(const char *name)
{
	unsigned long long val = 0, v;
	char key[64];
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return 0;
	while (fscanf(f, "%63s %llu", key, &v) == 2)
		if (!strcmp(key, name))
			val = v;
	fclose(f);
	return val;
}

/* Bump the generation of the first page of every 2 MiB and rewrite it. */
static void touch_every_pmd(void)
{
	size_t page;

	for (page = 0; page < nr_pages; page += SZ_2M / PAGE) {
		gen[page]++;
		fill_page(page);
	}
}

static void usage(const char *prog, int status)
{
	fprintf(status ? stderr : stdout,
		"usage: %s [-s MIB] [-r ROUNDS] [-p] [-v]\n"
		"  -s MIB     region size (default 256)\n"
		"  -r ROUNDS  forks (default 50)\n"
		"  -p         plain fork() (async only if vm.async_fork=2)\n"
		"  -v         a line per round\n", prog);
	exit(status);
}

static void parse_args(int argc, char **argv)
{
	char *end;
	long v;
	int opt;

	while ((opt = getopt(argc, argv, "s:r:pvh")) != -1) {
		switch (opt) {
		case 's':
		case 'r':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < 1 || v > 1 << 20) {
				fprintf(stderr, "-%c: bad number '%s'\n", opt,
					optarg);
				exit(2);
			}
			if (opt == 's')
				region_size = (size_t)v << 20;
			else
				rounds = v;
			break;
		case 'p':
			plain_fork = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(argv[0], 0);
			break;
		default:
			usage(argv[0], 2);
		}
	}
	if (optind != argc)
		usage(argv[0], 2);
}

int main(int argc, char **argv)
{
	unsigned int round, completed = 0, killed = 0, enomem = 0, bad = 0;
	unsigned long long async0, sync0;
	size_t page;
	long wrong;
	int status;
	pid_t pid;

	parse_args(argc, argv);
	if (!plain_fork && !async_fork_supported()) {
		fprintf(stderr, "af_fault_inject: this kernel lacks async fork, clone3(CLONE_ASYNC) not supported (probe with PR_GET_ASYNC_FORK: %s); -p for plain fork()\n",
			strerror(errno));
		return EXIT_NO_ASYNC_FORK;
	}
	nr_pages = region_size / PAGE;
	region = mmap(NULL, region_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gen = calloc(nr_pages, sizeof(*gen));
	if (region == MAP_FAILED || !gen) {
		perror("allocating the region");
		return 2;
	}
	/* 4 KiB pages: PTE tables are what an async fork defers. */
	madvise(region, region_size, MADV_NOHUGEPAGE);
	for (page = 0; page < nr_pages; page++)
		fill_page(page);

	async0 = vmstat("async_fork");
	sync0 = vmstat("async_fork_fallback");
	for (round = 0; round < rounds; round++) {
		fflush(stdout);
		pid = do_fork();
		if (pid < 0) {
			if (errno != ENOMEM) {
				perror("fork");
				return 2;
			}
			enomem++;
			continue;
		}
		if (pid == 0)
			_exit(check_region() < 0 ? 0 : CHILD_MISMATCH);

		touch_every_pmd();
		if (waitpid(pid, &status, 0) != pid) {
			perror("waitpid");
			return 2;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			completed++;
		} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
			killed++;
		} else {
			bad++;
			fprintf(stderr, "round %u: child %s %d\n", round,
				WIFEXITED(status) ? "exited with" :
				"killed by signal",
				WIFEXITED(status) ? WEXITSTATUS(status) :
				WTERMSIG(status));
		}
		wrong = check_region();
		if (wrong >= 0) {
			fprintf(stderr, "round %u: parent page %ld is wrong\n",
				round, wrong);
			return 1;
		}
		if (verbose)
			printf("round %u: %s\n", round,
			       WIFEXITED(status) ? "completed" : "killed");
	}
	printf("rounds %u, completed %u, killed %u, fork_enomem %u, mismatches %u, async %llu, sync %llu\n",
	       rounds, completed, killed, enomem, bad,
	       vmstat("async_fork") - async0,
	       vmstat("async_fork_fallback") - sync0);
	return bad ? 1 : 0;
}
