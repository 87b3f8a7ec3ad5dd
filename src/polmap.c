// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: policies by reqid.
 *
 * The kernel has no index of policies by reqid, and a connection knows
 * only its reqid. This map is built by one walk over the SPD when a
 * connection is first resolved in the namespace and then kept current by
 * the key manager's policy notifications (xm_polmap_notify()), so that
 * adopting N tunnels costs one walk instead of N. It is a hint: every
 * policy found in it is looked up by index and checked before use, and a
 * reqid it does not know is looked for with a walk. Entries of policies
 * that disappeared without a notification are dropped when found stale.
 */

#include <linux/slab.h>
#include <linux/xarray.h>
#include <net/xfrm.h>

#include "polmap.h"

/**
 * xm_pol_has_reqid() - whether a template of a policy has a reqid
 * @pol: policy
 * @reqid: reqid
 *
 * Read without @pol->lock: moves (move.c and xfrm_policy_migrate())
 * rewrite the addresses of templates, never their reqid or their number.
 * Walks thus skip the lock for the policies of every other connection.
 *
 * Return: true if one of @pol's templates carries @reqid.
 */
bool xm_pol_has_reqid(const struct xfrm_policy *pol, u32 reqid)
{
	int i;

	for (i = 0; i < pol->xfrm_nr; i++)
		if (pol->xfrm_vec[i].reqid == reqid)
			return true;
	return false;
}

/* Policies recorded per reqid (&xm_net.pols); more make the reqid walk. */
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

/**
 * xm_polref_set() - remember where to find a policy again
 * @ref: filled
 * @pol: policy
 */
void xm_polref_set(struct xm_polref *ref, const struct xfrm_policy *pol)
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
		xm_polref_set(&e->ref[i], pol);
		return 0;
	}
	if (e->n == XM_PM_REFS) {
		e->overflow = true;
		return 0;
	}
	xm_polref_set(&e->ref[e->n++], pol);
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

	lockdep_assert_held(&xn->lock);

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

/**
 * xm_polmap_get() - the policies recorded for a reqid
 * @xn: namespace state
 * @reqid: reqid
 * @ref: filled with up to %XM_CONN_POLS references
 *
 * Builds the map first if needed.
 *
 * Context: process context, &xm_net.lock held.
 * Return: the number of references, or -ENOENT when the map cannot say
 * (not built, not known, too many): walk then.
 */
int xm_polmap_get(struct xm_net *xn, u32 reqid, struct xm_polref *ref)
{
	struct xm_pm_ent *e;
	int n = -ENOENT;

	lockdep_assert_held(&xn->lock);
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

/**
 * xm_polmap_set() - record the result of a walk for a reqid
 * @xn: namespace state
 * @reqid: reqid
 * @pols: the policies found
 * @n: their number; more than %XM_CONN_POLS: too many to record
 *
 * Replaces what the map knew about @reqid.
 */
void xm_polmap_set(struct xm_net *xn, u32 reqid, struct xfrm_policy **pols,
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
 * xm_polmap_notify() - follow a policy change
 * @xn: namespace state
 * @pol: the policy, NULL for a flush
 * @event: XFRM_MSG_NEWPOLICY, _UPDPOLICY, _DELPOLICY, _FLUSHPOLICY, or
 *	_POLEXPIRE (only hard expiries: the policy is deleted)
 *
 * Context: atomic (the key manager's notify_policy).
 */
void xm_polmap_notify(struct xm_net *xn, struct xfrm_policy *pol, int event)
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
 * xm_polmap_net_init() - prepare the per-namespace policy map
 * @xn: namespace state
 */
void xm_polmap_net_init(struct xm_net *xn)
{
	xa_init_flags(&xn->pols, XA_FLAGS_LOCK_BH);
}

/**
 * xm_polmap_forget() - free the per-namespace policy map
 * @xn: namespace state
 *
 * Called when the last connection leaves and at namespace exit; the map is
 * built again by the next resolution.
 *
 * Context: process context.
 */
void xm_polmap_forget(struct xm_net *xn)
{
	xa_lock_bh(&xn->pols);
	pm_clear_locked(xn);
	xa_unlock_bh(&xn->pols);
}

/**
 * xm_polref_get() - look a remembered policy up again
 * @net: namespace
 * @ref: where to find it
 * @reqid: reqid it must still carry
 *
 * Return: the policy with a reference held, or NULL if it is gone, dead or
 * no longer carries @reqid.
 */
struct xfrm_policy *xm_polref_get(struct net *net,
				  const struct xm_polref *ref, u32 reqid)
{
	struct xfrm_policy *pol;
	int err;

	pol = xfrm_policy_byid(net, &ref->mark, ref->if_id, ref->type,
			       xfrm_policy_id2dir(ref->index), ref->index, 0,
			       &err);
	if (pol && (pol->walk.dead || !xm_pol_has_reqid(pol, reqid))) {
		xfrm_pol_put(pol);
		pol = NULL;
	}
	return pol;
}

/**
 * xm_pols_put() - drop the references to policies
 * @pols: policies
 * @n: their number
 */
void xm_pols_put(struct xfrm_policy **pols, unsigned int n)
{
	while (n--)
		xfrm_pol_put(pols[n]);
}
