// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: the registration exchange.
 *
 * Mobile host X: on a handover it moves its own SA pair to the new local
 * address (its traffic flows from that moment), then sends a registration
 * request (RREQ) through the moved outbound SA, one copy per traversal
 * method it may use (ESP-in-UDP, and plain ESP unless that is ruled out),
 * and retransmits them with exponential backoff until a matching reply
 * (RREP) arrives.
 *
 * Gateway Y: on the first authenticated copy of an RREQ newer than the last
 * one it accepted, it compares X's view of the outer header with the header
 * it received, moves its SA pair to the observed endpoint (its traffic to X
 * flows from that moment), and answers through the moved outbound SA. Later
 * copies of the same request are duplicates: they move nothing, are counted
 * and answered; a plain-ESP copy that arrives untranslated makes the answer
 * name plain ESP.
 *
 * Everything here runs in process context under &xm_net.lock.
 */

#include <linux/random.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <net/ipv6.h>

#include "netlink.h"
#include "reg.h"
#include "rx.h"
#include "sa.h"
#include "tx.h"

#define XM_RTO_INIT	msecs_to_jiffies(250)
#define XM_RTO_MAX	msecs_to_jiffies(4000)
#define XM_MAX_RETRIES	8
/* Plain-ESP probes: tries, every XM_RTO_INIT doubling. */
#define XM_PROBE_TRIES	4
/* Liveness of plain ESP: seconds of output without input before fallback. */
#define XM_LIVE_TICKS	3

/* Methods this implementation can receive and send. */
#define XM_METHODS	(XM_METHOD_ESPINUDP | XM_METHOD_ESP)

static struct workqueue_struct *xm_wq;
static bool xm_stopping;

static void view_to_ep(u16 family, xfrm_address_t *a, const union xm_addr *va)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET)
		a->a4 = va->a4;
	else
		memcpy(&a->in6, va->b, sizeof(a->in6));
}

static void ep_to_addr(union xm_addr *va, u16 family, const xfrm_address_t *a)
{
	memset(va, 0, sizeof(*va));
	if (family == AF_INET)
		va->a4 = a->a4;
	else
		memcpy(va->b, &a->in6, sizeof(va->b));
}

/* Outer header of packets sent through the outbound SA at @ep. */
static void ep_to_view(const struct xm_endpoints *ep, struct xm_view *v)
{
	memset(v, 0, sizeof(*v));
	v->family = ep->family == AF_INET ? XM_FAMILY_IPV4 : XM_FAMILY_IPV6;
	v->encap = ep->encap_type ? XM_ENCAP_ESPINUDP : XM_ENCAP_NONE;
	if (ep->encap_type) {
		v->sport = ep->local_port;
		v->dport = ep->remote_port;
	}
	ep_to_addr(&v->saddr, ep->family, &ep->local);
	ep_to_addr(&v->daddr, ep->family, &ep->remote);
}

static u16 view_family(const struct xm_view *v)
{
	return v->family == XM_FAMILY_IPV4 ? AF_INET : AF_INET6;
}

/* Is @a inside @prefix/@plen? */
static bool in_prefix(u16 family, const xfrm_address_t *a,
		      const xfrm_address_t *prefix, u8 plen)
{
	if (family == AF_INET)
		return !plen || !((a->a4 ^ prefix->a4) &
				  htonl(~0U << (32 - min_t(u8, plen, 32))));
	return ipv6_prefix_equal(&a->in6, &prefix->in6, min_t(u8, plen, 128));
}

/*
 * The inner packet of a registration message must travel between the
 * connection's traffic selectors, in the reverse direction of the outbound
 * policy.
 */
static bool inner_ok(const struct xm_conn *conn, const struct xm_rx_msg *msg)
{
	const struct xfrm_selector *sel = &conn->sel;

	return in_prefix(sel->family, &msg->inner_src, &sel->daddr,
			 sel->prefixlen_d) &&
	       in_prefix(sel->family, &msg->inner_dst, &sel->saddr,
			 sel->prefixlen_s);
}

/* Whether the connection may try plain ESP on its current path. */
static bool plain_allowed(const struct xm_conn *conn)
{
	return conn->encap_policy == XFRM_MOBILITY_ENCAP_POLICY_AUTO &&
	       !conn->plain_failed;
}

/* Methods the connection may use on its current path. */
static u32 conn_methods(const struct xm_conn *conn)
{
	return plain_allowed(conn) ? XM_METHODS : XM_METHOD_ESPINUDP;
}

/*
 * Send one copy of the newest request through the outbound SA, as plain
 * ESP (@encap XM_ENCAP_NONE) or as the SA sends (ESP-in-UDP while a
 * registration is in progress). Each copy gets its own ESP sequence
 * number, and its SENDER_VIEW says how it was sent.
 */
