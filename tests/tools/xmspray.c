// SPDX-License-Identifier: GPL-2.0
/*
 * xmspray: unauthenticated input for the selftests (untrusted.sh): spoofed
 * ESP packets as fast as the sender can, device features, and an
 * ESP-in-UDP socket held open as an IKE daemon holds it.
 *
 *   xmspray send --to ADDR --kind probe|esp|udp [--from ADDR[,ADDR...]]
 *                [--spi SPI] [--seq N] [--count N] [--duration S]
 *                [--pps N] [--size B] [--sport P] [--dport P]
 *   xmspray features IFNAME FEATURE on|off [FEATURE on|off]...
 *   xmspray encap-sock [--port P] [--gro]
 *
 * send: IPv4 packets built whole (raw socket, IP_HDRINCL), so the outer
 * source is any address of --from, in turn. Kinds:
 *   probe  plain ESP (IP protocol 50) with the SPI 1 and an unprotected
 *          PROBE message (Documentation/wire-format.rst): ESP sequence
 *          number and message sequence number count up from --seq
 *          (default 1), a random nonce per packet;
 *   esp    plain ESP with SPI --spi, sequence numbers --seq, --seq + 1,
 *          ... (default 1000000: ahead of the SA's), --size random bytes
 *          after the ESP header (default 64: IV, data and an ICV that is
 *          no ICV);
 *   udp    the same in UDP from --sport to --dport (default 4500 both),
 *          UDP checksum zero.
 * It stops after --count packets or --duration seconds (default: 100000
 * packets), or on SIGINT/SIGTERM; with --pps it keeps to about that many
 * packets a second. A send that fails (a full queue) is counted, and the
 * sender goes on. Prints one line:
 *   sent N failed N seconds S pps R
 *
 * features: switch device features by the ethtool ioctl (no ethtool
 * binary needed): gro, tso (all TSO kinds), gso. Prints each feature's
 * state read back, "gro on".
 *
 * encap-sock: a UDP socket on 0.0.0.0:P (default 4500) in ESP-in-UDP mode
 * (UDP_ENCAP_ESPINUDP) and, with --gro, with UDP_GRO set, as charon opens
 * it on kernels with ESP-in-UDP GRO. Prints "ready" and holds it until
 * SIGINT/SIGTERM.
 *
 * Exit status: 0 ok, 1 runtime error, 2 usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef UDP_ENCAP
#define UDP_ENCAP		100
#endif
#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP	2
#endif
#ifndef UDP_GRO
#define UDP_GRO			104
#endif
#ifndef SOL_UDP
#define SOL_UDP			17
#endif

#define XS_BATCH	64
#define XS_MAX_SRC	16
#define XS_MAX_SIZE	1400
#define XS_PROBE_SPI	1
#define XS_MAGIC	0x584d
#define XS_VERSION	1
#define XS_MSG_PROBE	3
#define XS_HDR_LEN	20

enum kind { K_NONE, K_PROBE, K_ESP, K_UDP };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64*: cheap random bytes, seeded per run. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void rnd_fill(unsigned char *p, size_t n)
{
	uint64_t r;

	while (n >= 8) {
		r = rnd();
		memcpy(p, &r, 8);
		p += 8;
		n -= 8;
	}
	if (n) {
		r = rnd();
		memcpy(p, &r, n);
	}
}

static void put16(unsigned char *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, 2);
}

static void put32(unsigned char *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: xmspray send --to ADDR --kind probe|esp|udp [--from ADDR[,ADDR...]]\n"
		"                    [--spi SPI] [--seq N] [--count N] [--duration S]\n"
		"                    [--pps N] [--size B] [--sport P] [--dport P]\n"
		"       xmspray features IFNAME FEATURE on|off [FEATURE on|off]...\n"
		"       xmspray encap-sock [--port P] [--gro]\n");
	return 2;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || !*s || *end || *v > max ? -1 : 0;
}

/*
 * One packet of @kind into @buf (IPv4 header included); returns its
 * length.
 */
