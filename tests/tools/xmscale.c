// SPDX-License-Identifier: GPL-2.0
/*
 * xmscale: bulk netlink requests for the scale benchmark (bench/scale.sh).
 *
 *   xmscale sa --count N --reqid R --local A --remote A [--remote-step K]
 *              --lnet A/P [--lnet-step K] --rnet A/P [--rnet-step K]
 *              --spi-out S --spi-in S [--encap udp|none] [--batch B]
 *   xmscale conn-add --count N --reqid R --role gateway|mobile
 *              [--keepalive S] [--prefix P] [--batch B]
 *   xmscale handover --count N --reqid R [--prefix P] [--batch B]
 *   xmscale dump
 *   xmscale watch --out FILE [--until TYPE:N] [--timeout S]
 *
 * Everything acts in the network namespace the tool runs in (use
 * "ip netns exec").  Connection number i (0 <= i < N) has reqid R + i,
 * name P<reqid> (P defaults to "c") and, for "sa", an ESP tunnel SA pair
 * (AES-GCM-128, anti-replay window 32, ESP-in-UDP 4500 unless --encap none)
 * between the local outer address and remote + i * K, out/in/fwd policies
 * between lnet + i * K and rnet + i * K (steps add to the address in host
 * order), outbound SPI S + i and inbound SPI S + i.
 *
 * Requests go out B per sendmsg() (default 200), each with NLM_F_ACK; the
 * tool then reads the acknowledgements of the whole batch.  That is one
 * process and a few hundred system calls for thousands of objects, instead
 * of one "ip" or "mobctl" exec per object.
 *
 * Output: "key=value" lines on stdout: count, errors, elapsed_s and per_s
 * for the bulk commands; for dump the connection count, the number in
 * state ok, summed counters and the dump time.  "watch" joins the module's
 * event group (with a large receive buffer), prints "ready" and writes one
 * line "time_ns type conn_id seq" per event to FILE; it stops after N
 * events of TYPE (e.g. sa-moved:1000), after S seconds, or on SIGTERM /
 * SIGINT, and then prints the number of events per type.
 *
 * Exit status: 0 if every request succeeded, 1 otherwise, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/ipsec.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <linux/xfrm_mobility.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "model.h"

#define TX_SIZE		(256 * 1024)
#define RX_SIZE		(64 * 1024)
#define RCVBUF		(32 * 1024 * 1024)
#define MAX_ERRS_SHOWN	5

static const char aead_name[] = "rfc4106(gcm(aes))";
/* 16 key bytes and a 4-byte salt, as the selftests' MOB_KEY_XY. */
static const unsigned char aead_key[20] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
};

/*
 * Event names come from mobctl's model (tools/mobctl/model.c, linked in);
 * types it does not know print as numbers.
 */
#define N_EVENTS	32
#define event_name(type) mob_event_str(type)


struct opts {
	unsigned int count;
	uint32_t reqid;
	uint32_t local, remote, lnet, rnet;	/* host order */
	uint8_t lplen, rplen;
	uint32_t remote_step, lnet_step, rnet_step;
	uint32_t spi_out, spi_in;
	bool encap;
	unsigned int batch;
	uint32_t role;
	int keepalive;			/* -1: module default */
	const char *prefix;
	const char *out;
	int until_type;
	unsigned int until_count;
	double timeout;
};

struct nlconn {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;		/* generic netlink family id */
	uint32_t grp;			/* events group */
	char *tx;
	size_t txlen;
	unsigned int pending;
	unsigned int errors;
	unsigned int done;
	char rx[RX_SIZE] __attribute__((aligned(8)));
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "xmscale: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct nlconn *nl_open(int bus)
{
	struct nlconn *nl = calloc(1, sizeof(*nl));
	int one = 1, size = RCVBUF;

	if (!nl)
		die("calloc");
	nl->tx = malloc(TX_SIZE);
	if (!nl->tx)
		die("malloc");
	nl->sock = mnl_socket_open(bus);
	if (!nl->sock)
		die("netlink socket");
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	/* Room for the acknowledgements of a whole batch, and for events. */
	if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUFFORCE,
		       &size, sizeof(size)) < 0)
		setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUF,
			   &size, sizeof(size));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		die("netlink bind");
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = time(NULL);
	return nl;
}

/* Start a message at the end of the batch buffer. */
static struct nlmsghdr *msg_start(struct nlconn *nl, uint16_t type,
				  uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->tx + nl->txlen);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

