// Finding 3: a MADV_DONTFORK hugetlb mapping in a GiB with anonymous
// memory.  After clone3(CLONE_ASYNC) the parent (SCHED_FIFO when root
// allows, both on CPU 0) writes to its hugetlb page: the time that write
// takes, against the same after a plain fork.
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include "async_fork_abi.h"

#define GIB (1UL << 30)
static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	int async = !(argc > 1 && !strcmp(argv[1], "plain"));
	struct sched_param sp = { .sched_priority = 10 };
	cpu_set_t set;
	char *raw, *gib, *anon, *huge;
	double t0, t1;
	int status;

	raw = mmap(NULL, 2 * GIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	gib = (char *)(((uintptr_t)raw + GIB - 1) & ~(GIB - 1));
	anon = mmap(gib, 64 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	huge = mmap(gib + GIB / 2, 2 << 20, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED, -1, 0);
	if (anon == MAP_FAILED || huge == MAP_FAILED) {
		perror("mmap (nr_hugepages?)");
		return 3;
	}
	memset(anon, 1, 64 << 20);
	huge[0] = 1;
	if (madvise(huge, 2 << 20, MADV_DONTFORK)) {
		perror("madvise");
		return 3;
	}
	if (async && async_fork_supported() != 1)
		return 4;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	int fifo = !sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp);
	pid_t pid = async_fork_clone3(async ? CLONE_ASYNC : 0);
	if (pid == 0) {
		struct sched_param z = { 0 };

		sched_setscheduler(0, SCHED_OTHER, &z);
		_exit(anon[100] == 1 ? 0 : 1);
	}
	t0 = now_us();
	huge[64] = 2;
	t1 = now_us();
	waitpid(pid, &status, 0);
	printf("%s%s: parent's first write to its DONTFORK hugetlb page: %.1f us; child exit %d\n",
	       async ? "CLONE_ASYNC" : "plain", fifo ? " (SCHED_FIFO)" : "", t1 - t0,
	       WEXITSTATUS(status));
	return 0;
}