static size_t build(unsigned char *buf, enum kind kind, struct in_addr src,
		    struct in_addr dst, uint32_t spi, uint32_t seq,
		    unsigned int size, uint16_t sport, uint16_t dport)
{
	unsigned char *esp, *p;
	size_t len;

	memset(buf, 0, 28);
	buf[0] = 0x45;
	buf[8] = 64;
	buf[9] = kind == K_UDP ? IPPROTO_UDP : IPPROTO_ESP;
	memcpy(buf + 12, &src, 4);
	memcpy(buf + 16, &dst, 4);
	esp = buf + 20;
	if (kind == K_UDP)
		esp += 8;

	if (kind == K_PROBE) {
		put32(esp, XS_PROBE_SPI);
		put32(esp + 4, seq);
		p = esp + 8;
		put16(p, XS_MAGIC);
		p[2] = XS_VERSION;
		p[3] = XS_MSG_PROBE;
		put16(p + 4, XS_HDR_LEN);
		put16(p + 6, 0);
		put32(p + 8, seq);
		rnd_fill(p + 12, 8);
		len = esp + 8 + XS_HDR_LEN - buf;
	} else {
		put32(esp, spi);
		put32(esp + 4, seq);
		rnd_fill(esp + 8, size);
		len = esp + 8 + size - buf;
	}
	if (kind == K_UDP) {
		put16(buf + 20, sport);
		put16(buf + 22, dport);
		put16(buf + 24, len - 20);
		put16(buf + 26, 0);
	}
	put16(buf + 2, len);
	return len;
}

static int do_send(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "from", required_argument, NULL, 'f' },
		{ "kind", required_argument, NULL, 'k' },
		{ "spi", required_argument, NULL, 'i' },
		{ "seq", required_argument, NULL, 'q' },
		{ "count", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "pps", required_argument, NULL, 'r' },
		{ "size", required_argument, NULL, 's' },
		{ "sport", required_argument, NULL, 'S' },
		{ "dport", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	static unsigned char buf[XS_BATCH][XS_MAX_SIZE + 64];
	struct in_addr srcs[XS_MAX_SRC], dst = { 0 };
	uint64_t count = 100000, pps = 0, spi = 0, seq0 = 0, v;
	uint64_t sent = 0, failed = 0, seq;
	unsigned int nsrc = 0, size = 64, i, n;
	uint16_t sport = 4500, dport = 4500;
	struct mmsghdr msgs[XS_BATCH];
	struct iovec iov[XS_BATCH];
	struct sockaddr_in to = { .sin_family = AF_INET };
	enum kind kind = K_NONE;
	double duration = 0, t0, t;
	char *list, *tok, *save;
	bool have_seq = false, have_count = false;
	int fd, c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (inet_pton(AF_INET, optarg, &dst) != 1)
				return usage();
			break;
		case 'f':
			list = strdup(optarg);
			if (!list)
				return 1;
			for (tok = strtok_r(list, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				if (nsrc == XS_MAX_SRC ||
				    inet_pton(AF_INET, tok, &srcs[nsrc]) != 1)
					return usage();
				nsrc++;
			}
			free(list);
			break;
		case 'k':
			if (!strcmp(optarg, "probe"))
				kind = K_PROBE;
			else if (!strcmp(optarg, "esp"))
				kind = K_ESP;
			else if (!strcmp(optarg, "udp"))
				kind = K_UDP;
			else
				return usage();
			break;
		case 'i':
			if (parse_u64(optarg, UINT32_MAX, &spi))
				return usage();
			break;
		case 'q':
			if (parse_u64(optarg, UINT32_MAX, &seq0))
				return usage();
			have_seq = true;
			break;
		case 'c':
			if (parse_u64(optarg, UINT64_MAX, &count))
				return usage();
			have_count = true;
			break;
		case 'd':
			duration = strtod(optarg, NULL);
			if (duration <= 0)
				return usage();
			break;
		case 'r':
			if (parse_u64(optarg, 100000000, &pps))
				return usage();
			break;
		case 's':
			if (parse_u64(optarg, XS_MAX_SIZE, &v) || v < 8)
				return usage();
			size = v;
			break;
		case 'S':
			if (parse_u64(optarg, 65535, &v) || !v)
				return usage();
			sport = v;
			break;
		case 'D':
			if (parse_u64(optarg, 65535, &v) || !v)
				return usage();
			dport = v;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || kind == K_NONE || !dst.s_addr ||
	    (kind != K_PROBE && !spi))
		return usage();
	if (duration && !have_count)
		count = UINT64_MAX;
	if (!have_seq)
		seq0 = kind == K_PROBE ? 1 : 1000000;
	if (!nsrc)
		srcs[nsrc++].s_addr = 0;	/* the kernel picks */

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		fprintf(stderr, "xmspray: socket: %s\n", strerror(errno));
		return 1;
	}
	c = 1 << 22;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &c, sizeof(c));
	to.sin_addr = dst;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < XS_BATCH; i++) {
		iov[i].iov_base = buf[i];
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof(to);
	}
	rng_state = ((uint64_t)getpid() << 32) ^ (uint64_t)(now() * 1e9) ^
		    0x9e3779b97f4a7c15ULL;
	catch_signals();

	t0 = now();
	seq = seq0;
	while (!stop && sent + failed < count &&
	       (!duration || now() - t0 < duration)) {
		n = XS_BATCH;
		if (count - sent - failed < n)
			n = count - sent - failed;
		if (pps) {
			double due = t0 + (double)(sent + failed) / pps;
			double wait = due - now();

			/* Small batches at low rates, so the rate is even. */
			if (pps < 10000 && n > 8)
				n = 8;
			if (wait > 0)
				usleep(wait * 1e6);
		}
		for (i = 0; i < n; i++) {
			iov[i].iov_len = build(buf[i], kind,
					       srcs[(sent + failed + i) % nsrc],
					       dst, spi, seq + i, size, sport,
					       dport);
		}
		c = sendmmsg(fd, msgs, n, 0);
		if (c <= 0) {
			/* The first packet failed: count it, go on. */
			failed++;
			seq++;
			if (errno != ENOBUFS && errno != EAGAIN &&
			    errno != EINTR && errno != ENOMEM) {
				fprintf(stderr, "xmspray: sendmmsg: %s\n",
					strerror(errno));
				return 1;
			}
			continue;
		}
		sent += c;
		seq += c;
	}
	t = now() - t0;
	printf("sent %" PRIu64 " failed %" PRIu64 " seconds %.2f pps %.0f\n",
	       sent, failed, t, t > 0 ? sent / t : 0);
	close(fd);
	return 0;
}

