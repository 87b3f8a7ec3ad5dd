// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: moving a connection's SA pair to new outer endpoints or
 * another encapsulation, in place where XFRM allows it (ports) and by
 * copies otherwise (clone.c), with the policy templates that name them.
 */

#include <linux/in.h>
#include <linux/timekeeping.h>
#include <net/xfrm.h>

#include "clone.h"
#include "move.h"
#include "polmap.h"
#include "sa.h"

/* Note where the module left the SA pair, see &xm_conn.set_ep. */
static void remember_endpoints(struct xm_conn *conn)
{
	if (xm_sa_endpoints(conn, &conn->set_ep))
		conn->set_ep.family = 0;
}

/*
 * Move encapsulation ports in place; addresses are unchanged. Returns
 * whether anything changed.
 */
static bool set_ports(struct xfrm_state *x, __be16 sport, __be16 dport)
{
	bool changed = false;

	/* esp_output_encap() reads the ports under x->lock. */
	spin_lock_bh(&x->lock);
	if (x->encap && (x->encap->encap_sport != sport ||
			 x->encap->encap_dport != dport)) {
		x->encap->encap_sport = sport;
		x->encap->encap_dport = dport;
		changed = true;
	}
	spin_unlock_bh(&x->lock);
	return changed;
}

struct pol_walk {
	u32 reqid;
	u32 if_id;
	u16 family;
	const xfrm_address_t *local;
	const xfrm_address_t *remote;
	unsigned int n;
	unsigned int total;
	bool out_found;
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

/*
 * Whether a template of @pol names the endpoints of @w (either way); an
 * outbound main policy with the local -> remote template is noted in
 * @w->out_found. Takes @pol->lock (templates are rewritten under it).
 */
static bool pol_names(struct xfrm_policy *pol, struct pol_walk *w)
{
	bool out = xfrm_policy_id2dir(pol->index) == XFRM_POLICY_OUT &&
		   pol->type == XFRM_POLICY_TYPE_MAIN;
	bool found = false;
	int i;

	read_lock_bh(&pol->lock);
	for (i = 0; i < pol->xfrm_nr; i++) {
		const struct xfrm_tmpl *t = &pol->xfrm_vec[i];

		if (tmpl_is(t, w, w->local, w->remote)) {
			found = true;
			if (out)
				w->out_found = true;
		} else if (tmpl_is(t, w, w->remote, w->local)) {
			found = true;
		}
	}
	read_unlock_bh(&pol->lock);
	return found;
}

/*
 * Runs under xfrm_policy_lock with BH off: only collect and hold. Every
 * match is counted, also beyond %XM_MAX_POLS, so that the move can refuse
 * to leave policies behind.
 */
static int collect_pols(struct xfrm_policy *pol, int dir, int count,
			void *data)
{
	struct pol_walk *w = data;

	if (pol->if_id != w->if_id || !xm_pol_has_reqid(pol, w->reqid) ||
	    !pol_names(pol, w))
		return 0;
	if (w->n < XM_MAX_POLS) {
		xfrm_pol_hold(pol);
		w->pols[w->n++] = pol;
	}
	w->total++;
	return 0;
}

/*
 * The connection's policies by the indexes remembered at resolution, O(1);
 * false (nothing held) when one of them is gone or none names the
 * outbound template.
 */
static bool collect_byref(struct xm_conn *conn, struct pol_walk *w)
{
	unsigned int i;

	for (i = 0; i < conn->n_pols; i++) {
		struct xfrm_policy *pol;

		pol = xm_polref_get(conn->xn->net, &conn->pols[i], conn->reqid);
		if (!pol) {
			xm_pols_put(w->pols, w->n);
			w->n = 0;
			w->out_found = false;
			return false;
		}
		pol_names(pol, w);
		w->pols[w->n++] = pol;
	}
	w->total = w->n;
	if (!w->out_found) {
		xm_pols_put(w->pols, w->n);
		w->n = 0;
		w->total = 0;
	}
	return w->out_found;
}

/*
 * Find and hold the policies of the connection whose templates name the
 * endpoints @from: by the indexes found at resolution, O(1); only when one
 * is gone (deleted and added again by an IKE daemon) is the SPD walked,
 * and the indexes found by the walk are remembered. The plan must cover
 * every policy: -E2BIG when there are more than %XM_MAX_POLS, -ENOENT when
 * no outbound policy names @from (nothing would use the moved SAs). Only
 * on success does @w hold references (dropped by move_templates_put()).
 *
 * Context: &xm_net.lock and xfrm_cfg_mutex held.
 */
static int collect_templates(struct xm_conn *conn,
			     const struct xm_endpoints *from,
			     struct pol_walk *w)
{
	struct net *net = conn->xn->net;
	struct xfrm_policy_walk walk;
	unsigned int i;

