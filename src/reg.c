// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: registration messages from the receive hooks to the
 * mobile (mobile.c), gateway (gateway.c) and plain-ESP (probe.c) sides,
 * the connections' timers, and the repair of SAs others re-installed.
 *
 * The receive hooks hand each authenticated message to one ordered
 * workqueue; its work item checks that the message still belongs to the
 * connection and dispatches it under &xm_net.lock.
 */

#include <linux/slab.h>
#include <net/ipv6.h>

#include "event.h"
#include "gateway.h"
#include "mobile.h"
#include "move.h"
#include "probe.h"
#include "reg.h"
#include "sa.h"

struct workqueue_struct *xm_wq;
bool xm_stopping;

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

/*
 * Whether the module keeps @conn's inbound SA plain: it does from the
 * first registration on whenever the peer may send plain ESP (a plain
 * inbound SA takes ESP-in-UDP as well, see rx.c), as xm_mobile_handover()
 * and gateway_target() set it.
 */
static bool want_in_plain(const struct xm_conn *conn)
{
	if (!xm_plain_allowed(conn))
		return false;
	if (conn->role == XFRM_MOBILITY_ROLE_GATEWAY)
		return conn->gw.rx_seq && conn->gw.peer_esp;
	return conn->mob.tx_seq;
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
 *   SAs follow it back (xm_gateway_follow_rebinding()). Nothing is moved on the
 *   daemon's word alone: only an authenticated packet or a registration
 *   moves the SAs.
 *
 * The module's own moves do not come here: its key manager ignores the
 * notifications the module sends for them (move.c).
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_reg_sas_changed(struct xm_conn *conn)
{
	struct xm_endpoints cur;

	lockdep_assert_held(&conn->xn->lock);

	/* First: making the inbound SA plain below touches no endpoint. */
	if (conn->role == XFRM_MOBILITY_ROLE_GATEWAY && conn->set_ep.family &&
	    !xm_sa_endpoints(conn, &cur) && !xm_ep_same(&cur, &conn->set_ep))
		xm_gateway_forget_source(conn);
	if (want_in_plain(conn) && !xm_sa_is_plain(conn, XFRM_MOBILITY_DIR_IN)) {
		int err = xm_sa_make_plain(conn, XFRM_MOBILITY_DIR_IN);

		/* Not ENCAP_CHANGED: the daemon's view is unchanged. */
		if (err)
			xm_event_failure(conn, 0, 0, err);
		else
			xm_event_sa_updated(conn);
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
		xm_probe_rx(xn, msg);
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
		xm_gateway_rreq(conn, &m, msg);
	else if (m.type == XM_MSG_RREP && conn->role == XFRM_MOBILITY_ROLE_MOBILE)
		xm_mobile_rrep(conn, &m, msg);
	else if (m.type == XM_MSG_PROBE_ACK)
		xm_probe_ack(conn, &m);
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
 * xm_reg_conn_start() - start the timers of a new connection
 * @conn: connection just inserted in the table
 *
 * Called before &xm_net.lock is released after the insertion: no message,
 * timer or request can reach the connection before its timers exist.
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_reg_conn_start(struct xm_conn *conn)
{
	lockdep_assert_held(&conn->xn->lock);
	xm_mobile_conn_init(conn);
	xm_probe_conn_init(conn);
	xm_mobile_conn_start(conn);
}

/**
 * xm_reg_conn_release() - finish removing a connection
 * @conn: connection taken out of the table by xm_conn_remove()
 *
 * Waits for the connection's timers and drops the table's reference.
 *
 * Context: process context, &xm_net.lock not held.
 */
void xm_reg_conn_release(struct xm_conn *conn)
{
	xm_mobile_conn_stop(conn);
	xm_probe_conn_stop(conn);
	xm_conn_put(conn);
}

/**
 * xm_reg_net_exit() - forget every connection of a namespace
 * @xn: per-netns state
 *
 * Context: process context, &xm_net.lock not held.
 */
void xm_reg_net_exit(struct xm_net *xn)
{
	struct xm_conn *conn;
	unsigned long index;

	for (;;) {
		index = 0;
		mutex_lock(&xn->lock);
		conn = xa_find(&xn->conns, &index, ULONG_MAX, XA_PRESENT);
		if (conn)
			xm_conn_remove(conn);
		mutex_unlock(&xn->lock);
		if (!conn)
			break;
		xm_reg_conn_release(conn);
	}
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
