// SPDX-License-Identifier: GPL-2.0
/*
 * Following SA changes made by others (an IKE daemon's rekeys, updates,
 * deletes): an XFRM key manager that only listens.
 *
 * A CHILD_SA rekey installs new SAs with the same reqid, moves traffic to
 * them and deletes the old ones; an IKE daemon's endpoint update replaces
 * SAs (delete + add, same SPI).  Connections name their SAs by reqid, so
 * the module must look again whenever an SA of a reqid it manages appears
 * or goes: the receive hooks find connections by inbound SPI, and a
 * registration arriving on a new SPI would otherwise go unnoticed until
 * something else re-resolved the connection.
 *
 * The key manager's notify callbacks run in atomic context (under the
 * state's lock for expiries) and only record the reqid, when a connection
 * has it, and queue a work item; the work item re-resolves the connections
 * of the recorded reqids under &xm_net.lock. Policy notifications also keep
 * the reqid -> policy map of polmap.c current.
 *
 * The same work item carries the receive hooks' reports of a gateway peer
 * seen at a new outer source (xm_km_mapping()) from softirq to process
 * context; gateway.c decides whether to follow.
 */

#include <linux/rhashtable.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/xfrm.h>

#include "conn.h"
#include "event.h"
#include "gateway.h"
#include "km.h"
#include "polmap.h"
#include "reg.h"
#include "sa.h"

/* Look at @conn's SAs again. Context: process context, &xm_net.lock held. */
static void xm_km_resolve(struct xm_conn *conn)
{
	__be32 in = conn->sa[XFRM_MOBILITY_DIR_IN].spi;
	__be32 out = conn->sa[XFRM_MOBILITY_DIR_OUT].spi;

	lockdep_assert_held(&conn->xn->lock);

	/* The newest valid SAs of the reqid; keep the old ones if none is
	 * complete (a daemon's update in progress).
	 */
	if (xm_sa_resolve(conn, NULL))
		return;
	/* Indexed first: the repair below may make the new SA plain. */
	xm_conn_index_spi(conn);
	xm_reg_sas_changed(conn);
	if (in != conn->sa[XFRM_MOBILITY_DIR_IN].spi ||
	    out != conn->sa[XFRM_MOBILITY_DIR_OUT].spi)
		xm_event_sa_updated(conn);
}

/*
 * The connections of one reqid. They are collected under RCU first (the
 * table changes only under &xm_net.lock, held here); resolving may sleep.
 */
static void xm_km_resolve_reqid(struct xm_net *xn, u32 reqid)
{
	struct xm_conn *conns[8], *conn;
	struct rhlist_head *list, *pos;
	unsigned int n = 0, i;
	bool more = false;

	rcu_read_lock();
	list = xm_conn_by_reqid(xn, reqid);
	rhl_for_each_entry_rcu(conn, pos, list, reqid_node) {
		if (n == ARRAY_SIZE(conns)) {
			more = true;
			break;
		}
		conns[n++] = conn;
	}
	rcu_read_unlock();

	if (more) {
		unsigned long id;

		xa_for_each(&xn->conns, id, conn)
			if (conn->reqid == reqid)
				xm_km_resolve(conn);
		return;
	}
	for (i = 0; i < n; i++)
		xm_km_resolve(conns[i]);
}

/*
 * The key sets &xm_net.km_pending and &xm_net.km_maps (keys only, locks
 * taken with BH off): add @index (from atomic context too), take out the
 * lowest key.
 */
static int xm_km_set_add(struct xarray *set, unsigned long index)
{
	int err;

	xa_lock_bh(set);
	err = xa_err(__xa_store(set, index, xa_mk_value(0), GFP_ATOMIC));
	xa_unlock_bh(set);
	return err;
}

static bool xm_km_set_take(struct xarray *set, unsigned long *index)
{
	bool found;

	*index = 0;
	xa_lock_bh(set);
	found = xa_find(set, index, U32_MAX, XA_PRESENT);
	if (found)
		__xa_erase(set, *index);
	xa_unlock_bh(set);
	return found;
}

static void xm_km_work(struct work_struct *work)
{
	struct xm_net *xn = container_of(work, struct xm_net, km_work);
	struct xm_conn *conn;
	unsigned long id;
	bool all;

	spin_lock_bh(&xn->km_lock);
	all = xn->km_all;
	xn->km_all = false;
	spin_unlock_bh(&xn->km_lock);

	mutex_lock(&xn->lock);
	/* Until none is left, entries recorded meanwhile included. */
	while (xm_km_set_take(&xn->km_maps, &id)) {
		conn = xa_load(&xn->conns, id);
		if (conn)
			xm_gateway_follow_rebinding(conn);
	}
	if (all) {
		xa_for_each(&xn->conns, id, conn)
			xm_km_resolve(conn);
	}
	while (xm_km_set_take(&xn->km_pending, &id)) {
		if (!all)
			xm_km_resolve_reqid(xn, id);
	}
	mutex_unlock(&xn->lock);
}

/*
 * Record @reqid (0: every connection) and kick the work item. Only reqids
 * of managed connections are recorded: an IKE daemon installing thousands
 * of SAs for other tunnels costs a table lookup each.
 */
