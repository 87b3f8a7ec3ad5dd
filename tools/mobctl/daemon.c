// SPDX-License-Identifier: GPL-2.0
/*
 * daemon: follow link, address and route changes and hand every mobile
 * connection over to the source address the routing table now picks
 * towards its peer.
 *
 * Sockets, all in the namespace given with -n:
 *   rt_mon  rtnetlink, subscribed to link and IPv4/IPv6 address and route
 *           changes; only what is queued is read, then one pass follows,
 *           and three more later (recheck_ms[], a timerfd)
 *   rt_req  rtnetlink, RTM_GETROUTE requests
 *   req     generic netlink, conn-get dumps and handover requests
 *   ev      generic netlink, the family's "events" group, printed
 * Requests and notifications never share a socket, so that no notification
 * is taken for a reply or lost while a reply is awaited.
 *
 * A handover causes no rtnetlink notification, so acting cannot feed back
 * into the trigger; still, a handover to the same address is not requested
 * twice for a connection until that connection's route source has been seen
 * to change (it was in effect, there was no route, or another address).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/rtnetlink.h>
#include <linux/xfrm_mobility.h>

#include "format.h"
#include "mobctl.h"
#include "nl.h"
#include "print.h"
#include "utils.h"

#define RT_GROUPS (RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE | \
		   RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE)
/* Receive buffer asked for rt_mon (capped by net.core.rmem_max). */
#define RT_MON_RCVBUF (1 << 20)
/* rtnetlink notifications fit in a page or two; 32 KiB is plenty. */
#define RT_RX_SIZE 32768
#define RT_TX_SIZE 1024
/*
 * The kernel announces a deleted address or a link going down before it
 * updates the FIB, and it drops routes whose device lost its last address
 * or went down without any notification: a pass made at once may still get
 * the old route and source, and nothing would start another pass. Further
 * passes follow each batch after these delays (ms after the batch).
 */
static const unsigned int recheck_ms[] = { 50, 250, 1000 };

/* Trigger messages listed in verbose mode before "...". */
#define TRIGGER_LIST_MAX 8

/* What the daemon remembers about one connection between passes. */
struct track {
	uint32_t id;
	struct mob_addr requested;	/* handover asked for, not yet in effect */
	bool no_route;			/* "no route" has been reported */
	bool seen;			/* present in the latest dump */
};

struct trigger {
	unsigned int n;
	char list[192];
};

struct daemon {
	struct nl *req;
	struct nl *ev;
	struct mnl_socket *rt_mon;
	struct mnl_socket *rt_req;
	uint32_t rt_portid;
	uint32_t rt_seq;
	int tfd;			/* timerfd of the rechecks */
	unsigned int recheck;		/* next entry of recheck_ms[] */
	bool verbose;
	struct track *tracks;
	size_t ntracks;
	struct mob_conn_list conns;
	char rx[RT_RX_SIZE] __attribute__((aligned(8)));
	char tx[RT_TX_SIZE] __attribute__((aligned(8)));
};

static bool addr_eq(const struct mob_addr *a, const struct mob_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->u.v4.s_addr == b->u.v4.s_addr;
	if (a->family == AF_INET6)
		return !memcmp(&a->u.v6, &b->u.v6, sizeof(a->u.v6));
	return true;
}

/* Lines are read by pipes and by tests polling files: write each at once. */
static void line_done(void)
{
	fflush(stdout);
}

/* ---- state per connection ---- */

static struct track *track_get(struct daemon *d, uint32_t id)
{
	struct track *t;
	size_t i;

	for (i = 0; i < d->ntracks; i++)
		if (d->tracks[i].id == id)
			return &d->tracks[i];
	t = reallocarray(d->tracks, d->ntracks + 1, sizeof(*t));
	if (!t)
		return NULL;
	d->tracks = t;
	t = &d->tracks[d->ntracks++];
	memset(t, 0, sizeof(*t));
	t->id = id;
	return t;
}

