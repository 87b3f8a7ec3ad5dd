// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: copies of an SA and the switch from an SA to its copy.
 *
 * A move is made in two steps. xm_state_prepare() builds the copy with its
 * new addresses and encapsulation: everything that allocates, sleeps or
 * can fail, while the original keeps working. xm_state_switch() then, in
 * one short section under the original's lock, takes the original's
 * counters and replay window, stops the original and makes the copy
 * findable. The original never numbers or accepts a packet after its
 * state was taken, and the copy continues at exactly the next number:
 * no sequence number is used twice under the key, whatever the rate.
 *
 * The stopped original stays in the SAD as XFRM_STATE_ERROR until the
 * caller deletes it: a route lookup for the old endpoints then finds no
 * usable state (xfrm_state_look_at() sets the lookup's error to -ESRCH, so
 * xfrm_state_find() sends no ACQUIRE to the key managers), and the input
 * path drops at its first state check. A packet the original had admitted
 * before the switch whose replay window advances after it (xfrm_input()
 * drops the lock around decryption and does not check the state again) is
 * dropped by the receive hook (rx.c): the copy's window may not hold it.
 *
 * xfrm_state_migrate() clones through the kernel's static
 * xfrm_state_clone(), which keeps the original's UDP encapsulation when it
 * is given none, and syncs nothing; xm_state_prepare() builds the copy
 * itself from exported primitives.
 */

#include <linux/err.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/udp.h>
#include <net/xfrm.h>

#include "clone.h"
#include "fault.h"

/* xfrm_replay_clone() and the xfrm_algo*_clone() helpers depend on it. */
#if !IS_ENABLED(CONFIG_XFRM_MIGRATE)
#error "xfrm_mobility needs CONFIG_XFRM_MIGRATE"
#endif

/*
 * What the clone cannot carry over: a security context (clone_security()
 * is not exported), a care-of address (Mobile IPv6 route optimisation),
 * hardware offload, and IPcomp (calg, with its IPIP tunnel state).
 */
static bool can_clone(const struct xfrm_state *x)
{
	return !x->security && !x->coaddr && !x->calg && !x->tunnel &&
	       !READ_ONCE(x->xso.dev);
}

static int copy_keys(struct xfrm_state *xc, struct xfrm_state *x)
{
	if (xm_fault(XM_FAULT_ALLOC, xs_net(x)))
		return -ENOMEM;
	if (x->aalg) {
		xc->aalg = xfrm_algo_auth_clone(x->aalg);
		if (!xc->aalg)
			return -ENOMEM;
	}
	if (x->ealg) {
		xc->ealg = xfrm_algo_clone(x->ealg);
		if (!xc->ealg)
			return -ENOMEM;
	}
	if (x->aead) {
		xc->aead = xfrm_algo_aead_clone(x->aead);
		if (!xc->aead)
			return -ENOMEM;
		xc->geniv = x->geniv;
	}
	return 0;
}

/* A keepalive is valid only on an outbound SA with ESP-in-UDP. */
static bool keeps_nat_keepalive(const struct xfrm_state *xc)
{
	return xc->encap && xc->encap->encap_type == UDP_ENCAP_ESPINUDP;
}

/*
 * Copy the fields that change while @from is in use: the replay state
 * (outbound sequence numbers, inbound window), the lifetime counters, the
 * error counters and whether the soft expiry has fired.
 *
 * Context: both states' locks held.
 */
static int copy_live(struct xfrm_state *to, const struct xfrm_state *from)
{
	to->replay = from->replay;
	to->preplay = from->preplay;
	if (from->replay_esn) {
		/* Same bitmap sizes: xfrm_replay_clone() copied them. */
		if (!to->replay_esn ||
		    from->replay_esn->bmp_len != to->replay_esn->bmp_len ||
		    from->preplay_esn->bmp_len != to->preplay_esn->bmp_len)
			return -EINVAL;
		memcpy(to->replay_esn, from->replay_esn,
		       xfrm_replay_state_esn_len(from->replay_esn));
		memcpy(to->preplay_esn, from->preplay_esn,
		       xfrm_replay_state_esn_len(from->preplay_esn));
	}
	/* What xfrm_state_update() may have changed since the copy. */
	to->lft = from->lft;
	to->props.smark = from->props.smark;
	/* add_time too: the lifetimes keep counting from the original's. */
	to->curlft = from->curlft;
	to->lastused = from->lastused;
	to->stats = from->stats;
	/* A soft-expired SA stays less preferred than its replacement. */
	to->km.dying = from->km.dying;
	if (keeps_nat_keepalive(to))
		xm_state_copy_nat_keepalive(to, from);
	return 0;
}

