// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: cloning an SA with exactly the encapsulation asked for.
 *
 * xfrm_state_migrate() clones through the kernel's static
 * xfrm_state_clone(), which keeps the original's UDP encapsulation when it
 * is given none: an SA can gain encapsulation that way but never lose it.
 * xm_state_clone() builds the copy itself from exported primitives.
 */

#include <linux/err.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/udp.h>
#include <net/xfrm.h>

#include "clone.h"

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
 * Advance the outbound sequence number by @gap. Without ESN the counter
 * (legacy or bitmap replay state) has 32 bits and must not wrap: that
 * would reuse sequence numbers.
 */
static int skip_oseq(struct xfrm_state *xc, u32 gap)
{
	struct xfrm_replay_state_esn *esn = xc->replay_esn;
	u64 seq;

	if (esn && (xc->props.flags & XFRM_STATE_ESN)) {
		seq = ((u64)esn->oseq_hi << 32 | esn->oseq) + gap;
		esn->oseq = lower_32_bits(seq);
		esn->oseq_hi = upper_32_bits(seq);
		return 0;
	}

	seq = (u64)(esn ? esn->oseq : xc->replay.oseq) + gap;
	if (seq > U32_MAX)
		return -EOVERFLOW;
	if (esn)
		esn->oseq = seq;
	else
		xc->replay.oseq = seq;
	return 0;
}

/*
 * Copy the fields that change while the original is in use: the replay
 * state (outbound sequence numbers, inbound window), the lifetime counters,
 * the error counters and whether the soft expiry has fired. The clone is
 * not hashed yet, so only the original's lock matters; taking the clone's
 * too keeps the accesses to both under their own lock.
 */
static int sync_live(struct xfrm_state *xc, struct xfrm_state *x,
		     u32 oseq_gap)
{
	int err = 0;

	spin_lock_bh(&x->lock);
	spin_lock_nested(&xc->lock, SINGLE_DEPTH_NESTING);

	if (x->km.state != XFRM_STATE_VALID) {
		err = -ESRCH;
		goto out;
	}

	xc->replay = x->replay;
	xc->preplay = x->preplay;
	if (x->replay_esn) {
		/* Same bitmap sizes: xfrm_replay_clone() copied them. */
		if (x->replay_esn->bmp_len != xc->replay_esn->bmp_len ||
		    x->preplay_esn->bmp_len != xc->preplay_esn->bmp_len) {
			err = -EAGAIN;
			goto out;
		}
		memcpy(xc->replay_esn, x->replay_esn,
		       xfrm_replay_state_esn_len(x->replay_esn));
		memcpy(xc->preplay_esn, x->preplay_esn,
		       xfrm_replay_state_esn_len(x->preplay_esn));
	}
	/*
	 * Skip sequence numbers before the copy can be found: @x may send
	 * until it is deleted, and a number used twice is a nonce used twice
	 * under AES-GCM.
	 */
	err = skip_oseq(xc, oseq_gap);
	if (err)
		goto out;

	/* add_time too: the lifetimes keep counting from the original's. */
	xc->curlft = x->curlft;
	xc->lastused = x->lastused;
	xc->stats = x->stats;
	/* A soft-expired SA stays less preferred than its replacement. */
	xc->km.dying = x->km.dying;
	if (keeps_nat_keepalive(xc))
		xm_state_copy_nat_keepalive(xc, x);
out:
	spin_unlock(&xc->lock);
	spin_unlock_bh(&x->lock);
	return err;
}

/**
 * xm_state_clone() - copy an SA to new outer addresses and encapsulation
 * @x: SA to copy; stays in the SAD and must be deleted by the caller
 * @saddr: outer source address of the copy, in @x's family
 * @daddr: outer destination address of the copy, in @x's family
 * @encap: UDP (or TCP) encapsulation of the copy, copied; %NULL for plain
 *	ESP even if @x is encapsulated
 * @oseq_gap: outbound sequence numbers the copy skips
 *
 * The copy has @x's SPI and protocol, mode, reqid, family, flags, replay
 * window, algorithms and keys, selector, lifetime limits, marks, if_id and
 * TFC padding, and continues @x's replay state (outbound sequence number,
 * inbound window), lifetime counters (from @x's add time) and error
 * counters; these are copied under both states' locks just before the copy
 * is hashed. It is initialised (xfrm_init_state()) and hashed. With the
 * same @daddr, SPI lookups find it before @x, except that 6.12's per-CPU
 * input cache keeps returning @x until @x is deleted. The packets @x
 * handles between the copy and its deletion are not reflected in the copy,
 * so an outbound copy must skip sequence numbers: @oseq_gap is added to
 * the outbound counter before the copy is hashed.
 *
 * The copy is hashed with xfrm_state_insert() when @daddr is @x's
 * destination, and with xfrm_state_add() otherwise, which fails if another
 * SA already has (@daddr, SPI, protocol). Like xfrm_state_migrate(), no
 * NEWSA event is sent to key managers.
 *
 * Context: process context (allocates with %GFP_KERNEL); the caller holds
 * @x's &netns_xfrm.xfrm_cfg_mutex. Takes @x->lock.
 * Return: the copy, with a reference held for the caller (drop it with
 * xfrm_state_put()), or an ERR_PTR(): -EOPNOTSUPP if @x has a security
 * context, a care-of address, hardware offload or compression, -ESRCH if
 * @x is no longer valid, -EOVERFLOW if @oseq_gap would wrap a 32-bit
 * (non-ESN) sequence counter, -EEXIST if the SPI is taken at @daddr,
 * -ENOMEM, or the error of xfrm_init_state() (e.g. -EINVAL for a bad
 * @encap).
 */
struct xfrm_state *xm_state_clone(struct xfrm_state *x,
				  const xfrm_address_t *saddr,
				  const xfrm_address_t *daddr,
				  const struct xfrm_encap_tmpl *encap,
				  u32 oseq_gap)
{
	struct xfrm_state *xc;
	int err;

	might_sleep();
	lockdep_assert_held(&xs_net(x)->xfrm.xfrm_cfg_mutex);

	if (!can_clone(x))
		return ERR_PTR(-EOPNOTSUPP);
	if (READ_ONCE(x->km.state) != XFRM_STATE_VALID)
		return ERR_PTR(-ESRCH);

	xc = xfrm_state_alloc(xs_net(x));
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
		xc->encap = kmemdup(encap, sizeof(*encap), GFP_KERNEL);
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

	/* Allocates the ESN bitmaps; their contents are synced below. */
	if (x->replay_esn && xfrm_replay_clone(xc, x)) {
		err = -ENOMEM;
		goto err_state;
	}

	/* New crypto transforms; header_len follows the new encapsulation. */
	err = xfrm_init_state(xc);
	if (err)
		goto err_state;

	err = sync_live(xc, x, oseq_gap);
	if (err)
		goto err_state;

	/* The caller's reference, taken while the clone is still private. */
	xfrm_state_hold(xc);
	if (xfrm_addr_equal(&x->id.daddr, daddr, x->props.family)) {
		xfrm_state_insert(xc);
	} else {
		err = xfrm_state_add(xc);
		if (err) {
			xfrm_state_put(xc);
			goto err_state;
		}
	}
	return xc;

err_state:
	/* Never hashed: __xfrm_state_destroy() wants it dead. */
	xc->km.state = XFRM_STATE_DEAD;
	xfrm_state_put(xc);
	return ERR_PTR(err);
}
