// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: finding the SA pair of a connection (by its reqid, mark
 * and if_id, through its outbound policy template), looking its SAs up
 * again by identity, and reading them for reports and decisions.
 */

#include <linux/in.h>
#include <net/xfrm.h>

#include "polmap.h"
#include "sa.h"

struct tmpl_walk {
	u32 reqid;
	u32 if_id;
	bool found;
	u16 family;
	xfrm_address_t local;
	xfrm_address_t remote;
	struct xfrm_selector sel;
};

/*
 * Whether @pol is an outbound main policy with a tunnel-mode ESP template
 * of @t->reqid; if so, @t takes its endpoints and selector.
 */
static bool out_tmpl(struct xfrm_policy *pol, struct tmpl_walk *t)
{
	bool found = false;
	int i;

	if (xfrm_policy_id2dir(pol->index) != XFRM_POLICY_OUT ||
	    pol->type != XFRM_POLICY_TYPE_MAIN)
		return false;
	/* Templates are rewritten under pol->lock (xfrm_policy_migrate). */
	read_lock_bh(&pol->lock);
	for (i = 0; i < pol->xfrm_nr; i++) {
		const struct xfrm_tmpl *tm = &pol->xfrm_vec[i];

		if (tm->reqid != t->reqid || tm->id.proto != IPPROTO_ESP ||
		    tm->mode != XFRM_MODE_TUNNEL)
			continue;
		found = true;
		t->sel = pol->selector;
		t->family = tm->encap_family;
		t->local = tm->saddr;
		t->remote = tm->id.daddr;
		break;
	}
	read_unlock_bh(&pol->lock);
	return found;
}

struct conn_pols {
	struct tmpl_walk t;
	unsigned int n;
	struct xfrm_policy *pols[XM_MAX_POLS];
};

/*
 * Runs under xfrm_policy_lock with BH off: only read and hold. The walk
 * visits the newest policies first: the first outbound template found is
 * the newest one's.
 */
static int find_conn_pols(struct xfrm_policy *pol, int dir, int count,
			  void *data)
{
	struct conn_pols *c = data;

	if (pol->if_id != c->t.if_id || !xm_pol_has_reqid(pol, c->t.reqid))
		return 0;
	if (!c->t.found && out_tmpl(pol, &c->t))
		c->t.found = true;
	if (c->n < XM_MAX_POLS) {
		xfrm_pol_hold(pol);
		c->pols[c->n] = pol;
	}
	c->n++;
	return 0;
}

/*
 * The connection's policies from @ref (@n entries) if every one still
 * exists: @c gets them (held) and the outbound template of the newest
 * (highest index) outbound policy among them.
 */
static bool pols_byref(struct xm_conn *conn, const struct xm_polref *ref,
		       int n, struct conn_pols *c)
{
	struct net *net = conn->xn->net;
	u32 newest = 0;
	int i;

	for (i = 0; i < n; i++) {
		struct xfrm_policy *pol;
		struct tmpl_walk t = c->t;

		if (ref[i].if_id != conn->if_id)
			continue;
		pol = xm_polref_get(net, &ref[i], conn->reqid);
		if (!pol) {
			xm_pols_put(c->pols, c->n);
			c->n = 0;
			c->t.found = false;
			return false;
		}
		c->pols[c->n++] = pol;
		if (pol->index > newest && out_tmpl(pol, &t)) {
			newest = pol->index;
			c->t = t;
			c->t.found = true;
		}
	}
	return c->t.found;
}

/*
 * Find the policies of @conn: by the indexes in the reqid map (which
 * follows policies added for the reqid since the connection last looked),
 * else by those remembered in the connection, else with a walk over the
 * SPD (whose result goes into the map). On success @c holds references to
 * them (put with xm_pols_put()) and @c->t the outbound template.
 *
 * Context: process context, &xm_net.lock held, xfrm_cfg_mutex not held.
 */