/*
 * Hand @from's live state to @to and stop @from; @to must be in state
 * @to_state. Returns -ESRCH when @from is no longer valid or @to not in
 * @to_state (expired or deleted meanwhile), and nothing changed.
 */
static int transfer(struct xfrm_state *to, u8 to_state,
		    struct xfrm_state *from)
{
	int err = -ESRCH;

	spin_lock_bh(&from->lock);
	spin_lock_nested(&to->lock, SINGLE_DEPTH_NESTING);
	if (from->km.state == XFRM_STATE_VALID && to->km.state == to_state)
		err = copy_live(to, from);
	if (!err) {
		/*
		 * From here on the output path numbers nothing with @from
		 * (xfrm_output_one() checks the state under @from->lock
		 * before it assigns a sequence number) and the input path
		 * admits nothing new to it (xfrm_input() checks it before
		 * the replay check; see the header for packets in flight).
		 */
		from->km.state = XFRM_STATE_ERROR;
		to->km.state = XFRM_STATE_VALID;
	}
	spin_unlock(&to->lock);
	spin_unlock_bh(&from->lock);
	return err;
}

/**
 * xm_state_switch() - stop an SA and put its prepared copy in its place
 * @x: SA in use, valid
 * @xc: its copy from xm_state_prepare(), not in the SAD
 *
 * In one section under @x->lock, @xc takes @x's replay state (the next
 * outbound sequence number, the inbound window), lifetimes and counters,
 * and @x stops (XFRM_STATE_ERROR); then @xc is inserted in the SAD. With
 * the same destination, SPI lookups find @xc before @x (except through
 * 6.12's per-CPU input cache, which holds @x until it is deleted: those
 * packets are dropped). On success the caller deletes @x; on failure @x
 * is as it was (restarted if it was stopped) and @xc is still private.
 *
 * Context: process context, @x's &netns_xfrm.xfrm_cfg_mutex held; does not
 * sleep.
 * Return: 0, -ESRCH if @x is no longer valid, -EEXIST if the SPI is taken
 * at @xc's destination, -EINVAL if the replay states do not match.
 */
int xm_state_switch(struct xfrm_state *x, struct xfrm_state *xc)
{
	int err;

	lockdep_assert_held(&xs_net(x)->xfrm.xfrm_cfg_mutex);

	err = transfer(xc, XFRM_STATE_VALID, x);
	if (err)
		return err;
	/* The SAD's reference; the caller keeps the one it had. */
	xfrm_state_hold(xc);
	err = xm_fault(XM_FAULT_SWITCH, xs_net(x));
	if (!err && xfrm_addr_equal(&x->id.daddr, &xc->id.daddr,
				    x->props.family))
		xfrm_state_insert(xc);
	else if (!err)
		err = xfrm_state_add(xc);
	if (err) {
		/* @xc was never found: @x resumes where it stopped. */
		xfrm_state_put(xc);
		spin_lock_bh(&x->lock);
		if (x->km.state == XFRM_STATE_ERROR)
			x->km.state = XFRM_STATE_VALID;
		spin_unlock_bh(&x->lock);
	}
	return err;
}

/**
 * xm_state_switch_back() - undo xm_state_switch() of an outbound SA
 * @xc: the copy, in the SAD
 * @x: the original it replaced, still in the SAD and stopped
 *
 * @x takes back the counter @xc reached, so it numbers after every packet
 * @xc sent, and resumes; @xc stops. The caller deletes @xc. Only for
 * outbound SAs: an inbound copy that was live has accepted packets that a
 * restarted original could be given again.
 *
 * Context: process context, &netns_xfrm.xfrm_cfg_mutex held; does not
 * sleep.
 * Return: 0, or -ESRCH if @xc or @x expired meanwhile (@x stays stopped).
 */
int xm_state_switch_back(struct xfrm_state *xc, struct xfrm_state *x)
{
	lockdep_assert_held(&xs_net(x)->xfrm.xfrm_cfg_mutex);

	return transfer(x, XFRM_STATE_ERROR, xc);
}

/**
 * xm_state_discard() - free a copy that was never inserted
 * @xc: copy from xm_state_prepare()
 */
