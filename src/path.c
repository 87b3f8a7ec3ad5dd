// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: validation of the peer addresses a gateway moves to.
 *
 * A gateway moves its SA pair to where an authenticated request (or the
 * newest authenticated ESP-in-UDP packet, a NAT rebinding) came from, at
 * once: its traffic to the mobile host flows one round trip after the
 * move. The address is not proven yet: a mobile host may forge its outer
 * source, and an attacker on the path may withhold a request and send it
 * again from elsewhere. So, as QUIC does for connection migration (RFC
 * 9000, sections 8.2 and 9), the gateway sends a challenge through the SA
 * to the new address, and until the peer's response arrives from that
 * address it sends there at most three times the bytes it received from
 * there: further packets are dropped by a netfilter hook in POST_ROUTING,
 * before the SA numbers them (counted as amplification-drops). The module's own messages
 * (the reply, the challenges, probes) count against that budget and are
 * never dropped: XM_PV_RESERVE bytes of the budget are kept for them, and
 * a request pays for them with its PADDING. The response may come
 * back on any path: only the holder of the SA's keys could read the
 * challenge that went to the new address. An address that does not answer
 * XM_PV_TRIES challenges is given up: the SA pair returns to the last
 * validated endpoints. The endpoints the IKE daemon installed count as
 * validated.
 *
 * Process-context parts run under &xm_net.lock. The receive hooks add to
 * &xm_path.rx_bytes and the output hook to &xm_path.tx_bytes, under RCU.
 * Both count bytes on the wire: the outer length of what arrived, and
 * what leaves estimated from the SA's header and trailer lengths.
 */

#include <linux/netfilter_ipv4.h>
#include <linux/random.h>

#include "event.h"
#include "move.h"
#include "path.h"
#include "reg.h"
#include "sa.h"
#include "tx.h"

/* Challenges sent before an address is given up (XM_RTO_INIT doubling). */
#define XM_PV_TRIES		4
/* Bytes sent to an unvalidated address per byte received from it. */
#define XM_PV_AMPLIFICATION	3
/*
 * Of that budget, bytes kept for the module's own messages, which are
 * never dropped: a reply (about 200 bytes on the wire), XM_PV_TRIES
 * challenges and as many probes (about 110 bytes each).
 */
#define XM_PV_RESERVE		1152

/*
 * Whether @v comes from the address validation waits for: its address,
 * and its port for ESP-in-UDP (plain ESP from that address counts too).
 */
static bool from_pending(const struct xm_path *pv, const struct xm_view *v)
{
	__be16 port = READ_ONCE(pv->port);

	if (v->family != XM_FAMILY_IPV4 || v->saddr.a4 != READ_ONCE(pv->addr))
		return false;
	return v->encap == XM_ENCAP_NONE || !port || v->sport == port;
}

/* Whether @a and @b reach the peer at the same address and port. */
static bool same_remote(const struct xm_endpoints *a,
			const struct xm_endpoints *b)
{
	return a->family == b->family &&
	       xfrm_addr_equal(&a->remote, &b->remote, a->family) &&
	       a->encap_type == b->encap_type &&
	       (!a->encap_type || a->remote_port == b->remote_port);
}

/**
 * xm_path_from_pending() - whether a packet came from the address being
 *	validated
 * @conn: gateway connection
 * @v: the packet's outer header
 *
 * Context: process context, &xm_net.lock held.
 * Return: true if a validation is under way and @v comes from its address.
 */
bool xm_path_from_pending(struct xm_conn *conn, const struct xm_view *v)
{
	lockdep_assert_held(&conn->xn->lock);
	return conn->gw.pv.active && from_pending(&conn->gw.pv, v);
}

/**
 * xm_path_validated() - whether endpoints reach the peer where it was
 *	validated last
 * @conn: gateway connection
 * @ep: endpoints
 *
 * Context: process context, &xm_net.lock held.
 * Return: true if @ep's remote address (and port) is the validated one, or
 * none is known yet (the IKE daemon's endpoints count as validated).
 */
bool xm_path_validated(struct xm_conn *conn, const struct xm_endpoints *ep)
{
	lockdep_assert_held(&conn->xn->lock);
	return !conn->gw.pv.valid.family || same_remote(ep, &conn->gw.pv.valid);
}

/**
 * xm_path_rx() - count the bytes of an authenticated packet
 * @conn: gateway connection whose inbound SA authenticated the packet
 * @v: the packet's outer header
 * @bytes: its length on the wire
 *
 * Context: softirq, RCU read side.
 */