static void msg_end(struct nlconn *nl, struct nlmsghdr *nlh)
{
	nl->txlen += NLMSG_ALIGN(nlh->nlmsg_len);
	nl->pending++;
}

static void show_error(const struct nlmsghdr *nlh, int error)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	const char *msg = NULL;
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		mnl_attr_for_each(attr, nlh, off)
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
				msg = mnl_attr_get_str(attr);
	fprintf(stderr, "xmscale: request %u: %s%s%s\n", e->msg.nlmsg_seq,
		strerror(error), msg ? ": " : "", msg ? msg : "");
}

/*
 * Read until every pending request is acknowledged. @cb sees the other
 * messages (dump parts, replies).
 */
static void collect(struct nlconn *nl, mnl_cb_t cb, void *data, bool dump)
{
	while (nl->pending) {
		ssize_t len = mnl_socket_recvfrom(nl->sock, nl->rx,
						  sizeof(nl->rx));
		const struct nlmsghdr *nlh = (const void *)nl->rx;
		int rem = len;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			die("netlink receive");
		}
		for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				if (e->error) {
					if (nl->errors++ < MAX_ERRS_SHOWN)
						show_error(nlh, -e->error);
				} else {
					nl->done++;
				}
				nl->pending--;
			} else if (nlh->nlmsg_type == NLMSG_DONE) {
				if (dump)
					nl->pending--;
			} else if (cb) {
				cb(nlh, data);
			}
		}
	}
}

static void flush(struct nlconn *nl)
{
	if (!nl->txlen)
		return;
	if (mnl_socket_sendto(nl->sock, nl->tx, nl->txlen) < 0)
		die("netlink send");
	nl->txlen = 0;
	collect(nl, NULL, NULL, false);
}

/* Flush when the batch is full or the next message might not fit. */
static void maybe_flush(struct nlconn *nl, unsigned int batch)
{
	if (nl->pending >= batch || nl->txlen > TX_SIZE - 2048)
		flush(nl);
}

/* --- XFRM ---------------------------------------------------------------- */

static void fill_lft(struct xfrm_lifetime_cfg *lft)
{
	lft->soft_byte_limit = XFRM_INF;
	lft->hard_byte_limit = XFRM_INF;
	lft->soft_packet_limit = XFRM_INF;
	lft->hard_packet_limit = XFRM_INF;
}

static void put_sa(struct nlconn *nl, const struct opts *o, uint32_t src,
		   uint32_t dst, uint32_t spi, uint32_t reqid)
{
	struct nlmsghdr *nlh = msg_start(nl, XFRM_MSG_NEWSA, NLM_F_ACK |
					 NLM_F_CREATE | NLM_F_EXCL);
	struct xfrm_usersa_info *p = mnl_nlmsg_put_extra_header(nlh, sizeof(*p));
	struct xfrm_algo_aead *aead;
	char buf[sizeof(*aead) + sizeof(aead_key)];

	p->id.daddr.a4 = htonl(dst);
	p->id.spi = htonl(spi);
	p->id.proto = IPPROTO_ESP;
	p->saddr.a4 = htonl(src);
	fill_lft(&p->lft);
	p->reqid = reqid;
	p->family = AF_INET;
	p->mode = XFRM_MODE_TUNNEL;
	p->replay_window = 32;

	memset(buf, 0, sizeof(buf));
	aead = (struct xfrm_algo_aead *)buf;
	strcpy(aead->alg_name, aead_name);
	aead->alg_key_len = sizeof(aead_key) * 8;
	aead->alg_icv_len = 128;
	memcpy(aead->alg_key, aead_key, sizeof(aead_key));
	mnl_attr_put(nlh, XFRMA_ALG_AEAD, sizeof(buf), buf);
	if (o->encap) {
		struct xfrm_encap_tmpl e = {
			.encap_type = UDP_ENCAP_ESPINUDP,
			.encap_sport = htons(4500),
			.encap_dport = htons(4500),
		};

		mnl_attr_put(nlh, XFRMA_ENCAP, sizeof(e), &e);
	}
	msg_end(nl, nlh);
}