static void send_rreq_copy(struct xm_conn *conn, u8 encap)
{
	struct xm_msg m = {
		.type = XM_MSG_RREQ,
		.seq = conn->tx_seq,
		.nonce = conn->tx_nonce,
		.present = XM_PRESENT_SENDER_VIEW | XM_PRESENT_METHODS |
			   XM_PRESENT_COPIES,
		.sender = conn->tx_view,
		.methods = conn_methods(conn),
		.copies = conn_methods(conn),
	};
	bool plain = encap == XM_ENCAP_NONE;
	u8 buf[XM_MSG_MAX];
	int len, err;

	if (plain) {
		m.sender.encap = XM_ENCAP_NONE;
		m.sender.sport = 0;
		m.sender.dport = 0;
	}
	len = xm_msg_build(&m, buf, sizeof(buf));
	err = len < 0 ? len : xm_tx_msg(conn, buf, len, plain);
	if (err) {
		xm_stat_inc(conn, XM_STAT_TX_ERRORS);
		xm_nl_notify(conn, XFRM_MOBILITY_EVENT_FAILURE, conn->tx_seq,
			     0, err, GFP_KERNEL);
		return;
	}
	xm_stat_inc(conn, XM_STAT_RREQ_TX);
	if (plain)
		conn->copy_tries++;
}

/*
 * All copies of the newest request: ESP-in-UDP first (it passes NATs and
 * firewalls that drop ESP), then plain ESP, which proves to the gateway
 * that our plain ESP reaches it untranslated.
 */
static void send_rreq(struct xm_conn *conn)
{
	send_rreq_copy(conn, XM_ENCAP_ESPINUDP);
	if (plain_allowed(conn))
		send_rreq_copy(conn, XM_ENCAP_NONE);
}

/* Whether the SA of direction @dir is plain ESP. */
static bool sa_plain(struct xm_conn *conn, int dir)
{
	struct xfrm_state *x = xm_sa_lookup(conn->xn->net, conn, dir);
	bool plain;

	if (!x)
		return false;
	plain = !READ_ONCE(x->encap);
	xfrm_state_put(x);
	return plain;
}

static u64 sa_packets(struct xm_conn *conn, int dir)
{
	struct xfrm_state *x = xm_sa_lookup(conn->xn->net, conn, dir);
	u64 packets;

	if (!x)
		return 0;
	spin_lock_bh(&x->lock);
	packets = x->curlft.packets;
	spin_unlock_bh(&x->lock);
	xfrm_state_put(x);
	return packets;
}

/*
 * Switch one direction to plain ESP. The inbound SA goes first on each
 * end: it still accepts ESP-in-UDP (see rx.c), so nothing in flight is
 * lost; the outbound SA follows only once the peer proved that it gets
 * our plain ESP and accepts it.
 */
static int make_plain(struct xm_conn *conn, int dir)
{
	int err;

	if (sa_plain(conn, dir))
		return 0;
	err = xm_sa_make_plain(conn, dir);
	if (err)
		xm_nl_notify(conn, XFRM_MOBILITY_EVENT_FAILURE, 0, 0, err,
			     GFP_KERNEL);
	else
		xm_nl_notify(conn, XFRM_MOBILITY_EVENT_ENCAP_CHANGED, 0, 0, 0,
			     GFP_KERNEL);
	return err;
}

static void send_probe(struct xm_conn *conn)
{
	struct xm_msg m = {
		.type = XM_MSG_PROBE,
		.seq = conn->probe_tries,
		.nonce = conn->probe_nonce,
	};
	struct xm_endpoints ep;
	u8 buf[XM_HDR_LEN];
	int len;

	if (xm_sa_endpoints(conn, &ep))
		return;
	len = xm_msg_build(&m, buf, sizeof(buf));
	if (len < 0 || xm_tx_probe(conn->xn->net, conn->mark.v, ep.local.a4,
				   ep.remote.a4, m.seq, buf, len))
		xm_stat_inc(conn, XM_STAT_TX_ERRORS);
	else
		xm_stat_inc(conn, XM_STAT_PROBES);
}

/* Start proving that our plain ESP reaches the peer. */
static void probe_start(struct xm_conn *conn)
{
	conn->probe_nonce = get_random_u64() ?: 1;
	conn->probe_tries = 0;
	mod_delayed_work(xm_wq, &conn->probe, 0);
}

static void probe_stop(struct xm_conn *conn)
{
	conn->probe_nonce = 0;
	conn->copy_resend = false;
	conn->live_idle = 0;
	cancel_delayed_work(&conn->probe);
}

/* Start watching that plain ESP keeps passing (mobile host). */
static void live_start(struct xm_conn *conn)
{
	conn->live_out = sa_packets(conn, XFRM_MOBILITY_DIR_OUT);
	conn->live_in = sa_packets(conn, XFRM_MOBILITY_DIR_IN);
	conn->live_idle = 0;
	mod_delayed_work(xm_wq, &conn->probe, HZ);
}

/*
 * The gateway got a plain-ESP copy of our request untranslated: our plain
 * ESP reaches it and is accepted there (its inbound SA is plain). Send
 * plain ESP from now on and watch that it keeps passing.
 */
static void mobile_go_plain(struct xm_conn *conn)
{
	conn->copy_resend = false;
	cancel_delayed_work(&conn->probe);
	if (make_plain(conn, XFRM_MOBILITY_DIR_IN) ||
	    make_plain(conn, XFRM_MOBILITY_DIR_OUT))
		return;
	live_start(conn);
}