/* Forget connections that are gone: a new one may get the id later. */
static void tracks_prune(struct daemon *d)
{
	size_t i = 0;

	while (i < d->ntracks) {
		if (d->tracks[i].seen) {
			d->tracks[i++].seen = false;
			continue;
		}
		d->tracks[i] = d->tracks[--d->ntracks];
	}
}

/* ---- kernel requests ---- */

/* All connections into d->conns, retrying an interrupted dump. */
static int conn_dump(struct daemon *d)
{
	struct nlmsghdr *nlh;
	int attempt;

	for (attempt = 0; attempt < 3; attempt++) {
		d->conns.n = 0;
		nlh = nl_msg(d->req, XFRM_MOBILITY_CMD_CONN_GET, NLM_F_DUMP);
		if (nl_talk(d->req, nlh, mob_conn_list_cb, &d->conns) < 0)
			return -1;
		if (!nl_dump_interrupted(d->req))
			return 0;
	}
	return 0;	/* the next change triggers another pass */
}

static int route_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(attr) == RTA_PREFSRC)
		tb[RTA_PREFSRC] = attr;
	return MNL_CB_OK;
}

/*
 * The source address the routing table picks towards @dst, as the kernel
 * does for a handover without "local" (same fwmark). 0, or -1 with errno
 * set: the lookup's error (no route) or EADDRNOTAVAIL (no source).
 */
static int route_source(struct daemon *d, const struct mob_addr *dst,
			uint32_t mark, struct mob_addr *src)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->tx);
	const struct nlattr *tb[RTA_MAX + 1] = {};
	const struct nlmsgerr *err;
	uint32_t seq = ++d->rt_seq;
	size_t alen;
	struct rtmsg *rtm;
	ssize_t len;
	int rem;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = dst->family;
	if (dst->family == AF_INET) {
		alen = sizeof(dst->u.v4);
		rtm->rtm_dst_len = 32;
	} else {
		alen = sizeof(dst->u.v6);
		rtm->rtm_dst_len = 128;
	}
	mnl_attr_put(nlh, RTA_DST, alen, &dst->u);
	if (mark)
		mnl_attr_put_u32(nlh, RTA_MARK, mark);
	if (mnl_socket_sendto(d->rt_req, nlh, nlh->nlmsg_len) < 0)
		return -1;

	for (;;) {
		len = mnl_socket_recvfrom(d->rt_req, d->rx, sizeof(d->rx));
		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		rem = len;
		for (nlh = (struct nlmsghdr *)d->rx; mnl_nlmsg_ok(nlh, rem);
		     nlh = mnl_nlmsg_next(nlh, &rem)) {
			if (nlh->nlmsg_seq != seq ||
			    !mnl_nlmsg_portid_ok(nlh, d->rt_portid))
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				err = mnl_nlmsg_get_payload(nlh);
				if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
					errno = EBADMSG;
					return -1;
				}
				if (!err->error)
					continue;	/* an ACK: not asked for */
				errno = -err->error;
				return -1;
			}
			if (nlh->nlmsg_type != RTM_NEWROUTE)
				continue;
			rtm = mnl_nlmsg_get_payload(nlh);
			mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, tb);
			if (!tb[RTA_PREFSRC] ||
			    mnl_attr_get_payload_len(tb[RTA_PREFSRC]) != alen) {
				errno = EADDRNOTAVAIL;
				return -1;
			}
			memset(src, 0, sizeof(*src));
			src->family = dst->family;
			memcpy(&src->u, mnl_attr_get_payload(tb[RTA_PREFSRC]), alen);
			return 0;
		}
	}
}