static void put_policy(struct nlconn *nl, uint8_t dir, uint32_t src,
		       uint8_t splen, uint32_t dst, uint8_t dplen,
		       uint32_t tsrc, uint32_t tdst, uint32_t reqid)
{
	struct nlmsghdr *nlh = msg_start(nl, XFRM_MSG_NEWPOLICY, NLM_F_ACK |
					 NLM_F_CREATE | NLM_F_EXCL);
	struct xfrm_userpolicy_info *p = mnl_nlmsg_put_extra_header(nlh, sizeof(*p));
	struct xfrm_user_tmpl t = {};

	p->sel.family = AF_INET;
	p->sel.saddr.a4 = htonl(src);
	p->sel.daddr.a4 = htonl(dst);
	p->sel.prefixlen_s = splen;
	p->sel.prefixlen_d = dplen;
	fill_lft(&p->lft);
	p->dir = dir;
	p->action = XFRM_POLICY_ALLOW;

	t.id.daddr.a4 = htonl(tdst);
	t.id.proto = IPPROTO_ESP;
	t.family = AF_INET;
	t.saddr.a4 = htonl(tsrc);
	t.reqid = reqid;
	t.mode = XFRM_MODE_TUNNEL;
	t.aalgos = ~0U;
	t.ealgos = ~0U;
	t.calgos = ~0U;
	mnl_attr_put(nlh, XFRMA_TMPL, sizeof(t), &t);
	msg_end(nl, nlh);
}

static uint32_t mask(uint32_t a, uint8_t plen)
{
	return plen ? a & (~0U << (32 - plen)) : 0;
}

static int cmd_sa(const struct opts *o)
{
	struct nlconn *nl = nl_open(NETLINK_XFRM);
	unsigned int i;
	double t0, dt;

	t0 = now_s();
	for (i = 0; i < o->count; i++) {
		uint32_t reqid = o->reqid + i;
		uint32_t r = o->remote + i * o->remote_step;
		uint32_t ln = mask(o->lnet + i * o->lnet_step, o->lplen);
		uint32_t rn = mask(o->rnet + i * o->rnet_step, o->rplen);

		put_sa(nl, o, o->local, r, o->spi_out + i, reqid);
		put_sa(nl, o, r, o->local, o->spi_in + i, reqid);
		put_policy(nl, XFRM_POLICY_OUT, ln, o->lplen, rn, o->rplen,
			   o->local, r, reqid);
		put_policy(nl, XFRM_POLICY_IN, rn, o->rplen, ln, o->lplen,
			   r, o->local, reqid);
		put_policy(nl, XFRM_POLICY_FWD, rn, o->rplen, ln, o->lplen,
			   r, o->local, reqid);
		maybe_flush(nl, o->batch);
	}
	flush(nl);
	dt = now_s() - t0;
	printf("count=%u\nrequests=%u\nerrors=%u\nelapsed_s=%.3f\nper_s=%.1f\n",
	       o->count, nl->done + nl->errors, nl->errors, dt,
	       dt > 0 ? o->count / dt : 0.0);
	return nl->errors ? 1 : 0;
}

/* --- generic netlink --------------------------------------------------- */