void xm_path_rx(struct xm_conn *conn, const struct xm_view *v,
		unsigned int bytes)
{
	struct xm_path *pv = &conn->gw.pv;

	/* Pairs with the release in start(): addr and port are current. */
	if (smp_load_acquire(&pv->active) && from_pending(pv, v))
		atomic64_add(bytes, &pv->rx_bytes);
}

/*
 * Packets about to be transformed by a connection's outbound SA towards
 * an address being validated: within the budget, or dropped before the SA
 * numbers them. The module's own messages are counted but always go.
 * The hook sees the packet before its transformation (xfrm4_output() runs
 * POST_ROUTING on it with the SA in its route); its length on the wire is
 * estimated from the SA's overheads.
 */
static unsigned int xm_path_out(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	struct xm_net *xn = priv;
	unsigned int verdict = NF_ACCEPT;
	struct dst_entry *dst;
	struct xfrm_state *x;
	struct xm_path *pv;
	__be32 daddr;

	if (likely(!READ_ONCE(xn->pv_active)))
		return NF_ACCEPT;
	dst = skb_dst(skb);
	x = dst ? dst->xfrm : NULL;
	if (!x || x->props.family != AF_INET)
		return NF_ACCEPT;
	daddr = x->id.daddr.a4;
	rcu_read_lock();
	hash_for_each_possible_rcu(xn->pv_conns, pv, node, (__force u32)daddr) {
		struct xm_conn *conn = container_of(pv, struct xm_conn, gw.pv);
		s64 sent, budget, msg;
		unsigned int len;

		if (daddr != READ_ONCE(pv->addr) || x->props.reqid != conn->reqid)
			continue;
		len = skb->len + x->props.header_len + x->props.trailer_len;
		sent = atomic64_add_return(len, &pv->tx_bytes);
		if (xm_tx_is_msg(xn, skb)) {
			atomic64_add(len, &pv->msg_bytes);
			break;
		}
		/* Pairs with the release in start(). */
		if (!smp_load_acquire(&pv->active))
			break;
		budget = XM_PV_AMPLIFICATION * atomic64_read(&pv->rx_bytes);
		msg = atomic64_read(&pv->msg_bytes);
		if (sent - msg + max_t(s64, msg, XM_PV_RESERVE) > budget) {
			atomic64_sub(len, &pv->tx_bytes);
			xm_stat_inc(conn, XM_STAT_AMPLIFICATION_DROPS);
			verdict = NF_DROP;
		}
		break;
	}
	rcu_read_unlock();
	return verdict;
}

/* Context: &xm_net.lock held. */
static int hook_get(struct xm_net *xn)
{
	int err;

	lockdep_assert_held(&xn->lock);
	if (xn->pv_hooked)
		return 0;
	xn->pv_ops[0] = (struct nf_hook_ops) {
		.hook		= xm_path_out,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_POST_ROUTING,
		.priority	= NF_IP_PRI_FIRST,
		.priv		= xn,
	};
	/* IPv6 inside an IPv4 SA goes through xfrm6_output(). */
	xn->pv_ops[1] = xn->pv_ops[0];
	xn->pv_ops[1].pf = NFPROTO_IPV6;
	err = nf_register_net_hooks(xn->net, xn->pv_ops,
				    ARRAY_SIZE(xn->pv_ops));
	if (!err)
		xn->pv_hooked = true;
	return err;
}

static void send_challenge(struct xm_conn *conn)
{
	if (!xm_tx_hdr(conn, XM_MSG_CHALLENGE, conn->gw.pv.tries,
		       conn->gw.pv.challenge, false))
		xm_stat_inc(conn, XM_STAT_CHALLENGES);
}

/**
 * xm_path_stop() - end the validation of a connection, if any
 * @conn: gateway connection
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_path_stop(struct xm_conn *conn)
{
	struct xm_path *pv = &conn->gw.pv;

	lockdep_assert_held(&conn->xn->lock);
	if (!pv->active)
		return;
	WRITE_ONCE(pv->active, false);
	hash_del_rcu(&pv->node);
	WRITE_ONCE(conn->xn->pv_active, conn->xn->pv_active - 1);
	pv->challenge = 0;
	cancel_delayed_work(&pv->work);
}

/*
 * Give up an address that did not answer: back to the validated path.
 * Returns whether the SAs are there; if not, validation goes on and the
 * revert is tried again.
 */
