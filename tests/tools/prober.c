// SPDX-License-Identifier: GPL-2.0
/*
 * prober: sequence-numbered UDP probes for outage measurements.
 *
 *   prober send --dst ADDR:PORT [--src ADDR[:PORT]] [--interval-us N]
 *               [--duration S] [--size BYTES] [--out FILE]
 *   prober recv --bind ADDR:PORT [--duration S] --out FILE
 *
 * The sender puts a magic, a sequence number (0, 1, 2, ...) and its
 * CLOCK_MONOTONIC send time into every packet, one packet every
 * --interval-us microseconds on an absolute schedule (a late sender does not
 * send a burst to catch up, it goes on from "now"; sequence numbers stay
 * contiguous, so every gap in them is a lost packet).  A failed send (e.g.
 * EAGAIN while no SA matches, ENETUNREACH while routes change) still uses
 * up its sequence number; with --out the sender writes one line
 * "seq send_ns -errno" per failed send.
 *
 * The receiver writes one line per packet, "seq send_ns recv_ns", where
 * recv_ns is the kernel's receive timestamp (SO_TIMESTAMPNS, taken when the
 * packet entered the receiving stack, i.e. when the outer ESP packet was
 * queued on the receiving interface) converted from CLOCK_REALTIME to
 * CLOCK_MONOTONIC.  The conversion uses the REALTIME-MONOTONIC offset
 * sampled at start and at the end (each sample brackets one MONOTONIC read
 * by two REALTIME reads); both offsets, their difference and the
 * BOOTTIME-MONOTONIC offset (to compare with xfrm_mobility's CLOCK_BOOTTIME
 * event times) are written as "#" comment lines.  Without NTP or a clock
 * step the offset does not change; if it moves by more than 100 us during
 * the run the receiver warns on stderr.  A packet that comes without a
 * timestamp (should not happen) is stamped with clock_gettime(MONOTONIC)
 * right after recvmsg() and counted in the "# user-stamped" line.
 *
 * All network namespaces of one machine share these clocks, so send_ns and
 * recv_ns of different namespaces can be subtracted: one-way delays are
 * exact.
 *
 * Both modes run for --duration seconds (0: until SIGINT/SIGTERM) and print
 * a one-line summary on stderr.  Exit status: 0 ok, 1 runtime error, 2 usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROBE_MAGIC	0x78707262U	/* "xprb" */
#define PROBE_MIN	24
#define PROBE_MAX	1400

struct probe_hdr {
	uint32_t magic;
	uint32_t pad;
	uint64_t seq;
	uint64_t send_ns;
} __attribute__((packed));

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f, int status)
{
	fprintf(f,
		"usage: prober send --dst ADDR:PORT [--src ADDR[:PORT]] [--interval-us N]\n"
		"                   [--duration S] [--size BYTES] [--out FILE]\n"
		"       prober recv --bind ADDR:PORT [--duration S] --out FILE\n"
		"ADDR is IPv4 or IPv6 ([ADDR]:PORT); --duration 0 runs until SIGINT/SIGTERM.\n");
	exit(status);
}

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts_ns(&ts);
}

/* REALTIME - MONOTONIC, from the tightest of a few bracketing samples. */
static int64_t realtime_offset(void)
{
	int64_t best_off = 0, best_w = INT64_MAX;
	int i;

	for (i = 0; i < 16; i++) {
		int64_t r1 = now_ns(CLOCK_REALTIME);
		int64_t m = now_ns(CLOCK_MONOTONIC);
		int64_t r2 = now_ns(CLOCK_REALTIME);

		if (r2 - r1 < best_w) {
			best_w = r2 - r1;
			best_off = r1 + (r2 - r1) / 2 - m;
		}
	}
	return best_off;
}

static int64_t boottime_offset(void)
{
	int64_t m1 = now_ns(CLOCK_MONOTONIC);
	int64_t b = now_ns(CLOCK_BOOTTIME);
	int64_t m2 = now_ns(CLOCK_MONOTONIC);

	return b - (m1 + (m2 - m1) / 2);
}

/*
 * Parse "ADDR", "ADDR:PORT", "[V6]:PORT" or a bare IPv6 address into @ss.
 * @need_port: a port must be given.
 */
