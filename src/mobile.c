// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: the mobile host's side of the registration exchange.
 *
 * On a handover the mobile host moves its own SA pair to the new local
 * address (its traffic flows from that moment), then sends a registration
 * request (RREQ) through the moved outbound SA, one copy per traversal
 * method it may use (ESP-in-UDP, and plain ESP unless that is ruled out),
 * and retransmits them with exponential backoff until a matching reply
 * (RREP) arrives. After XM_MAX_RETRIES the registration is reported
 * failed, and the request goes on being sent every XM_RETRY_INTERVAL while
 * a route to the peer exists: a path that comes back after a blackout
 * carries the connection again by itself. Behind a NAT it sends NAT
 * keepalives.
 *
 * Everything here runs in process context under &xm_net.lock.
 */

#include <linux/random.h>
#include <linux/timekeeping.h>

#include "event.h"
#include "live.h"
#include "mobile.h"
#include "move.h"
#include "probe.h"
#include "reg.h"
#include "sa.h"
#include "tx.h"

#define XM_RTO_MAX	msecs_to_jiffies(4000)
/* Tries before a registration is reported failed; it goes on after. */
#define XM_MAX_RETRIES	8
/* Interval of the tries of a failed registration. */
#define XM_RETRY_INTERVAL	msecs_to_jiffies(10000)
/*
 * Length of a request, PADDING included: the gateway may send its reply,
 * its path challenges and probes and the first packets of its traffic to
 * our new address before it is validated (three times what it received
 * from there, see path.c), as QUIC pads its first packets (RFC 9000,
 * section 8.1).
 */
#define XM_RREQ_LEN	496

/*
 * Sequence number of a new request: above the ESP sequence number the
 * outbound SA reached (each request uses one), above the previous
 * request's if that was numbered under the same SA, never 0.
 */
static u32 next_seq(struct xm_conn *conn)
{
	__be32 spi = conn->sa[XFRM_MOBILITY_DIR_OUT].spi;
	u32 seq = xm_sa_oseq(conn) + 1;

	if (conn->mob.tx_seq && conn->mob.tx_spi == spi &&
	    (s32)(seq - conn->mob.tx_seq) <= 0)
		seq = conn->mob.tx_seq + 1;
	conn->mob.tx_spi = spi;
	return seq ?: 1;
}

/**
 * xm_mobile_send_copy() - send one copy of the newest request
 * @conn: mobile connection
 * @encap: XM_ENCAP_NONE for a plain-ESP copy, else as the SA sends
 *	(ESP-in-UDP while a registration is in progress)
 *
 * The copy goes through the outbound SA. Each copy gets its own ESP
 * sequence number, and its SENDER_VIEW says how it was sent.
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_mobile_send_copy(struct xm_conn *conn, u8 encap)
{
	struct xm_msg m = {
		.type = XM_MSG_RREQ,
		.seq = conn->mob.tx_seq,
		.nonce = conn->mob.tx_nonce,
		.present = XM_PRESENT_SENDER_VIEW | XM_PRESENT_METHODS |
			   XM_PRESENT_COPIES,
		.sender = conn->mob.tx_view,
		.methods = xm_conn_methods(conn),
		.copies = xm_conn_methods(conn),
	};
	bool plain = encap == XM_ENCAP_NONE;
	u8 buf[XM_MSG_MAX];
	int len, err;

	lockdep_assert_held(&conn->xn->lock);
	/*
	 * Rekeyed since the request was numbered: the gateway numbers anew
	 * under the new SA, so the request is renumbered from its counter.
	 */
	if (conn->sa[XFRM_MOBILITY_DIR_OUT].spi != conn->mob.tx_spi) {
		conn->mob.tx_seq = next_seq(conn);
		conn->mob.tx_nonce = get_random_u64();
		m.seq = conn->mob.tx_seq;
		m.nonce = conn->mob.tx_nonce;
	}
	if (plain) {
		m.sender.encap = XM_ENCAP_NONE;
		m.sender.sport = 0;
		m.sender.dport = 0;
	}
	len = xm_msg_wire_len(&m) + XM_TLV_HDR_LEN;
	if (len <= XM_RREQ_LEN) {
		m.present |= XM_PRESENT_PADDING;
		m.padding = XM_RREQ_LEN - len;
	}
	len = xm_msg_build(&m, buf, sizeof(buf));
	err = len < 0 ? len : xm_tx_msg(conn, buf, len, plain);
	if (err) {
		xm_stat_inc(conn, XM_STAT_TX_ERRORS);
		xm_event_failure(conn, conn->mob.tx_seq, 0, err);
		return;
	}
	xm_stat_inc(conn, XM_STAT_RREQ_TX);
	if (plain)
		conn->mob.copy_tries++;
}

