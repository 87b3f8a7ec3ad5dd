// SPDX-License-Identifier: GPL-2.0
/*
 * xmflood: numbered UDP datagrams as fast as the sender can, and a
 * receiver that counts each number at most once.
 *
 *   xmflood send --dst ADDR:PORT [--src ADDR] [--duration S] [--threads N]
 *                [--size B] [--pps N]
 *   xmflood recv --bind ADDR:PORT [--duration S]
 *
 * Every datagram carries a magic and a 64-bit id; the N sender threads
 * use disjoint ids (thread t sends t, t + N, t + 2N, ...), as fast as they
 * can or, with --pps, at about that many datagrams a second in all. Sends
 * that fail (no SA while an SA is being switched, a route being changed)
 * are counted and the sender goes on. The receiver keeps a bitmap of the ids
 * it got and counts the ones it got more than once: a datagram delivered
 * twice through an ESP tunnel means a replayed ESP packet was accepted.
 *
 * Both print one line of "key value" pairs on stdout:
 *   send: sent N failed N seconds S pps R
 *   recv: received N duplicates N first-dup ID seconds S
 * Exit status: 0 ok, 1 runtime error, 2 usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define XMF_MAGIC	0x584d464cU	/* "XMFL" */
#define XMF_BATCH	32
#define XMF_MAX_IDS	(1ULL << 28)

struct xmf_hdr {
	uint32_t magic;
	uint32_t pad;
	uint64_t id;
};

static volatile sig_atomic_t stop;
static struct sockaddr_in addr, src;
static double duration = 5;
static unsigned int threads = 1, size = 64, pps;

struct sender {
	pthread_t tid;
	unsigned int index;
	uint64_t sent, failed;
	int err;
};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_addr(const char *s, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	long port;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, colon - s);
	host[colon - s] = '\0';
	port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535)
		return -1;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

static void *send_loop(void *arg)
{
	struct sender *s = arg;
	unsigned char buf[XMF_BATCH][1500];
	struct mmsghdr msgs[XMF_BATCH];
	struct iovec iov[XMF_BATCH];
	uint64_t id = s->index;
	double start = now(), end = start + duration;
	int fd, i, n;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 ||
	    (src.sin_family && bind(fd, (struct sockaddr *)&src, sizeof(src))) ||
	    connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		s->err = errno;
		return NULL;
	}
	memset(buf, 0, sizeof(buf));
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < XMF_BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!stop && now() < end) {
		for (i = 0; i < XMF_BATCH; i++) {
			struct xmf_hdr h = { .magic = htonl(XMF_MAGIC) };

			h.id = id + (uint64_t)i * threads;
			memcpy(buf[i], &h, sizeof(h));
		}
		if (pps) {
			/* This thread's share, on an absolute schedule. */
			double due = start + (double)(s->sent + s->failed) *
					     threads / pps;
			double wait = due - now();

			if (wait > 0)
				usleep(wait * 1e6);
		}
		n = sendmmsg(fd, msgs, pps ? 1 : XMF_BATCH, 0);
		if (n <= 0) {
			/* The first datagram failed: count it, go on. */
			s->failed++;
			id += threads;
			continue;
		}
		s->sent += n;
		id += (uint64_t)n * threads;
	}
	close(fd);
	return NULL;
}

static int do_send(void)
{
	struct sender *s = calloc(threads, sizeof(*s));
	uint64_t sent = 0, failed = 0;
	double t0 = now(), t;
	unsigned int i;

	if (!s)
		return 1;
	for (i = 0; i < threads; i++) {
		s[i].index = i;
		if (pthread_create(&s[i].tid, NULL, send_loop, &s[i]))
			return 1;
	}
	for (i = 0; i < threads; i++) {
		pthread_join(s[i].tid, NULL);
		if (s[i].err) {
			fprintf(stderr, "xmflood: socket: %s\n", strerror(s[i].err));
			return 1;
		}
		sent += s[i].sent;
		failed += s[i].failed;
	}
	t = now() - t0;
	printf("sent %" PRIu64 " failed %" PRIu64 " seconds %.2f pps %.0f\n",
	       sent, failed, t, t > 0 ? sent / t : 0);
	free(s);
	return 0;
}

static int do_recv(void)
{
	uint64_t *seen = calloc(XMF_MAX_IDS / 64, sizeof(uint64_t));
	uint64_t received = 0, dups = 0, first_dup = 0;
	double t0 = now(), end = t0 + duration;
	unsigned char buf[2048];
	struct pollfd pfd;
	int fd, one = 1;

	if (!seen)
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	one = 1 << 22;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "xmflood: bind: %s\n", strerror(errno));
		return 1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!stop) {
		double left = end - now();
		struct xmf_hdr h;
		ssize_t n;

		if (left <= 0)
			break;
		if (poll(&pfd, 1, left * 1000 > 200 ? 200 : left * 1000 + 1) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < (ssize_t)sizeof(h))
			continue;
		memcpy(&h, buf, sizeof(h));
		if (ntohl(h.magic) != XMF_MAGIC || h.id >= XMF_MAX_IDS)
			continue;
		received++;
		if (seen[h.id / 64] & (1ULL << (h.id % 64))) {
			if (!dups++)
				first_dup = h.id;
		}
		seen[h.id / 64] |= 1ULL << (h.id % 64);
	}
	printf("received %" PRIu64 " duplicates %" PRIu64 " first-dup %" PRIu64
	       " seconds %.2f\n", received, dups, first_dup, now() - t0);
	close(fd);
	free(seen);
	return 0;
}

static void usage(void)
{
	fputs("usage: xmflood send --dst ADDR:PORT [--src ADDR] [--duration S] [--threads N]\n"
	      "                    [--size B] [--pps N]\n"
	      "       xmflood recv --bind ADDR:PORT [--duration S]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "bind", required_argument, NULL, 'b' },
		{ "src", required_argument, NULL, 'S' },
		{ "duration", required_argument, NULL, 't' },
		{ "threads", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "pps", required_argument, NULL, 'p' },
		{}
	};
	bool sender;
	int c;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "send"))
		sender = true;
	else if (!strcmp(argv[1], "recv"))
		sender = false;
	else
		usage();
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
		case 'b':
			if (parse_addr(optarg, &addr))
				usage();
			break;
		case 'S':
			src.sin_family = AF_INET;
			if (inet_pton(AF_INET, optarg, &src.sin_addr) != 1)
				usage();
			break;
		case 't':
			duration = atof(optarg);
			break;
		case 'n':
			threads = atoi(optarg);
			break;
		case 's':
			size = atoi(optarg);
			break;
		case 'p':
			pps = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!addr.sin_port || !threads || threads > 64 ||
	    size < sizeof(struct xmf_hdr) || size > 1400 || duration <= 0)
		usage();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	return sender ? do_send() : do_recv();
}
