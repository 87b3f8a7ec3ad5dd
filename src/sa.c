// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: finding the SAs of a connection and reporting them.
 */

#include <linux/in.h>
#include <net/xfrm.h>

#include "sa.h"

struct tmpl_walk {
	u32 reqid;
	u32 if_id;
	bool found;
	u16 family;
	xfrm_address_t local;
	xfrm_address_t remote;
};

/* Runs under xfrm_policy_lock with BH off: only read, never sleep. */
static int find_out_tmpl(struct xfrm_policy *pol, int dir, int count,
			 void *data)
{
	struct tmpl_walk *w = data;
	int i;

	if (dir != XFRM_POLICY_OUT || pol->type != XFRM_POLICY_TYPE_MAIN ||
	    pol->if_id != w->if_id)
		return 0;

	/* Templates are rewritten under pol->lock (xfrm_policy_migrate). */
	read_lock_bh(&pol->lock);
	for (i = 0; i < pol->xfrm_nr; i++) {
		const struct xfrm_tmpl *t = &pol->xfrm_vec[i];

		if (t->reqid != w->reqid || t->id.proto != IPPROTO_ESP ||
		    t->mode != XFRM_MODE_TUNNEL)
			continue;
		w->found = true;
		w->family = t->encap_family;
		w->local = t->saddr;
		w->remote = t->id.daddr;
		break;
	}
	read_unlock_bh(&pol->lock);

	/* Any non-zero value ends the walk. */
	return w->found ? 1 : 0;
}

static bool out_tmpl_lookup(const struct xm_conn *conn, struct tmpl_walk *t)
{
	struct net *net = conn->xn->net;
	struct xfrm_policy_walk walk;

	memset(t, 0, sizeof(*t));
	t->reqid = conn->reqid;
	t->if_id = conn->if_id;
	xfrm_policy_walk_init(&walk, XFRM_POLICY_TYPE_MAIN);
	xfrm_policy_walk(net, &walk, find_out_tmpl, t);
	xfrm_policy_walk_done(&walk, net);
	return t->found;
}

struct state_walk {
	const struct xm_conn *conn;
	const struct tmpl_walk *tmpl;
	struct xm_sa_id sa[2];
};

static bool conn_owns_state(const struct xm_conn *conn,
			    const struct xfrm_state *x)
{
	return x->props.reqid == conn->reqid &&
	       x->id.proto == IPPROTO_ESP &&
	       x->props.mode == XFRM_MODE_TUNNEL &&
	       x->if_id == conn->if_id &&
	       x->mark.v == conn->mark.v && x->mark.m == conn->mark.m;
}

static void set_id(struct xm_sa_id *id, const struct xfrm_state *x)
{
	id->daddr = x->id.daddr;
	id->saddr = x->props.saddr;
	id->spi = x->id.spi;
	id->family = x->props.family;
}

/*
 * Runs under xfrm_state_lock with BH off. The walk visits states in the
 * order they were added, so the last match is the newest SA (the one a
 * rekey installed last).
 */
static int find_states(struct xfrm_state *x, int count, void *data)
{
	struct state_walk *w = data;
	const struct tmpl_walk *t = w->tmpl;
	u16 family = t->family;

	if (!conn_owns_state(w->conn, x) || x->props.family != family ||
	    x->km.state != XFRM_STATE_VALID)
		return 0;

	if (xfrm_addr_equal(&x->id.daddr, &t->remote, family) &&
	    xfrm_addr_equal(&x->props.saddr, &t->local, family))
		set_id(&w->sa[XFRM_MOBILITY_DIR_OUT], x);
	else if (xfrm_addr_equal(&x->id.daddr, &t->local, family) &&
		 xfrm_addr_equal(&x->props.saddr, &t->remote, family))
		set_id(&w->sa[XFRM_MOBILITY_DIR_IN], x);
	return 0;
}

/**
 * xm_sa_resolve() - find the SA pair of a connection
 * @conn: connection; its reqid, mark and if_id select the SAs
 * @extack: where to report why nothing was found, may be NULL
 *
 * The outbound policy template with the connection's reqid names the local
 * and remote tunnel endpoints; the newest valid ESP tunnel SAs between them
 * with that reqid, mark and if_id become the connection's SAs.
 *
 * Context: process context, &xm_net.lock held.
 * Return: 0 on success and @conn->sa updated, -ENOENT if the policy or an
 * SA does not exist (and @conn->sa left untouched).
 */