static void fallback(struct xm_conn *conn)
{
	struct xm_endpoints ep;

	conn->plain_failed = true;
	xm_stat_inc(conn, XM_STAT_FALLBACKS);
	xm_nl_notify(conn, XFRM_MOBILITY_EVENT_FALLBACK, conn->tx_seq, 0, 0,
		     GFP_KERNEL);
	if (!xm_sa_endpoints(conn, &ep))
		xm_reg_handover(conn, &ep.local, NULL);
}

/*
 * Probe retransmissions (gateway); on a mobile host, resent plain-ESP
 * copies of the request and, once it sends plain ESP, liveness: output
 * without any input for XM_LIVE_TICKS seconds means plain ESP stopped
 * passing, and the host returns to ESP-in-UDP.
 */
static void probe_work(struct work_struct *work)
{
	struct xm_conn *conn = container_of(to_delayed_work(work),
					    struct xm_conn, probe);
	struct xm_net *xn = conn->xn;
	u64 out, in;

	mutex_lock(&xn->lock);
	if (conn->dead || READ_ONCE(xm_stopping))
		goto out;

	if (conn->probe_nonce) {
		if (conn->probe_tries >= XM_PROBE_TRIES) {
			/* Plain ESP does not pass: stay in ESP-in-UDP. */
			conn->probe_nonce = 0;
			if (conn->role == XFRM_MOBILITY_ROLE_MOBILE)
				conn->plain_failed = true;
			xm_nl_notify(conn, XFRM_MOBILITY_EVENT_FAILURE, 0, 0,
				     -EHOSTUNREACH, GFP_KERNEL);
			goto out;
		}
		send_probe(conn);
		queue_delayed_work(xm_wq, &conn->probe,
				   XM_RTO_INIT << conn->probe_tries++);
		goto out;
	}

	if (conn->copy_resend) {
		if (conn->copy_tries >= XM_PROBE_TRIES) {
			/* No plain copy got through: ESP-in-UDP it is. */
			conn->copy_resend = false;
			conn->plain_failed = true;
			xm_nl_notify(conn, XFRM_MOBILITY_EVENT_FAILURE,
				     conn->tx_seq, 0, -EHOSTUNREACH,
				     GFP_KERNEL);
			goto out;
		}
		send_rreq_copy(conn, XM_ENCAP_NONE);
		queue_delayed_work(xm_wq, &conn->probe,
				   XM_RTO_INIT << conn->copy_tries);
		goto out;
	}

	if (conn->role != XFRM_MOBILITY_ROLE_MOBILE ||
	    !sa_plain(conn, XFRM_MOBILITY_DIR_OUT))
		goto out;
	out = sa_packets(conn, XFRM_MOBILITY_DIR_OUT);
	in = sa_packets(conn, XFRM_MOBILITY_DIR_IN);
	if (out != conn->live_out && in == conn->live_in)
		conn->live_idle++;
	else
		conn->live_idle = 0;
	conn->live_out = out;
	conn->live_in = in;
	if (conn->live_idle >= XM_LIVE_TICKS) {
		fallback(conn);
		goto out;
	}
	queue_delayed_work(xm_wq, &conn->probe, HZ);
out:
	mutex_unlock(&xn->lock);
}

/* A peer's plain-ESP probe arrived: acknowledge it through the SA. */
static void probe_rx(struct xm_net *xn, const struct xm_rx_msg *msg)
{
	struct xm_msg m, ack = { .type = XM_MSG_PROBE_ACK };
	const struct xm_sa_id *out, *in;
	u8 buf[XM_HDR_LEN];
	struct xm_conn *conn;
	unsigned long index;
	int len;

	if (xm_msg_parse(msg->buf, msg->len, &m) || m.type != XM_MSG_PROBE)
		return;
	xa_for_each(&xn->conns, index, conn) {
		out = &conn->sa[XFRM_MOBILITY_DIR_OUT];
		in = &conn->sa[XFRM_MOBILITY_DIR_IN];
		if (out->family == AF_INET &&
		    out->daddr.a4 == msg->observed.saddr.a4 &&
		    in->daddr.a4 == msg->observed.daddr.a4)
			break;
	}
	/* Only once our inbound SA accepts plain ESP; the peer retries. */
	if (!conn || !sa_plain(conn, XFRM_MOBILITY_DIR_IN))
		return;
	ack.seq = m.seq;
	ack.nonce = m.nonce;
	len = xm_msg_build(&ack, buf, sizeof(buf));
	if (len < 0 || xm_tx_msg(conn, buf, len, false))
		xm_stat_inc(conn, XM_STAT_TX_ERRORS);
}

/* The peer got our plain ESP and accepts it: send plain ESP too. */
static void probe_ack(struct xm_conn *conn, const struct xm_msg *m)
{
	if (!conn->probe_nonce || m->nonce != conn->probe_nonce) {
		xm_stat_inc(conn, XM_STAT_DROP_STALE);
		return;
	}
	conn->probe_nonce = 0;
	cancel_delayed_work(&conn->probe);
	if (make_plain(conn, XFRM_MOBILITY_DIR_OUT))
		return;
	if (conn->role == XFRM_MOBILITY_ROLE_MOBILE)
		live_start(conn);
}