/* Asks for the handover and prints the line about it. */
static void handover(struct daemon *d, const struct mob_conn *c,
		     const struct mob_addr *from, const struct mob_addr *to)
{
	struct nlmsghdr *nlh;
	char ts[64];
	int ret;

	nlh = nl_msg(d->req, XFRM_MOBILITY_CMD_HANDOVER, NLM_F_ACK);
	mnl_attr_put_u32(nlh, XFRM_MOBILITY_A_CONN_ID, c->id);
	/* Network byte order, as struct in_addr / in6_addr already are. */
	if (to->family == AF_INET)
		mnl_attr_put(nlh, XFRM_MOBILITY_A_CONN_LOCAL_IPV4,
			     sizeof(to->u.v4), &to->u.v4);
	else
		mnl_attr_put(nlh, XFRM_MOBILITY_A_CONN_LOCAL_IPV6,
			     sizeof(to->u.v6), &to->u.v6);
	/* The time of the request; a kernel message goes to stderr first. */
	mob_timestamp(ts, sizeof(ts));
	ret = nl_talk(d->req, nlh, NULL, NULL);
	print_daemon_handover(ts, c, from, to, ret < 0 ? errno : 0);
	line_done();
}

static void report_no_route(const struct mob_conn *c, const struct mob_addr *peer,
			    int err)
{
	char ts[64];

	mob_timestamp(ts, sizeof(ts));
	print_daemon_no_route(ts, c, peer, err);
	line_done();
}

static const struct mob_sa *out_sa(const struct mob_conn *c)
{
	unsigned int i;

	for (i = 0; i < c->nsa; i++)
		if (MOB_HAS(&c->sa[i], XFRM_MOBILITY_A_SA_DIR) &&
		    c->sa[i].dir == XFRM_MOBILITY_DIR_OUT &&
		    c->sa[i].saddr.family && c->sa[i].daddr.family)
			return &c->sa[i];
	return NULL;
}

static void check_conn(struct daemon *d, const struct mob_conn *c)
{
	const struct mob_sa *sa;
	struct mob_addr src;
	struct track *t;

	if (c->role != XFRM_MOBILITY_ROLE_MOBILE)
		return;
	t = track_get(d, c->id);
	if (!t) {
		nl_perror("daemon");
		return;
	}
	t->seen = true;
	sa = out_sa(c);
	if (c->state != XFRM_MOBILITY_CONN_STATE_OK || !sa)
		return;

	if (route_source(d, &sa->daddr, c->mark, &src) < 0) {
		if (!t->no_route)
			report_no_route(c, &sa->daddr, errno);
		t->no_route = true;
		t->requested.family = 0;
		return;
	}
	t->no_route = false;
	if (addr_eq(&src, &sa->saddr)) {
		t->requested.family = 0;	/* in effect */
		return;
	}
	if (addr_eq(&src, &t->requested))
		return;				/* asked already, no flapping */
	t->requested = src;
	handover(d, c, &sa->saddr, &src);
}

/* One pass over every connection. */
static void evaluate(struct daemon *d)
{
	size_t i;

	if (conn_dump(d) < 0) {
		nl_perror("daemon: conn get");
		return;
	}
	for (i = 0; i < d->conns.n; i++)
		check_conn(d, &d->conns.v[i]);
	tracks_prune(d);
}

/* ---- notifications ---- */


/* Print every queued event; -1 on a fatal socket error. */
static int events_drain(struct daemon *d)
{
	for (;;) {
		if (nl_recv(d->ev, mob_event_cb, "daemon") == 0)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == ENOBUFS) {
			fprintf(stderr, "mobctl: daemon: events lost: %s\n",
				strerror(errno));
			continue;
		}
		nl_perror("daemon: events");
		return -1;
	}
}

static void trigger_add(struct trigger *tr, const struct nlmsghdr *nlh)
{
	const char *what, *fam = "";
	size_t off = strlen(tr->list);
	uint8_t family = 0;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
		what = "newlink";
		break;
	case RTM_DELLINK:
		what = "dellink";
		break;
	case RTM_NEWADDR:
		what = "newaddr";
		break;
	case RTM_DELADDR:
		what = "deladdr";
		break;
	case RTM_NEWROUTE:
		what = "newroute";
		break;
	case RTM_DELROUTE:
		what = "delroute";
		break;
	default:
		return;
	}
	/* ifaddrmsg and rtmsg both start with the family. */
	if (nlh->nlmsg_type >= RTM_NEWADDR &&
	    mnl_nlmsg_get_payload_len(nlh) >= 1)
		family = *(const uint8_t *)mnl_nlmsg_get_payload(nlh);
	if (family == AF_INET)
		fam = " inet";
	else if (family == AF_INET6)
		fam = " inet6";

	if (tr->n < TRIGGER_LIST_MAX)
		snprintf(tr->list + off, sizeof(tr->list) - off, "%s%s%s",
			 tr->n ? ", " : "", what, fam);
	else if (tr->n == TRIGGER_LIST_MAX)
		snprintf(tr->list + off, sizeof(tr->list) - off, ", ...");
	tr->n++;
}