static void xm_km_kick(struct xm_net *xn, u32 reqid)
{
	bool managed;

	if (READ_ONCE(xn->km_dying) || !READ_ONCE(xn->n_conns))
		return;
	if (reqid) {
		rcu_read_lock();
		managed = xm_conn_by_reqid(xn, reqid);
		rcu_read_unlock();
		if (!managed)
			return;
		if (xm_km_set_add(&xn->km_pending, reqid))
			reqid = 0;
	}
	if (!reqid) {
		spin_lock_bh(&xn->km_lock);
		xn->km_all = true;
		spin_unlock_bh(&xn->km_lock);
	}
	queue_work(system_wq, &xn->km_work);
}

/*
 * Context: atomic; process context under xfrm_cfg_mutex for netlink
 * changes, softirq with x->lock held for expiries.
 */
static int xm_km_notify(struct xfrm_state *x, const struct km_event *c)
{
	/*
	 * The module's own moves: it knows where it put the SAs. Softirq
	 * notifications (expiries) on the mover's CPU are not its own.
	 */
	if (x && in_task() && READ_ONCE(xm_net(xs_net(x))->km_self) == current)
		return 0;
	switch (c->event) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
	case XFRM_MSG_DELSA:
		break;
	case XFRM_MSG_EXPIRE:
		if (!c->data.hard)
			return 0;
		break;
	case XFRM_MSG_FLUSHSA:
		/* x is NULL, c->net is set */
		xm_km_kick(xm_net(c->net), 0);
		return 0;
	default:
		return 0;
	}
	if (x->id.proto == IPPROTO_ESP && x->props.mode == XFRM_MODE_TUNNEL &&
	    x->props.reqid)
		xm_km_kick(xm_net(xs_net(x)), x->props.reqid);
	return 0;
}

/*
 * Policy changes: the reqid map of polmap.c follows them, and connections
 * of the reqids look for their policies again.
 *
 * Context: atomic, like xm_km_notify(); softirq for expiries.
 */
static int xm_km_notify_policy(struct xfrm_policy *pol, int dir,
			       const struct km_event *c)
{
	struct xm_net *xn;
	int i;

	switch (c->event) {
	case XFRM_MSG_POLEXPIRE:
		if (!c->data.hard)
			return 0;
		fallthrough;
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
	case XFRM_MSG_DELPOLICY:
		xn = xm_net(xp_net(pol));
		break;
	case XFRM_MSG_FLUSHPOLICY:
		xn = xm_net(c->net);
		if (!READ_ONCE(xn->km_dying))
			xm_polmap_notify(xn, NULL, c->event);
		xm_km_kick(xn, 0);
		return 0;
	default:
		return 0;
	}
	if (READ_ONCE(xn->km_dying))
		return 0;
	xm_polmap_notify(xn, pol, c->event);
	for (i = 0; i < pol->xfrm_nr; i++)
		if (pol->xfrm_vec[i].reqid)
			xm_km_kick(xn, pol->xfrm_vec[i].reqid);
	return 0;
}

/**
 * xm_km_mapping() - report that a gateway connection's peer showed a new
 *	outer source
 * @xn: namespace state
 * @conn_id: the connection; its &xm_conn_gateway.src_addr and
 *	&xm_conn_gateway.src_port hold the new source
 *
 * The work item decides whether to follow (xm_gateway_follow_rebinding()), with
 * the source recorded when it runs: the newest one. Reports of several
 * connections are kept apart.
 *
 * Context: softirq, from the receive hooks after authentication, with
 * &xm_conn_gateway.src_lock held.
 * Return: false if the report could not be queued (no memory, namespace
 * going away).
 */
bool xm_km_mapping(struct xm_net *xn, u32 conn_id)
{
	if (READ_ONCE(xn->km_dying) || xm_km_set_add(&xn->km_maps, conn_id))
		return false;
	queue_work(system_wq, &xn->km_work);
	return true;
}

/* Mandatory callbacks (called without NULL checks); we never answer. */
static int xm_km_acquire(struct xfrm_state *x, struct xfrm_tmpl *t,
			 struct xfrm_policy *xp)
{
	return -EINVAL;
}

static struct xfrm_policy *xm_km_compile_policy(struct sock *sk, int opt,
						u8 *data, int len, int *dir)
{
	*dir = -EOPNOTSUPP;
	return NULL;
}

static struct xfrm_mgr xm_km = {
	.notify = xm_km_notify,
	.notify_policy = xm_km_notify_policy,
	.acquire = xm_km_acquire,
	.compile_policy = xm_km_compile_policy,
};

/**
 * xm_km_net_init() - prepare a namespace's SA change tracking
 * @xn: namespace state
 */
void xm_km_net_init(struct xm_net *xn)
{
	spin_lock_init(&xn->km_lock);
	xa_init_flags(&xn->km_pending, XA_FLAGS_LOCK_BH);
	xa_init_flags(&xn->km_maps, XA_FLAGS_LOCK_BH);
	INIT_WORK(&xn->km_work, xm_km_work);
}

/**
 * xm_km_net_exit() - stop a namespace's SA change tracking
 * @xn: namespace state
 *
 * Notifications may still arrive while the namespace's SAs are flushed
 * after this; they see @xn->km_dying and queue nothing.  The memory of
 * @xn lives until the namespace is freed.
 */
void xm_km_net_exit(struct xm_net *xn)
{
	WRITE_ONCE(xn->km_dying, true);
	cancel_work_sync(&xn->km_work);
	xa_destroy(&xn->km_pending);
	xa_destroy(&xn->km_maps);
}

void xm_km_init(void)
{
	xfrm_register_km(&xm_km);
}

/* Returns after an RCU grace period: no notify runs any more. */
void xm_km_uninit(void)
{
	xfrm_unregister_km(&xm_km);
}
