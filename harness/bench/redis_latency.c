// SPDX-License-Identifier: GPL-2.0
/*
 * redis_latency: closed-loop GET/SET load on a Redis server that records
 * the latency of every request, while BGSAVEs are started at set times.
 *
 * Each of CONNS connections has one request in flight at a time: a GET or
 * a SET (GET_PCT percent GETs) of a random key "key:N", N < KEYS, the names
 * DEBUG POPULATE gives its keys; a SET writes a value of VALUE_SIZE bytes.
 * One thread drives all connections with poll(), so the client needs one
 * CPU at most.  A second thread, on its own connection, runs the snapshot
 * schedule: GAP seconds of load, then NSAVES times { BGSAVE, wait until
 * INFO persistence says it is over, GAP seconds of load }; then the run
 * ends.  Without -n the run lasts DURATION seconds and no BGSAVE is made.
 * With -a, the BGSAVEs alternate between plain and async fork on the same
 * server: before each one, "CONFIG SET fork-async no" (even BGSAVEs, from
 * the first) or "yes" (odd ones); the server needs the fork-async patch.
 *
 * All times are CLOCK_MONOTONIC nanoseconds.  Written at the end (write
 * them to tmpfs, not to a 9p or other file system that pins user pages):
 *   -o FILE  one line a request: start_ns,latency_ns,conn,op (op G or S)
 *   -B FILE  one line a BGSAVE: idx,start_ns,reply_ns,end_ns,fork_usec,
 *            fork_async,status,cow_bytes: start_ns when BGSAVE was sent,
 *            reply_ns when its reply came (the fork is over by then),
 *            end_ns when INFO persistence first showed it done;
 *            fork_usec is latest_fork_usec, fork_async latest_fork_async
 *            (-1 when the server does not report it), status
 *            rdb_last_bgsave_status.
 *   -T FILE  one line a stall of a CPU: cpu,start_ns,gap_ns.  On each CPU a
 *            thread (pinned, SCHED_FIFO when allowed) sleeps 1 ms at a
 *            time and records every wake-up more than 10 ms late: a time
 *            when that CPU did not run it (in a VM: the host did not run
 *            the vCPU; or the kernel did not give up the CPU), which slows
 *            whatever else wanted that CPU too.
 *
 * usage: redis_latency [-h HOST] [-p PORT] [-c CONNS] [-k KEYS]
 *                      [-s VALUE_SIZE] [-g GET_PCT] [-n NSAVES] [-b GAP]
 *                      [-d DURATION] [-i POLL_MS] [-a] [-o FILE] [-B FILE]
 *                      [-T FILE]
 *
 * Exit status: 0, 1 on a failure (connection lost, error replies,
 * a BGSAVE that failed or did not end within DURATION, with -a a server
 * that refused the fork-async setting or forked the other way than asked),
 * 2 on bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS	64
#define RBUF_SIZE	(64 * 1024)
#define MAX_VALUE	(16 * 1024)
#define MAX_SAVES	1000
#define MAX_GAPS	100000
#define MAX_CPUS	64
#define TICK_NS		1000000
#define TICK_LATE_NS	10000000
#define BGSAVE_STARTED	"+Background saving started"

struct request {
	uint64_t start_ns;
	uint64_t latency_ns;
	uint16_t conn;
	char op;
};

struct conn {
	int fd;
	char op;
	uint64_t start_ns;
	uint64_t rng;
	size_t rlen;
	char rbuf[RBUF_SIZE];
};

struct bgsave {
	uint64_t start_ns, reply_ns, end_ns;
	long long fork_usec, cow_bytes;
	int fork_async;
	char status[32];
};

/* Settings. */
static const char *host = "127.0.0.1";
static int port = 6379;
static int nconns = 4;
static unsigned long nkeys = 1000;
static size_t value_size = 1000;
static int get_pct = 50;
static int nsaves;
static double gap_s = 3;
static double duration_s = 3600;
static int poll_ms = 20;
static int alternate;

static atomic_int stop;
static atomic_int failed;
static char value[MAX_VALUE];

static struct request *reqs;
static size_t nreqs, reqs_cap;
static unsigned long nerrors;

static struct bgsave saves[MAX_SAVES];
static int saves_done;