	lockdep_assert_held(&conn->xn->lock);
	lockdep_assert_held(&net->xfrm.xfrm_cfg_mutex);

	memset(w, 0, sizeof(*w));
	w->reqid = conn->reqid;
	w->if_id = conn->if_id;
	w->family = from->family;
	w->local = &from->local;
	w->remote = &from->remote;

	if (collect_byref(conn, w))
		return 0;
	xfrm_policy_walk_init(&walk, XFRM_POLICY_TYPE_ANY);
	xfrm_policy_walk(net, &walk, collect_pols, w);
	xfrm_policy_walk_done(&walk, net);
	conn->n_pols = 0;
	if (w->total <= XM_CONN_POLS) {
		for (i = 0; i < w->n; i++)
			xm_polref_set(&conn->pols[i], w->pols[i]);
		conn->n_pols = w->n;
	}
	if (w->total <= XM_MAX_POLS && w->out_found)
		return 0;
	xm_pols_put(w->pols, w->n);
	w->n = 0;
	return w->out_found ? -E2BIG : -ENOENT;
}

/*
 * Point the templates collected in @w at the endpoints @to, like
 * xfrm_policy_migrate() does, and bump the policy genid so that cached
 * bundles built on the old SAs are not used any more. Only writes: it runs
 * between the switch to the new SAs and the deletion of the old ones.
 */
static void move_templates(struct pol_walk *w, const struct xm_endpoints *to)
{
	const xfrm_address_t *local = w->local, *remote = w->remote;
	unsigned int i;
	bool moved;
	int j;

	for (i = 0; i < w->n; i++) {
		struct xfrm_policy *pol = w->pols[i];

		write_lock_bh(&pol->lock);
		moved = false;
		if (!pol->walk.dead) {
			for (j = 0; j < pol->xfrm_nr; j++) {
				struct xfrm_tmpl *t = &pol->xfrm_vec[j];

				if (tmpl_is(t, w, local, remote)) {
					t->saddr = to->local;
					t->id.daddr = to->remote;
					moved = true;
				} else if (tmpl_is(t, w, remote, local)) {
					t->saddr = to->remote;
					t->id.daddr = to->local;
					moved = true;
				}
			}
			if (moved)
				atomic_inc(&pol->genid);
		}
		write_unlock_bh(&pol->lock);
	}
}

/*
 * Tell key managers and the audit log what changed, as the kernel does for
 * SAs deleted, added and updated over netlink (xfrm_del_sa(),
 * xfrm_add_sa()): `ip xfrm monitor` and auditd see every move. The
 * module's own key manager ignores them (&xm_net.km_self).
 *
 * Context: &xm_net.lock and xfrm_cfg_mutex held.
 */
static void notify(struct xm_conn *conn, struct xfrm_state *x, int event)
{
	struct km_event c = { .net = conn->xn->net, .event = event };

	if (event == XFRM_MSG_DELSA)
		xfrm_audit_state_delete(x, 1, true);
	else
		xfrm_audit_state_add(x, 1, true);
	WRITE_ONCE(conn->xn->km_self, current);
	km_state_notify(x, &c);
	WRITE_ONCE(conn->xn->km_self, NULL);
}

/* @x was replaced by @xc (and deleted): report both. */
static void report(struct xm_conn *conn, struct xfrm_state *x,
		   struct xfrm_state *xc)
{
	notify(conn, x, XFRM_MSG_DELSA);
	notify(conn, xc, XFRM_MSG_NEWSA);
}

/* Delete @x, which cannot be used any more, and report it. */
static void dropped(struct xm_conn *conn, struct xfrm_state *x)
{
	if (!xfrm_state_delete(x))
		notify(conn, x, XFRM_MSG_DELSA);
}

/*
 * Whether @in and @out, from which the copies were prepared, are still the
 * connection's SAs at @from, the endpoints the caller based its target on:
 * an IKE daemon may have replaced or updated them meanwhile. Under
 * xfrm_cfg_mutex no other key manager changes them (expiries still can;
 * the switch checks the state under the SA's lock).
 */
static bool pair_unchanged(struct xm_conn *conn, const struct xm_endpoints *from,
			   struct xfrm_state *in, struct xfrm_state *out)
{
	struct net *net = conn->xn->net;
	struct xfrm_state *cin, *cout;
	struct xm_endpoints cur;
	bool same;

