// SPDX-License-Identifier: GPL-2.0
/*
 * small_fork: the cost of fork() for a small process, the case async fork
 * must not slow down.  Each repetition forks FORKS times in a row; each
 * child _exit()s at once and the parent waits for it before the next fork.
 *
 * Output: CSV on stdout, one line a repetition:
 *	label,rep,forks,total_us,per_fork_us
 * The first repetition is a warm-up and is not printed.
 *
 * usage: small_fork [-n FORKS] [-r REPS] [-l LABEL]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* FORKS fork + _exit + waitpid; the time it took in us, or -1. */
static double fork_loop(long forks)
{
	double t0 = now_us();
	int status;
	long i;
	pid_t pid;

	for (i = 0; i < forks; i++) {
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return -1;
		}
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			fprintf(stderr, "child %d failed (status 0x%x)\n",
				(int)pid, status);
			return -1;
		}
	}
	return now_us() - t0;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-n FORKS] [-r REPS] [-l LABEL]\n", prog);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *label = "small";
	long forks = 1000, reps = 10, rep;
	double t;
	int opt;

	while ((opt = getopt(argc, argv, "n:r:l:")) != -1) {
		switch (opt) {
		case 'n':
			forks = strtol(optarg, NULL, 0);
			break;
		case 'r':
			reps = strtol(optarg, NULL, 0);
			break;
		case 'l':
			label = optarg;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc || forks < 1 || reps < 1)
		usage(argv[0]);

	printf("label,rep,forks,total_us,per_fork_us\n");
	for (rep = -1; rep < reps; rep++) {
		t = fork_loop(forks);
		if (t < 0)
			return 1;
		if (rep < 0)
			continue;
		printf("%s,%ld,%ld,%.0f,%.2f\n", label, rep, forks, t, t / forks);
		fflush(stdout);
	}
	return 0;
}
