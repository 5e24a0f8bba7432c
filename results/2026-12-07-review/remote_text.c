// Finding 2: the parent writes into its async child's text through
// /proc/CHILD/mem before the child has run (both on one CPU, the child
// does not preempt the parent).  The child then calls the patched
// function: it must see the write (exit 2), not the original code (exit 1).
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "async_fork_abi.h"

/*
 * 6 MiB of code after target(), so that target()'s 2 MiB holds text only:
 * the remote fault then finds nothing deferrable to copy there.
 */
__attribute__((noinline, aligned(4096), section(".text.hot.target"))) int target(void)
{
	asm volatile("");
	return 1;
}

asm(".pushsection .text.filler,\"ax\"\n.fill 6291456,1,0xc3\n.popsection\n");

int main(int argc, char **argv)
{
	static const unsigned char ret2[] = { 0xb8, 2, 0, 0, 0, 0xc3 }; // mov $2,%eax; ret
	unsigned long long flags = argc > 1 && !strcmp(argv[1], "plain") ? 0 : CLONE_ASYNC;
	/* Some anonymous memory, so that the GiB has deferrable VMAs. */
	size_t sz = 64 << 20;
	char *heap = malloc(sz);
	cpu_set_t set;
	char path[64];
	int fd, status;

	memset(heap, 1, sz);
	/* The parent maps target()'s page: the child's copy has a PTE to copy. */
	if (target() != 1)
		return 3;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("sched_setaffinity");
	if (flags && async_fork_supported() != 1) {
		fprintf(stderr, "no async fork in this kernel\n");
		return 4;
	}
	pid_t pid = async_fork_clone3(flags);
	if (pid < 0) {
		perror("clone3");
		return 3;
	}
	if (pid == 0)
		_exit(target());
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDWR);
	if (fd < 0 || pwrite(fd, ret2, sizeof(ret2), (off_t)(uintptr_t)target) != sizeof(ret2)) {
		perror("write /proc/PID/mem");
		return 3;
	}
	close(fd);
	waitpid(pid, &status, 0);
	printf("%s: child's target() returned %d (%s), parent's %d\n",
	       flags ? "CLONE_ASYNC" : "plain", WEXITSTATUS(status),
	       WEXITSTATUS(status) == 2 ? "sees the write: ok" : "write LOST",
	       target());
	return WEXITSTATUS(status) == 2 ? 0 : 1;
}