static struct {
	uint64_t start_ns, gap_ns;
	int cpu;
} gaps[MAX_GAPS];
static atomic_int ngaps;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = ns / 1000000000,
		.tv_nsec = ns % 1000000000,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "redis_latency: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	atomic_store(&failed, 1);
	atomic_store(&stop, 1);
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static int connect_server(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd, one = 1;

	sa.sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "redis_latency: bad IPv4 address '%s'\n", host);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "redis_latency: connect %s:%d: %s\n", host,
			port, strerror(errno));
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * Length of the complete RESP reply at the start of buf: 0 when more is
 * needed, -1 when it is not a reply this client understands (arrays).
 */
static long reply_len(const char *buf, size_t len)
{
	const char *nl = len ? memchr(buf, '\n', len) : NULL;
	size_t line;
	long n;

	if (!nl)
		return 0;
	line = nl - buf + 1;
	switch (buf[0]) {
	case '+':
	case '-':
	case ':':
		return line;
	case '$':
		n = strtol(buf + 1, NULL, 10);
		if (n < 0)
			return line;
		return len >= line + n + 2 ? (long)(line + n + 2) : 0;
	default:
		return -1;
	}
}

/* ---- load: one thread, all connections ---------------------------------- */

static int send_request(struct conn *c)
{
	char buf[MAX_VALUE + 256], key[32];
	int klen, len;

	c->op = xorshift(&c->rng) % 100 < (uint64_t)get_pct ? 'G' : 'S';
	klen = snprintf(key, sizeof(key), "key:%lu",
			(unsigned long)(xorshift(&c->rng) % nkeys));
	if (c->op == 'G') {
		len = snprintf(buf, sizeof(buf), "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n",
			       klen, key);
	} else {
		len = snprintf(buf, sizeof(buf),
			       "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%zu\r\n",
			       klen, key, value_size);
		memcpy(buf + len, value, value_size);
		len += value_size;
		memcpy(buf + len, "\r\n", 2);
		len += 2;
	}
	c->start_ns = now_ns();
	return write_all(c->fd, buf, len);
}

static int record(struct conn *c, int idx, uint64_t end_ns)
{
	struct request *r;

	if (nreqs == reqs_cap) {
		size_t cap = reqs_cap ? reqs_cap * 2 : 1 << 20;

		r = realloc(reqs, cap * sizeof(*r));
		if (!r)
			return -1;
		reqs = r;
		reqs_cap = cap;
	}
	r = &reqs[nreqs++];
	r->start_ns = c->start_ns;
	r->latency_ns = end_ns - c->start_ns;
	r->conn = idx;
	r->op = c->op;
	return 0;
}

static void run_load(struct conn *conns, uint64_t deadline_ns)
{
	struct pollfd pfd[MAX_CONNS];
	int i, n;

	for (i = 0; i < nconns; i++) {
		pfd[i].fd = conns[i].fd;
		pfd[i].events = POLLIN;
		if (send_request(&conns[i])) {
			fail("connection %d: cannot send", i);
			return;
		}
	}
	while (!atomic_load(&stop)) {
		n = poll(pfd, nconns, 100);
		if (n < 0 && errno != EINTR) {
			fail("poll: %s", strerror(errno));
			return;
		}
		if (now_ns() > deadline_ns) {
			fail("still running after %.0f s (-d)", duration_s);
			return;
		}
		for (i = 0; n > 0 && i < nconns; i++) {
			struct conn *c = &conns[i];
			uint64_t t;
			ssize_t got;
			long rl;

			if (!pfd[i].revents)
				continue;
			got = read(c->fd, c->rbuf + c->rlen,
				   sizeof(c->rbuf) - c->rlen);
			if (got <= 0) {
				if (got < 0 && errno == EINTR)
					continue;
				fail("connection %d closed by the server", i);
				return;
			}
			c->rlen += got;
			rl = reply_len(c->rbuf, c->rlen);
			if (rl == 0)
				continue;
			t = now_ns();
			if (rl < 0 || (size_t)rl != c->rlen) {
				fail("connection %d: unexpected reply", i);
				return;
			}
			if (c->rbuf[0] == '-' && nerrors++ < 5)
				fprintf(stderr, "redis_latency: error reply: %.*s",
					(int)rl, c->rbuf);
			c->rlen = 0;
			if (record(c, i, t)) {
				fail("out of memory");
				return;
			}
			if (send_request(c)) {
				fail("connection %d: cannot send", i);
				return;
			}
		}
	}
}

