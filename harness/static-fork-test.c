// SPDX-License-Identifier: GPL-2.0
/*
 * static-fork-test: an ordinary program that forks, for async-fork-run.
 *
 * It knows nothing about async fork: it fills 64 MiB of anonymous memory
 * with a pattern and calls plain fork() a few times.  After each fork the
 * parent at once rewrites the whole region with the next pattern while
 * the child checks that it sees the pattern of the fork instant, before
 * and after the parent is done; the child then scribbles over its copy,
 * and the parent checks that it still sees its own pattern.
 *
 * Exit status 0 if every snapshot was exact, 1 otherwise.  Built with
 * gcc -static, so that it runs anywhere and is clearly "unmodified".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>

#define PROG		"static-fork-test"
#define REGION_SIZE	(64UL << 20)
#define NR_FORKS	3

/* Child exit codes. */
#define CHILD_OK	0
#define CHILD_MISMATCH	1
#define CHILD_PIPE_ERR	3

static inline uint64_t pattern(unsigned int round, unsigned long i)
{
	uint64_t x = ((uint64_t)round << 56) ^ (i * 0x9e3779b97f4a7c15ULL);

	x ^= x >> 31;
	return x * 0xbf58476d1ce4e5b9ULL + round;
}

static void fill(uint64_t *p, unsigned long words, unsigned int round)
{
	unsigned long i;

	for (i = 0; i < words; i++)
		p[i] = pattern(round, i);
}

/* 0 if @p holds @round's pattern, else reports the first bad word. */
static int check(const uint64_t *p, unsigned long words, unsigned int round,
		 const char *who)
{
	unsigned long i;

	for (i = 0; i < words; i++) {
		if (p[i] == pattern(round, i))
			continue;
		fprintf(stderr,
			PROG ": %s: fork %u: mismatch at offset %#lx: expected %#018llx, found %#018llx\n",
			who, round + 1, i * sizeof(*p),
			(unsigned long long)pattern(round, i),
			(unsigned long long)p[i]);
		return -1;
	}
	return 0;
}

static int child(uint64_t *p, unsigned long words, unsigned int round,
		 int fd)
{
	ssize_t ret;
	char c;

	/* While the parent is rewriting its memory... */
	if (check(p, words, round, "child"))
		return CHILD_MISMATCH;
	/* ...and once it is done (end of file: it closed the pipe). */
	do {
		ret = read(fd, &c, 1);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return CHILD_PIPE_ERR;
	if (check(p, words, round, "child (after the parent's writes)"))
		return CHILD_MISMATCH;
	/* The parent must not see this. */
	memset(p, 0x5a, words * sizeof(*p));
	return CHILD_OK;
}

int main(void)
{
	unsigned long words = REGION_SIZE / sizeof(uint64_t);
	unsigned int round, failed = 0;
	int fds[2], status;
	uint64_t *p;
	pid_t pid;

	p = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, PROG ": mmap: %s\n", strerror(errno));
		return 1;
	}
	fill(p, words, 0);

	for (round = 0; round < NR_FORKS; round++) {
		if (pipe(fds)) {
			fprintf(stderr, PROG ": pipe: %s\n", strerror(errno));
			return 1;
		}
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid < 0) {
			fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
			return 1;
		}
		if (pid == 0) {
			close(fds[1]);
			_exit(child(p, words, round, fds[0]));
		}
		/* Right after fork: the next round's pattern everywhere. */
		fill(p, words, round + 1);
		if (close(fds[1]) || close(fds[0])) {
			fprintf(stderr, PROG ": close: %s\n", strerror(errno));
			return 1;
		}
		while (waitpid(pid, &status, 0) != pid) {
			if (errno != EINTR) {
				fprintf(stderr, PROG ": waitpid: %s\n",
					strerror(errno));
				return 1;
			}
		}
		if (!WIFEXITED(status)) {
			fprintf(stderr, PROG ": fork %u: child %d %s %d\n",
				round + 1, pid,
				WIFSIGNALED(status) ? "killed by signal" :
						      "wait status",
				WIFSIGNALED(status) ? WTERMSIG(status) : status);
			failed++;
		} else if (WEXITSTATUS(status) == CHILD_MISMATCH) {
			fprintf(stderr,
				PROG ": fork %u: the child's snapshot was wrong\n",
				round + 1);
			failed++;
		} else if (WEXITSTATUS(status)) {
			fprintf(stderr, PROG ": fork %u: child exited with %d\n",
				round + 1, WEXITSTATUS(status));
			failed++;
		}
		if (check(p, words, round + 1, "parent")) {
			fprintf(stderr,
				PROG ": fork %u: the parent lost its own writes or saw the child's\n",
				round + 1);
			failed++;
		}
	}

	if (failed) {
		printf(PROG ": %d forks, %u failed\n", NR_FORKS, failed);
		return 1;
	}
	printf(PROG ": %d forks, all snapshots correct\n", NR_FORKS);
	return fflush(stdout) ? 1 : 0;
}
