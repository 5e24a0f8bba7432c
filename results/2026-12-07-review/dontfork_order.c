// Finding 3 without timing: a SCHED_FIFO parent (child reset to
// SCHED_OTHER, both on CPU 0) writes to its MADV_DONTFORK hugetlb page
// right after clone3(CLONE_ASYNC), then looks at a shared flag the child
// sets at its first instruction.  The child cannot run before the parent
// blocks unless the parent's write waited for it (RT throttling lets it
// run): flag set = the write waited for the child's copy.
// Exit 0: the write did not wait; 1: it did; 4: no async fork; 3: set-up.
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "async_fork_abi.h"

#define GIB (1UL << 30)

int main(void)
{
	struct sched_param sp = { .sched_priority = 10 };
	volatile int *flag;
	cpu_set_t set;
	char *raw, *gib, *anon, *huge;
	int status, seen;

	flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	raw = mmap(NULL, 2 * GIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (flag == MAP_FAILED || raw == MAP_FAILED)
		return 3;
	gib = (char *)(((uintptr_t)raw + GIB - 1) & ~(GIB - 1));
	anon = mmap(gib, 8 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	huge = mmap(gib + GIB / 2, 2 << 20, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED, -1, 0);
	if (anon == MAP_FAILED || huge == MAP_FAILED) {
		perror("mmap (vm.nr_hugepages?)");
		return 3;
	}
	memset(anon, 1, 8 << 20);
	huge[0] = 1;
	if (madvise(huge, 2 << 20, MADV_DONTFORK))
		return 3;
	if (async_fork_supported() != 1)
		return 4;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set) ||
	    sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp)) {
		perror("SCHED_FIFO on CPU 0 (root?)");
		return 3;
	}
	*flag = 0;
	pid_t pid = async_fork_clone3(CLONE_ASYNC);
	if (pid < 0)
		return 3;
	if (pid == 0) {
		*flag = 1;
		_exit(0);
	}
	huge[64] = 2;
	seen = *flag;
	waitpid(pid, &status, 0);
	printf("%s: the parent's write to its DONTFORK hugetlb page %s\n",
	       seen ? "not ok" : "ok",
	       seen ? "waited for the child's copy" : "did not wait for the child");
	return seen ? 1 : 0;
}