static bool conn_pols_lookup(struct xm_conn *conn, struct conn_pols *c)
{
	struct xm_net *xn = conn->xn;
	struct xm_polref ref[XM_CONN_POLS];
	struct xfrm_policy_walk walk;
	int n;

	lockdep_assert_held(&conn->xn->lock);

	memset(c, 0, sizeof(*c));
	c->t.reqid = conn->reqid;
	c->t.if_id = conn->if_id;

	n = xm_polmap_get(xn, conn->reqid, ref);
	if (n > 0 && pols_byref(conn, ref, n, c))
		return true;
	if (conn->n_pols && pols_byref(conn, conn->pols, conn->n_pols, c))
		return true;

	xfrm_policy_walk_init(&walk, XFRM_POLICY_TYPE_ANY);
	xfrm_policy_walk(xn->net, &walk, find_conn_pols, c);
	xfrm_policy_walk_done(&walk, xn->net);
	xm_polmap_set(xn, conn->reqid, c->pols, c->n);
	if (c->n > XM_MAX_POLS)
		c->n = XM_MAX_POLS;
	if (!c->t.found) {
		xm_pols_put(c->pols, c->n);
		c->n = 0;
	}
	return c->t.found;
}

/* Remember the policies in @c (all of them, or none) in @conn. */
static void conn_pols_keep(struct xm_conn *conn, const struct conn_pols *c)
{
	unsigned int i;

	conn->n_pols = 0;
	if (c->n > XM_CONN_POLS)
		return;
	for (i = 0; i < c->n; i++)
		xm_polref_set(&conn->pols[i], c->pols[i]);
	conn->n_pols = c->n;
}

struct state_walk {
	const struct xm_conn *conn;
	const struct tmpl_walk *tmpl;
	struct xm_sa_id sa[2];
	time64_t added[2];
	bool in_replay;
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

/**
 * xm_sa_set_id() - take the identity of an SA
 * @id: filled
 * @x: SA
 */
void xm_sa_set_id(struct xm_sa_id *id, const struct xfrm_state *x)
{
	id->daddr = x->id.daddr;
	id->saddr = x->props.saddr;
	id->spi = x->id.spi;
	id->family = x->props.family;
}

/*
 * Whether @x is newer than the SA chosen so far for @dir: the one added
 * last (a rekey's), by add time. Moves copy the add time of the SA they
 * replace (its lifetimes keep counting), so a moved SA, although inserted
 * after a rekey's, does not win over it. At equal times the first one
 * the walk visits wins: __xfrm_state_insert() adds at the head of the
 * list.
 */
static bool newer(struct state_walk *w, int dir, const struct xfrm_state *x)
{
	return !w->sa[dir].family || x->curlft.add_time > w->added[dir];
}

/* Runs under xfrm_state_lock with BH off. */
static int find_states(struct xfrm_state *x, int count, void *data)
{
	struct state_walk *w = data;
	const struct tmpl_walk *t = w->tmpl;
	u16 family = t->family;
	int dir;

	if (!conn_owns_state(w->conn, x) || x->props.family != family ||
	    x->km.state != XFRM_STATE_VALID)
		return 0;

	if (xfrm_addr_equal(&x->id.daddr, &t->remote, family) &&
	    xfrm_addr_equal(&x->props.saddr, &t->local, family))
		dir = XFRM_MOBILITY_DIR_OUT;
	else if (xfrm_addr_equal(&x->id.daddr, &t->local, family) &&
		 xfrm_addr_equal(&x->props.saddr, &t->remote, family))
		dir = XFRM_MOBILITY_DIR_IN;
	else
		return 0;
	if (!newer(w, dir, x))
		return 0;
	xm_sa_set_id(&w->sa[dir], x);
	w->added[dir] = x->curlft.add_time;
	if (dir == XFRM_MOBILITY_DIR_IN)
		w->in_replay = xm_sa_has_replay_window(x);
	return 0;
}

/* One SA of the connection from @src to @dst by the SAD's bydst hash. */
static struct xfrm_state *state_byaddr(struct xm_conn *conn, u16 family,
				       xfrm_address_t *dst,
				       xfrm_address_t *src)
{
	struct xfrm_state *x;

	x = xfrm_stateonly_find(conn->xn->net, conn->mark.v, conn->if_id,
				dst, src, family, XFRM_MODE_TUNNEL,
				IPPROTO_ESP, conn->reqid);
	if (x && (!conn_owns_state(conn, x) ||
		  !xfrm_addr_equal(&x->props.saddr, src, family))) {
		xfrm_state_put(x);
		x = NULL;
	}
	return x;
}

/*
 * The SA pair by the SAD's bydst hash, O(1): xfrm_stateonly_find() returns
 * the first valid SA of the hash chain, which is the newest one unless a
 * resize of the SAD reordered the chain. Used when a connection is created;
 * later resolutions (after rekeys) walk the SAD, whose first match is
 * always the newest.
 */
static bool find_states_fast(struct xm_conn *conn, struct tmpl_walk *t,
			     struct state_walk *s)
{
	struct xfrm_state *out, *in;
	bool ok;