/**
 * xm_reg_handover() - move a mobile connection and register the move
 * @conn: connection in the mobile role
 * @local: new local outer address, or NULL to use the source address the
 *	routing table now picks towards the peer
 * @extack: where to say why the handover failed
 *
 * Context: process context, &xm_net.lock held.
 * Return: 0 once the SAs are moved and the request is sent (or will be
 * retransmitted), else a negative errno.
 */
int xm_reg_handover(struct xm_conn *conn, const xfrm_address_t *local,
		    struct netlink_ext_ack *extack)
{
	struct xm_endpoints from, to;
	int err;

	lockdep_assert_held(&conn->xn->lock);

	if (conn->role != XFRM_MOBILITY_ROLE_MOBILE) {
		NL_SET_ERR_MSG_MOD(extack,
				   "only a mobile connection can hand over");
		return -EINVAL;
	}
	if (xm_sa_check(conn) != XFRM_MOBILITY_CONN_STATE_OK ||
	    xm_sa_endpoints(conn, &from)) {
		NL_SET_ERR_MSG_MOD(extack, "the connection's SAs are gone");
		return -ENOENT;
	}

	to = from;
	probe_stop(conn);
	if (local) {
		to.local = *local;
	} else {
		err = xm_tx_route_source(conn->xn->net, conn->mark.v,
					 from.family, &from.remote, &to.local);
		if (err) {
			NL_SET_ERR_MSG_MOD(extack, "no route to the peer");
			return err;
		}
	}
	/* Registration goes UDP-encapsulated: it passes NATs. */
	if (!to.encap_type) {
		to.encap_type = UDP_ENCAP_ESPINUDP;
		to.local_port = htons(XM_ENCAP_PORT);
		to.remote_port = htons(XM_ENCAP_PORT);
	}

	/* A new path may pass plain ESP even if the old one did not. */
	if (!xfrm_addr_equal(&to.local, &from.local, from.family))
		conn->plain_failed = false;
	/*
	 * Our inbound SA goes plain at once when plain ESP may be used: it
	 * accepts ESP-in-UDP as well, and the gateway's probes then get an
	 * answer as soon as they arrive.
	 */
	to.in_plain = plain_allowed(conn);

	err = xm_sa_move(conn, &to, extack);
	if (!err && to.in_plain)
		err = xm_sa_make_plain(conn, XFRM_MOBILITY_DIR_IN);
	if (err) {
		xm_nl_notify(conn, XFRM_MOBILITY_EVENT_FAILURE, 0, 0, err,
			     GFP_KERNEL);
		return err;
	}
	xm_rx_index(conn);

	/* A newer request supersedes any outstanding one. */
	conn->tx_seq = conn->tx_seq + 1 ?: 1;
	conn->tx_nonce = get_random_u64();
	ep_to_view(&to, &conn->tx_view);
	conn->reg_state = XFRM_MOBILITY_REG_STATE_PENDING;
	conn->retries = 0;
	conn->copy_tries = 0;

	xm_nl_notify(conn, XFRM_MOBILITY_EVENT_SA_MOVED, conn->tx_seq, 0, 0,
		     GFP_KERNEL);
	send_rreq(conn);
	xm_nl_notify(conn, XFRM_MOBILITY_EVENT_RREQ_SENT, conn->tx_seq, 0, 0,
		     GFP_KERNEL);
	mod_delayed_work(xm_wq, &conn->retx, XM_RTO_INIT);
	return 0;
}

static void retx_work(struct work_struct *work)
{
	struct xm_conn *conn = container_of(to_delayed_work(work),
					    struct xm_conn, retx);
	struct xm_net *xn = conn->xn;
	unsigned long rto;

	mutex_lock(&xn->lock);
	if (conn->dead || READ_ONCE(xm_stopping) ||
	    conn->reg_state != XFRM_MOBILITY_REG_STATE_PENDING)
		goto out;

	if (++conn->retries > XM_MAX_RETRIES) {
		conn->reg_state = XFRM_MOBILITY_REG_STATE_FAILED;
		xm_nl_notify(conn, XFRM_MOBILITY_EVENT_FAILURE, conn->tx_seq,
			     0, -ETIMEDOUT, GFP_KERNEL);
		goto out;
	}
	xm_stat_inc(conn, XM_STAT_RETRANSMITS);
	send_rreq(conn);
	xm_nl_notify(conn, XFRM_MOBILITY_EVENT_RETRANSMIT, conn->tx_seq, 0, 0,
		     GFP_KERNEL);
	rto = min_t(unsigned long, XM_RTO_INIT << conn->retries, XM_RTO_MAX);
	queue_delayed_work(xm_wq, &conn->retx, rto);
out:
	mutex_unlock(&xn->lock);
}

/*
 * NAT keepalives of a mobile host behind a NAT, on ESP-in-UDP, when the
 * outbound SA sent nothing since the last tick.
 */