static int grp_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= CTRL_ATTR_MCAST_GRP_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int family_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= CTRL_ATTR_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = {};
	struct nlconn *nl = data;
	const struct nlattr *grp;

	mnl_attr_parse(nlh, GENL_HDRLEN, family_attr_cb, tb);
	if (tb[CTRL_ATTR_FAMILY_ID])
		nl->family = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return MNL_CB_OK;
	mnl_attr_for_each_nested(grp, tb[CTRL_ATTR_MCAST_GROUPS]) {
		const struct nlattr *g[CTRL_ATTR_MCAST_GRP_MAX + 1] = {};

		mnl_attr_parse_nested(grp, grp_cb, g);
		if (g[CTRL_ATTR_MCAST_GRP_NAME] && g[CTRL_ATTR_MCAST_GRP_ID] &&
		    !strcmp(mnl_attr_get_str(g[CTRL_ATTR_MCAST_GRP_NAME]),
			    XFRM_MOBILITY_MCGRP_EVENTS))
			nl->grp = mnl_attr_get_u32(g[CTRL_ATTR_MCAST_GRP_ID]);
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *genl_start(struct nlconn *nl, uint16_t type,
				   uint8_t cmd, uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = msg_start(nl, type, flags);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	g->cmd = cmd;
	g->version = version;
	return nlh;
}

static struct nlconn *genl_open(void)
{
	struct nlconn *nl = nl_open(NETLINK_GENERIC);
	struct nlmsghdr *nlh;

	nlh = genl_start(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, XFRM_MOBILITY_FAMILY_NAME);
	msg_end(nl, nlh);
	if (mnl_socket_sendto(nl->sock, nl->tx, nl->txlen) < 0)
		die("netlink send");
	nl->txlen = 0;
	collect(nl, family_cb, nl, false);
	if (!nl->family) {
		fprintf(stderr, "xmscale: family " XFRM_MOBILITY_FAMILY_NAME
			" not found (module not loaded?)\n");
		exit(1);
	}
	nl->done = 0;
	return nl;
}

static void put_name(struct nlmsghdr *nlh, const struct opts *o, uint32_t reqid)
{
	char name[XFRM_MOBILITY_NAME_MAX_LEN];

	snprintf(name, sizeof(name), "%s%u", o->prefix, reqid);
	mnl_attr_put_strz(nlh, XFRM_MOBILITY_A_CONN_NAME, name);
}

static int cmd_conn(const struct opts *o, bool add)
{
	struct nlconn *nl = genl_open();
	unsigned int i;
	double t0, dt;

	t0 = now_s();
	for (i = 0; i < o->count; i++) {
		uint32_t reqid = o->reqid + i;
		struct nlmsghdr *nlh;

		nlh = genl_start(nl, nl->family, add ? XFRM_MOBILITY_CMD_CONN_ADD :
				 XFRM_MOBILITY_CMD_HANDOVER,
				 XFRM_MOBILITY_FAMILY_VERSION, NLM_F_ACK);
		put_name(nlh, o, reqid);
		if (add) {
			mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_REQID, reqid);
			mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_ROLE, o->role);
			if (o->keepalive >= 0)
				mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_KEEPALIVE,
						 o->keepalive);
		}
		msg_end(nl, nlh);
		maybe_flush(nl, o->batch);
	}
	flush(nl);
	dt = now_s() - t0;
	printf("count=%u\nerrors=%u\nelapsed_s=%.3f\nper_s=%.1f\n",
	       o->count, nl->errors, dt, dt > 0 ? o->count / dt : 0.0);
	return nl->errors ? 1 : 0;
}

struct dump_sum {
	unsigned long conns, ok;
	unsigned long long stats[XFRM_MOBILITY_A_STATS_MAX + 1];
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= XFRM_MOBILITY_A_CONN_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[XFRM_MOBILITY_A_CONN_MAX + 1] = {};
	struct dump_sum *s = data;
	const struct nlattr *a;

	mnl_attr_parse(nlh, GENL_HDRLEN, attr_cb, tb);
	s->conns++;
	if (tb[XFRM_MOBILITY_A_CONN_STATE] &&
	    mnl_attr_get_u32(tb[XFRM_MOBILITY_A_CONN_STATE]) ==
	    XFRM_MOBILITY_CONN_STATE_OK)
		s->ok++;
	if (!tb[XFRM_MOBILITY_A_CONN_STATS])
		return MNL_CB_OK;
	mnl_attr_for_each_nested(a, tb[XFRM_MOBILITY_A_CONN_STATS]) {
		uint16_t t = mnl_attr_get_type(a);

		if (t <= XFRM_MOBILITY_A_STATS_MAX &&
		    mnl_attr_get_payload_len(a) == sizeof(uint64_t))
			s->stats[t] += mnl_attr_get_u64(a);
	}
	return MNL_CB_OK;
}

static int cmd_dump(void)
{
	struct nlconn *nl = genl_open();
	struct dump_sum s = {};
	struct nlmsghdr *nlh;
	double t0, dt;

	nlh = genl_start(nl, nl->family, XFRM_MOBILITY_CMD_CONN_GET,
			 XFRM_MOBILITY_FAMILY_VERSION, NLM_F_DUMP);
	msg_end(nl, nlh);
	t0 = now_s();
	if (mnl_socket_sendto(nl->sock, nl->tx, nl->txlen) < 0)
		die("netlink send");
	nl->txlen = 0;
	collect(nl, dump_cb, &s, true);
	dt = now_s() - t0;
	printf("conns=%lu\nstate_ok=%lu\nrreq_tx=%llu\nrreq_rx=%llu\nrrep_tx=%llu\n"
	       "rrep_rx=%llu\nretransmits=%llu\nmoves=%llu\ndrop_no_tuple=%llu\n"
	       "drop_stale=%llu\ntx_errors=%llu\nelapsed_s=%.3f\n",
	       s.conns, s.ok, s.stats[XFRM_MOBILITY_A_STATS_RREQ_TX],
	       s.stats[XFRM_MOBILITY_A_STATS_RREQ_RX],
	       s.stats[XFRM_MOBILITY_A_STATS_RREP_TX],
	       s.stats[XFRM_MOBILITY_A_STATS_RREP_RX],
	       s.stats[XFRM_MOBILITY_A_STATS_RETRANSMITS],
	       s.stats[XFRM_MOBILITY_A_STATS_MOVES],
	       s.stats[XFRM_MOBILITY_A_STATS_DROP_NO_TUPLE],
	       s.stats[XFRM_MOBILITY_A_STATS_DROP_STALE],
	       s.stats[XFRM_MOBILITY_A_STATS_TX_ERRORS], dt);
	return nl->errors ? 1 : 0;
}