static const struct feature {
	const char *name;
	uint32_t get, set;
} features[] = {
	{ "gro", ETHTOOL_GGRO, ETHTOOL_SGRO },
	{ "tso", ETHTOOL_GTSO, ETHTOOL_STSO },
	{ "gso", ETHTOOL_GGSO, ETHTOOL_SGSO },
};

static int ethtool_value(int fd, const char *ifname, uint32_t cmd,
			 uint32_t *data)
{
	struct ethtool_value ev = { .cmd = cmd, .data = *data };
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		return -1;
	*data = ev.data;
	return 0;
}

static int do_features(int argc, char **argv)
{
	const char *ifname;
	const struct feature *f;
	uint32_t data;
	int fd, i;
	size_t k;

	if (argc < 4 || argc % 2)
		return usage();
	ifname = argv[1];
	if (strlen(ifname) >= IFNAMSIZ)
		return usage();
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return 1;
	for (i = 2; i < argc; i += 2) {
		f = NULL;
		for (k = 0; k < sizeof(features) / sizeof(features[0]); k++)
			if (!strcmp(argv[i], features[k].name))
				f = &features[k];
		if (!f || (strcmp(argv[i + 1], "on") && strcmp(argv[i + 1], "off")))
			return usage();
		data = !strcmp(argv[i + 1], "on");
		if (ethtool_value(fd, ifname, f->set, &data)) {
			fprintf(stderr, "xmspray: %s %s: %s\n", ifname, f->name,
				strerror(errno));
			return 1;
		}
		data = 0;
		if (ethtool_value(fd, ifname, f->get, &data)) {
			fprintf(stderr, "xmspray: %s %s: %s\n", ifname, f->name,
				strerror(errno));
			return 1;
		}
		printf("%s %s\n", f->name, data ? "on" : "off");
	}
	close(fd);
	return 0;
}

static int do_encap_sock(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "gro", no_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd, c, one = 1, encap = UDP_ENCAP_ESPINUDP;
	bool gro = false;
	uint64_t v = 4500;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_u64(optarg, 65535, &v) || !v)
				return usage();
			break;
		case 'g':
			gro = true;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	sin.sin_port = htons(v);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    setsockopt(fd, SOL_UDP, UDP_ENCAP, &encap, sizeof(encap)) ||
	    (gro && setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one)))) {
		fprintf(stderr, "xmspray: encap socket: %s\n", strerror(errno));
		return 1;
	}
	catch_signals();
	printf("ready port %u%s\n", (unsigned int)v, gro ? " gro" : "");
	fflush(stdout);
	while (!stop)
		pause();
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "send"))
		return do_send(argc - 1, argv + 1);
	if (!strcmp(argv[1], "features"))
		return do_features(argc - 1, argv + 1);
	if (!strcmp(argv[1], "encap-sock"))
		return do_encap_sock(argc - 1, argv + 1);
	return usage();
}