/* ---- control: the BGSAVE schedule on its own connection ------------------ */

/* Send a command (its words) and read one reply into a malloc'ed string. */
static char *command(int fd, int argc, const char * const *argv)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *p;
	ssize_t n;
	long rl;
	int i;

	if (!buf)
		return NULL;
	len = snprintf(buf, cap, "*%d\r\n", argc);
	for (i = 0; i < argc; i++)
		len += snprintf(buf + len, cap - len, "$%zu\r\n%s\r\n",
				strlen(argv[i]), argv[i]);
	if (write_all(fd, buf, len))
		goto err;
	len = 0;
	for (;;) {
		if (cap - len < 1024) {
			p = realloc(buf, cap * 2);
			if (!p)
				goto err;
			buf = p;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto err;
		len += n;
		rl = reply_len(buf, len);
		if (rl < 0)
			goto err;
		if (rl > 0)
			break;
	}
	buf[len] = '\0';
	return buf;
err:
	free(buf);
	return NULL;
}

/* The value of "name:" in an INFO reply, or def. */
static long long info_field(const char *info, const char *name, long long def)
{
	size_t nlen = strlen(name);
	const char *p = info;

	while ((p = strstr(p, name))) {
		if ((p == info || p[-1] == '\n') && p[nlen] == ':')
			return strtoll(p + nlen + 1, NULL, 10);
		p += nlen;
	}
	return def;
}

static void info_string(const char *info, const char *name, char *out,
			size_t size)
{
	size_t nlen = strlen(name), i = 0;
	const char *p = info;

	snprintf(out, size, "?");
	while ((p = strstr(p, name))) {
		if ((p == info || p[-1] == '\n') && p[nlen] == ':') {
			p += nlen + 1;
			while (i + 1 < size && p[i] && p[i] != '\r' &&
			       p[i] != '\n') {
				out[i] = p[i];
				i++;
			}
			out[i] = '\0';
			return;
		}
		p += nlen;
	}
}

static char *info(int fd, const char *section)
{
	const char * const argv[] = { "INFO", section };

	return command(fd, 2, argv);
}

/* Sleep for s seconds, in steps, unless the run is stopped. */
static void pause_run(double s)
{
	uint64_t end = now_ns() + (uint64_t)(s * 1e9);

	while (!atomic_load(&stop) && now_ns() < end)
		sleep_ns(10 * 1000000);
}

static int one_bgsave(int fd, struct bgsave *b)
{
	static const char * const bgsave[] = { "BGSAVE" };
	long long saves0, inprog;
	char *r;

	r = info(fd, "persistence");
	if (!r)
		return -1;
	saves0 = info_field(r, "rdb_saves", -1);
	free(r);

	b->start_ns = now_ns();
	r = command(fd, 1, bgsave);
	b->reply_ns = now_ns();
	if (!r)
		return -1;
	if (strncmp(r, BGSAVE_STARTED, strlen(BGSAVE_STARTED))) {
		fprintf(stderr, "redis_latency: BGSAVE: %s", r);
		free(r);
		return -1;
	}
	free(r);
	for (;;) {
		sleep_ns((uint64_t)poll_ms * 1000000);
		r = info(fd, "persistence");
		if (!r)
			return -1;
		inprog = info_field(r, "rdb_bgsave_in_progress", -1);
		if (inprog == 0 && (saves0 < 0 ||
				    info_field(r, "rdb_saves", 0) > saves0))
			break;
		free(r);
		if (atomic_load(&stop))
			return -1;
	}
	b->end_ns = now_ns();
	info_string(r, "rdb_last_bgsave_status", b->status, sizeof(b->status));
	b->cow_bytes = info_field(r, "rdb_last_cow_size", -1);
	free(r);
	r = info(fd, "stats");
	if (!r)
		return -1;
	b->fork_usec = info_field(r, "latest_fork_usec", -1);
	b->fork_async = info_field(r, "latest_fork_async", -1);
	free(r);
	return strcmp(b->status, "ok") ? -1 : 0;
}