static void ka_work(struct work_struct *work)
{
	struct xm_conn *conn = container_of(to_delayed_work(work),
					    struct xm_conn, ka);
	struct xm_net *xn = conn->xn;
	__be16 sport = 0, dport = 0;
	__be32 saddr, daddr;
	struct xfrm_state *x;
	u64 packets;

	mutex_lock(&xn->lock);
	if (conn->dead || READ_ONCE(xm_stopping))
		goto out;
	if (conn->role != XFRM_MOBILITY_ROLE_MOBILE ||
	    conn->reg_state != XFRM_MOBILITY_REG_STATE_REGISTERED ||
	    !(conn->nat & (XM_NAT_SRC_ADDR | XM_NAT_SRC_PORT)))
		goto rearm;

	x = xm_sa_lookup(xn->net, conn, XFRM_MOBILITY_DIR_OUT);
	if (!x)
		goto rearm;
	spin_lock_bh(&x->lock);
	packets = x->curlft.packets;
	saddr = x->props.saddr.a4;
	daddr = x->id.daddr.a4;
	if (x->encap) {
		sport = x->encap->encap_sport;
		dport = x->encap->encap_dport;
	}
	spin_unlock_bh(&x->lock);
	xfrm_state_put(x);

	if (sport && packets == conn->ka_packets) {
		if (xm_tx_keepalive(xn->net, conn->mark.v, saddr, daddr, sport,
				    dport))
			xm_stat_inc(conn, XM_STAT_TX_ERRORS);
		else
			xm_stat_inc(conn, XM_STAT_KEEPALIVES);
	}
	conn->ka_packets = packets;
rearm:
	queue_delayed_work(xm_wq, &conn->ka, conn->keepalive * HZ);
out:
	mutex_unlock(&xn->lock);
}

static bool ep_same(const struct xm_endpoints *a, const struct xm_endpoints *b)
{
	return xfrm_addr_equal(&a->local, &b->local, a->family) &&
	       xfrm_addr_equal(&a->remote, &b->remote, a->family) &&
	       a->encap_type == b->encap_type &&
	       a->local_port == b->local_port &&
	       a->remote_port == b->remote_port;
}

/* Answer a copy of the accepted request with the registration's method. */
static void gateway_reply(struct xm_conn *conn, const struct xm_rx_msg *msg,
			  u32 nat)
{
	struct xm_msg rep = {
		.type = XM_MSG_RREP,
		.seq = conn->rx_seq,
		.nonce = conn->rx_nonce,
		.present = XM_PRESENT_ALL | XM_PRESENT_COPIES,
		.observed = msg->observed,
		.methods = conn_methods(conn),
		.copies = conn->rx_copies,
		.verdict = { .nat = nat, .method = conn->rx_method },
	};
	struct xm_endpoints ep;
	u8 buf[XM_MSG_MAX];
	int len, err;

	if (xm_sa_endpoints(conn, &ep))
		return;
	ep_to_view(&ep, &rep.sender);
	len = xm_msg_build(&rep, buf, sizeof(buf));
	if (len < 0) {
		xm_stat_inc(conn, XM_STAT_TX_ERRORS);
		return;
	}
	err = xm_tx_msg(conn, buf, len, false);
	if (err) {
		xm_stat_inc(conn, XM_STAT_TX_ERRORS);
		xm_nl_notify(conn, XFRM_MOBILITY_EVENT_FAILURE, rep.seq, nat,
			     err, GFP_KERNEL);
		return;
	}
	xm_stat_inc(conn, XM_STAT_RREP_TX);
	xm_nl_notify(conn, XFRM_MOBILITY_EVENT_RREP_SENT, rep.seq, nat, 0,
		     GFP_KERNEL);
}

/*
 * Where a copy of a request puts our SA pair. An ESP-in-UDP copy shows the
 * peer's address and port as seen here. A plain-ESP copy shows no port:
 * when it moves us to a new address, we send ESP-in-UDP there (our plain
 * ESP to that address is not proven) to the standard port, which is the
 * peer's own when nothing translated its address; a later ESP-in-UDP copy
 * corrects the port if needed.
 */
static void gateway_target(struct xm_conn *conn, const struct xm_msg *m,
			   const struct xm_rx_msg *msg,
			   const struct xm_endpoints *from,
			   struct xm_endpoints *to)
{
	*to = *from;
	view_to_ep(from->family, &to->remote, &msg->observed.saddr);
	if (msg->observed.encap == XM_ENCAP_ESPINUDP) {
		to->encap_type = UDP_ENCAP_ESPINUDP;
		to->remote_port = msg->observed.sport;
		to->local_port = msg->observed.dport;
	} else if (!xfrm_addr_equal(&to->remote, &from->remote,
				    from->family)) {
		if (!to->encap_type) {
			to->encap_type = UDP_ENCAP_ESPINUDP;
			to->local_port = htons(XM_ENCAP_PORT);
		}
		to->remote_port = htons(XM_ENCAP_PORT);
	}
	/* Our inbound SA accepts both when the peer may send plain ESP. */
	to->in_plain = plain_allowed(conn) && (m->methods & XM_METHOD_ESP);
}

/* Move to @to; returns 0 when the SAs are there. */
static int gateway_move(struct xm_conn *conn, const struct xm_msg *m,
			const struct xm_endpoints *from,
			const struct xm_endpoints *to, u32 nat)
{
	int err;

	err = xm_sa_move(conn, to, NULL);
	if (!err && to->in_plain)
		err = make_plain(conn, XFRM_MOBILITY_DIR_IN);
	if (err) {
		xm_nl_notify(conn, XFRM_MOBILITY_EVENT_FAILURE, m->seq, nat,
			     err, GFP_KERNEL);
		return err;
	}
	if (!ep_same(from, to))
		xm_nl_notify(conn, XFRM_MOBILITY_EVENT_SA_MOVED, m->seq, nat, 0,
			     GFP_KERNEL);
	return 0;
}

