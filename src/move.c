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
	    !xm_pol_has_reqid(pol, w->reqid))
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

		pol = xm_polref_get(conn->xn->net, &conn->pols[i], conn->reqid);
		if (!pol) {
			xm_pols_put(w->pols, w->n);
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

	lockdep_assert_held(&conn->xn->lock);
	lockdep_assert_held(&conn->xn->net->xfrm.xfrm_cfg_mutex);

	if (!collect_byref(conn, &w)) {
		xfrm_policy_walk_init(&walk, XFRM_POLICY_TYPE_ANY);
		xfrm_policy_walk(net, &walk, collect_pols, &w);
		xfrm_policy_walk_done(&walk, net);
		conn->n_pols = 0;
		if (w.n <= XM_CONN_POLS) {
			for (i = 0; i < w.n; i++)
				xm_polref_set(&conn->pols[i], w.pols[i]);
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

	xm_sa_set_id(&conn->sa[XFRM_MOBILITY_DIR_IN], nin);
	xm_sa_set_id(&conn->sa[XFRM_MOBILITY_DIR_OUT], nout);
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
out_put:
	xfrm_state_put(x);
out_unlock:
	mutex_unlock(&net->xfrm.xfrm_cfg_mutex);
	return err;
}