/* -a: ask for a plain (even @i) or an async (odd @i) fork for BGSAVE @i. */
static int set_fork_async(int fd, int i)
{
	const char * const argv[] = { "CONFIG", "SET", "fork-async",
				      i % 2 ? "yes" : "no" };
	char *r = command(fd, 4, argv);
	int ok = r && !strncmp(r, "+OK", 3);

	if (!ok)
		fprintf(stderr, "redis_latency: CONFIG SET fork-async %s: %s",
			argv[3], r ? r : "no reply\n");
	free(r);
	return ok ? 0 : -1;
}

static void *control(void *arg)
{
	int fd = *(int *)arg, i;

	if (!nsaves) {
		pause_run(duration_s);
		atomic_store(&stop, 1);
		return NULL;
	}
	pause_run(gap_s);
	for (i = 0; i < nsaves && !atomic_load(&stop); i++) {
		struct bgsave *b = &saves[i];

		if (alternate && set_fork_async(fd, i)) {
			fail("cannot choose the fork of BGSAVE %d", i);
			break;
		}
		if (one_bgsave(fd, b)) {
			fail("BGSAVE %d failed or was cut short", i);
			break;
		}
		/* An async fork that fell back to plain would mislabel it. */
		if (alternate && b->fork_async != i % 2) {
			fail("BGSAVE %d: asked for a%s fork, latest_fork_async is %d",
			     i, i % 2 ? "n async" : " plain", b->fork_async);
			break;
		}
		saves_done = i + 1;
		fprintf(stderr, "redis_latency: BGSAVE %d: fork %lld us%s, "
			"%.0f ms until done\n", i,
			b->fork_usec, b->fork_async == 1 ? " (async)" : "",
			(b->end_ns - b->start_ns) / 1e6);
		pause_run(gap_s);
	}
	atomic_store(&stop, 1);
	return NULL;
}

/* ---- ticker: stalls of the guest ---------------------------------------------- */

static void *ticker(void *arg)
{
	struct sched_param sp = { .sched_priority = 1 };
	int cpu = (int)(long)arg, i;
	uint64_t t, prev;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	prev = now_ns();
	while (!atomic_load(&stop)) {
		sleep_ns(TICK_NS);
		t = now_ns();
		if (t - prev > TICK_NS + TICK_LATE_NS) {
			i = atomic_fetch_add(&ngaps, 1);
			if (i < MAX_GAPS) {
				gaps[i].start_ns = prev;
				gaps[i].gap_ns = t - prev;
				gaps[i].cpu = cpu;
			}
		}
		prev = t;
	}
	return NULL;
}

/* ---- output ---------------------------------------------------------------- */

static int write_requests(const char *path)
{
	FILE *f = fopen(path, "w");
	size_t i;

	if (!f)
		return -1;
	fprintf(f, "start_ns,latency_ns,conn,op\n");
	for (i = 0; i < nreqs; i++)
		fprintf(f, "%llu,%llu,%u,%c\n",
			(unsigned long long)reqs[i].start_ns,
			(unsigned long long)reqs[i].latency_ns,
			reqs[i].conn, reqs[i].op);
	return fclose(f);
}

static int write_saves(const char *path)
{
	FILE *f = fopen(path, "w");
	int i;

	if (!f)
		return -1;
	fprintf(f, "idx,start_ns,reply_ns,end_ns,fork_usec,fork_async,status,cow_bytes\n");
	for (i = 0; i < saves_done; i++) {
		struct bgsave *b = &saves[i];

		fprintf(f, "%d,%llu,%llu,%llu,%lld,%d,%s,%lld\n", i,
			(unsigned long long)b->start_ns,
			(unsigned long long)b->reply_ns,
			(unsigned long long)b->end_ns, b->fork_usec,
			b->fork_async, b->status, b->cow_bytes);
	}
	return fclose(f);
}