static bool revert(struct xm_conn *conn)
{
	struct xm_path *pv = &conn->gw.pv;
	struct xm_endpoints cur, to;
	struct xm_sa_info in;

	if (xm_sa_endpoints(conn, &cur)) {
		/* The SAs are gone: nothing goes anywhere. */
		xm_path_stop(conn);
		return true;
	}
	to = pv->valid;
	to.in_plain = !xm_sa_snapshot(conn, XFRM_MOBILITY_DIR_IN, &in) &&
		      !in.encap_type && !xm_conn_gro_check(conn);
	if (xm_sa_move(conn, &cur, &to, NULL))
		return false;
	xm_path_stop(conn);
	xm_stat_inc(conn, XM_STAT_REVERTS);
	xm_event_failure(conn, conn->gw.rx_seq, conn->nat, -EHOSTUNREACH);
	xm_event_sa_moved(conn, 0, conn->nat);
	/* The source a NAT rebinding reports must show itself anew. */
	xm_conn_forget_source(conn);
	return true;
}

/* Challenge again, or give up. Context: &xm_net.lock held. */
static void path_work_locked(struct xm_conn *conn)
{
	struct xm_path *pv = &conn->gw.pv;

	if (pv->tries >= XM_PV_TRIES) {
		if (!revert(conn))
			mod_delayed_work(xm_wq, &pv->work, HZ);
		return;
	}
	send_challenge(conn);
	mod_delayed_work(xm_wq, &pv->work, XM_RTO_INIT << pv->tries++);
}

static void path_work(struct work_struct *work)
{
	struct xm_conn *conn = container_of(to_delayed_work(work),
					    struct xm_conn, gw.pv.work);
	struct xm_net *xn = conn->xn;

	mutex_lock(&xn->lock);
	if (!xm_reg_conn_gone(conn) && conn->gw.pv.active)
		path_work_locked(conn);
	mutex_unlock(&xn->lock);
}

/* Start validating @to's remote address (or restart for a newer one). */
static void start(struct xm_conn *conn, const struct xm_endpoints *to,
		  unsigned int rx_bytes)
{
	struct xm_path *pv = &conn->gw.pv;
	struct xm_net *xn = conn->xn;

	if (pv->active) {
		WRITE_ONCE(pv->active, false);
		hash_del_rcu(&pv->node);
	} else {
		WRITE_ONCE(xn->pv_active, xn->pv_active + 1);
	}
	atomic64_set(&pv->rx_bytes, rx_bytes);
	atomic64_set(&pv->tx_bytes, 0);
	atomic64_set(&pv->msg_bytes, 0);
	WRITE_ONCE(pv->port, to->encap_type ? to->remote_port : 0);
	WRITE_ONCE(pv->addr, to->remote.a4);
	/* Publishes the fields above to the hooks. */
	hash_add_rcu(xn->pv_conns, &pv->node, (__force u32)to->remote.a4);
	/* For xm_path_rx(), which finds @pv without the hash. */
	smp_store_release(&pv->active, true);
	pv->challenge = get_random_u64() ?: 1;
	pv->tries = 0;
	/* The first challenge at once, before the reply is sent. */
	path_work_locked(conn);
}

/**
 * xm_path_moved() - the gateway moved its SA pair: validate the new path
 * @conn: gateway connection
 * @from: endpoints before the move (validated ones, unless a validation
 *	was under way)
 * @to: endpoints after the move
 * @rx_bytes: wire length of the authenticated packet that caused the move
 *
 * Returning to the last validated address ends any validation; any other
 * new address starts one (or restarts it for the newer address), with a
 * budget of XM_PV_AMPLIFICATION times @rx_bytes plus what arrives later.
 * If nothing can limit what goes there, the pair goes back to @from.
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_path_moved(struct xm_conn *conn, const struct xm_endpoints *from,
		   const struct xm_endpoints *to, unsigned int rx_bytes)
{
	struct xm_path *pv = &conn->gw.pv;

	lockdep_assert_held(&conn->xn->lock);
	if (!pv->valid.family)
		pv->valid = *from;
	if (same_remote(to, &pv->valid)) {
		xm_path_stop(conn);
		return;
	}
	if (same_remote(to, from) && pv->active)
		return;
	if (to->family != AF_INET || hook_get(conn->xn)) {
		struct xm_endpoints back = *from;

		/* Nothing can limit what goes there: do not stay. */
		back.in_plain = to->in_plain;
		xm_event_failure(conn, 0, conn->nat, -EOPNOTSUPP);
		if (!xm_sa_move(conn, to, &back, NULL))
			xm_event_sa_moved(conn, 0, conn->nat);
		return;
	}
	start(conn, to, rx_bytes);
}

