// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: finding the SAs of a connection and reporting them.
 */

#include <linux/in.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/xarray.h>
#include <net/xfrm.h>

#include "clone.h"
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
 * Whether a template of @pol has @reqid, read without @pol->lock: moves
 * (move_templates() and xfrm_policy_migrate()) rewrite the addresses of
 * templates, never their reqid or their number. The walks below thus skip
 * the lock for the policies of every other connection.
 */
static bool pol_has_reqid(const struct xfrm_policy *pol, u32 reqid)
{
	int i;

	for (i = 0; i < pol->xfrm_nr; i++)
		if (pol->xfrm_vec[i].reqid == reqid)
			return true;
	return false;
}

/*
 * Policies by reqid (&xm_net.pols): the kernel has no index by reqid, and
 * a connection knows only its reqid. The map is built by one walk over the
 * SPD when a connection is first resolved in the namespace and then kept
 * current by the key manager's policy notifications (xm_sa_policy_notify()),
 * so that adopting N tunnels costs one walk instead of N. It is a hint:
 * every policy found in it is looked up by index and checked before use,
 * and a reqid it does not know is looked for with a walk. Entries of
 * policies that disappeared without a notification are dropped when found
 * stale.
 */
#define XM_PM_REFS	XM_CONN_POLS

/**
 * struct xm_pm_ent - the policies of one reqid
 * @n: entries in @ref
 * @overflow: the reqid has more than %XM_PM_REFS policies: walk
 * @ref: the policies
 */
struct xm_pm_ent {
	u8 n;
	bool overflow;
	struct xm_polref ref[XM_PM_REFS];
};

static void polref_set(struct xm_polref *ref, const struct xfrm_policy *pol)
{
	ref->index = pol->index;
	ref->if_id = pol->if_id;
	ref->mark = pol->mark;
	ref->type = pol->type;
}

/* Record @pol under @reqid. Context: @xa's lock held, BH off. */
static int pm_add_locked(struct xarray *xa, u32 reqid,
			 const struct xfrm_policy *pol)
{
	struct xm_pm_ent *e = xa_load(xa, reqid);
	int i;

	if (!e) {
		e = kzalloc(sizeof(*e), GFP_ATOMIC);
		if (!e)
			return -ENOMEM;
		if (xa_is_err(__xa_store(xa, reqid, e, GFP_ATOMIC))) {
			kfree(e);
			return -ENOMEM;
		}
	}
	for (i = 0; i < e->n; i++)
		if (e->ref[i].index == pol->index)
			break;
	if (i < e->n) {
		polref_set(&e->ref[i], pol);
		return 0;
	}
	if (e->n == XM_PM_REFS) {
		e->overflow = true;
		return 0;
	}
	polref_set(&e->ref[e->n++], pol);
	return 0;
}

/* Forget @index under @reqid. Context: @xa's lock held, BH off. */
static void pm_del_locked(struct xarray *xa, u32 reqid, u32 index)
{
	struct xm_pm_ent *e = xa_load(xa, reqid);
	int i;

	if (!e)
		return;
	for (i = 0; i < e->n; i++) {
		if (e->ref[i].index != index)
			continue;
		e->ref[i] = e->ref[--e->n];
		break;
	}
	if (!e->n && !e->overflow)
		kfree(__xa_erase(xa, reqid));
}

/* Context: @xn->pols' lock held, BH off. */
static void pm_clear_locked(struct xm_net *xn)
{
	struct xm_pm_ent *e;
	unsigned long reqid;

	xn->pols_built = false;
	xa_for_each(&xn->pols, reqid, e)
		kfree(__xa_erase(&xn->pols, reqid));
}

/* The distinct non-zero reqids of @pol's templates, into @reqids. */
static int pol_reqids(const struct xfrm_policy *pol, u32 *reqids)
{
	int i, j, n = 0;

	for (i = 0; i < pol->xfrm_nr; i++) {
		u32 reqid = pol->xfrm_vec[i].reqid;

		for (j = 0; j < n && reqids[j] != reqid; j++)
			;
		if (reqid && j == n)
			reqids[n++] = reqid;
	}
	return n;
}