/*
 * All copies of the newest request: ESP-in-UDP first (it passes NATs and
 * firewalls that drop ESP), then plain ESP, which proves to the gateway
 * that our plain ESP reaches it untranslated.
 */
static void send_rreq(struct xm_conn *conn)
{
	xm_mobile_send_copy(conn, XM_ENCAP_ESPINUDP);
	if (xm_plain_allowed(conn))
		xm_mobile_send_copy(conn, XM_ENCAP_NONE);
}

/**
 * xm_mobile_handover() - move a mobile connection and register the move
 * @conn: connection in the mobile role
 * @local: new local outer address, or NULL to use the source address the
 *	routing table now picks towards the peer
 * @extack: where to say why the handover failed
 *
 * Context: process context, &xm_net.lock held.
 * Return: 0 once the SAs are moved and the request is sent (or will be
 * retransmitted), else a negative errno.
 */
int xm_mobile_handover(struct xm_conn *conn, const xfrm_address_t *local,
		       struct netlink_ext_ack *extack)
{
	enum xfrm_mobility_conn_state state;
	struct xm_endpoints from, to;
	int err;

	lockdep_assert_held(&conn->xn->lock);

	if (conn->role != XFRM_MOBILITY_ROLE_MOBILE) {
		NL_SET_ERR_MSG_MOD(extack,
				   "only a mobile connection can hand over");
		return -EINVAL;
	}
	state = xm_sa_check(conn);
	xm_conn_index_spi(conn);
	if (state != XFRM_MOBILITY_CONN_STATE_OK ||
	    xm_sa_endpoints(conn, &from)) {
		NL_SET_ERR_MSG_MOD(extack, "the connection's SAs are gone");
		return -ENOENT;
	}

	to = from;
	xm_probe_stop(conn);
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
	if (!xfrm_addr_equal(&to.local, &from.local, from.family)) {
		conn->plain.failed = false;
		conn->live.strikes = 0;
	}
	conn->plain.gro = xm_encap_sock_gro(conn->xn, &to.local);
	/*
	 * Our inbound SA goes plain at once when plain ESP may be used: it
	 * accepts ESP-in-UDP as well, and the gateway's probes then get an
	 * answer as soon as they arrive.
	 */
	to.in_plain = xm_plain_allowed(conn);

	err = xm_sa_move(conn, &from, &to, extack);
	if (!err && to.in_plain)
		err = xm_sa_make_plain(conn, XFRM_MOBILITY_DIR_IN);
	if (err) {
		xm_event_failure(conn, 0, 0, err);
		return err;
	}
	xm_conn_index_spi(conn);

	/*
	 * A newer request supersedes any outstanding one. Its number comes
	 * from the outbound SA's ESP counter, which only grows under one key
	 * and outlives this connection object: after a restart of ours (conn
	 * del/add, a reload) the gateway still sees a newer request.
	 */
	conn->mob.tx_seq = next_seq(conn);
	conn->mob.tx_nonce = get_random_u64();
	xm_ep_to_view(&to, &conn->mob.tx_view);
	conn->reg_state = XFRM_MOBILITY_REG_STATE_PENDING;
	conn->mob.retries = 0;
	conn->mob.copy_tries = 0;

	xm_event_sa_moved(conn, conn->mob.tx_seq, 0);
	send_rreq(conn);
	xm_event_rreq_sent(conn, conn->mob.tx_seq);
	conn->mob.next_try = (jiffies + XM_RTO_INIT) ?: 1;
	mod_delayed_work(xm_wq, &conn->mob.retx, XM_RTO_INIT);
	return 0;
}

