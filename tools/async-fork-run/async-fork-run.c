// SPDX-License-Identifier: GPL-2.0
/*
 * async-fork-run: run a program with async fork turned on.
 *
 *	async-fork-run [--once] [--strict] PROGRAM [ARGS...]
 *	async-fork-run --never PROGRAM [ARGS...]
 *
 * Sets the calling process's async fork mode with prctl(PR_SET_ASYNC_FORK)
 * and execs PROGRAM.  The mode lives in the mm and is kept across execve(),
 * so every fork() PROGRAM makes (with --once: only its first one) is an
 * async fork, without changing or rebuilding PROGRAM.  Children inherit
 * the mode, so their forks are async as well.  --never does the opposite:
 * PROGRAM's forks stay plain even in a memory cgroup whose
 * memory.async_fork is 1 (PR_ASYNC_FORK_NEVER); on a kernel without async
 * fork it just runs PROGRAM, whose forks are plain there anyway.
 *
 * It first probes with prctl(PR_GET_ASYNC_FORK, PR_ASYNC_FORK_PROBE) and
 * sets nothing on a kernel that does not answer it: there it prints one
 * warning and runs PROGRAM with ordinary forks, so that a service started
 * through it still starts after a reboot into another kernel.  With
 * --strict it exits 1 instead, without running PROGRAM.  The prctl
 * numbers are provisional, see ../include/async_fork_abi.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include "../include/async_fork_abi.h"

#define PROG		"async-fork-run"
#define EXIT_USAGE	2
#define EXIT_NOEXEC	126
#define EXIT_NOTFOUND	127

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [--once] [--strict] PROGRAM [ARGS...]\n"
		"       " PROG " --never PROGRAM [ARGS...]\n"
		"\n"
		"Run PROGRAM with async fork: its fork()s return before the\n"
		"child's page tables are copied (the child still sees memory as\n"
		"it was at the fork).  Needs a kernel with the async fork series;\n"
		"on any other it warns and runs PROGRAM with ordinary forks.\n"
		"\n"
		"  --once    only the first fork PROGRAM makes is async\n"
		"  --strict  without async fork, fail instead of running PROGRAM\n"
		"  --never   no fork of PROGRAM is async, not even in a cgroup\n"
		"            with memory.async_fork set to 1\n"
		"  --help    show this help\n"
		"  --        end of options\n"
		"\n"
		"Exit status: PROGRAM's, or 1 if async fork is unavailable with\n"
		"--strict or cannot be set, 2 for\n"
		"a usage error, 126 if PROGRAM cannot be run, 127 if not found.\n");
}

int main(int argc, char *argv[])
{
	unsigned long mode = PR_ASYNC_FORK_ON;
	bool strict = false, once = false, never = false;
	int i, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--once")) {
			once = true;
			mode = PR_ASYNC_FORK_ONCE;
		} else if (!strcmp(argv[i], "--never")) {
			never = true;
			mode = PR_ASYNC_FORK_NEVER;
		} else if (!strcmp(argv[i], "--strict")) {
			strict = true;
		} else if (!strcmp(argv[i], "--help") ||
			   !strcmp(argv[i], "-h")) {
			usage(stdout);
			return fflush(stdout) ? 1 : 0;
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, PROG ": unknown option '%s'\n",
				argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		} else {
			break;	/* PROGRAM */
		}
	}
	if (never && (once || strict)) {
		fprintf(stderr, PROG ": --never goes with neither --once nor --strict\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (i >= argc) {
		fprintf(stderr, PROG ": no program given\n");
		usage(stderr);
		return EXIT_USAGE;
	}

	/* Never PR_SET_ASYNC_FORK on a kernel that does not answer the probe. */
	if (!async_fork_supported()) {
		if (strict) {
			fprintf(stderr,
				PROG ": this kernel lacks async fork (probe with PR_GET_ASYNC_FORK: %s); not running %s\n",
				strerror(errno), argv[i]);
			return 1;
		}
		/* With --never: its forks are plain there, nothing to say. */
		if (!never)
			fprintf(stderr,
				PROG ": warning: this kernel lacks async fork (probe with PR_GET_ASYNC_FORK: %s); %s runs with ordinary forks\n",
				strerror(errno), argv[i]);
	} else if (prctl(PR_SET_ASYNC_FORK, mode, 0UL, 0UL, 0UL)) {
		fprintf(stderr, PROG ": PR_SET_ASYNC_FORK: %s\n",
			strerror(errno));
		return 1;
	}

	execvp(argv[i], &argv[i]);
	err = errno;
	fprintf(stderr, PROG ": %s: %s\n", argv[i], strerror(err));
	return err == EACCES ? EXIT_NOEXEC : EXIT_NOTFOUND;
}