/* Runs under xfrm_policy_lock with BH off. */
static int pm_build_one(struct xfrm_policy *pol, int dir, int count,
			void *data)
{
	struct xm_net *xn = data;
	u32 reqids[XFRM_MAX_DEPTH];
	int i, n, err = 0;

	n = pol_reqids(pol, reqids);
	xa_lock_bh(&xn->pols);
	for (i = 0; i < n && !err; i++)
		err = pm_add_locked(&xn->pols, reqids[i], pol);
	xa_unlock_bh(&xn->pols);
	return err;
}

/*
 * Build the map with one walk. &netns_xfrm.xfrm_cfg_mutex keeps netlink
 * and PF_KEY policy changes (and their notifications) out meanwhile; only
 * expiries can run, and their stale entries are dropped when found.
 *
 * Context: process context, &xm_net.lock held, xfrm_cfg_mutex not held.
 */
static void pm_build(struct xm_net *xn)
{
	struct net *net = xn->net;
	struct xfrm_policy_walk walk;
	int err;

	mutex_lock(&net->xfrm.xfrm_cfg_mutex);
	xa_lock_bh(&xn->pols);
	pm_clear_locked(xn);
	xa_unlock_bh(&xn->pols);

	xfrm_policy_walk_init(&walk, XFRM_POLICY_TYPE_ANY);
	err = xfrm_policy_walk(net, &walk, pm_build_one, xn);
	xfrm_policy_walk_done(&walk, net);

	xa_lock_bh(&xn->pols);
	if (err)
		pm_clear_locked(xn);
	else
		xn->pols_built = true;
	xa_unlock_bh(&xn->pols);
	mutex_unlock(&net->xfrm.xfrm_cfg_mutex);
}

/*
 * Copy the policies recorded for @reqid. Returns their number, or -ENOENT
 * when the map cannot say (not built, not known, too many): walk then.
 *
 * Context: process context, &xm_net.lock held.
 */
static int pm_get(struct xm_net *xn, u32 reqid, struct xm_polref *ref)
{
	struct xm_pm_ent *e;
	int n = -ENOENT;

	if (!READ_ONCE(xn->pols_built))
		pm_build(xn);
	xa_lock_bh(&xn->pols);
	e = xn->pols_built ? xa_load(&xn->pols, reqid) : NULL;
	if (e && !e->overflow && e->n) {
		n = e->n;
		memcpy(ref, e->ref, n * sizeof(*ref));
	}
	xa_unlock_bh(&xn->pols);
	return n;
}

/*
 * Replace what the map knows about @reqid by the @n policies of @pols
 * found by a walk (@n > XM_PM_REFS: too many to record).
 */
static void pm_set(struct xm_net *xn, u32 reqid, struct xfrm_policy **pols,
		   unsigned int n)
{
	struct xm_pm_ent *e;
	unsigned int i;

	xa_lock_bh(&xn->pols);
	if (!xn->pols_built)
		goto out;
	e = __xa_erase(&xn->pols, reqid);
	kfree(e);
	for (i = 0; i < n && i < XM_PM_REFS; i++)
		if (pm_add_locked(&xn->pols, reqid, pols[i])) {
			pm_clear_locked(xn);
			goto out;
		}
	e = xa_load(&xn->pols, reqid);
	if (e && n > XM_PM_REFS)
		e->overflow = true;
out:
	xa_unlock_bh(&xn->pols);
}

/**
 * xm_sa_policy_notify() - follow a policy change in the reqid map
 * @xn: namespace state
 * @pol: the policy, NULL for a flush
 * @event: XFRM_MSG_NEWPOLICY, _UPDPOLICY, _DELPOLICY, _FLUSHPOLICY, or
 *	_POLEXPIRE (only hard expiries: the policy is deleted)
 *
 * Context: atomic (the key manager's notify_policy).
 */