/* Whether the routing table has a route towards the peer's address. */
static bool peer_routable(struct xm_conn *conn)
{
	struct xm_endpoints ep;
	xfrm_address_t src;

	return !xm_sa_endpoints(conn, &ep) &&
	       !xm_tx_route_source(conn->xn->net, conn->mark.v, ep.family,
				   &ep.remote, &src);
}

static void retx_work(struct work_struct *work)
{
	struct xm_conn *conn = container_of(to_delayed_work(work),
					    struct xm_conn, mob.retx);
	struct xm_net *xn = conn->xn;
	unsigned long rto;

	mutex_lock(&xn->lock);
	if (xm_reg_conn_gone(conn) ||
	    (conn->reg_state != XFRM_MOBILITY_REG_STATE_PENDING &&
	     conn->reg_state != XFRM_MOBILITY_REG_STATE_FAILED))
		goto out;

	if (conn->reg_state == XFRM_MOBILITY_REG_STATE_PENDING &&
	    ++conn->mob.retries > XM_MAX_RETRIES) {
		conn->reg_state = XFRM_MOBILITY_REG_STATE_FAILED;
		xm_event_failure(conn, conn->mob.tx_seq, 0, -ETIMEDOUT);
	}
	if (conn->reg_state == XFRM_MOBILITY_REG_STATE_FAILED) {
		rto = XM_RETRY_INTERVAL;
		/* Without a route the request could not leave: wait. */
		if (!peer_routable(conn))
			goto rearm;
	} else {
		rto = min_t(unsigned long, XM_RTO_INIT << conn->mob.retries,
			    XM_RTO_MAX);
	}
	xm_stat_inc(conn, XM_STAT_RETRANSMITS);
	send_rreq(conn);
	xm_event_retransmit(conn, conn->mob.tx_seq);
rearm:
	conn->mob.next_try = (jiffies + rto) ?: 1;
	queue_delayed_work(xm_wq, &conn->mob.retx, rto);
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
					    struct xm_conn, mob.ka);
	struct xm_net *xn = conn->xn;
	__be16 sport = 0, dport = 0;
	__be32 saddr, daddr;
	struct xfrm_state *x;
	u64 packets;

	mutex_lock(&xn->lock);
	if (xm_reg_conn_gone(conn))
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

	if (sport && packets == conn->mob.ka_packets) {
		if (xm_tx_keepalive(xn->net, conn->mark.v, saddr, daddr, sport,
				    dport))
			xm_stat_inc(conn, XM_STAT_TX_ERRORS);
		else
			xm_stat_inc(conn, XM_STAT_KEEPALIVES);
	}
	conn->mob.ka_packets = packets;
rearm:
	queue_delayed_work(xm_wq, &conn->mob.ka, conn->keepalive * HZ);
out:
	mutex_unlock(&xn->lock);
}

/*
 * Whether to resend plain copies of the request after a reply that named
 * ESP-in-UDP: no translation was seen, both ends may use plain ESP, and no
 * plain copy reached the gateway yet (it may have been dropped while the
 * gateway's inbound SA was still encapsulated, or lost).
 */
static bool want_plain_copies(struct xm_conn *conn, const struct xm_msg *m)
{
	return xm_plain_allowed(conn) && !m->verdict.nat &&
	       (m->methods & XM_METHOD_ESP) &&
	       !((m->present & XM_PRESENT_COPIES) &&
		 (m->copies & XM_METHOD_ESP));
}