static int write_gaps(const char *path)
{
	int i, n = atomic_load(&ngaps);
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	if (n > MAX_GAPS)
		n = MAX_GAPS;
	fprintf(f, "cpu,start_ns,gap_ns\n");
	for (i = 0; i < n; i++)
		fprintf(f, "%d,%llu,%llu\n", gaps[i].cpu,
			(unsigned long long)gaps[i].start_ns,
			(unsigned long long)gaps[i].gap_ns);
	return fclose(f);
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-h HOST] [-p PORT] [-c CONNS] [-k KEYS] [-s VALUE_SIZE]\n"
		"       [-g GET_PCT] [-n NSAVES] [-b GAP_S] [-d DURATION_S] [-i POLL_MS]\n"
		"       [-a] [-o REQUESTS.csv] [-B BGSAVES.csv] [-T STALLS.csv]\n", prog);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *req_path = NULL, *save_path = NULL, *gap_path = NULL;
	static struct conn conns[MAX_CONNS];
	pthread_t ctl, tick[MAX_CPUS];
	int ctl_fd, opt, i, ncpus;
	uint64_t t0;

	while ((opt = getopt(argc, argv, "h:p:c:k:s:g:n:b:d:i:ao:B:T:")) != -1) {
		switch (opt) {
		case 'h':
			host = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'c':
			nconns = atoi(optarg);
			break;
		case 'k':
			nkeys = strtoul(optarg, NULL, 0);
			break;
		case 's':
			value_size = strtoul(optarg, NULL, 0);
			break;
		case 'g':
			get_pct = atoi(optarg);
			break;
		case 'n':
			nsaves = atoi(optarg);
			break;
		case 'b':
			gap_s = atof(optarg);
			break;
		case 'd':
			duration_s = atof(optarg);
			break;
		case 'i':
			poll_ms = atoi(optarg);
			break;
		case 'a':
			alternate = 1;
			break;
		case 'o':
			req_path = optarg;
			break;
		case 'B':
			save_path = optarg;
			break;
		case 'T':
			gap_path = optarg;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc || nconns < 1 || nconns > MAX_CONNS || !nkeys ||
	    !value_size || value_size > MAX_VALUE || get_pct < 0 ||
	    get_pct > 100 || nsaves < 0 || nsaves > MAX_SAVES || gap_s < 0 ||
	    duration_s <= 0 || poll_ms < 1)
		usage(argv[0]);

	signal(SIGPIPE, SIG_IGN);
	memset(value, 'v', value_size);
	for (i = 0; i < nconns; i++) {
		conns[i].fd = connect_server();
		if (conns[i].fd < 0)
			return 1;
		conns[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1);
	}
	ctl_fd = connect_server();
	if (ctl_fd < 0)
		return 1;

	t0 = now_ns();
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpus < 1 || ncpus > MAX_CPUS)
		ncpus = ncpus < 1 ? 1 : MAX_CPUS;
	if (pthread_create(&ctl, NULL, control, &ctl_fd)) {
		fprintf(stderr, "redis_latency: cannot start a thread\n");
		return 1;
	}
	for (i = 0; i < ncpus; i++) {
		if (pthread_create(&tick[i], NULL, ticker, (void *)(long)i)) {
			fprintf(stderr, "redis_latency: cannot start a thread\n");
			return 1;
		}
	}
	run_load(conns, t0 + (uint64_t)(duration_s * 1e9));
	atomic_store(&stop, 1);
	pthread_join(ctl, NULL);
	for (i = 0; i < ncpus; i++)
		pthread_join(tick[i], NULL);

	fprintf(stderr, "redis_latency: %zu requests in %.1f s (%.0f/s), %lu error replies, %d BGSAVEs, %d CPU stalls\n",
		nreqs, (now_ns() - t0) / 1e9, nreqs / ((now_ns() - t0) / 1e9),
		nerrors, saves_done, atomic_load(&ngaps));
	if (req_path && write_requests(req_path)) {
		perror(req_path);
		return 1;
	}
	if (save_path && write_saves(save_path)) {
		perror(save_path);
		return 1;
	}
	if (gap_path && write_gaps(gap_path)) {
		perror(gap_path);
		return 1;
	}
	if (nerrors)
		fail("%lu error replies", nerrors);
	if (saves_done < nsaves && !atomic_load(&failed))
		fail("only %d of %d BGSAVEs done", saves_done, nsaves);
	return atomic_load(&failed) ? 1 : 0;
}
