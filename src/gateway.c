// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: the gateway's side of the registration exchange, and the
 * NAT rebindings it follows.
 *
 * On the first authenticated copy of an RREQ newer than the last one it
 * accepted, the gateway compares the mobile host's view of the outer
 * header with the header it received, moves its SA pair to the observed
 * endpoint (its traffic to the mobile host flows from that moment, limited
 * until the address is validated, see path.c), and answers through the
 * moved outbound SA. Later copies of the same request are duplicates:
 * they are counted and answered, and move nothing unless they are the
 * newest packet the SA accepted; a plain-ESP copy that arrives
 * untranslated makes the answer name plain ESP. Moves on the peer's
 * request are rate-limited per connection.
 *
 * Everything here runs in process context under &xm_net.lock.
 */

#include "event.h"
#include "gateway.h"
#include "live.h"
#include "move.h"
#include "path.h"
#include "probe.h"
#include "reg.h"
#include "sa.h"
#include "tx.h"

/* Moves on the peer's request: a burst of 8, then one every 100 ms. */
#define XM_MOVE_BURST		8
#define XM_MOVE_INTERVAL	msecs_to_jiffies(100)

/* Answer a copy of the accepted request with the registration's method. */
static void gateway_reply(struct xm_conn *conn, const struct xm_rx_msg *msg,
			  u32 nat)
{
	struct xm_msg rep = {
		.type = XM_MSG_RREP,
		.seq = conn->gw.rx_seq,
		.nonce = conn->gw.rx_nonce,
		.present = XM_PRESENT_ALL | XM_PRESENT_COPIES,
		.observed = msg->observed,
		.methods = xm_conn_methods(conn),
		.copies = conn->gw.rx_copies,
		.verdict = { .nat = nat, .method = conn->gw.rx_method },
	};
	struct xm_endpoints ep;
	u8 buf[XM_MSG_MAX];
	int len, err;

	if (xm_sa_endpoints(conn, &ep))
		return;
	xm_ep_to_view(&ep, &rep.sender);
	len = xm_msg_build(&rep, buf, sizeof(buf));
	if (len < 0) {
		xm_stat_inc(conn, XM_STAT_TX_ERRORS);
		return;
	}
	err = xm_tx_msg(conn, buf, len, false);
	if (err) {
		xm_stat_inc(conn, XM_STAT_TX_ERRORS);
		xm_event_failure(conn, rep.seq, nat, err);
		return;
	}
	xm_stat_inc(conn, XM_STAT_RREP_TX);
	xm_event_rrep_sent(conn, rep.seq, nat);
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
	xm_view_to_ep(from->family, &to->remote, &msg->observed.saddr);
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
	to->in_plain = xm_plain_allowed(conn) && (m->methods & XM_METHOD_ESP);
}

/*
 * Whether the peer may move the SA pair to @to now; counts a refusal. A
 * move back to the validated address is never refused.
 */
static bool move_allowed(struct xm_conn *conn, const struct xm_endpoints *to)
{
	if (xm_path_validated(conn, to) ||
	    xm_ratelimit_allow(&conn->gw.moves, XM_MOVE_BURST,
			       XM_MOVE_INTERVAL))
		return true;
	xm_stat_inc(conn, XM_STAT_DROP_RATE_LIMITED);
	return false;
}

/*
 * Move to @to; returns 0 when the SAs are there. A new address is
 * validated from the moment the SAs are there, whatever follows.
 */
static int gateway_move(struct xm_conn *conn, const struct xm_msg *m,
			const struct xm_rx_msg *msg,
			const struct xm_endpoints *from,
			const struct xm_endpoints *to, u32 nat)
{
	bool moved = !xm_ep_same(from, to);
	int err;

	/*
	 * A request pays with its PADDING for the reply and challenges that
	 * go to an address not validated yet (path.c).
	 */
	if (moved && !xm_path_validated(conn, to) &&
	    !(m->present & XM_PRESENT_PADDING)) {
		xm_stat_inc(conn, XM_STAT_DROP_UNEXPECTED);
		return -EPERM;
	}
	if (moved && !move_allowed(conn, to))
		return -EBUSY;
	err = xm_sa_move(conn, from, to, NULL);
	if (!err && moved) {
		xm_event_sa_moved(conn, m->seq, nat);
		xm_path_moved(conn, from, to, msg->wire_len);
	}
	if (!err && to->in_plain)
		err = xm_probe_make_plain(conn, XFRM_MOBILITY_DIR_IN);
	if (err)
		xm_event_failure(conn, m->seq, nat, err);
	else if (to->in_plain)
		/* The peer may send plain ESP: watch that it arrives. */
		xm_live_start(conn);
	return err;
}