/**
 * xm_mobile_rrep() - handle an authenticated registration reply
 * @conn: mobile connection whose inbound SA authenticated the reply
 * @m: the reply, parsed
 * @msg: the reply as received, with its outer header
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_mobile_rrep(struct xm_conn *conn, const struct xm_msg *m,
		    const struct xm_rx_msg *msg)
{
	struct xm_endpoints from, to;

	lockdep_assert_held(&conn->xn->lock);
	if (m->seq != conn->mob.tx_seq) {
		xm_stat_inc(conn, XM_STAT_DROP_STALE);
		return;
	}
	if (m->nonce != conn->mob.tx_nonce) {
		xm_stat_inc(conn, XM_STAT_DROP_UNEXPECTED);
		return;
	}
	if (conn->reg_state == XFRM_MOBILITY_REG_STATE_REGISTERED) {
		/*
		 * A further reply to the completed registration. It changes
		 * something only when it names plain ESP and we still send
		 * ESP-in-UDP: a plain copy reached the gateway.
		 */
		if (m->verdict.method != XM_ENCAP_NONE || !xm_plain_allowed(conn) ||
		    xm_sa_is_plain(conn, XFRM_MOBILITY_DIR_OUT)) {
			xm_stat_inc(conn, XM_STAT_DUPLICATES);
			return;
		}
		xm_stat_inc(conn, XM_STAT_RREP_RX);
		conn->nat = m->verdict.nat;
		xm_event_rrep_received(conn, m->seq, conn->nat);
		xm_probe_go_plain(conn);
		return;
	}
	if (conn->reg_state != XFRM_MOBILITY_REG_STATE_PENDING &&
	    conn->reg_state != XFRM_MOBILITY_REG_STATE_FAILED) {
		xm_stat_inc(conn, XM_STAT_DROP_UNEXPECTED);
		return;
	}
	xm_stat_inc(conn, XM_STAT_RREP_RX);
	cancel_delayed_work(&conn->mob.retx);
	conn->mob.next_try = 0;
	conn->reg_state = XFRM_MOBILITY_REG_STATE_REGISTERED;
	conn->nat = m->verdict.nat;
	/* The path carries the connection: watch that it keeps doing so. */
	xm_live_start(conn);

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
		if (!xm_sa_move(conn, &from, &to, NULL))
			xm_event_sa_moved(conn, m->seq, conn->nat);
	}
	xm_event_rrep_received(conn, m->seq, conn->nat);

	if (m->verdict.method == XM_ENCAP_NONE && xm_plain_allowed(conn)) {
		xm_probe_go_plain(conn);
	} else if (want_plain_copies(conn, m)) {
		/*
		 * The first plain copy may still be on its way: resend after
		 * XM_RTO_INIT, then doubling.
		 */
		conn->mob.copy_tries = 0;
		conn->mob.copy_resend = true;
		mod_delayed_work(xm_wq, &conn->plain.work, XM_RTO_INIT);
	}
}

/**
 * xm_mobile_challenge() - answer the gateway's path challenge
 * @conn: mobile connection whose inbound SA authenticated the challenge
 * @m: the challenge
 *
 * The gateway moved to where our packets came from and asks for proof
 * that we are there: the response goes through the SA, from that address.
 * Responses are rate-limited.
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_mobile_challenge(struct xm_conn *conn, const struct xm_msg *m)
{
	lockdep_assert_held(&conn->xn->lock);
	if (xm_reg_answer_allowed(conn))
		xm_tx_hdr(conn, XM_MSG_RESPONSE, m->seq, m->nonce, false);
}

/**
 * xm_mobile_conn_init() - prepare the timers of the mobile role
 * @conn: new connection, not visible to any timer or message yet
 */
void xm_mobile_conn_init(struct xm_conn *conn)
{
	INIT_DELAYED_WORK(&conn->mob.retx, retx_work);
	INIT_DELAYED_WORK(&conn->mob.ka, ka_work);
}

/**
 * xm_mobile_conn_start() - arm the NAT keepalive timer
 * @conn: connection just inserted in the table
 *
 * Only a mobile host sends NAT keepalives: a gateway connection arms no
 * timer (a gateway with many connections would otherwise run a work item
 * per connection every interval for nothing).
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_mobile_conn_start(struct xm_conn *conn)
{
	lockdep_assert_held(&conn->xn->lock);
	if (conn->keepalive && conn->role == XFRM_MOBILITY_ROLE_MOBILE)
		queue_delayed_work(xm_wq, &conn->mob.ka, conn->keepalive * HZ);
}

/**
 * xm_mobile_conn_stop() - wait for the timers of the mobile role
 * @conn: connection, already marked dead
 *
 * Context: process context, &xm_net.lock not held.
 */
void xm_mobile_conn_stop(struct xm_conn *conn)
{
	cancel_delayed_work_sync(&conn->mob.retx);
	cancel_delayed_work_sync(&conn->mob.ka);
}