void xm_sa_policy_notify(struct xm_net *xn, struct xfrm_policy *pol,
			 int event)
{
	u32 reqids[XFRM_MAX_DEPTH];
	int i, n = 0;

	if (!READ_ONCE(xn->pols_built))
		return;
	if (pol)
		n = pol_reqids(pol, reqids);
	xa_lock_bh(&xn->pols);
	if (!xn->pols_built)
		goto out;
	switch (event) {
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
		/* An updated policy keeps its index; a reqid it lost stays
		 * recorded until found stale.
		 */
		for (i = 0; i < n; i++)
			if (pm_add_locked(&xn->pols, reqids[i], pol)) {
				pm_clear_locked(xn);	/* rebuilt when needed */
				break;
			}
		break;
	case XFRM_MSG_DELPOLICY:
	case XFRM_MSG_POLEXPIRE:
		for (i = 0; i < n; i++)
			pm_del_locked(&xn->pols, reqids[i], pol->index);
		break;
	default:
		pm_clear_locked(xn);
		break;
	}
out:
	xa_unlock_bh(&xn->pols);
}

/**
 * xm_sa_net_init() - prepare the per-namespace policy map
 * @xn: namespace state
 */
void xm_sa_net_init(struct xm_net *xn)
{
	xa_init_flags(&xn->pols, XA_FLAGS_LOCK_BH);
}

/**
 * xm_sa_forget_policies() - free the per-namespace policy map
 * @xn: namespace state
 *
 * Called when the last connection leaves and at namespace exit; the map is
 * built again by the next resolution.
 *
 * Context: process context.
 */
void xm_sa_forget_policies(struct xm_net *xn)
{
	xa_lock_bh(&xn->pols);
	pm_clear_locked(xn);
	xa_unlock_bh(&xn->pols);
}

/* The policy @ref names, with a reference, if it still has @reqid. */
static struct xfrm_policy *polref_get(struct net *net,
				      const struct xm_polref *ref, u32 reqid)
{
	struct xfrm_policy *pol;
	int err;

	pol = xfrm_policy_byid(net, &ref->mark, ref->if_id, ref->type,
			       xfrm_policy_id2dir(ref->index), ref->index, 0,
			       &err);
	if (pol && (pol->walk.dead || !pol_has_reqid(pol, reqid))) {
		xfrm_pol_put(pol);
		pol = NULL;
	}
	return pol;
}

/* At most this many policies of one reqid are handled (moves, walks). */
#define XM_MAX_POLS	16

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

	if (pol->if_id != c->t.if_id || !pol_has_reqid(pol, c->t.reqid))
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