	cin = xm_sa_lookup(net, conn, XFRM_MOBILITY_DIR_IN);
	cout = xm_sa_lookup(net, conn, XFRM_MOBILITY_DIR_OUT);
	same = cin == in && cout == out && !xm_sa_endpoints(conn, &cur) &&
	       xm_ep_same(&cur, from);
	if (cin)
		xfrm_state_put(cin);
	if (cout)
		xfrm_state_put(cout);
	return same;
}

/* Whether another SA already has @x's SPI at @daddr. */
static bool spi_taken(struct xfrm_state *x, const xfrm_address_t *daddr)
{
	struct xfrm_state *o;

	if (xfrm_addr_equal(&x->id.daddr, daddr, x->props.family))
		return false;
	o = xfrm_state_lookup(xs_net(x), x->mark.v, daddr, x->id.spi,
			      x->id.proto, x->props.family);
	if (o)
		xfrm_state_put(o);
	return o;
}

/**
 * xm_sa_move() - move a connection's SA pair to new outer endpoints
 * @conn: connection
 * @from: the endpoints @to was derived from; the move fails with -EAGAIN
 *	when the SAs are no longer there
 * @to: new endpoints; @to->family must be @from->family
 * @extack: where to say why the move failed, may be NULL
 *
 * When only the encapsulation ports change, the ports are rewritten in
 * place. Otherwise both SAs are replaced by copies at the new addresses
 * with the new encapsulation (same SPIs, keys, replay state, lifetimes),
 * the policy templates of the connection are rewritten, and the old SAs
 * are deleted. The inbound copy is plain ESP when @to->in_plain is set;
 * @to->in_plain alone does not cause a move (see xm_sa_make_plain()).
 *
 * The copies are prepared first, without xfrm_cfg_mutex: everything that
 * allocates or sleeps. Then, under the mutex, the SAs, the policies to
 * rewrite and the SPIs at the new addresses are checked, and without
 * sleeping each original hands its replay state to its copy and stops in
 * one section (xm_state_switch()): the outbound SA first, the inbound SA
 * last. The outbound copy continues at exactly the next sequence number;
 * if the inbound switch fails (its SA expired meanwhile), the outbound
 * copy hands its counter back to the original, which continues after
 * every number the copy used. An inbound copy, once live, is never
 * switched back.
 *
 * Context: process context, &xm_net.lock held; takes
 * &netns_xfrm.xfrm_cfg_mutex to serialise with IKE daemons' requests.
 * Return: 0 if the SAs are at @to (moved or already there), else a
 * negative errno and the SAs are unchanged (or, if they expired during
 * the move, gone), with no sequence number used twice.
 */
int xm_sa_move(struct xm_conn *conn, const struct xm_endpoints *from,
	       const struct xm_endpoints *to, struct netlink_ext_ack *extack)
{
	struct net *net = conn->xn->net;
	struct xfrm_state *in, *out, *nin = NULL, *nout = NULL;
	struct xfrm_encap_tmpl enc_in, enc_out, *pin = NULL, *pout = NULL;
	struct pol_walk w;
	bool addrs, ports;
	int err;

	lockdep_assert_held(&conn->xn->lock);

	if (to->family != from->family) {
		NL_SET_ERR_MSG_MOD(extack,
				   "moving between address families is not supported");
		return -EAFNOSUPPORT;
	}

	addrs = !xfrm_addr_equal(&from->local, &to->local, to->family) ||
		!xfrm_addr_equal(&from->remote, &to->remote, to->family) ||
		from->encap_type != to->encap_type;
	ports = from->local_port != to->local_port ||
		from->remote_port != to->remote_port;
	if (!addrs && !ports)
		return 0;

	in = xm_sa_lookup(net, conn, XFRM_MOBILITY_DIR_IN);
	out = xm_sa_lookup(net, conn, XFRM_MOBILITY_DIR_OUT);
	if (!in || !out) {
		NL_SET_ERR_MSG_MOD(extack, "an SA of the connection is gone");
		err = -ENOENT;
		goto out_put;
	}

	if (addrs) {
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
		nout = xm_state_prepare(out, &to->local, &to->remote, pout);
		if (IS_ERR(nout)) {
			NL_SET_ERR_MSG_MOD(extack, "could not copy the outbound SA");
			err = PTR_ERR(nout);
			nout = NULL;
			goto out_put;
		}
		nin = xm_state_prepare(in, &to->remote, &to->local, pin);
		if (IS_ERR(nin)) {
			NL_SET_ERR_MSG_MOD(extack, "could not copy the inbound SA");
			err = PTR_ERR(nin);
			nin = NULL;
			goto out_put;
		}
	}

	mutex_lock(&net->xfrm.xfrm_cfg_mutex);
	if (!pair_unchanged(conn, from, in, out)) {
		NL_SET_ERR_MSG_MOD(extack, "the SAs changed during the move");
		err = -EAGAIN;
		goto out_unlock;
	}

	if (!addrs) {
		if (set_ports(out, to->local_port, to->remote_port))
			notify(conn, out, XFRM_MSG_UPDSA);
		if (set_ports(in, to->remote_port, to->local_port))
			notify(conn, in, XFRM_MSG_UPDSA);
		goto out_moved;
	}

	/* Everything that can fail before anything goes live. */
	if (spi_taken(out, &to->remote) || spi_taken(in, &to->local)) {
		NL_SET_ERR_MSG_MOD(extack, "the SPI is taken at the new address");
		err = -EEXIST;
		goto out_unlock;
	}
	err = collect_templates(conn, from, &w);
	if (err == -E2BIG) {
		NL_SET_ERR_MSG_MOD(extack, "too many policies to move");
		goto out_unlock;
	} else if (err) {
		NL_SET_ERR_MSG_MOD(extack,
				   "no outbound policy template names the SAs");
		goto out_unlock;
	}

	err = xm_state_switch(out, nout);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "could not switch to the outbound copy");
		goto out_pols;
	}
	err = xm_state_switch(in, nin);
	if (err) {
		/*
		 * The outbound copy numbered packets since its switch: the
		 * original takes its counter back and continues after them.
		 * Only if the original expired meanwhile is the pair lost.
		 */
		if (xm_state_switch_back(nout, out))
			dropped(conn, out);
		dropped(conn, nout);
		xfrm_state_put(nout);
		nout = NULL;
		NL_SET_ERR_MSG_MOD(extack, "could not switch to the inbound copy");
		goto out_pols;
	}
	/*
	 * The inbound original goes at once: 6.12's per-CPU input cache
	 * returns it, stopped, until it is deleted. The outbound one stays
	 * hashed (stopped) until the templates name the copy, so that route
	 * lookups meanwhile fail without an ACQUIRE.
	 */
	xfrm_state_delete(in);
	move_templates(&w, to);
	xm_pols_put(w.pols, w.n);
	xfrm_state_delete(out);

	report(conn, out, nout);
	report(conn, in, nin);
	xm_sa_set_id(&conn->sa[XFRM_MOBILITY_DIR_IN], nin);
	xm_sa_set_id(&conn->sa[XFRM_MOBILITY_DIR_OUT], nout);
	xfrm_state_put(nin);
	xfrm_state_put(nout);
	nin = NULL;
	nout = NULL;

