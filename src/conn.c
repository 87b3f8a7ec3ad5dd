// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: the per-netns table of managed connections. It owns every
 * index of connections: by id (an xarray), by name and by reqid
 * (rhashtables), and by inbound SPI (a hash read by the receive hooks).
 */

#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/netlink.h>

#include "conn.h"
#include "polmap.h"
#include "sa.h"
#include "tx.h"

static bool same_selector(const struct xm_conn *a, const struct xm_conn *b)
{
	return a->reqid == b->reqid && a->if_id == b->if_id &&
	       a->mark.v == b->mark.v && a->mark.m == b->mark.m;
}

/* Names are compared over the whole zero-padded array. */
static const struct rhashtable_params xm_name_params = {
	.key_len = sizeof_field(struct xm_conn, name),
	.key_offset = offsetof(struct xm_conn, name),
	.head_offset = offsetof(struct xm_conn, name_node),
	.automatic_shrinking = true,
};

static const struct rhashtable_params xm_reqid_params = {
	.key_len = sizeof_field(struct xm_conn, reqid),
	.key_offset = offsetof(struct xm_conn, reqid),
	.head_offset = offsetof(struct xm_conn, reqid_node),
	.automatic_shrinking = true,
};

/**
 * xm_conn_by_reqid() - the connections of a reqid
 * @xn: per-netns state
 * @reqid: reqid
 *
 * Iterate with rhl_for_each_entry_rcu(conn, pos, list, reqid_node).
 *
 * Context: RCU read side.
 * Return: the list, or NULL if no connection has @reqid.
 */
struct rhlist_head *xm_conn_by_reqid(struct xm_net *xn, u32 reqid)
{
	return rhltable_lookup(&xn->by_reqid, &reqid, xm_reqid_params);
}

/* Another connection of @xn with @cfg's reqid, mark and if_id, if any. */
static bool selector_taken(struct xm_net *xn, const struct xm_conn *cfg)
{
	struct rhlist_head *list, *pos;
	struct xm_conn *other;
	bool taken = false;

	rcu_read_lock();
	list = xm_conn_by_reqid(xn, cfg->reqid);
	rhl_for_each_entry_rcu(other, pos, list, reqid_node)
		if (same_selector(other, cfg)) {
			taken = true;
			break;
		}
	rcu_read_unlock();
	return taken;
}

/**
 * xm_conn_create() - start managing a connection
 * @xn: per-netns state
 * @cfg: configuration (name, reqid, mark, if_id, role, reg_port)
 * @extack: where to say why the connection was refused
 *
 * The connection's SAs must exist: they are looked up by reqid, mark and
 * if_id before the connection is inserted. The caller starts the
 * connection's timers (xm_reg_conn_start()) before releasing @xn->lock.
 *
 * Context: process context, @xn->lock held.
 * Return: the new connection (owned by the table), or an ERR_PTR.
 */
struct xm_conn *xm_conn_create(struct xm_net *xn, const struct xm_conn *cfg,
			       struct netlink_ext_ack *extack)
{
	struct xm_conn *conn;
	int err;

	lockdep_assert_held(&xn->lock);

	if (xn->n_conns >= XM_MAX_CONNS) {
		NL_SET_ERR_MSG_MOD(extack, "too many connections");
		return ERR_PTR(-ENOSPC);
	}
	if (cfg->name[0] && xm_conn_find(xn, 0, cfg->name)) {
		NL_SET_ERR_MSG_MOD(extack, "a connection with this name exists");
		return ERR_PTR(-EEXIST);
	}
	if (selector_taken(xn, cfg)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "these SAs are already managed by another connection");
		return ERR_PTR(-EEXIST);
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
	spin_lock_init(&conn->gw.src_lock);
	conn->reg_state = XFRM_MOBILITY_REG_STATE_IDLE;

	err = xm_sa_adopt(conn, extack);
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