static void put_pols(struct xfrm_policy **pols, unsigned int n)
{
	while (n--)
		xfrm_pol_put(pols[n]);
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
		pol = polref_get(net, &ref[i], conn->reqid);
		if (!pol) {
			put_pols(c->pols, c->n);
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
 * them (put with put_pols()) and @c->t the outbound template.
 *
 * Context: process context, &xm_net.lock held, xfrm_cfg_mutex not held.
 */
static bool conn_pols_lookup(struct xm_conn *conn, struct conn_pols *c)
{
	struct xm_net *xn = conn->xn;
	struct xm_polref ref[XM_PM_REFS];
	struct xfrm_policy_walk walk;
	int n;

	memset(c, 0, sizeof(*c));
	c->t.reqid = conn->reqid;
	c->t.if_id = conn->if_id;

	n = pm_get(xn, conn->reqid, ref);
	if (n > 0 && pols_byref(conn, ref, n, c))
		return true;
	if (conn->n_pols && pols_byref(conn, conn->pols, conn->n_pols, c))
		return true;

	xfrm_policy_walk_init(&walk, XFRM_POLICY_TYPE_ANY);
	xfrm_policy_walk(xn->net, &walk, find_conn_pols, c);
	xfrm_policy_walk_done(&walk, xn->net);
	pm_set(xn, conn->reqid, c->pols, c->n);
	if (c->n > XM_MAX_POLS)
		c->n = XM_MAX_POLS;
	if (!c->t.found) {
		put_pols(c->pols, c->n);
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
		polref_set(&conn->pols[i], c->pols[i]);
	conn->n_pols = c->n;
}

struct state_walk {
	const struct xm_conn *conn;
	const struct tmpl_walk *tmpl;
	struct xm_sa_id sa[2];
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

static void set_id(struct xm_sa_id *id, const struct xfrm_state *x)
{
	id->daddr = x->id.daddr;
	id->saddr = x->props.saddr;
	id->spi = x->id.spi;
	id->family = x->props.family;
}

/*
 * Runs under xfrm_state_lock with BH off. The walk visits the newest states
 * first (__xfrm_state_insert() adds at the head of the list), so the first
 * match of each direction is the newest SA (the one a rekey installed last)
 * and later, older matches are ignored.
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
	    xfrm_addr_equal(&x->props.saddr, &t->local, family)) {
		if (!w->sa[XFRM_MOBILITY_DIR_OUT].family)
			set_id(&w->sa[XFRM_MOBILITY_DIR_OUT], x);
	} else if (xfrm_addr_equal(&x->id.daddr, &t->local, family) &&
		 xfrm_addr_equal(&x->props.saddr, &t->remote, family) &&
		 !w->sa[XFRM_MOBILITY_DIR_IN].family) {
		set_id(&w->sa[XFRM_MOBILITY_DIR_IN], x);
		w->in_replay = xm_sa_has_replay_window(x);
	}
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
		set_id(&s->sa[XFRM_MOBILITY_DIR_OUT], out);
		set_id(&s->sa[XFRM_MOBILITY_DIR_IN], in);
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
	put_pols(c.pols, c.n);

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
 * by reqid, so that SAs installed by a rekey are adopted. The outbound
 * policy is looked up as well.
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
	put_pols(c.pols, c.n);
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

/* Note where the module left the SA pair, see &xm_conn.set_ep. */
static void remember_endpoints(struct xm_conn *conn)
{
	if (xm_sa_endpoints(conn, &conn->set_ep))
		conn->set_ep.family = 0;
}

static u64 get_oseq(struct xfrm_state *x)
{
	u64 seq;

	spin_lock_bh(&x->lock);
	if (x->replay_esn)
		seq = (u64)x->replay_esn->oseq_hi << 32 | x->replay_esn->oseq;
	else
		seq = x->replay.oseq;
	spin_unlock_bh(&x->lock);
	return seq;
}

/* Move encapsulation ports in place; addresses are unchanged. */
static void set_ports(struct xfrm_state *x, __be16 sport, __be16 dport)
{
	/* esp_output_encap() reads the ports under x->lock. */
	spin_lock_bh(&x->lock);
	if (x->encap) {
		x->encap->encap_sport = sport;
		x->encap->encap_dport = dport;
	}
	spin_unlock_bh(&x->lock);
}

struct pol_walk {
	u32 reqid;
	u32 if_id;
	u16 family;
	const xfrm_address_t *local;
	const xfrm_address_t *remote;
	unsigned int n;
	struct xfrm_policy *pols[XM_MAX_POLS];
};

static bool tmpl_is(const struct xfrm_tmpl *t, const struct pol_walk *w,
		    const xfrm_address_t *src, const xfrm_address_t *dst)
{
	return t->reqid == w->reqid && t->id.proto == IPPROTO_ESP &&
	       t->mode == XFRM_MODE_TUNNEL && t->encap_family == w->family &&
	       xfrm_addr_equal(&t->saddr, src, w->family) &&
	       xfrm_addr_equal(&t->id.daddr, dst, w->family);
}

/* Runs under xfrm_policy_lock with BH off: only collect and hold. */
static int collect_pols(struct xfrm_policy *pol, int dir, int count,
			void *data)
{
	struct pol_walk *w = data;
	int i;

	if (pol->if_id != w->if_id || w->n == XM_MAX_POLS ||
	    !pol_has_reqid(pol, w->reqid))
		return 0;
	read_lock_bh(&pol->lock);
	for (i = 0; i < pol->xfrm_nr; i++) {
		const struct xfrm_tmpl *t = &pol->xfrm_vec[i];

		if (tmpl_is(t, w, w->local, w->remote) ||
		    tmpl_is(t, w, w->remote, w->local)) {
			xfrm_pol_hold(pol);
			w->pols[w->n++] = pol;
			break;
		}
	}
	read_unlock_bh(&pol->lock);
	return 0;
}

/*
 * The connection's policies by the indexes remembered at resolution, O(1);
 * false (nothing held) when one of them is gone.
 */
static bool collect_byref(struct xm_conn *conn, struct pol_walk *w)
{
	unsigned int i;

	for (i = 0; i < conn->n_pols; i++) {
		struct xfrm_policy *pol;

		pol = polref_get(conn->xn->net, &conn->pols[i], conn->reqid);
		if (!pol) {
			put_pols(w->pols, w->n);
			w->n = 0;
			return false;
		}
		w->pols[w->n++] = pol;
	}
	return conn->n_pols;
}

/*
 * Point the templates of every policy of the connection at the new
 * endpoints, like xfrm_policy_migrate() does, and bump the policy genid so
 * that cached bundles built on the old SAs are not used any more.
 *
 * The policies are looked up by the indexes found at resolution; only when
 * one is gone (deleted and added again by an IKE daemon) is the SPD walked,
 * and the indexes found by the walk are remembered.
 *
 * Context: &xm_net.lock and xfrm_cfg_mutex held.
 */
static void move_templates(struct xm_conn *conn, const struct xm_endpoints *from,
			   const struct xm_endpoints *to)
{
	struct net *net = conn->xn->net;
	struct xfrm_policy_walk walk;
	struct pol_walk w = {
		.reqid = conn->reqid,
		.if_id = conn->if_id,
		.family = from->family,
		.local = &from->local,
		.remote = &from->remote,
	};
	unsigned int i;
	bool moved;
	int j;

	if (!collect_byref(conn, &w)) {
		xfrm_policy_walk_init(&walk, XFRM_POLICY_TYPE_ANY);
		xfrm_policy_walk(net, &walk, collect_pols, &w);
		xfrm_policy_walk_done(&walk, net);
		conn->n_pols = 0;
		if (w.n <= XM_CONN_POLS) {
			for (i = 0; i < w.n; i++)
				polref_set(&conn->pols[i], w.pols[i]);
			conn->n_pols = w.n;
		}
	}

	for (i = 0; i < w.n; i++) {
		struct xfrm_policy *pol = w.pols[i];

		write_lock_bh(&pol->lock);
		moved = false;
		if (!pol->walk.dead) {
			for (j = 0; j < pol->xfrm_nr; j++) {
				struct xfrm_tmpl *t = &pol->xfrm_vec[j];

				if (tmpl_is(t, &w, &from->local, &from->remote)) {
					t->saddr = to->local;
					t->id.daddr = to->remote;
					moved = true;
				} else if (tmpl_is(t, &w, &from->remote,
						   &from->local)) {
					t->saddr = to->remote;
					t->id.daddr = to->local;
					moved = true;
				}
			}
			if (moved)
				atomic_inc(&pol->genid);
		}
		write_unlock_bh(&pol->lock);
		xfrm_pol_put(pol);
	}
}

/*
 * @old (deleted) sent its last packet; its final sequence number is known.
 * If @new has not sent anything yet, continue right after @old instead of
 * after the gap: a jump far beyond the peer's replay window would turn
 * @old's packets still in flight into replay drops. Checked and set under
 * @new->lock, which the output path takes to number a packet.
 */
static void close_seq_gap(struct xm_conn *conn, struct xfrm_state *old,
			  struct xfrm_state *new, u64 start)
{
	u64 last = get_oseq(old);

	if (last >= start) {
		pr_warn_ratelimited("conn %u: old outbound SA reached sequence %llu, the copy's start %llu\n",
				    conn->id, last, start);
		return;
	}
	spin_lock_bh(&new->lock);
	if (new->replay_esn) {
		if (((u64)new->replay_esn->oseq_hi << 32 |
		     new->replay_esn->oseq) == start) {
			new->replay_esn->oseq = lower_32_bits(last);
			new->replay_esn->oseq_hi = upper_32_bits(last);
		}
	} else if (new->replay.oseq == lower_32_bits(start)) {
		new->replay.oseq = lower_32_bits(last);
	}
	spin_unlock_bh(&new->lock);
}

/**
 * xm_sa_move() - move a connection's SA pair to new outer endpoints
 * @conn: connection
 * @to: new endpoints; @to->family must be the current family
 * @extack: where to say why the move failed, may be NULL
 *
 * When only the encapsulation ports change, the ports are rewritten in
 * place. Otherwise both SAs are replaced by copies at the new addresses
 * with the new encapsulation (same SPIs, keys, replay state, lifetimes;
 * xm_state_clone()), the policy templates of the connection are rewritten,
 * and the old SAs are deleted. The inbound copy is plain ESP when
 * @to->in_plain is set; @to->in_plain alone does not cause a move (see
 * xm_sa_make_plain()).
 *
 * The outbound copy starts %XM_SEQ_GAP sequence numbers after the
 * original: the original may still send packets until it is deleted, and
 * a sequence number used twice is a nonce used twice under AES-GCM. Once
 * the original is deleted, a copy that has not sent anything yet continues
 * right after it instead.
 *
 * Context: process context, &xm_net.lock held; takes
 * &netns_xfrm.xfrm_cfg_mutex to serialise with IKE daemons' requests.
 * Return: 0 if the SAs are at @to (moved or already there), else a
 * negative errno and the SAs are unchanged.
 */
int xm_sa_move(struct xm_conn *conn, const struct xm_endpoints *to,
	       struct netlink_ext_ack *extack)
{
	struct net *net = conn->xn->net;
	struct xfrm_state *in = NULL, *out = NULL, *nin, *nout;
	struct xfrm_encap_tmpl enc_in, enc_out, *pin = NULL, *pout = NULL;
	struct xm_endpoints from;
	u64 start;
	bool addrs, ports;
	int err;

	lockdep_assert_held(&conn->xn->lock);

	err = xm_sa_endpoints(conn, &from);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "the outbound SA is gone");
		return err;
	}
	if (to->family != from.family) {
		NL_SET_ERR_MSG_MOD(extack,
				   "moving between address families is not supported");
		return -EAFNOSUPPORT;
	}

	addrs = !xfrm_addr_equal(&from.local, &to->local, to->family) ||
		!xfrm_addr_equal(&from.remote, &to->remote, to->family) ||
		from.encap_type != to->encap_type;
	ports = from.local_port != to->local_port ||
		from.remote_port != to->remote_port;
	if (!addrs && !ports)
		return 0;

	mutex_lock(&net->xfrm.xfrm_cfg_mutex);
	in = xm_sa_lookup(net, conn, XFRM_MOBILITY_DIR_IN);
	out = xm_sa_lookup(net, conn, XFRM_MOBILITY_DIR_OUT);
	if (!in || !out) {
		NL_SET_ERR_MSG_MOD(extack, "an SA of the connection is gone");
		err = -ENOENT;
		goto out_unlock;
	}

	if (!addrs) {
		set_ports(out, to->local_port, to->remote_port);
		set_ports(in, to->remote_port, to->local_port);
		goto out_moved;
	}

	if (to->encap_type) {
		memset(&enc_in, 0, sizeof(enc_in));
		enc_in.encap_type = to->encap_type;
		enc_in.encap_sport = to->remote_port;
		enc_in.encap_dport = to->local_port;
		enc_out = enc_in;
		enc_out.encap_sport = to->local_port;
		enc_out.encap_dport = to->remote_port;
		pin = to->in_plain ? NULL : &enc_in;
		pout = &enc_out;
	}

	/*
	 * The outbound copy first: it is not used before the templates point
	 * at it. The inbound copy wins SPI lookups once hashed, and packets
	 * it decrypts fail the inbound template check until the templates
	 * are rewritten, so that follows at once.
	 */
	nout = xm_state_clone(out, &to->local, &to->remote, pout, XM_SEQ_GAP);
	if (IS_ERR(nout)) {
		NL_SET_ERR_MSG_MOD(extack, "could not copy the outbound SA");
		err = PTR_ERR(nout);
		goto out_unlock;
	}
	start = get_oseq(nout);
	nin = xm_state_clone(in, &to->remote, &to->local, pin, 0);
	if (IS_ERR(nin)) {
		xfrm_state_delete(nout);
		xfrm_state_put(nout);
		NL_SET_ERR_MSG_MOD(extack, "could not copy the inbound SA");
		err = PTR_ERR(nin);
		goto out_unlock;
	}
	move_templates(conn, &from, to);

	xfrm_state_delete(out);
	xfrm_state_delete(in);
	close_seq_gap(conn, out, nout, start);

	set_id(&conn->sa[XFRM_MOBILITY_DIR_IN], nin);
	set_id(&conn->sa[XFRM_MOBILITY_DIR_OUT], nout);
	xfrm_state_put(nin);
	xfrm_state_put(nout);

out_moved:
	remember_endpoints(conn);
	conn->last_move_ns = ktime_get_boottime_ns();
	xm_stat_inc(conn, XM_STAT_MOVES);
	err = 0;
out_unlock:
	mutex_unlock(&net->xfrm.xfrm_cfg_mutex);
	if (in)
		xfrm_state_put(in);
	if (out)
		xfrm_state_put(out);
	return err;
}

/**
 * xm_sa_make_plain() - remove the UDP encapsulation of one SA
 * @conn: connection
 * @dir: &enum xfrm_mobility_dir of the SA
 *
 * The SA is replaced by a copy without encapsulation (same SPI, keys,
 * addresses, replay state and lifetimes); an outbound copy starts
 * %XM_SEQ_GAP sequence numbers later, set before it is hashed; see
 * close_seq_gap().
 *
 * Context: process context, &xm_net.lock held; takes
 * &netns_xfrm.xfrm_cfg_mutex.
 * Return: 0 (also when the SA is plain already) or a negative errno, the
 * SA unchanged.
 */
int xm_sa_make_plain(struct xm_conn *conn, int dir)
{
	struct net *net = conn->xn->net;
	struct xfrm_state *x, *nx;
	u64 start;
	int err = 0;

	lockdep_assert_held(&conn->xn->lock);

	mutex_lock(&net->xfrm.xfrm_cfg_mutex);
	x = xm_sa_lookup(net, conn, dir);
	if (!x) {
		err = -ENOENT;
		goto out_unlock;
	}
	if (!x->encap)
		goto out_put;

	nx = xm_state_clone(x, &x->props.saddr, &x->id.daddr, NULL,
			    dir == XFRM_MOBILITY_DIR_OUT ? XM_SEQ_GAP : 0);
	if (IS_ERR(nx)) {
		err = PTR_ERR(nx);
		goto out_put;
	}
	start = get_oseq(nx);
	xfrm_state_delete(x);
	if (dir == XFRM_MOBILITY_DIR_OUT)
		close_seq_gap(conn, x, nx, start);
	set_id(&conn->sa[dir], nx);
	/*
	 * Only the encapsulation of the outbound SA changed: its endpoints
	 * may be someone else's (see xm_reg_sas_changed()), keep the record.
	 */
	if (dir == XFRM_MOBILITY_DIR_OUT && conn->set_ep.family) {
		conn->set_ep.encap_type = 0;
		conn->set_ep.local_port = 0;
		conn->set_ep.remote_port = 0;
	}
	xfrm_state_put(nx);
out_put:
	xfrm_state_put(x);
out_unlock:
	mutex_unlock(&net->xfrm.xfrm_cfg_mutex);
	return err;
}
