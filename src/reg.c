// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: registration messages from the receive hooks to the
 * mobile (mobile.c), gateway (gateway.c) and plain-ESP (probe.c) sides,
 * the connections' timers, and the repair of SAs others re-installed.
 *
 * The receive hooks queue each authenticated message on its namespace's
 * list, at most XM_RX_CONN_MAX per connection at a time; the namespace's
 * work item takes the list in arrival order, checks that each message
 * still belongs to its connection and dispatches it under &xm_net.lock.
 * Namespaces do not wait for each other: the workqueue is unbound and not
 * ordered, and each namespace has its own list and work item.
 */

#include <linux/slab.h>
#include <net/ipv6.h>

#include "event.h"
#include "gateway.h"
#include "live.h"
#include "mobile.h"
#include "move.h"
#include "path.h"
#include "probe.h"
#include "reg.h"
#include "sa.h"
#include "tx.h"

/* Messages of one connection waiting at a time; more are dropped. */
#define XM_RX_CONN_MAX		8
/* Answers to the peer: a burst of 16, then one every 10 ms. */
#define XM_ANSWER_BURST		16
#define XM_ANSWER_INTERVAL	msecs_to_jiffies(10)

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
static bool want_in_plain(struct xm_conn *conn)
{
	/* An ESP-in-UDP socket with GRO may have appeared meanwhile. */
	xm_conn_gro_check(conn);
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
 *   SAs follow it back (xm_gateway_follow_rebinding()); an address neither
 *   validated nor being validated is validated (xm_path_check()). Nothing
 *   is moved on the daemon's word alone: only an authenticated packet or a
 *   registration moves the SAs.
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
	    !xm_sa_endpoints(conn, &cur) && !xm_ep_same(&cur, &conn->set_ep)) {
		xm_conn_forget_source(conn);
		/* Perhaps at an address given up since: validate it. */
		xm_path_check(conn);
	}
	if (want_in_plain(conn) && !xm_sa_is_plain(conn, XFRM_MOBILITY_DIR_IN)) {
		int err = xm_sa_make_plain(conn, XFRM_MOBILITY_DIR_IN);

		/* Not ENCAP_CHANGED: the daemon's view is unchanged. */
		if (err)
			xm_event_failure(conn, 0, 0, err);
		else
			xm_event_sa_updated(conn);
	}
	/* A rekey or a re-installation may have stopped the watch. */
	xm_live_update(conn);
}

/* Dispatch one message. Context: &xm_net.lock held. */
static void rx_one(struct xm_rx_msg *msg)
{
	struct xm_conn *conn = msg->conn;
	struct xm_msg m;

	if (conn->dead)
		return;
	if (conn->sa[XFRM_MOBILITY_DIR_IN].spi != msg->spi) {
		xm_stat_inc(conn, XM_STAT_DROP_STALE);
		return;
	}
	if (!inner_ok(conn, msg)) {
		xm_stat_inc(conn, XM_STAT_DROP_WRONG_CONN);
		return;
	}
	if (xm_msg_parse(msg->buf, msg->len, &m)) {
		xm_stat_inc(conn, XM_STAT_DROP_MALFORMED);
		return;
	}

	switch (conn->role == XFRM_MOBILITY_ROLE_GATEWAY ? m.type : -m.type) {
	case XM_MSG_RREQ:
		xm_gateway_rreq(conn, &m, msg);
		break;
	case XM_MSG_RESPONSE:
		xm_path_response(conn, &m, msg);
		break;
	case -XM_MSG_RREP:
		xm_mobile_rrep(conn, &m, msg);
		break;
	case -XM_MSG_CHALLENGE:
		xm_mobile_challenge(conn, &m);
		break;
	case XM_MSG_PROBE_ACK:
		xm_probe_ack(conn, &m);
		break;
	case -XM_MSG_PROBE:
		xm_probe_rx(conn, &m, msg);
		break;
	case XM_MSG_ECHO:
	case -XM_MSG_ECHO:
		xm_live_echo(conn, &m);
		break;
	case XM_MSG_ECHO_REPLY:
	case -XM_MSG_ECHO_REPLY:
		xm_live_echo_reply(conn, &m);
		break;
	default:
		xm_stat_inc(conn, XM_STAT_DROP_UNEXPECTED);
	}
}