	if (conn->name[0]) {
		err = rhashtable_insert_fast(&xn->by_name, &conn->name_node,
					     xm_name_params);
		if (err)
			goto err_free;
	}
	err = rhltable_insert(&xn->by_reqid, &conn->reqid_node,
			      xm_reqid_params);
	if (err)
		goto err_unname;
	err = xa_alloc_cyclic(&xn->conns, &conn->id, conn, XA_LIMIT(1, U32_MAX),
			      &xn->next_id, GFP_KERNEL);
	if (err < 0) {
		NL_SET_ERR_MSG_MOD(extack, "no free connection id");
		goto err_unreqid;
	}
	xn->n_conns++;
	xm_conn_index_spi(conn);
	return conn;

err_unreqid:
	rhltable_remove(&xn->by_reqid, &conn->reqid_node, xm_reqid_params);
err_unname:
	if (conn->name[0])
		rhashtable_remove_fast(&xn->by_name, &conn->name_node,
				       xm_name_params);
	/* Lockless readers of the tables may still see it. */
	kfree_rcu(conn, rcu);
	return ERR_PTR(err);
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
 * call xm_reg_conn_release().
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_conn_remove(struct xm_conn *conn)
{
	struct xm_net *xn = conn->xn;

	lockdep_assert_held(&xn->lock);
	conn->dead = true;
	/* Readers may still see @conn until an RCU grace period has passed. */
	if (!hlist_unhashed(&conn->spi_node))
		hlist_del_init_rcu(&conn->spi_node);
	xa_erase(&xn->conns, conn->id);
	rhltable_remove(&xn->by_reqid, &conn->reqid_node, xm_reqid_params);
	if (conn->name[0])
		rhashtable_remove_fast(&xn->by_name, &conn->name_node,
				       xm_name_params);
	if (!--xn->n_conns)
		xm_polmap_forget(xn);
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
	char key[sizeof_field(struct xm_conn, name)];
	struct xm_conn *conn;

	lockdep_assert_held(&xn->lock);

	if (id) {
		conn = xa_load(&xn->conns, id);
		if (conn && name && strcmp(conn->name, name))
			return NULL;
		return conn;
	}
	if (!name || !name[0] || strscpy_pad(key, name, sizeof(key)) < 0)
		return NULL;
	return rhashtable_lookup_fast(&xn->by_name, key, xm_name_params);
}

/**
 * xm_conn_index_spi() - make a connection's inbound SA known to the hooks
 * @conn: connection, with its inbound SA resolved
 *
 * Called whenever &xm_conn.sa of the inbound direction changed.
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_conn_index_spi(struct xm_conn *conn)
{
	__be32 spi = conn->sa[XFRM_MOBILITY_DIR_IN].spi;

	lockdep_assert_held(&conn->xn->lock);
	if (!hlist_unhashed(&conn->spi_node)) {
		if (conn->in_spi == spi)
			return;
		hash_del_rcu(&conn->spi_node);
	}
	WRITE_ONCE(conn->in_spi, spi);
	hash_add_rcu(conn->xn->by_spi, &conn->spi_node, (__force u32)spi);
}

/**
 * xm_conn_by_spi() - the connection of an inbound SPI
 * @xn: per-netns state
 * @spi: SPI, network order
 *
 * Context: RCU read side (the receive hooks, softirq).
 * Return: the connection (no reference taken), or NULL.
 */
struct xm_conn *xm_conn_by_spi(struct xm_net *xn, __be32 spi)
{
	struct xm_conn *conn;

	hash_for_each_possible_rcu(xn->by_spi, conn, spi_node, (__force u32)spi)
		if (READ_ONCE(conn->in_spi) == spi)
			return conn;
	return NULL;
}

/**
 * xm_conn_net_init() - prepare a namespace's connection tables
 * @xn: per-netns state
 *
 * Return: 0 or a negative errno.
 */
int xm_conn_net_init(struct xm_net *xn)
{
	int err;

	mutex_init(&xn->lock);
	xa_init_flags(&xn->conns, XA_FLAGS_ALLOC1);
	hash_init(xn->by_spi);
	err = rhashtable_init(&xn->by_name, &xm_name_params);
	if (err)
		return err;
	err = rhltable_init(&xn->by_reqid, &xm_reqid_params);
	if (err) {
		rhashtable_destroy(&xn->by_name);
		return err;
	}
	return 0;
}

/**
 * xm_conn_net_exit() - free a namespace's connection tables
 * @xn: per-netns state, without connections
 */
void xm_conn_net_exit(struct xm_net *xn)
{
	xa_destroy(&xn->conns);
	rhltable_destroy(&xn->by_reqid);
	rhashtable_destroy(&xn->by_name);
	mutex_destroy(&xn->lock);
}