/* Plain ESP for the registration: a plain copy came through untranslated. */
static bool copy_proves_plain(struct xm_conn *conn, const struct xm_msg *m,
			      const struct xm_rx_msg *msg, u32 nat)
{
	return !nat && m->sender.encap == XM_ENCAP_NONE &&
	       msg->observed.encap == XM_ENCAP_NONE &&
	       (m->methods & XM_METHOD_ESP) && xm_plain_allowed(conn);
}

/*
 * A further copy (another method, or a retransmission) of the accepted
 * request. It never moves the SA pair to another address on its own
 * account, except that an ESP-in-UDP copy is followed when it shows the
 * peer somewhere else than our ESP-in-UDP goes (a NAT rebinding during
 * the registration, or the port a plain copy could not show) and it is
 * the newest packet the SA accepted: a copy withheld on the path and sent
 * again from elsewhere is older than the copies that came through since.
 * Answers are rate-limited.
 */
static void gateway_dup(struct xm_conn *conn, const struct xm_msg *m,
			const struct xm_rx_msg *msg, u32 nat)
{
	struct xm_endpoints from, to;
	bool upgrade = false;

	xm_stat_inc(conn, XM_STAT_DUPLICATES);
	conn->gw.rx_copies |= xm_encap_method(m->sender.encap);

	if (msg->observed.encap == XM_ENCAP_ESPINUDP && msg->newest &&
	    !xm_sa_endpoints(conn, &from) && from.encap_type) {
		gateway_target(conn, m, msg, &from, &to);
		if (!xm_ep_same(&from, &to) &&
		    gateway_move(conn, m, msg, &from, &to, nat))
			return;
	}
	/*
	 * While a new address is being validated, only copies from there are
	 * answered: the answer goes there, not to where the copy came from.
	 */
	if ((conn->gw.pv.active &&
	     !xm_path_from_pending(conn, &msg->observed)) ||
	    !xm_reg_answer_allowed(conn))
		return;

	if (conn->gw.rx_method != XM_ENCAP_NONE &&
	    copy_proves_plain(conn, m, msg, nat)) {
		conn->gw.rx_method = XM_ENCAP_NONE;
		conn->nat = nat;
		upgrade = true;
	}
	gateway_reply(conn, msg, nat);
	if (upgrade && !xm_sa_is_plain(conn, XFRM_MOBILITY_DIR_OUT))
		xm_probe_start(conn);
}

/**
 * xm_gateway_rreq() - handle an authenticated registration request
 * @conn: gateway connection whose inbound SA authenticated the request
 * @m: the request, parsed
 * @msg: the request as received, with its outer header
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_gateway_rreq(struct xm_conn *conn, const struct xm_msg *m,
		     const struct xm_rx_msg *msg)
{
	struct xm_endpoints from, to;
	bool dup, known;
	u32 nat;

	lockdep_assert_held(&conn->xn->lock);

	/*
	 * Requests are numbered from the peer's outbound SA (wire.h): under
	 * a new inbound SA (a rekey) any number is new.
	 */
	known = conn->gw.rx_seq && conn->gw.rx_spi == msg->spi;
	dup = known && m->seq == conn->gw.rx_seq &&
	      m->nonce == conn->gw.rx_nonce;
	if (!dup && known && (s32)(m->seq - conn->gw.rx_seq) <= 0) {
		xm_stat_inc(conn, XM_STAT_DROP_STALE);
		return;
	}
	if (!msg->have_view) {
		xm_stat_inc(conn, XM_STAT_DROP_NO_TUPLE);
		return;
	}
	if (xm_view_family(&msg->observed) != conn->sa[XFRM_MOBILITY_DIR_IN].family) {
		xm_stat_inc(conn, XM_STAT_DROP_UNEXPECTED);
		return;
	}
	xm_stat_inc(conn, XM_STAT_RREQ_RX);
	nat = xm_classify(&m->sender, &msg->observed);
	xm_event_rreq_received(conn, m->seq, nat);

	if (dup) {
		gateway_dup(conn, m, msg, nat);
		return;
	}

	/* The first copy of a new request: the peer is where it came from. */
	if (xm_sa_endpoints(conn, &from)) {
		xm_event_failure(conn, m->seq, nat, -ENOENT);
		return;
	}
	xm_conn_gro_check(conn);
	gateway_target(conn, m, msg, &from, &to);
	if (gateway_move(conn, m, msg, &from, &to, nat))
		return;

	conn->gw.rx_seq = m->seq;
	conn->gw.rx_spi = msg->spi;
	conn->gw.rx_nonce = m->nonce;
	conn->gw.rx_copies = xm_encap_method(m->sender.encap);
	conn->gw.peer_esp = !!(m->methods & XM_METHOD_ESP);
	conn->nat = nat;
	conn->reg_state = XFRM_MOBILITY_REG_STATE_REGISTERED;

	/*
	 * Plain ESP only when a plain copy came through untranslated: that
	 * proves the peer's plain ESP reaches us. Our own plain ESP towards
	 * the peer still needs probes.
	 */
	xm_probe_stop(conn);
	conn->gw.rx_method = copy_proves_plain(conn, m, msg, nat) ?
			  XM_ENCAP_NONE : XM_ENCAP_ESPINUDP;
	gateway_reply(conn, msg, nat);
	if (conn->gw.rx_method == XM_ENCAP_NONE &&
	    !xm_sa_is_plain(conn, XFRM_MOBILITY_DIR_OUT))
		xm_probe_start(conn);
}