/* Plain ESP for the registration: a plain copy came through untranslated. */
static bool copy_proves_plain(struct xm_conn *conn, const struct xm_msg *m,
			      const struct xm_rx_msg *msg, u32 nat)
{
	return !nat && m->sender.encap == XM_ENCAP_NONE &&
	       msg->observed.encap == XM_ENCAP_NONE &&
	       (m->methods & XM_METHOD_ESP) && plain_allowed(conn);
}

/*
 * A further copy (another method, or a retransmission) of the accepted
 * request. It never moves the SA pair to another address on its own
 * account, except that an ESP-in-UDP copy is followed when it shows the
 * peer somewhere else than our ESP-in-UDP goes: a NAT rebinding during the
 * registration, or the port a plain copy could not show.
 */
static void gateway_dup(struct xm_conn *conn, const struct xm_msg *m,
			const struct xm_rx_msg *msg, u32 nat)
{
	struct xm_endpoints from, to;
	bool upgrade = false;

	xm_stat_inc(conn, XM_STAT_DUPLICATES);
	conn->rx_copies |= xm_encap_method(m->sender.encap);

	if (msg->observed.encap == XM_ENCAP_ESPINUDP &&
	    !xm_sa_endpoints(conn, &from) && from.encap_type) {
		gateway_target(conn, m, msg, &from, &to);
		if (!ep_same(&from, &to) && gateway_move(conn, m, &from, &to, nat))
			return;
	}

	if (conn->rx_method != XM_ENCAP_NONE &&
	    copy_proves_plain(conn, m, msg, nat)) {
		conn->rx_method = XM_ENCAP_NONE;
		conn->nat = nat;
		upgrade = true;
	}
	gateway_reply(conn, msg, nat);
	if (upgrade && !sa_plain(conn, XFRM_MOBILITY_DIR_OUT))
		probe_start(conn);
}

static void gateway_rreq(struct xm_conn *conn, const struct xm_msg *m,
			 const struct xm_rx_msg *msg)
{
	struct xm_endpoints from, to;
	bool dup;
	u32 nat;

	dup = conn->rx_seq && m->seq == conn->rx_seq &&
	      m->nonce == conn->rx_nonce;
	if (!dup && conn->rx_seq && (s32)(m->seq - conn->rx_seq) <= 0) {
		xm_stat_inc(conn, XM_STAT_DROP_STALE);
		return;
	}
	if (!msg->have_view) {
		xm_stat_inc(conn, XM_STAT_DROP_NO_TUPLE);
		return;
	}
	if (view_family(&msg->observed) != conn->sa[XFRM_MOBILITY_DIR_IN].family) {
		xm_stat_inc(conn, XM_STAT_DROP_UNEXPECTED);
		return;
	}
	xm_stat_inc(conn, XM_STAT_RREQ_RX);
	nat = xm_classify(&m->sender, &msg->observed);
	xm_nl_notify(conn, XFRM_MOBILITY_EVENT_RREQ_RECEIVED, m->seq, nat, 0,
		     GFP_KERNEL);

	if (dup) {
		gateway_dup(conn, m, msg, nat);
		return;
	}

	/* The first copy of a new request: the peer is where it came from. */
	if (xm_sa_endpoints(conn, &from)) {
		xm_nl_notify(conn, XFRM_MOBILITY_EVENT_FAILURE, m->seq, nat,
			     -ENOENT, GFP_KERNEL);
		return;
	}
	gateway_target(conn, m, msg, &from, &to);
	if (gateway_move(conn, m, &from, &to, nat))
		return;

	conn->rx_seq = m->seq;
	conn->rx_nonce = m->nonce;
	conn->rx_copies = xm_encap_method(m->sender.encap);
	conn->peer_esp = !!(m->methods & XM_METHOD_ESP);
	conn->nat = nat;
	conn->reg_state = XFRM_MOBILITY_REG_STATE_REGISTERED;

	/*
	 * Plain ESP only when a plain copy came through untranslated: that
	 * proves the peer's plain ESP reaches us. Our own plain ESP towards
	 * the peer still needs probes.
	 */
	probe_stop(conn);
	conn->rx_method = copy_proves_plain(conn, m, msg, nat) ?
			  XM_ENCAP_NONE : XM_ENCAP_ESPINUDP;
	gateway_reply(conn, msg, nat);
	if (conn->rx_method == XM_ENCAP_NONE &&
	    !sa_plain(conn, XFRM_MOBILITY_DIR_OUT))
		probe_start(conn);
}

/*
 * Whether to resend plain copies of the request after a reply that named
 * ESP-in-UDP: no translation was seen, both ends may use plain ESP, and no
 * plain copy reached the gateway yet (it may have been dropped while the
 * gateway's inbound SA was still encapsulated, or lost).
 */
static bool want_plain_copies(struct xm_conn *conn, const struct xm_msg *m)
{
	return plain_allowed(conn) && !m->verdict.nat &&
	       (m->methods & XM_METHOD_ESP) &&
	       !((m->present & XM_PRESENT_COPIES) &&
		 (m->copies & XM_METHOD_ESP));
}