static void rx_work(struct work_struct *work)
{
	struct xm_net *xn = container_of(work, struct xm_net, rx_work);
	struct xm_rx_msg *msg, *tmp;
	LIST_HEAD(batch);

	spin_lock_bh(&xn->rx_lock);
	list_splice_init(&xn->rx_list, &batch);
	spin_unlock_bh(&xn->rx_lock);

	list_for_each_entry_safe(msg, tmp, &batch, node) {
		list_del(&msg->node);
		mutex_lock(&xn->lock);
		rx_one(msg);
		mutex_unlock(&xn->lock);
		xm_reg_rx_free(msg);
		cond_resched();
	}
}

/**
 * xm_reg_rx_admit() - reserve room for a message of a connection
 * @conn: connection found by the receive hook (RCU)
 *
 * Context: softirq, RCU read side.
 * Return: true with a reference on @conn taken, false when the connection
 * has XM_RX_CONN_MAX messages waiting or is being freed.
 */
bool xm_reg_rx_admit(struct xm_conn *conn)
{
	if (atomic_inc_return(&conn->rx_queued) > XM_RX_CONN_MAX) {
		atomic_dec(&conn->rx_queued);
		return false;
	}
	if (!refcount_inc_not_zero(&conn->refcnt)) {
		atomic_dec(&conn->rx_queued);
		return false;
	}
	return true;
}

/**
 * xm_reg_rx_done() - release what xm_reg_rx_admit() reserved
 * @conn: connection
 *
 * Context: any.
 */
void xm_reg_rx_done(struct xm_conn *conn)
{
	atomic_dec(&conn->rx_queued);
	xm_conn_put(conn);
}

/**
 * xm_reg_rx_free() - free a message and release its reservation
 * @msg: message
 *
 * Context: any.
 */
void xm_reg_rx_free(struct xm_rx_msg *msg)
{
	xm_reg_rx_done(msg->conn);
	kfree(msg);
}

/**
 * xm_reg_queue_rx() - hand an authenticated registration message to
 *	process context
 * @xn: namespace the message arrived in
 * @msg: the message, admitted by xm_reg_rx_admit(); ownership passes to
 *	this function
 *
 * Context: softirq.
 */
void xm_reg_queue_rx(struct xm_net *xn, struct xm_rx_msg *msg)
{
	spin_lock(&xn->rx_lock);
	list_add_tail(&msg->node, &xn->rx_list);
	spin_unlock(&xn->rx_lock);
	queue_work(xm_wq, &xn->rx_work);
}

/**
 * xm_reg_answer_allowed() - whether the connection may answer the peer now
 * @conn: connection
 *
 * Answers to copies of a request, probes and challenges cost a sequence
 * number and a packet each: a burst of XM_ANSWER_BURST, then one per
 * XM_ANSWER_INTERVAL. Refusals are counted as drop-rate-limited.
 *
 * Context: process context, &xm_net.lock held.
 * Return: true if the answer may be sent.
 */
bool xm_reg_answer_allowed(struct xm_conn *conn)
{
	lockdep_assert_held(&conn->xn->lock);
	if (xm_ratelimit_allow(&conn->answers, XM_ANSWER_BURST,
			       XM_ANSWER_INTERVAL))
		return true;
	xm_stat_inc(conn, XM_STAT_DROP_RATE_LIMITED);
	return false;
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
	conn->answers.tokens = XM_ANSWER_BURST;
	conn->answers.last = jiffies;
	xm_mobile_conn_init(conn);
	xm_probe_conn_init(conn);
	xm_live_conn_init(conn);
	xm_path_conn_init(conn);
	xm_gateway_conn_init(conn);
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
	xm_live_conn_stop(conn);
	xm_path_conn_stop(conn);
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
	struct xm_rx_msg *msg, *tmp;
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
	/* No receive hook still holds a connection of this namespace. */
	synchronize_net();
	cancel_work_sync(&xn->rx_work);
	list_for_each_entry_safe(msg, tmp, &xn->rx_list, node) {
		list_del(&msg->node);
		xm_reg_rx_free(msg);
	}
}

/**
 * xm_reg_net_init() - set up the message list of a namespace
 * @xn: per-netns state
 */
void xm_reg_net_init(struct xm_net *xn)
{
	spin_lock_init(&xn->rx_lock);
	INIT_LIST_HEAD(&xn->rx_list);
	INIT_WORK(&xn->rx_work, rx_work);
}

/**
 * xm_reg_init() - create the module's workqueue
 *
 * Return: 0 or -ENOMEM.
 */
int xm_reg_init(void)
{
	/*
	 * Not ordered: each namespace's messages are ordered by its own list
	 * and work item (see xm_reg_queue_rx()); namespaces run in parallel.
	 */
	xm_wq = alloc_workqueue("xfrm_mobility", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
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
