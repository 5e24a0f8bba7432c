// SPDX-License-Identifier: GPL-2.0
/*
 * Fork of a private 64 KiB hugetlb page (arm64, contiguous PTEs): does
 * the child see what the parent wrote before the fork?  In the arm64 QEMU
 * guest here it now and then reads zeroes, on the unpatched kernel too
 * (Documentation/status.md, "Noticed, not ours").
 *
 *   aarch64-linux-gnu-gcc -O2 -o hugetlb64k_fork hugetlb64k_fork.c
 *   hugetlb64k_fork [1]     (1: an anonymous mapping shares the PTE table)
 *
 * Needs free 64 KiB huge pages (boot with hugepagesz=64K hugepages=16).
 * Exits 0 when the child saw the data, 1 when it did not.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#ifndef MAP_HUGE_64KB
#define MAP_HUGE_64KB	(16U << 26)
#endif

int main(int argc, char **argv)
{
	const size_t pmd = 2UL << 20, huge = 64UL << 10;
	int share = argc > 1 && atoi(argv[1]);
	char *raw, *mem, *h;
	int status;
	pid_t pid;

	raw = mmap(NULL, 2 * pmd, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return 2;
	mem = (char *)(((unsigned long)raw + pmd - 1) & ~(pmd - 1));
	if (!share)
		munmap(mem, pmd - huge);
	munmap(mem + pmd - huge, huge);
	h = mmap(mem + pmd - huge, huge, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_64KB |
		 MAP_FIXED_NOREPLACE, -1, 0);
	if (h == MAP_FAILED) {
		perror("mmap of a 64 KiB hugetlb page");
		return 2;
	}
	memset(h, 0x11, huge);
	if (share)
		memset(mem, 0x22, pmd - huge);
	pid = fork();
	if (pid < 0)
		return 2;
	if (!pid) {
		printf("child: first byte %#x, last byte %#x\n", h[0],
		       h[huge - 1]);
		_exit(h[0] == 0x11 && h[huge - 1] == 0x11 ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 2;
	printf("heap sharing the table: %s; child %s\n", share ? "yes" : "no",
	       WEXITSTATUS(status) ? "saw zeroes" : "saw the data");
	return WEXITSTATUS(status);
}
