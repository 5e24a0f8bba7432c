/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user-space ABI of the async fork series, for the tools in this tree.
 *
 * PROVISIONAL NUMBERS: they hold until upstream assigns numbers.  They are
 * the series' own, far from the ranges mainline hands out (prctl options
 * count up from 1, 74-78 are taken; clone3() flags count up from bit 32,
 * 34-37 are taken), so that a mainline kernel never reads them as anything
 * else.  The old ones (PR_SET_ASYNC_FORK 74, PR_GET_ASYNC_FORK 75,
 * CLONE_ASYNC bit 34) collide with mainline and must not be used.
 *
 * A kernel without the series fails both prctl options and clone3() with
 * CLONE_ASYNC with EINVAL.  Rule: nothing issues PR_SET_ASYNC_FORK,
 * clone3(CLONE_ASYNC) or PR_GET_ASYNC_FORK(PR_ASYNC_FORK_LAST) before
 * async_fork_supported() has returned 1.  Unused prctl arguments are 0.
 *
 * The patched kernel's UAPI headers may define these first; if they give
 * one of the numbers that identify the ABI another value, the build stops.
 */
#ifndef _TOOLS_ASYNC_FORK_ABI_H
#define _TOOLS_ASYNC_FORK_ABI_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>
#include <linux/sched.h>	/* struct clone_args, maybe CLONE_ASYNC */
#include <sys/prctl.h>		/* <linux/prctl.h>, maybe PR_*_ASYNC_FORK */
#include <sys/syscall.h>
#include <sys/types.h>

#ifdef PR_SET_ASYNC_FORK
# if PR_SET_ASYNC_FORK != 0x5341464b
#  error "PR_SET_ASYNC_FORK from the system headers is not 0x5341464b (headers of the old series, with 74?)"
# endif
#else
# define PR_SET_ASYNC_FORK	0x5341464b	/* "SAFK" */
#endif
#ifdef PR_GET_ASYNC_FORK
# if PR_GET_ASYNC_FORK != 0x4741464b
#  error "PR_GET_ASYNC_FORK from the system headers is not 0x4741464b (headers of the old series, with 75?)"
# endif
#else
# define PR_GET_ASYNC_FORK	0x4741464b	/* "GAFK" */
#endif

/* Modes, arg2 of PR_SET_ASYNC_FORK. */
#ifndef PR_ASYNC_FORK_OFF
# define PR_ASYNC_FORK_OFF	0
#endif
#ifndef PR_ASYNC_FORK_ON
# define PR_ASYNC_FORK_ON	1
#endif
#ifndef PR_ASYNC_FORK_ONCE
# define PR_ASYNC_FORK_ONCE	2
#endif
#ifndef PR_ASYNC_FORK_NEVER
# define PR_ASYNC_FORK_NEVER	3	/* not even in a cgroup that asks */
#endif

/* arg2 of PR_GET_ASYNC_FORK. */
#ifndef PR_ASYNC_FORK_MODE
# define PR_ASYNC_FORK_MODE	0	/* the mode */
#endif
#ifndef PR_ASYNC_FORK_LAST
# define PR_ASYNC_FORK_LAST	1	/* 1 if the latest fork was async */
#endif
#ifdef PR_ASYNC_FORK_PROBE
# if PR_ASYNC_FORK_PROBE != 2
#  error "PR_ASYNC_FORK_PROBE from the system headers is not 2"
# endif
#else
# define PR_ASYNC_FORK_PROBE	2	/* returns PR_ASYNC_FORK_MAGIC */
#endif
#ifdef PR_ASYNC_FORK_MAGIC
# if PR_ASYNC_FORK_MAGIC != 0x41464b31
#  error "PR_ASYNC_FORK_MAGIC from the system headers is not 0x41464b31"
# endif
#else
# define PR_ASYNC_FORK_MAGIC	0x41464b31	/* "AFK1" */
#endif

#ifdef CLONE_ASYNC
# if CLONE_ASYNC != 0x1000000000000000ULL
#  error "CLONE_ASYNC from the system headers is not 0x1000000000000000ULL (bit 60; headers of the old series, with bit 34?)"
# endif
#else
# define CLONE_ASYNC		0x1000000000000000ULL	/* clone3(), bit 60 */
#endif

#ifndef __NR_clone3
# define __NR_clone3		435
#endif

/*
 * Does the running kernel have the async fork series?  Returns 1 if
 * prctl(PR_GET_ASYNC_FORK, PR_ASYNC_FORK_PROBE) answers PR_ASYNC_FORK_MAGIC,
 * errno untouched.  Otherwise returns 0 with errno set: EINVAL from a
 * kernel without the series, whatever a seccomp filter or LSM made the
 * prctl fail with, or ENOSYS if the kernel answered with another value.
 */
static inline int async_fork_supported(void)
{
	int saved_errno = errno;
	int ret;

	ret = prctl(PR_GET_ASYNC_FORK, PR_ASYNC_FORK_PROBE, 0UL, 0UL, 0UL);
	if (ret == PR_ASYNC_FORK_MAGIC) {
		errno = saved_errno;
		return 1;
	}
	if (ret != -1)
		errno = ENOSYS;
	return 0;
}

/*
 * fork() through clone3(): @flags (0 or CLONE_ASYNC) and SIGCHLD to the
 * parent.  The C library knows nothing of it: no atfork handlers, and in
 * a threaded program the child must stay away from the library's locks.
 * Returns what clone3() does.  CLONE_ASYNC only after the probe above.
 */
static inline pid_t async_fork_clone3(uint64_t flags)
{
	struct clone_args args = {
		.flags = flags,
		.exit_signal = SIGCHLD,
	};

	return syscall(__NR_clone3, &args, sizeof(args));
}

#endif /* _TOOLS_ASYNC_FORK_ABI_H */
