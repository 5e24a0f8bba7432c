// SPDX-License-Identifier: GPL-2.0
/*
 * fault_bench: what the paths that async fork hooks cost a process that
 * never forks async.  Each repetition maps MiB of anonymous memory
 * (no THP), writes one byte in each page (a write fault each), makes it
 * read-only and writable again (mprotect: change_protection), advises it
 * away (MADV_DONTNEED: a zap), faults it in once more and unmaps it (the
 * zap of munmap).  Meant for a guest on an instruction clock (QEMU
 * -icount), where the time of a loop is the work the kernel did.
 *
 * With -a, one async fork (clone3(CLONE_ASYNC)) of a small child comes
 * first: the kernel's checks are then switched on, and the numbers say
 * what they cost when something has forked async.
 *
 * Output: CSV on stdout, one line a repetition (the first, a warm-up, is
 * not printed), times in ns per 4 KiB page:
 *	label,rep,mib,fault_ns,mprotect_ns,dontneed_ns,refault_ns,munmap_ns
 *
 * usage: fault_bench [-m MIB] [-r REPS] [-l LABEL] [-a]
 */
#define _GNU_SOURCE
#include <errno.h>
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

#ifndef __NR_clone3
#define __NR_clone3	435
#endif
#define CLONE_ASYNC	0x1000000000000000ULL

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "fault_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void touch(char *p, size_t size, size_t page)
{
	size_t off;

	for (off = 0; off < size; off += page)
		p[off] = 1;
}

/* One repetition: the five steps, in ns per page, into @ns. */
static void run_once(size_t size, size_t page, double ns[5])
{
	double pages = (double)size / page, t[6];
	char *p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	if (madvise(p, size, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");
	t[0] = now_ns();
	touch(p, size, page);
	t[1] = now_ns();
	if (mprotect(p, size, PROT_READ) ||
	    mprotect(p, size, PROT_READ | PROT_WRITE))
		die("mprotect");
	t[2] = now_ns();
	if (madvise(p, size, MADV_DONTNEED))
		die("madvise(MADV_DONTNEED)");
	t[3] = now_ns();
	touch(p, size, page);
	t[4] = now_ns();
	if (munmap(p, size))
		die("munmap");
	t[5] = now_ns();
	for (int i = 0; i < 5; i++)
		ns[i] = (t[i + 1] - t[i]) / pages;
}

/* One async fork of a child that exits at once. */
static void fork_async_once(void)
{
	uint64_t args[8] = { CLONE_ASYNC, 0, 0, 0, SIGCHLD };
	int status;
	pid_t pid;

	pid = syscall(__NR_clone3, args, sizeof(args));
	if (pid < 0)
		die("clone3(CLONE_ASYNC)");
	if (pid == 0)
		_exit(0);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "fault_bench: the async child failed\n");
		exit(1);
	}
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-m MIB] [-r REPS] [-l LABEL] [-a]\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	long mib = 64, reps = 10;
	const char *label = "run";
	size_t page = sysconf(_SC_PAGESIZE);
	double ns[5];
	int opt, async = 0;

	while ((opt = getopt(argc, argv, "m:r:l:a")) != -1) {
		switch (opt) {
		case 'm':
			mib = strtol(optarg, NULL, 10);
			break;
		case 'r':
			reps = strtol(optarg, NULL, 10);
			break;
		case 'l':
			label = optarg;
			break;
		case 'a':
			async = 1;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (mib <= 0 || reps <= 0)
		usage(argv[0]);
	if (async)
		fork_async_once();
	printf("label,rep,mib,fault_ns,mprotect_ns,dontneed_ns,refault_ns,munmap_ns\n");
	for (long r = 0; r <= reps; r++) {
		run_once((size_t)mib << 20, page, ns);
		if (r)
			printf("%s,%ld,%ld,%.2f,%.2f,%.2f,%.2f,%.2f\n", label,
			       r, mib, ns[0], ns[1], ns[2], ns[3], ns[4]);
	}
	return 0;
}