static void mobile_rrep(struct xm_conn *conn, const struct xm_msg *m,
			const struct xm_rx_msg *msg)
{
	struct xm_endpoints from, to;

	if (m->seq != conn->tx_seq) {
		xm_stat_inc(conn, XM_STAT_DROP_STALE);
		return;
	}
	if (m->nonce != conn->tx_nonce) {
		xm_stat_inc(conn, XM_STAT_DROP_UNEXPECTED);
		return;
	}
	if (conn->reg_state == XFRM_MOBILITY_REG_STATE_REGISTERED) {
		/*
		 * A further reply to the completed registration. It changes
		 * something only when it names plain ESP and we still send
		 * ESP-in-UDP: a plain copy reached the gateway.
		 */
		if (m->verdict.method != XM_ENCAP_NONE || !plain_allowed(conn) ||
		    sa_plain(conn, XFRM_MOBILITY_DIR_OUT)) {
			xm_stat_inc(conn, XM_STAT_DUPLICATES);
			return;
		}
		xm_stat_inc(conn, XM_STAT_RREP_RX);
		conn->nat = m->verdict.nat;
		xm_nl_notify(conn, XFRM_MOBILITY_EVENT_RREP_RECEIVED, m->seq,
			     conn->nat, 0, GFP_KERNEL);
		mobile_go_plain(conn);
		return;
	}
	if (conn->reg_state != XFRM_MOBILITY_REG_STATE_PENDING) {
		xm_stat_inc(conn, XM_STAT_DROP_UNEXPECTED);
		return;
	}
	xm_stat_inc(conn, XM_STAT_RREP_RX);
	cancel_delayed_work(&conn->retx);
	conn->reg_state = XFRM_MOBILITY_REG_STATE_REGISTERED;
	conn->nat = m->verdict.nat;

	/*
	 * Compare the gateway's view of its reply with what arrived here: a
	 * translated source port of the gateway is learnt, so that our
	 * packets go where its replies come from.
	 */
	if (msg->have_view && msg->observed.encap == XM_ENCAP_ESPINUDP &&
	    !xm_sa_endpoints(conn, &from) && from.encap_type &&
	    msg->observed.sport != from.remote_port) {
		to = from;
		to.remote_port = msg->observed.sport;
		if (!xm_sa_move(conn, &to, NULL))
			xm_nl_notify(conn, XFRM_MOBILITY_EVENT_SA_MOVED, m->seq,
				     conn->nat, 0, GFP_KERNEL);
	}
	xm_nl_notify(conn, XFRM_MOBILITY_EVENT_RREP_RECEIVED, m->seq,
		     conn->nat, 0, GFP_KERNEL);

	if (m->verdict.method == XM_ENCAP_NONE && plain_allowed(conn)) {
		mobile_go_plain(conn);
	} else if (want_plain_copies(conn, m)) {
		/*
		 * The first plain copy may still be on its way: resend after
		 * XM_RTO_INIT, then doubling.
		 */
		conn->copy_tries = 0;
		conn->copy_resend = true;
		mod_delayed_work(xm_wq, &conn->probe, XM_RTO_INIT);
	}
}

/*
 * Whether the module keeps @conn's inbound SA plain: it does from the
 * first registration on whenever the peer may send plain ESP (a plain
 * inbound SA takes ESP-in-UDP as well, see rx.c), as xm_reg_handover()
 * and gateway_target() set it.
 */
static bool want_in_plain(const struct xm_conn *conn)
{
	if (!plain_allowed(conn))
		return false;
	if (conn->role == XFRM_MOBILITY_ROLE_GATEWAY)
		return conn->rx_seq && conn->peer_esp;
	return conn->tx_seq;
}

/**
 * xm_reg_sas_changed() - check a connection after others changed its SAs
 * @conn: connection, its SAs just resolved again
 *
 * An IKE daemon that follows the module (the charon plugin) re-installs
 * the SA pair from the module's state as it read it; when that job ran
 * while the module moved on (a second NAT rebinding, the switch to plain
 * ESP), the SAs come back as they were. Two things are repaired here:
 *
 * - An inbound SA that the module keeps plain is made plain again, or the
 *   peer's plain ESP would be dropped.
 * - Gateway: when the outbound SA is no longer where the module left it,
 *   the record of the peer's newest ESP-in-UDP source is forgotten, so the
 *   next authenticated ESP-in-UDP packet reports its source again and the
 *   SAs follow it back (xm_km_mapping()). Nothing is moved on the
 *   daemon's word alone: only an authenticated packet or a registration
 *   moves the SAs.
 *
 * The module's own moves come back here as well (the key manager sees
 * them); they leave the SAs as recorded, and nothing is done.
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_reg_sas_changed(struct xm_conn *conn)
{
	struct xm_endpoints cur;

	lockdep_assert_held(&conn->xn->lock);

	/* First: making the inbound SA plain below touches no endpoint. */
	if (conn->role == XFRM_MOBILITY_ROLE_GATEWAY && conn->set_ep.family &&
	    !xm_sa_endpoints(conn, &cur) && !ep_same(&cur, &conn->set_ep)) {
		spin_lock_bh(&conn->src_lock);
		WRITE_ONCE(conn->src_addr, 0);
		WRITE_ONCE(conn->src_port, 0);
		spin_unlock_bh(&conn->src_lock);
	}
	if (want_in_plain(conn) && !sa_plain(conn, XFRM_MOBILITY_DIR_IN)) {
		int err = xm_sa_make_plain(conn, XFRM_MOBILITY_DIR_IN);

		/* Not ENCAP_CHANGED: the daemon's view is unchanged. */
		xm_nl_notify(conn, err ? XFRM_MOBILITY_EVENT_FAILURE :
			     XFRM_MOBILITY_EVENT_SA_UPDATED, 0, 0, err,
			     GFP_KERNEL);
	}
}