/*
 * Read everything queued on rt_mon without blocking and note the changes
 * in @tr; *@lost is set when notifications were dropped (ENOBUFS).
 * 0, or -1 on a fatal socket error.
 */
static int rt_drain(struct daemon *d, struct trigger *tr, bool *lost)
{
	int fd = mnl_socket_get_fd(d->rt_mon);
	const struct nlmsghdr *nlh;
	ssize_t len;
	int rem;

	for (;;) {
		len = recv(fd, d->rx, sizeof(d->rx), MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				*lost = true;
				continue;
			}
			nl_perror("daemon: rtnetlink");
			return -1;
		}
		rem = len;
		for (nlh = (const struct nlmsghdr *)d->rx; mnl_nlmsg_ok(nlh, rem);
		     nlh = mnl_nlmsg_next(nlh, &rem))
			trigger_add(tr, nlh);
	}
}

static void report_trigger(const struct trigger *tr, bool lost)
{
	char ts[64];

	mob_timestamp(ts, sizeof(ts));
	print_daemon_rtnetlink(ts, tr->n, tr->list, lost);
	line_done();
}

/* Arm the timer for the next recheck, if any is left. */
static void recheck_arm(struct daemon *d)
{
	struct itimerspec its = {};
	unsigned int ms;

	if (d->recheck >= ARRAY_SIZE(recheck_ms))
		return;
	ms = recheck_ms[d->recheck];
	if (d->recheck)
		ms -= recheck_ms[d->recheck - 1];
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
	if (timerfd_settime(d->tfd, 0, &its, NULL) < 0)
		nl_perror("daemon: timer");
}

static void report_recheck(unsigned int ms)
{
	char ts[64];

	mob_timestamp(ts, sizeof(ts));
	print_daemon_recheck(ts, ms);
	line_done();
}

/* ---- setup ---- */

static struct mnl_socket *rt_open(unsigned int groups)
{
	struct mnl_socket *sock;
	int one = 1, rcvbuf = RT_MON_RCVBUF;

	sock = mnl_socket_open(NETLINK_ROUTE);
	if (!sock) {
		nl_perror("daemon: cannot open rtnetlink socket");
		return NULL;
	}
	mnl_socket_setsockopt(sock, NETLINK_EXT_ACK, &one, sizeof(one));
	if (groups)	/* best effort: ENOBUFS is handled anyway */
		setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	if (mnl_socket_bind(sock, groups, MNL_SOCKET_AUTOPID) < 0) {
		nl_perror("daemon: cannot bind rtnetlink socket");
		mnl_socket_close(sock);
		return NULL;
	}
	return sock;
}

static void report_start(void)
{
	char ts[64];

	mob_timestamp(ts, sizeof(ts));
	print_daemon_start(ts);
	line_done();
}