struct watch {
	FILE *out;
	unsigned long n[N_EVENTS];
	const struct opts *o;
};

static int event_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= XFRM_MOBILITY_A_EVENT_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[XFRM_MOBILITY_A_EVENT_MAX + 1] = {};
	struct watch *w = data;
	uint32_t type;

	mnl_attr_parse(nlh, GENL_HDRLEN, event_attr_cb, tb);
	if (!tb[XFRM_MOBILITY_A_EVENT_TYPE] || !tb[XFRM_MOBILITY_A_EVENT_TIME_NS])
		return MNL_CB_OK;
	type = mnl_attr_get_u32(tb[XFRM_MOBILITY_A_EVENT_TYPE]);
	if (type >= N_EVENTS)
		return MNL_CB_OK;
	w->n[type]++;
	fprintf(w->out, "%llu %s %u %u\n",
		(unsigned long long)mnl_attr_get_u64(tb[XFRM_MOBILITY_A_EVENT_TIME_NS]),
		event_name(type),
		tb[XFRM_MOBILITY_A_EVENT_CONN_ID] ?
		mnl_attr_get_u32(tb[XFRM_MOBILITY_A_EVENT_CONN_ID]) : 0,
		tb[XFRM_MOBILITY_A_EVENT_SEQ] ?
		mnl_attr_get_u32(tb[XFRM_MOBILITY_A_EVENT_SEQ]) : 0);
	return MNL_CB_OK;
}

static int cmd_watch(const struct opts *o)
{
	struct nlconn *nl = genl_open();
	struct watch w = { .o = o };
	unsigned long lost = 0;
	int fd = mnl_socket_get_fd(nl->sock);
	double end = o->timeout > 0 ? now_s() + o->timeout : 0;
	unsigned int i;

	w.out = fopen(o->out, "w");
	if (!w.out)
		die(o->out);
	/* Scripts poll the file while the watcher runs. */
	setvbuf(w.out, NULL, _IOLBF, 0);
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &nl->grp,
				  sizeof(nl->grp)) < 0)
		die("join events group");
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		const struct nlmsghdr *nlh;
		ssize_t len;
		int rem;

		if (o->until_type >= 0 && w.n[o->until_type] >= o->until_count)
			break;
		if (end && now_s() >= end)
			break;
		if (poll(&p, 1, 100) <= 0)
			continue;
		len = recv(fd, nl->rx, sizeof(nl->rx), MSG_DONTWAIT);
		if (len < 0) {
			if (errno == ENOBUFS)
				lost++;
			else if (errno != EAGAIN && errno != EINTR)
				die("netlink receive");
			continue;
		}
		nlh = (const void *)nl->rx;
		rem = len;
		for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem))
			if (nlh->nlmsg_type == nl->family)
				event_cb(nlh, &w);
	}
	fclose(w.out);
	for (i = 0; i < N_EVENTS; i++)
		if (w.n[i])
			printf("%s=%lu\n", event_name(i), w.n[i]);
	printf("overruns=%lu\n", lost);
	return lost ? 1 : 0;
}