static void rx_work(struct work_struct *work)
{
	struct xm_rx_msg *msg = container_of(work, struct xm_rx_msg, work);
	struct xm_net *xn = xm_net(msg->net);
	struct xm_conn *conn;
	struct xm_msg m;

	mutex_lock(&xn->lock);
	if (!msg->conn_id) {
		probe_rx(xn, msg);
		goto out;
	}
	conn = xa_load(&xn->conns, msg->conn_id);
	if (!conn || conn->dead)
		goto out;
	if (conn->sa[XFRM_MOBILITY_DIR_IN].spi != msg->spi) {
		xm_stat_inc(conn, XM_STAT_DROP_STALE);
		goto out;
	}
	if (!inner_ok(conn, msg)) {
		xm_stat_inc(conn, XM_STAT_DROP_WRONG_CONN);
		goto out;
	}
	if (xm_msg_parse(msg->buf, msg->len, &m)) {
		xm_stat_inc(conn, XM_STAT_DROP_MALFORMED);
		goto out;
	}

	if (m.type == XM_MSG_RREQ && conn->role == XFRM_MOBILITY_ROLE_GATEWAY)
		gateway_rreq(conn, &m, msg);
	else if (m.type == XM_MSG_RREP && conn->role == XFRM_MOBILITY_ROLE_MOBILE)
		mobile_rrep(conn, &m, msg);
	else if (m.type == XM_MSG_PROBE_ACK)
		probe_ack(conn, &m);
	else
		xm_stat_inc(conn, XM_STAT_DROP_UNEXPECTED);
out:
	mutex_unlock(&xn->lock);
	put_net(msg->net);
	kfree(msg);
}

/**
 * xm_reg_queue_rx() - hand a received registration message to process
 *	context
 * @net: namespace the message arrived in
 * @msg: the message; ownership passes to this function
 *
 * Context: softirq.
 */
void xm_reg_queue_rx(struct net *net, struct xm_rx_msg *msg)
{
	msg->net = maybe_get_net(net);
	if (!msg->net) {
		kfree(msg);
		return;
	}
	INIT_WORK(&msg->work, rx_work);
	queue_work(xm_wq, &msg->work);
}

/**
 * xm_reg_conn_init() - prepare the registration state of a connection
 * @conn: new connection
 */
void xm_reg_conn_init(struct xm_conn *conn)
{
	INIT_DELAYED_WORK(&conn->retx, retx_work);
	INIT_DELAYED_WORK(&conn->ka, ka_work);
	INIT_DELAYED_WORK(&conn->probe, probe_work);
	spin_lock_init(&conn->src_lock);
	conn->reg_state = XFRM_MOBILITY_REG_STATE_IDLE;
}

/**
 * xm_reg_conn_start() - start the timers of a new connection
 * @conn: connection just inserted in the table
 *
 * Only a mobile host sends NAT keepalives: a gateway connection arms no
 * timer (a gateway with many connections would otherwise run a work item
 * per connection every interval for nothing).
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_reg_conn_start(struct xm_conn *conn)
{
	if (conn->keepalive && conn->role == XFRM_MOBILITY_ROLE_MOBILE)
		queue_delayed_work(xm_wq, &conn->ka, conn->keepalive * HZ);
}

/**
 * xm_reg_conn_stop() - stop the timers of a connection leaving the table
 * @conn: connection, already marked dead
 *
 * Context: process context, &xm_net.lock not held.
 */
void xm_reg_conn_stop(struct xm_conn *conn)
{
	cancel_delayed_work_sync(&conn->retx);
	cancel_delayed_work_sync(&conn->ka);
	cancel_delayed_work_sync(&conn->probe);
}

/**
 * xm_reg_init() - create the module's workqueue
 *
 * Return: 0 or -ENOMEM.
 */
int xm_reg_init(void)
{
	/* Ordered: messages of a connection are handled in arrival order. */
	xm_wq = alloc_ordered_workqueue("xfrm_mobility", WQ_MEM_RECLAIM);
	return xm_wq ? 0 : -ENOMEM;
}

/**
 * xm_reg_stop() - finish queued messages and stop rearming timers
 *
 * Called after the receive hooks and the netlink family are gone, before
 * the per-netns state is torn down.
 */
void xm_reg_stop(void)
{
	WRITE_ONCE(xm_stopping, true);
	flush_workqueue(xm_wq);
}

/**
 * xm_reg_uninit() - destroy the module's workqueue
 */
void xm_reg_uninit(void)
{
	destroy_workqueue(xm_wq);
}