out_moved:
	remember_endpoints(conn);
	conn->last_move_ns = ktime_get_boottime_ns();
	xm_stat_inc(conn, XM_STAT_MOVES);
	err = 0;
	goto out_unlock;
out_pols:
	xm_pols_put(w.pols, w.n);
out_unlock:
	mutex_unlock(&net->xfrm.xfrm_cfg_mutex);
out_put:
	if (nin)
		xm_state_discard(nin);
	if (nout)
		xm_state_discard(nout);
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
 * addresses, replay state and lifetimes), switched to as xm_sa_move()
 * does.
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
	int err;

	lockdep_assert_held(&conn->xn->lock);

	x = xm_sa_lookup(net, conn, dir);
	if (!x)
		return -ENOENT;
	if (!READ_ONCE(x->encap)) {
		xfrm_state_put(x);
		return 0;
	}
	nx = xm_state_prepare(x, &x->props.saddr, &x->id.daddr, NULL);
	if (IS_ERR(nx)) {
		xfrm_state_put(x);
		return PTR_ERR(nx);
	}

	mutex_lock(&net->xfrm.xfrm_cfg_mutex);
	err = xm_state_switch(x, nx);
	if (err) {
		mutex_unlock(&net->xfrm.xfrm_cfg_mutex);
		xm_state_discard(nx);
		xfrm_state_put(x);
		return err;
	}
	xfrm_state_delete(x);
	report(conn, x, nx);
	mutex_unlock(&net->xfrm.xfrm_cfg_mutex);

	xm_sa_set_id(&conn->sa[dir], nx);
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
	xfrm_state_put(x);
	return 0;
}