/* --- options -------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
		"usage: xmscale sa --count N --reqid R --local A --remote A [--remote-step K]\n"
		"                  --lnet A/P [--lnet-step K] --rnet A/P [--rnet-step K]\n"
		"                  --spi-out S --spi-in S [--encap udp|none] [--batch B]\n"
		"       xmscale conn-add --count N --reqid R --role gateway|mobile\n"
		"                  [--keepalive S] [--prefix P] [--batch B]\n"
		"       xmscale handover --count N --reqid R [--prefix P] [--batch B]\n"
		"       xmscale dump\n"
		"       xmscale watch --out FILE [--until TYPE:N] [--timeout S]\n");
	exit(2);
}

static uint32_t parse_addr(const char *s, uint8_t *plen)
{
	char buf[64], *slash;
	struct in_addr a;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (!plen)
			usage();
		*plen = atoi(slash + 1);
		if (*plen > 32)
			usage();
	} else if (plen) {
		*plen = 32;
	}
	if (inet_pton(AF_INET, buf, &a) != 1) {
		fprintf(stderr, "xmscale: bad IPv4 address %s\n", s);
		exit(2);
	}
	return ntohl(a.s_addr);
}

static uint32_t parse_u32(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > UINT32_MAX) {
		fprintf(stderr, "xmscale: bad number %s\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "count", 1, NULL, 'n' }, { "reqid", 1, NULL, 'r' },
		{ "local", 1, NULL, 'l' }, { "remote", 1, NULL, 'R' },
		{ "remote-step", 1, NULL, 'S' }, { "lnet", 1, NULL, 'a' },
		{ "lnet-step", 1, NULL, 'A' }, { "rnet", 1, NULL, 'b' },
		{ "rnet-step", 1, NULL, 'B' }, { "spi-out", 1, NULL, 'o' },
		{ "spi-in", 1, NULL, 'i' }, { "encap", 1, NULL, 'e' },
		{ "batch", 1, NULL, 'k' }, { "role", 1, NULL, 'x' },
		{ "keepalive", 1, NULL, 'K' }, { "prefix", 1, NULL, 'p' },
		{ "out", 1, NULL, 'O' }, { "until", 1, NULL, 'u' },
		{ "timeout", 1, NULL, 't' }, { NULL, 0, NULL, 0 },
	};
	struct opts o = {
		.batch = 200, .encap = true, .keepalive = -1, .prefix = "c",
		.until_type = -1, .role = XFRM_MOBILITY_ROLE_GATEWAY,
	};
	const char *cmd;
	unsigned int i;
	int c;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n': o.count = parse_u32(optarg); break;
		case 'r': o.reqid = parse_u32(optarg); break;
		case 'l': o.local = parse_addr(optarg, NULL); break;
		case 'R': o.remote = parse_addr(optarg, NULL); break;
		case 'S': o.remote_step = parse_u32(optarg); break;
		case 'a': o.lnet = parse_addr(optarg, &o.lplen); break;
		case 'A': o.lnet_step = parse_u32(optarg); break;
		case 'b': o.rnet = parse_addr(optarg, &o.rplen); break;
		case 'B': o.rnet_step = parse_u32(optarg); break;
		case 'o': o.spi_out = parse_u32(optarg); break;
		case 'i': o.spi_in = parse_u32(optarg); break;
		case 'e': o.encap = strcmp(optarg, "none"); break;
		case 'k': o.batch = parse_u32(optarg) ?: 1; break;
		case 'x':
			if (!strcmp(optarg, "gateway"))
				o.role = XFRM_MOBILITY_ROLE_GATEWAY;
			else if (!strcmp(optarg, "mobile"))
				o.role = XFRM_MOBILITY_ROLE_MOBILE;
			else
				usage();
			break;
		case 'K': o.keepalive = parse_u32(optarg); break;
		case 'p': o.prefix = optarg; break;
		case 'O': o.out = optarg; break;
		case 'u': {
			const char *colon = strchr(optarg, ':');

			if (!colon)
				usage();
			for (i = 0; i < N_EVENTS; i++)
				if (!strncmp(optarg, event_name(i), colon - optarg) &&
				    !event_name(i)[colon - optarg])
					o.until_type = i;
			if (o.until_type < 0)
				usage();
			o.until_count = parse_u32(colon + 1);
			break;
		}
		case 't': o.timeout = atof(optarg); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();

	if (!strcmp(cmd, "sa")) {
		if (!o.count || !o.local || !o.remote || !o.spi_out || !o.spi_in)
			usage();
		return cmd_sa(&o);
	}
	if (!strcmp(cmd, "conn-add") || !strcmp(cmd, "handover")) {
		if (!o.count)
			usage();
		return cmd_conn(&o, !strcmp(cmd, "conn-add"));
	}
	if (!strcmp(cmd, "dump"))
		return cmd_dump();
	if (!strcmp(cmd, "watch")) {
		if (!o.out)
			usage();
		return cmd_watch(&o);
	}
	usage();
	return 2;
}