int xm_sa_resolve(struct xm_conn *conn, struct netlink_ext_ack *extack)
{
	struct net *net = conn->xn->net;
	struct xfrm_state_walk swalk;
	struct tmpl_walk t;
	struct state_walk s = {
		.conn = conn,
		.tmpl = &t,
	};

	lockdep_assert_held(&conn->xn->lock);

	if (!out_tmpl_lookup(conn, &t)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "no outbound tunnel-mode ESP policy template with this reqid");
		return -ENOENT;
	}

	xfrm_state_walk_init(&swalk, IPPROTO_ESP, NULL);
	xfrm_state_walk(net, &swalk, find_states, &s);
	xfrm_state_walk_done(&swalk, net);
	if (!s.sa[XFRM_MOBILITY_DIR_OUT].family) {
		NL_SET_ERR_MSG_MOD(extack,
				   "no outbound ESP tunnel SA matching the policy template");
		return -ENOENT;
	}
	if (!s.sa[XFRM_MOBILITY_DIR_IN].family) {
		NL_SET_ERR_MSG_MOD(extack,
				   "no inbound ESP tunnel SA matching the policy template");
		return -ENOENT;
	}

	memcpy(conn->sa, s.sa, sizeof(conn->sa));
	return 0;
}

/**
 * xm_sa_lookup() - look up one SA of a connection by its identity
 * @net: namespace of the connection
 * @conn: connection
 * @dir: &enum xfrm_mobility_dir
 *
 * Context: any; the caller must keep @conn->sa stable (hold &xm_net.lock)
 * or pass a copy.
 * Return: the state with a reference held, or NULL if it is gone, dead, or
 * no longer belongs to the connection.
 */
struct xfrm_state *xm_sa_lookup(struct net *net, const struct xm_conn *conn,
				int dir)
{
	const struct xm_sa_id *id = &conn->sa[dir];
	struct xfrm_state *x;

	if (!id->family)
		return NULL;
	x = xfrm_state_lookup(net, conn->mark.v, &id->daddr, id->spi,
			      IPPROTO_ESP, id->family);
	if (!x)
		return NULL;
	if (!conn_owns_state(conn, x) || x->km.state != XFRM_STATE_VALID) {
		xfrm_state_put(x);
		return NULL;
	}
	return x;
}

/**
 * xm_sa_check() - verify that a connection's SAs still exist
 * @conn: connection
 *
 * When an SA is gone (a rekey replaced it, or it was deleted), look again
 * by reqid, so that SAs installed by a rekey are adopted.
 *
 * Context: process context, &xm_net.lock held.
 * Return: the connection state to report.
 */
enum xfrm_mobility_conn_state xm_sa_check(struct xm_conn *conn)
{
	struct net *net = conn->xn->net;
	struct tmpl_walk t;
	bool ok = true;
	int dir;

	lockdep_assert_held(&conn->xn->lock);

	for (dir = XFRM_MOBILITY_DIR_IN; dir <= XFRM_MOBILITY_DIR_OUT; dir++) {
		struct xfrm_state *x = xm_sa_lookup(net, conn, dir);

		if (!x) {
			ok = false;
			break;
		}
		xfrm_state_put(x);
	}
	if (ok || !xm_sa_resolve(conn, NULL))
		return XFRM_MOBILITY_CONN_STATE_OK;

	/* Tell a vanished policy apart from vanished SAs. */
	if (!out_tmpl_lookup(conn, &t))
		return XFRM_MOBILITY_CONN_STATE_POLICY_MISSING;
	return XFRM_MOBILITY_CONN_STATE_SA_MISSING;
}

/**
 * xm_sa_snapshot() - copy the reportable fields of one SA
 * @conn: connection
 * @dir: &enum xfrm_mobility_dir
 * @info: filled on success
 *
 * Context: process context, &xm_net.lock held.
 * Return: 0, or -ENOENT if the SA does not exist.
 */
int xm_sa_snapshot(struct xm_conn *conn, int dir, struct xm_sa_info *info)
{
	struct xfrm_state *x = xm_sa_lookup(conn->xn->net, conn, dir);

	if (!x)
		return -ENOENT;

	memset(info, 0, sizeof(*info));
	spin_lock_bh(&x->lock);
	set_id(&info->id, x);
	if (x->encap) {
		info->encap_type = x->encap->encap_type;
		info->encap_sport = x->encap->encap_sport;
		info->encap_dport = x->encap->encap_dport;
	}
	if (x->replay_esn)
		info->oseq = (u64)x->replay_esn->oseq_hi << 32 |
			     x->replay_esn->oseq;
	else
		info->oseq = x->replay.oseq;
	spin_unlock_bh(&x->lock);
	xfrm_state_put(x);
	return 0;
}