static int parse_sockaddr(const char *arg, bool need_port,
			  struct sockaddr_storage *ss, socklen_t *len)
{
	char buf[INET6_ADDRSTRLEN + 8], *host = buf, *port = NULL, *end;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	unsigned long p = 0;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	if (buf[0] == '[') {
		host = buf + 1;
		end = strchr(host, ']');
		if (!end)
			return -1;
		*end = '\0';
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return -1;
	} else if (strchr(buf, ':') == strrchr(buf, ':') && strchr(buf, ':')) {
		port = strchr(buf, ':');
		*port++ = '\0';
	}
	if (port) {
		errno = 0;
		p = strtoul(port, &end, 10);
		if (errno || *end || !*port || p > 65535)
			return -1;
	} else if (need_port) {
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static double parse_num(const char *opt, const char *arg, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || *end || end == arg || v < min || v > max) {
		fprintf(stderr, "prober: bad value for --%s: %s\n", opt, arg);
		exit(2);
	}
	return v;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static FILE *open_out(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "prober: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	/* One write per 256 KiB: keep file I/O out of the probe schedule. */
	setvbuf(f, NULL, _IOFBF, 1 << 18);
	return f;
}

static int do_send(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "src", required_argument, NULL, 's' },
		{ "interval-us", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 't' },
		{ "size", required_argument, NULL, 'z' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_storage dst, src;
	socklen_t dlen = 0, slen = 0;
	bool have_dst = false, have_src = false;
	double duration = 10, interval_us = 2000;
	size_t size = 64;
	const char *out = NULL;
	unsigned char buf[PROBE_MAX];
	struct probe_hdr h;
	uint64_t seq = 0, errors = 0, late = 0, first_err = 0, last_err = 0;
	int64_t start, end, next, interval;
	int c, fd, last_errno = 0;
	FILE *of = NULL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_sockaddr(optarg, true, &dst, &dlen)) {
				fprintf(stderr, "prober: bad --dst %s\n", optarg);
				return 2;
			}
			have_dst = true;
			break;
		case 's':
			if (parse_sockaddr(optarg, false, &src, &slen)) {
				fprintf(stderr, "prober: bad --src %s\n", optarg);
				return 2;
			}
			have_src = true;
			break;
		case 'i':
			interval_us = parse_num("interval-us", optarg, 10, 10e6);
			break;
		case 't':
			duration = parse_num("duration", optarg, 0, 1e7);
			break;
		case 'z':
			size = (size_t)parse_num("size", optarg, PROBE_MIN, PROBE_MAX);
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc || !have_dst)
		usage(stderr, 2);
	if (have_src && src.ss_family != dst.ss_family) {
		fprintf(stderr, "prober: --src and --dst differ in address family\n");
		return 2;
	}

	fd = socket(dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("prober: socket");
		return 1;
	}
	if (have_src && bind(fd, (struct sockaddr *)&src, slen) < 0) {
		perror("prober: bind --src");
		return 1;
	}
	/*
	 * Not connect()ed: a connected socket caches the route and its
	 * xfrm bundle, and an error while routes change would be reported
	 * asynchronously on a later send; sendto() resolves every packet.
	 */
	if (out)
		of = open_out(out);
	install_signals();

	memset(buf, 0, sizeof(buf));
	interval = (int64_t)(interval_us * 1000);
	start = now_ns(CLOCK_MONOTONIC);
	end = duration > 0 ? start + (int64_t)(duration * 1e9) : INT64_MAX;
	next = start;
	while (!stop) {
		struct timespec ts = {
			.tv_sec = next / 1000000000,
			.tv_nsec = next % 1000000000,
		};
		int64_t t;

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			if (stop)
				goto done;
		t = now_ns(CLOCK_MONOTONIC);
		if (t >= end)
			break;
		h.magic = htonl(PROBE_MAGIC);
		h.pad = 0;
		h.seq = seq;
		h.send_ns = (uint64_t)t;
		memcpy(buf, &h, sizeof(h));
		if (sendto(fd, buf, size, 0, (struct sockaddr *)&dst, dlen) < 0) {
			if (!errors++)
				first_err = seq;
			last_err = seq;
			last_errno = errno;
			if (of)
				fprintf(of, "%" PRIu64 " %" PRId64 " %d\n", seq, t, -errno);
		}
		seq++;
		next += interval;
		/* Woken too late: no burst, carry on from now. */
		if (next < t) {
			late++;
			next = t;
		}
	}
done:
	if (of && fclose(of)) {
		perror("prober: write");
		return 1;
	}
	fprintf(stderr, "prober send: %" PRIu64 " sent, %" PRIu64 " failed", seq, errors);
	if (errors)
		fprintf(stderr, " (seq %" PRIu64 "..%" PRIu64 ", last: %s)",
			first_err, last_err, strerror(last_errno));
	fprintf(stderr, ", %" PRIu64 " late wake-ups\n", late);
	close(fd);
	return 0;
}

