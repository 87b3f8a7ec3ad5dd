// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: the per-netns table of managed connections.
 */

#include <linux/slab.h>
#include <linux/string.h>
#include <net/netlink.h>

#include "conn.h"
#include "reg.h"
#include "rx.h"
#include "sa.h"
#include "tx.h"

static bool same_selector(const struct xm_conn *a, const struct xm_conn *b)
{
	return a->reqid == b->reqid && a->if_id == b->if_id &&
	       a->mark.v == b->mark.v && a->mark.m == b->mark.m;
}

/**
 * xm_conn_create() - start managing a connection
 * @xn: per-netns state
 * @cfg: configuration (name, reqid, mark, if_id, role, reg_port)
 * @extack: where to say why the connection was refused
 *
 * The connection's SAs must exist: they are looked up by reqid, mark and
 * if_id before the connection is inserted.
 *
 * Context: process context, @xn->lock held.
 * Return: the new connection (owned by the table), or an ERR_PTR.
 */
struct xm_conn *xm_conn_create(struct xm_net *xn, const struct xm_conn *cfg,
			       struct netlink_ext_ack *extack)
{
	struct xm_conn *conn, *other;
	unsigned long index;
	int err;

	lockdep_assert_held(&xn->lock);

	if (xn->n_conns >= XM_MAX_CONNS) {
		NL_SET_ERR_MSG_MOD(extack, "too many connections");
		return ERR_PTR(-ENOSPC);
	}
	xa_for_each(&xn->conns, index, other) {
		if (cfg->name[0] && !strcmp(other->name, cfg->name)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "a connection with this name exists");
			return ERR_PTR(-EEXIST);
		}
		if (same_selector(other, cfg)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "these SAs are already managed by another connection");
			return ERR_PTR(-EEXIST);
		}
	}

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		return ERR_PTR(-ENOMEM);
	strscpy(conn->name, cfg->name, sizeof(conn->name));
	conn->xn = xn;
	conn->reqid = cfg->reqid;
	conn->mark = cfg->mark;
	conn->if_id = cfg->if_id;
	conn->role = cfg->role;
	conn->reg_port = cfg->reg_port;
	conn->keepalive = cfg->keepalive;
	conn->encap_policy = cfg->encap_policy;
	refcount_set(&conn->refcnt, 1);
	INIT_HLIST_NODE(&conn->spi_node);
	xm_reg_conn_init(conn);

	err = xm_sa_resolve(conn, extack);
	if (err)
		goto err_free;
	if (conn->sa[XFRM_MOBILITY_DIR_IN].family != AF_INET) {
		NL_SET_ERR_MSG_MOD(extack,
				   "only IPv4 outer addresses are supported so far");
		err = -EAFNOSUPPORT;
		goto err_free;
	}
	err = xm_encap_sock_get(xn);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack,
				   "cannot open the ESP-in-UDP socket");
		goto err_free;
	}

	err = xa_alloc_cyclic(&xn->conns, &conn->id, conn, XA_LIMIT(1, U32_MAX),
			      &xn->next_id, GFP_KERNEL);
	if (err < 0) {
		NL_SET_ERR_MSG_MOD(extack, "no free connection id");
		goto err_free;
	}
	xn->n_conns++;
	xm_rx_index(conn);
	xm_reg_conn_start(conn);
	return conn;

err_free:
	kfree(conn);
	return ERR_PTR(err);
}

/**
 * xm_conn_put() - drop a reference to a connection
 * @conn: connection
 *
 * Context: any.
 */
void xm_conn_put(struct xm_conn *conn)
{
	if (refcount_dec_and_test(&conn->refcnt))
		kfree_rcu(conn, rcu);
}

/**
 * xm_conn_remove() - take a connection out of the table
 * @conn: connection
 *
 * The SAs are not touched. Once &xm_net.lock is released the caller must
 * call xm_conn_release().
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_conn_remove(struct xm_conn *conn)
{
	struct xm_net *xn = conn->xn;

	lockdep_assert_held(&xn->lock);
	conn->dead = true;
	xm_rx_unindex(conn);
	xa_erase(&xn->conns, conn->id);
	xn->n_conns--;
}

/**
 * xm_conn_release() - finish removing a connection
 * @conn: connection taken out of the table by xm_conn_remove()
 *
 * Waits for the connection's timers and drops the table's reference.
 *
 * Context: process context, &xm_net.lock not held.
 */
void xm_conn_release(struct xm_conn *conn)
{
	xm_reg_conn_stop(conn);
	xm_conn_put(conn);
}

/**
 * xm_conn_find() - find a connection by id or by name
 * @xn: per-netns state
 * @id: identifier, or 0 to match by @name only
 * @name: name, or NULL to match by @id only
 *
 * When both are given, both must match.
 *
 * Context: process context, @xn->lock held.
 * Return: the connection (no reference taken), or NULL.
 */
struct xm_conn *xm_conn_find(struct xm_net *xn, u32 id, const char *name)
{
	struct xm_conn *conn;
	unsigned long index;

	lockdep_assert_held(&xn->lock);

	if (id) {
		conn = xa_load(&xn->conns, id);
		if (conn && name && strcmp(conn->name, name))
			return NULL;
		return conn;
	}
	if (!name || !name[0])
		return NULL;
	xa_for_each(&xn->conns, index, conn)
		if (!strcmp(conn->name, name))
			return conn;
	return NULL;
}

/**
 * xm_conn_remove_all() - forget every connection of a netns
 * @xn: per-netns state
 *
 * Context: process context, @xn->lock not held.
 */
void xm_conn_remove_all(struct xm_net *xn)
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
		xm_conn_release(conn);
	}
}
