/* The loop of async_fork_mark_pud_run() on x86 bits, in user space, over
 * 16,384 table-PUD-like entries: the host's cost per entry natively. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define PRESENT 0x1ULL
#define RW 0x2ULL
#define USER 0x4ULL
#define ACCESSED 0x20ULL
#define DIRTY 0x40ULL
#define PSE 0x80ULL
#define KERNPG_TABLE (PRESENT | RW | ACCESSED | DIRTY)
#define N 16384

static __attribute__((noinline)) uint64_t flags(uint64_t v)
{
	uint64_t pfn = (v & PSE) ? 0xfffffc0000000ULL : 0xffffffffff000ULL;
	return v & ~pfn;
}

static __attribute__((noinline)) long pass(volatile uint64_t *p, long n)
{
	long i;
	for (i = 0; i < n; i++) {
		uint64_t v = p[i];
		if (!(v & ~0x60ULL))		/* pud_none */
			continue;
		if ((flags(v) & (PRESENT | PSE | RW)) == PRESENT)
			continue;
		if (flags(v) & ~(KERNPG_TABLE | USER))
			break;
		p[i] = v & ~RW;
	}
	return i;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(double *)a, y = *(double *)b;
	return x < y ? -1 : x > y;
}

int main(void)
{
	static uint64_t tab[N];
	double t[101], f[101];
	int r;

	for (r = 0; r < 101; r++) {
		for (int i = 0; i < N; i++)
			tab[i] = ((0x100000ULL + i) << 12) | KERNPG_TABLE | USER;
		double a = now();
		pass(tab, N);
		t[r] = now() - a;
	}
	char *m = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (long i = 0; i < (4 << 20); i += 4096)
		m[i] = 1;
	for (r = 0; r < 101; r++) {
		double a = now();
		pid_t pid = fork();
		if (!pid)
			_exit(0);
		f[r] = now() - a;
		waitpid(pid, NULL, 0);
	}
	qsort(t, 101, sizeof(double), cmp);
	qsort(f, 101, sizeof(double), cmp);
	printf("pass over %d entries: median %.1f us (%.2f ns/entry)\n", N, t[50], t[50] * 1000 / N);
	printf("plain fork of a 4 MiB process (host kernel): median %.1f us\n", f[50]);
	return 0;
}