	out = state_byaddr(conn, t->family, &t->remote, &t->local);
	in = state_byaddr(conn, t->family, &t->local, &t->remote);
	ok = out && in;
	if (ok) {
		xm_sa_set_id(&s->sa[XFRM_MOBILITY_DIR_OUT], out);
		xm_sa_set_id(&s->sa[XFRM_MOBILITY_DIR_IN], in);
		s->in_replay = xm_sa_has_replay_window(in);
	}
	if (out)
		xfrm_state_put(out);
	if (in)
		xfrm_state_put(in);
	return ok;
}

static int resolve(struct xm_conn *conn, bool fast,
		   struct netlink_ext_ack *extack)
{
	struct net *net = conn->xn->net;
	struct xfrm_state_walk swalk;
	struct conn_pols c;
	struct state_walk s = {
		.conn = conn,
		.tmpl = &c.t,
	};

	lockdep_assert_held(&conn->xn->lock);

	if (!conn_pols_lookup(conn, &c)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "no outbound tunnel-mode ESP policy template with this reqid");
		return -ENOENT;
	}
	xm_pols_put(c.pols, c.n);
	if (c.t.sel.family == AF_INET &&
	    (!xm_reg_addr4(c.t.sel.saddr.a4, c.t.sel.prefixlen_s) ||
	     !xm_reg_addr4(c.t.sel.daddr.a4, c.t.sel.prefixlen_d))) {
		NL_SET_ERR_MSG_MOD(extack,
				   "the policy selector has no address for registration messages (0.0.0.0/N, N > 1)");
		return -EINVAL;
	}

	if (!fast || !find_states_fast(conn, &c.t, &s)) {
		xfrm_state_walk_init(&swalk, IPPROTO_ESP, NULL);
		xfrm_state_walk(net, &swalk, find_states, &s);
		xfrm_state_walk_done(&swalk, net);
	}
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
	if (!s.in_replay) {
		NL_SET_ERR_MSG_MOD(extack,
				   "the inbound SA has no anti-replay window");
		return -EPERM;
	}

	memcpy(conn->sa, s.sa, sizeof(conn->sa));
	conn->sel = c.t.sel;
	conn_pols_keep(conn, &c);
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
 * The policies are looked up by the per-namespace reqid map, else by the
 * indexes found at the last resolution; the SPD is walked only when both
 * fail. The SAD is walked (the walk finds the newest SAs of a rekey).
 *
 * Context: process context, &xm_net.lock held.
 * Return: 0 on success and @conn->sa updated, -ENOENT if the policy or an
 * SA does not exist (and @conn->sa left untouched).
 */
int xm_sa_resolve(struct xm_conn *conn, struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&conn->xn->lock);
	return resolve(conn, false, extack);
}

/**
 * xm_sa_adopt() - find the SA pair of a new connection
 * @conn: connection, not in the table yet
 * @extack: where to report why nothing was found, may be NULL
 *
 * Like xm_sa_resolve(), but the SAs are looked up in the SAD's address
 * hash (O(1)) before walking, so that adopting many existing tunnels is
 * linear in their number.
 *
 * Context: process context, &xm_net.lock held.
 * Return: as xm_sa_resolve().
 */
int xm_sa_adopt(struct xm_conn *conn, struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&conn->xn->lock);
	return resolve(conn, true, extack);
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
 * xm_sa_has_replay_window() - whether an SA checks for replayed packets
 * @x: SA
 *
 * Registration messages are trusted only after ESP authentication *and*
 * anti-replay: without a window an old request could be resent from
 * anywhere and move the SAs there.
 *
 * Return: true if @x has an anti-replay window.
 */
bool xm_sa_has_replay_window(const struct xfrm_state *x)
{
	return x->props.replay_window ||
	       (x->replay_esn && x->replay_esn->replay_window);
}