static int do_recv(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, 't' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_storage addr;
	socklen_t alen = 0;
	bool have_bind = false;
	double duration = 10;
	const char *out = NULL;
	unsigned char buf[2048];
	char cbuf[CMSG_SPACE(sizeof(struct timespec)) * 2];
	uint64_t count = 0, bad = 0, user_stamped = 0, max_seq = 0;
	int64_t off0, off1, boff, end, sum_lag = 0;
	int c, fd, one = 1;
	FILE *of;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (parse_sockaddr(optarg, true, &addr, &alen)) {
				fprintf(stderr, "prober: bad --bind %s\n", optarg);
				return 2;
			}
			have_bind = true;
			break;
		case 't':
			duration = parse_num("duration", optarg, 0, 1e7);
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc || !have_bind || !out)
		usage(stderr, 2);

	fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("prober: socket");
		return 1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0) {
		perror("prober: SO_TIMESTAMPNS");
		return 1;
	}
	/* Room for a few seconds of probes should the reader stall. */
	{
		int rcvbuf = 4 << 20;

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	}
	if (bind(fd, (struct sockaddr *)&addr, alen) < 0) {
		perror("prober: bind");
		return 1;
	}
	of = open_out(out);
	install_signals();

	off0 = realtime_offset();
	boff = boottime_offset();
	fprintf(of, "# prober recv: seq send_ns recv_ns (CLOCK_MONOTONIC ns; recv_ns = kernel SO_TIMESTAMPNS - realtime offset)\n");
	fprintf(of, "# realtime-monotonic-ns start %" PRId64 "\n", off0);
	fprintf(of, "# boottime-monotonic-ns %" PRId64 "\n", boff);
	fflush(of);

	end = duration > 0 ? now_ns(CLOCK_MONOTONIC) + (int64_t)(duration * 1e9) : INT64_MAX;
	while (!stop) {
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf,
			.msg_controllen = sizeof(cbuf),
		};
		struct cmsghdr *cm;
		struct probe_hdr h;
		int64_t now = now_ns(CLOCK_MONOTONIC), recv_ns = -1, user_ns;
		int64_t left = end - now;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int r;

		if (left <= 0)
			break;
		r = poll(&pfd, 1, left > 200000000 ? 200 : (int)(left / 1000000) + 1);
		if (r < 0 && errno != EINTR) {
			perror("prober: poll");
			return 1;
		}
		if (r <= 0)
			continue;
		n = recvmsg(fd, &msg, MSG_DONTWAIT);
		user_ns = now_ns(CLOCK_MONOTONIC);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			perror("prober: recvmsg");
			return 1;
		}
		if ((size_t)n < sizeof(h)) {
			bad++;
			continue;
		}
		memcpy(&h, buf, sizeof(h));
		if (ntohl(h.magic) != PROBE_MAGIC) {
			bad++;
			continue;
		}
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
				recv_ns = ts_ns(&ts) - off0;
			}
		}
		if (recv_ns < 0) {
			recv_ns = user_ns;
			user_stamped++;
		} else {
			sum_lag += user_ns - recv_ns;
		}
		fprintf(of, "%" PRIu64 " %" PRIu64 " %" PRId64 "\n", h.seq, h.send_ns, recv_ns);
		if (h.seq > max_seq)
			max_seq = h.seq;
		count++;
	}
	off1 = realtime_offset();
	fprintf(of, "# realtime-monotonic-ns end %" PRId64 " drift %" PRId64 "\n", off1, off1 - off0);
	fprintf(of, "# received %" PRIu64 " bad %" PRIu64 " user-stamped %" PRIu64 "\n",
		count, bad, user_stamped);
	if (fclose(of)) {
		perror("prober: write");
		return 1;
	}
	if (off1 - off0 > 100000 || off0 - off1 > 100000)
		fprintf(stderr, "prober recv: warning: REALTIME-MONOTONIC offset moved by %" PRId64 " ns during the run\n",
			off1 - off0);
	fprintf(stderr, "prober recv: %" PRIu64 " received (max seq %" PRIu64 "), %" PRIu64
		" malformed, %" PRIu64 " without kernel stamp, mean stamp-to-read lag %.1f us\n",
		count, max_seq, bad, user_stamped,
		count > user_stamped ? (double)sum_lag / (double)(count - user_stamped) / 1000 : 0.0);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage(stderr, 2);
	if (!strcmp(argv[1], "send"))
		return do_send(argc - 1, argv + 1);
	if (!strcmp(argv[1], "recv"))
		return do_recv(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		usage(stdout, 0);
	usage(stderr, 2);
	return 2;
}