/**
 * xm_path_check() - validate endpoints someone else installed
 * @conn: gateway connection, its SAs just re-installed by an IKE daemon
 *
 * An IKE daemon that follows the module re-installs the SAs from the state
 * it read, which may be an address the module has given up since: an
 * address neither validated nor being validated is validated now, with
 * no budget but the module's own messages.
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_path_check(struct xm_conn *conn)
{
	struct xm_path *pv = &conn->gw.pv;
	struct xm_endpoints cur;

	lockdep_assert_held(&conn->xn->lock);
	if (!pv->valid.family || xm_sa_endpoints(conn, &cur) ||
	    same_remote(&cur, &pv->valid))
		return;
	if (pv->active && cur.family == AF_INET &&
	    cur.remote.a4 == pv->addr &&
	    (cur.encap_type ? cur.remote_port : 0) == pv->port)
		return;
	if (cur.family != AF_INET || hook_get(conn->xn))
		return;
	start(conn, &cur, 0);
}

/**
 * xm_path_encap_changed() - the gateway changed only its encapsulation
 * @conn: gateway connection
 * @to: the endpoints its SA pair just moved to, at the same remote address
 *
 * The validated path is the peer's address: when the SAs were there, it
 * stays validated in the new encapsulation, and a later revert returns to
 * it rather than to the encapsulation just left.
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_path_encap_changed(struct xm_conn *conn, const struct xm_endpoints *to)
{
	struct xm_path *pv = &conn->gw.pv;

	lockdep_assert_held(&conn->xn->lock);
	if (pv->valid.family == to->family &&
	    xfrm_addr_equal(&pv->valid.remote, &to->remote, to->family))
		pv->valid = *to;
}

/**
 * xm_path_response() - handle an authenticated response to a challenge
 * @conn: gateway connection whose inbound SA authenticated it
 * @m: the response
 * @msg: the response as received
 *
 * The path is validated when the response echoes the challenge: the
 * challenge went only to the address being validated, so the holder of
 * the SA's keys received what was sent there. Where the response comes
 * from does not matter (RFC 9000, section 8.2.2): on a path that passes
 * ESP-in-UDP one way only it may arrive as plain ESP.
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_path_response(struct xm_conn *conn, const struct xm_msg *m,
		      const struct xm_rx_msg *msg)
{
	struct xm_path *pv = &conn->gw.pv;
	struct xm_endpoints cur;

	lockdep_assert_held(&conn->xn->lock);
	if (!pv->active || m->nonce != pv->challenge) {
		xm_stat_inc(conn, XM_STAT_DROP_STALE);
		return;
	}
	if (xm_sa_endpoints(conn, &cur))
		return;
	xm_path_stop(conn);
	pv->valid = cur;
	xm_stat_inc(conn, XM_STAT_VALIDATIONS);
}

/**
 * xm_path_conn_init() - prepare the validation timer of a connection
 * @conn: new connection, not visible to any timer or message yet
 */
void xm_path_conn_init(struct xm_conn *conn)
{
	INIT_DELAYED_WORK(&conn->gw.pv.work, path_work);
}

/**
 * xm_path_conn_stop() - end validation and wait for its timer
 * @conn: connection, already marked dead and out of the table
 *
 * Context: process context, &xm_net.lock not held.
 */
void xm_path_conn_stop(struct xm_conn *conn)
{
	mutex_lock(&conn->xn->lock);
	xm_path_stop(conn);
	mutex_unlock(&conn->xn->lock);
	cancel_delayed_work_sync(&conn->gw.pv.work);
}

/**
 * xm_path_net_init() - set up the validation state of a namespace
 * @xn: per-netns state
 */
void xm_path_net_init(struct xm_net *xn)
{
	hash_init(xn->pv_conns);
}

/**
 * xm_path_net_exit() - remove the output hook of a namespace
 * @xn: per-netns state, without connections
 *
 * Context: process context, &xm_net.lock not held.
 */
void xm_path_net_exit(struct xm_net *xn)
{
	/* Waits until no hook runs any more. */
	if (xn->pv_hooked)
		nf_unregister_net_hooks(xn->net, xn->pv_ops,
					ARRAY_SIZE(xn->pv_ops));
	xn->pv_hooked = false;
}