/**
 * xm_sa_check() - verify that a connection's SAs still exist
 * @conn: connection
 *
 * When an SA is gone (a rekey replaced it, or it was deleted), look again
 * by reqid, so that SAs installed by a rekey are adopted; the caller then
 * indexes the inbound SA again (xm_conn_index_spi()). The outbound policy
 * is looked up as well.
 *
 * Context: process context, &xm_net.lock held.
 * Return: the connection state to report.
 */
enum xfrm_mobility_conn_state xm_sa_check(struct xm_conn *conn)
{
	struct net *net = conn->xn->net;
	struct conn_pols c;
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
	if (!ok && !xm_sa_resolve(conn, NULL))
		ok = true;

	/* Moves rewrite the policy templates: the policy must be there too. */
	if (!conn_pols_lookup(conn, &c))
		return XFRM_MOBILITY_CONN_STATE_POLICY_MISSING;
	xm_pols_put(c.pols, c.n);
	return ok ? XFRM_MOBILITY_CONN_STATE_OK :
		    XFRM_MOBILITY_CONN_STATE_SA_MISSING;
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

	lockdep_assert_held(&conn->xn->lock);

	if (!x)
		return -ENOENT;

	memset(info, 0, sizeof(*info));
	spin_lock_bh(&x->lock);
	xm_sa_set_id(&info->id, x);
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

/**
 * xm_sa_endpoints() - read the current outer endpoints of a connection
 * @conn: connection
 * @ep: filled from the outbound SA
 *
 * Context: process context, &xm_net.lock held.
 * Return: 0, or -ENOENT if the outbound SA is gone.
 */
int xm_sa_endpoints(struct xm_conn *conn, struct xm_endpoints *ep)
{
	struct xm_sa_info out;
	int err;

	lockdep_assert_held(&conn->xn->lock);

	err = xm_sa_snapshot(conn, XFRM_MOBILITY_DIR_OUT, &out);
	if (err)
		return err;
	memset(ep, 0, sizeof(*ep));
	ep->family = out.id.family;
	ep->local = out.id.saddr;
	ep->remote = out.id.daddr;
	ep->encap_type = out.encap_type;
	ep->local_port = out.encap_sport;
	ep->remote_port = out.encap_dport;
	return 0;
}

/**
 * xm_sa_is_plain() - whether an SA of a connection is plain ESP
 * @conn: connection
 * @dir: &enum xfrm_mobility_dir
 *
 * Context: process context, &xm_net.lock held.
 * Return: true if the SA exists and has no UDP encapsulation.
 */
bool xm_sa_is_plain(struct xm_conn *conn, int dir)
{
	struct xfrm_state *x = xm_sa_lookup(conn->xn->net, conn, dir);
	bool plain;

	lockdep_assert_held(&conn->xn->lock);

	if (!x)
		return false;
	plain = !READ_ONCE(x->encap);
	xfrm_state_put(x);
	return plain;
}

/**
 * xm_sa_packets() - packets an SA of a connection has processed
 * @conn: connection
 * @dir: &enum xfrm_mobility_dir
 *
 * Context: process context, &xm_net.lock held.
 * Return: the SA's packet count, 0 if it is gone.
 */
u64 xm_sa_packets(struct xm_conn *conn, int dir)
{
	struct xfrm_state *x = xm_sa_lookup(conn->xn->net, conn, dir);
	u64 packets;

	lockdep_assert_held(&conn->xn->lock);

	if (!x)
		return 0;
	spin_lock_bh(&x->lock);
	packets = x->curlft.packets;
	spin_unlock_bh(&x->lock);
	xfrm_state_put(x);
	return packets;
}

/**
 * xm_sa_oseq() - the last ESP sequence number an outbound SA used
 * @conn: connection
 *
 * Context: process context, &xm_net.lock held.
 * Return: its low 32 bits, 0 if the SA is gone or sent nothing yet.
 */
u32 xm_sa_oseq(struct xm_conn *conn)
{
	struct xfrm_state *x = xm_sa_lookup(conn->xn->net, conn,
					    XFRM_MOBILITY_DIR_OUT);
	u32 oseq;

	lockdep_assert_held(&conn->xn->lock);

	if (!x)
		return 0;
	spin_lock_bh(&x->lock);
	oseq = x->replay_esn ? x->replay_esn->oseq : x->replay.oseq;
	spin_unlock_bh(&x->lock);
	xfrm_state_put(x);
	return oseq;
}