/**
 * xm_gateway_follow_rebinding() - follow a NAT rebinding of the peer
 * @conn: gateway connection whose receive hook recorded a new source in
 *	&xm_conn_gateway.src_addr and &xm_conn_gateway.src_port
 *
 * A NAT rebinding: authenticated ESP-in-UDP for a gateway connection's
 * inbound SA arrived from another source than the SAs send to, with the
 * highest sequence number the SA has accepted (see rx.c). The peer
 * cannot see this (its own address did not change), so the gateway
 * follows: both SAs take the new source, as the kernel's XFRM_MSG_MAPPING
 * would have an IKE daemon do (RFC 3948, section 5.2); a plain inbound SA
 * stays plain. A new port or address is followed, as QUIC follows the
 * newest packet to a new address: a NAT may change its public address
 * too, an IKE daemon may re-install the SAs from an older state (see
 * xm_reg_sas_changed()), and a peer whose address the gateway gave up
 * (path.c) is found again. Every new address is validated, so nobody
 * gains more than three times what it sent by showing up elsewhere;
 * moves are rate-limited.
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_gateway_follow_rebinding(struct xm_conn *conn)
{
	struct xm_endpoints from, ep;
	struct xm_sa_info in;
	unsigned int len;
	__be32 addr;
	__be16 port;

	lockdep_assert_held(&conn->xn->lock);
	spin_lock_bh(&conn->gw.src_lock);
	addr = conn->gw.src_addr;
	port = conn->gw.src_port;
	len = conn->gw.src_len;
	spin_unlock_bh(&conn->gw.src_lock);
	if (!addr)
		return;
	if (conn->role != XFRM_MOBILITY_ROLE_GATEWAY ||
	    xm_sa_endpoints(conn, &ep) || ep.family != AF_INET ||
	    !ep.encap_type)
		return;
	if (ep.remote.a4 == addr && ep.remote_port == port)
		return;
	/* Keep a plain inbound SA plain: it takes ESP-in-UDP anyway. */
	ep.in_plain = !xm_sa_snapshot(conn, XFRM_MOBILITY_DIR_IN, &in) &&
		      !in.encap_type && !xm_conn_gro_check(conn);
	from = ep;
	ep.remote.a4 = addr;
	ep.remote_port = port;
	if (!move_allowed(conn, &ep)) {
		/* Reported again by the next packet. */
		xm_conn_forget_source(conn);
		return;
	}
	if (xm_sa_move(conn, &from, &ep, NULL))
		return;
	xm_stat_inc(conn, XM_STAT_REBINDINGS);
	xm_event_sa_moved(conn, 0, conn->nat);
	xm_path_moved(conn, &from, &ep, len);
}

/**
 * xm_gateway_conn_init() - prepare the gateway state of a new connection
 * @conn: new connection, not visible to any timer or message yet
 */
void xm_gateway_conn_init(struct xm_conn *conn)
{
	conn->gw.moves.tokens = XM_MOVE_BURST;
	conn->gw.moves.last = jiffies;
}