void xm_state_discard(struct xfrm_state *xc)
{
	/* Never hashed: __xfrm_state_destroy() wants it dead. */
	xc->km.state = XFRM_STATE_DEAD;
	xfrm_state_put(xc);
}

/**
 * xm_state_prepare() - build a copy of an SA with new endpoints
 * @x: SA to copy; stays in use
 * @saddr: outer source address of the copy, in @x's family
 * @daddr: outer destination address of the copy, in @x's family
 * @encap: UDP (or TCP) encapsulation of the copy, copied; %NULL for plain
 *	ESP even if @x is encapsulated
 *
 * The copy has @x's SPI and protocol, mode, reqid, family, flags, replay
 * window, algorithms and keys, selector, marks, if_id and TFC padding, new
 * crypto transforms and the header length of its encapsulation. Its live
 * state (replay state, lifetimes, counters) is taken from @x only by
 * xm_state_switch(). The copy is not in the SAD.
 *
 * Context: process context (allocates with %GFP_KERNEL); needs no lock.
 * Return: the copy (free it with xm_state_discard() unless it is switched
 * to), or an ERR_PTR(): -EOPNOTSUPP if @x has a security context, a
 * care-of address, hardware offload or compression, -ESRCH if @x is no
 * longer valid, -ENOMEM, or the error of xfrm_init_state() (e.g. -EINVAL
 * for a bad @encap).
 */
struct xfrm_state *xm_state_prepare(struct xfrm_state *x,
				    const xfrm_address_t *saddr,
				    const xfrm_address_t *daddr,
				    const struct xfrm_encap_tmpl *encap)
{
	struct xfrm_state *xc;
	int err;

	might_sleep();

	if (!can_clone(x))
		return ERR_PTR(-EOPNOTSUPP);
	if (READ_ONCE(x->km.state) != XFRM_STATE_VALID)
		return ERR_PTR(-ESRCH);

	xc = xm_fault(XM_FAULT_ALLOC, xs_net(x)) ? NULL :
	     xfrm_state_alloc(xs_net(x));
	if (!xc)
		return ERR_PTR(-ENOMEM);

	xc->id = x->id;
	xc->id.daddr = *daddr;
	xc->sel = x->sel;
	xc->lft = x->lft;
	xc->mark = x->mark;
	xc->if_id = x->if_id;
	xc->tfcpad = x->tfcpad;
	xc->props.mode = x->props.mode;
	xc->props.replay_window = x->props.replay_window;
	xc->props.reqid = x->props.reqid;
	xc->props.family = x->props.family;
	xc->props.saddr = *saddr;
	xc->props.aalgo = x->props.aalgo;
	xc->props.ealgo = x->props.ealgo;
	xc->props.calgo = x->props.calgo;
	xc->props.flags = x->props.flags;
	xc->props.extra_flags = x->props.extra_flags;
	xc->props.smark = x->props.smark;
	xc->replay_maxdiff = x->replay_maxdiff;
	xc->replay_maxage = x->replay_maxage;
	xc->km.seq = x->km.seq;
	xm_state_copy_dir(xc, x);
	xm_state_copy_pcpu_num(xc, x);

	err = copy_keys(xc, x);
	if (err)
		goto err_state;

	if (encap) {
		xc->encap = xm_fault(XM_FAULT_ALLOC, xs_net(x)) ? NULL :
			    kmemdup(encap, sizeof(*encap), GFP_KERNEL);
		if (!xc->encap) {
			err = -ENOMEM;
			goto err_state;
		}
		/* Rate limit of NAT mapping events; as xfrm_state_clone(). */
		xc->mapping_maxage = x->mapping_maxage;
	}
	/* Set before xfrm_init_state(), which checks it. */
	if (keeps_nat_keepalive(xc))
		xm_state_copy_nat_keepalive(xc, x);

	/* Allocates the ESN bitmaps; their contents follow at the switch. */
	if (x->replay_esn &&
	    (xm_fault(XM_FAULT_ALLOC, xs_net(x)) || xfrm_replay_clone(xc, x))) {
		err = -ENOMEM;
		goto err_state;
	}

	/* New crypto transforms; header_len follows the new encapsulation. */
	err = xm_fault(XM_FAULT_ALLOC, xs_net(x)) ?: xfrm_init_state(xc);
	if (err)
		goto err_state;
	return xc;

err_state:
	xm_state_discard(xc);
	return ERR_PTR(err);
}
