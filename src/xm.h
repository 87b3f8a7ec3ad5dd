/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfrm_mobility: core objects shared by the module's files.
 */
#ifndef _XM_XM_H
#define _XM_XM_H

#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <net/xfrm.h>

#include <uapi/linux/xfrm_mobility.h>

/* Upper bound on managed connections per network namespace. */
#define XM_MAX_CONNS		(1U << 20)

/**
 * struct xm_sa_id - identity of an SA in its netns' SAD
 * @daddr: destination address, part of the SAD hash key
 * @saddr: source address (informational; not part of the lookup key)
 * @spi: SPI, network byte order
 * @family: outer address family; 0 when the SA is unknown
 *
 * The module never caches &struct xfrm_state pointers across contexts:
 * IKE daemons, expiry and flushes replace or delete states at any time, so
 * every use looks the state up again by this identity.
 */
struct xm_sa_id {
	xfrm_address_t daddr;
	xfrm_address_t saddr;
	__be32 spi;
	u16 family;
};

/**
 * struct xm_conn - a managed IPsec connection
 * @xn: per-netns state the connection belongs to
 * @id: identifier, unique in the netns, never reused while the module is
 *	loaded in that netns
 * @name: optional label, empty string when unset
 * @reqid: reqid shared by the SAs and the policy templates
 * @mark: XFRM mark of the SAs
 * @if_id: XFRM interface id of the SAs
 * @role: &enum xfrm_mobility_role
 * @reg_port: inner UDP port of registration messages, host order
 * @sa: identities of the inbound and outbound SA, indexed by
 *	&enum xfrm_mobility_dir
 * @refcnt: references; the connection table holds one
 * @rcu: to free the object after readers are done
 *
 * Configuration fields are written only at creation. @sa is protected by
 * &xm_net.lock.
 */
struct xm_conn {
	struct xm_net *xn;
	u32 id;
	char name[XFRM_MOBILITY_NAME_MAX_LEN];
	u32 reqid;
	struct xfrm_mark mark;
	u32 if_id;
	u32 role;
	u16 reg_port;
	struct xm_sa_id sa[2];
	refcount_t refcnt;
	struct rcu_head rcu;
};

/**
 * struct xm_net - per network namespace state
 * @net: the namespace
 * @lock: serialises configuration changes and SA moves of this netns;
 *	taken before &netns_xfrm.xfrm_cfg_mutex, never inside it
 * @conns: connections by id; lookups under RCU or @lock, changes under
 *	@lock
 * @n_conns: number of entries in @conns, under @lock
 */
struct xm_net {
	struct net *net;
	struct mutex lock;
	struct xarray conns;
	unsigned int n_conns;
};

struct xm_net *xm_net(const struct net *net);

#endif /* _XM_XM_H */