int do_daemon(int argc, char **argv)
{
	struct daemon *d;
	struct pollfd pfd[4];
	int sfd = -1, ret = 1, flags;
	sigset_t mask;

	d = calloc(1, sizeof(*d));
	if (!d) {
		nl_perror("daemon");
		return 1;
	}
	d->tfd = -1;
	d->recheck = ARRAY_SIZE(recheck_ms);
	while (argc > 0) {
		/* "-j" as after mobctl; "--json" and "json" as well. */
		const char *w = *argv + (!strncmp(*argv, "--", 2) && (*argv)[2]);

		if ((strlen(w) >= 2 && matches(w, "-json") == 0) ||
		    matches(w, "json") == 0)
			opt_json = true;
		else if ((strlen(w) >= 2 && matches(w, "-verbose") == 0) ||
			 matches(w, "verbose") == 0)
			d->verbose = true;
		else if (matches(*argv, "help") == 0)
			usage(stdout, EXIT_SUCCESS);
		else
			invarg("unknown keyword", *argv);
		argc--;
		argv++;
	}

	/* JSON Lines: one compact object per line, whatever -p says. */
	print_init(stdout, opt_json, false);

	/* nl_open() enters the namespace; every other socket follows it. */
	d->req = nl_open(opt_netns);
	if (!d->req)
		goto out;
	d->ev = nl_open(NULL);
	if (!d->ev)
		goto out;
	if (nl_join_events(d->ev) < 0) {
		if (errno == ENOENT)
			fprintf(stderr, "mobctl: daemon: multicast group \"%s\" not found\n",
				XFRM_MOBILITY_MCGRP_EVENTS);
		else
			nl_perror("daemon");
		goto out;
	}
	flags = fcntl(nl_fd(d->ev), F_GETFL);
	if (flags < 0 || fcntl(nl_fd(d->ev), F_SETFL, flags | O_NONBLOCK) < 0) {
		nl_perror("daemon");
		goto out;
	}
	d->rt_mon = rt_open(RT_GROUPS);
	d->rt_req = d->rt_mon ? rt_open(0) : NULL;
	if (!d->rt_req)
		goto out;
	d->rt_portid = mnl_socket_get_portid(d->rt_req);
	d->rt_seq = time(NULL);

	/* A signalfd leaves no window between checking a flag and blocking. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		nl_perror("daemon");
		goto out;
	}
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		nl_perror("daemon");
		goto out;
	}
	d->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->tfd < 0) {
		nl_perror("daemon: timer");
		goto out;
	}

	/* Subscribed before this first pass: no change can slip between. */
	if (d->verbose)
		report_start();
	evaluate(d);

	pfd[0].fd = sfd;
	pfd[1].fd = nl_fd(d->ev);
	pfd[2].fd = mnl_socket_get_fd(d->rt_mon);
	pfd[3].fd = d->tfd;
	pfd[0].events = pfd[1].events = pfd[2].events = pfd[3].events = POLLIN;
	for (;;) {
		struct trigger tr = {};
		bool lost = false;

		if (poll(pfd, ARRAY_SIZE(pfd), -1) < 0) {
			if (errno == EINTR)
				continue;
			nl_perror("daemon");
			goto out;
		}
		if (pfd[0].revents)
			break;
		/* POLLERR included: an overrun is reported by the next read. */
		if (pfd[1].revents && events_drain(d) < 0)
			goto out;
		if (pfd[3].revents) {
			uint64_t n;

			if (read(d->tfd, &n, sizeof(n)) == sizeof(n) &&
			    d->recheck < ARRAY_SIZE(recheck_ms)) {
				if (d->verbose)
					report_recheck(recheck_ms[d->recheck]);
				evaluate(d);
				d->recheck++;
				recheck_arm(d);
			}
		}
		if (!pfd[2].revents)
			continue;
		if (rt_drain(d, &tr, &lost) < 0)
			goto out;
		if (lost)
			fprintf(stderr, "mobctl: daemon: rtnetlink events lost: %s; "
				"checking all connections\n", strerror(ENOBUFS));
		if (!tr.n && !lost)
			continue;
		if (d->verbose)
			report_trigger(&tr, lost);
		evaluate(d);
		d->recheck = 0;
		recheck_arm(d);
	}
	ret = 0;
out:
	if (sfd >= 0)
		close(sfd);
	if (d->tfd >= 0)
		close(d->tfd);
	if (d->rt_req)
		mnl_socket_close(d->rt_req);
	if (d->rt_mon)
		mnl_socket_close(d->rt_mon);
	nl_close(d->ev);
	nl_close(d->req);
	free(d->conns.v);
	free(d->tracks);
	free(d);
	return ret;
}
