/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfrm_mobility: the per-namespace state and the small types every part
 * of the module shares (SA identities, policy references, endpoints).
 * The connection object is in conn.h.
 */
#ifndef _XM_XM_H
#define _XM_XM_H

#include <linux/atomic.h>
#include <linux/hashtable.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/xfrm.h>

#include <uapi/linux/xfrm_mobility.h>

#include "proto.h"

/* Upper bound on managed connections per network namespace. */
#define XM_MAX_CONNS		BIT(20)
/* Default NAT keepalive interval, seconds (RFC 3948 suggests 20). */
#define XM_KEEPALIVE_DEFAULT	20
/* UDP port of ESP-in-UDP (RFC 3948) the module listens on. */
#define XM_ENCAP_PORT		4500

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
 * struct xm_polref - where to find one XFRM policy again
 * @index: the policy's index (its direction in the low bits)
 * @if_id: the policy's XFRM interface id
 * @mark: the policy's mark (may differ from the SAs')
 * @type: XFRM_POLICY_TYPE_MAIN or _SUB
 *
 * With these, xfrm_policy_byid() finds the policy in O(1). The index
 * survives a replacement by XFRM_MSG_UPDPOLICY; a deleted and re-added
 * policy gets a new one.
 */
struct xm_polref {
	u32 index;
	u32 if_id;
	struct xfrm_mark mark;
	u8 type;
};

/* Policies of a connection remembered in &struct xm_conn (out, in, fwd). */
#define XM_CONN_POLS		4

/**
 * struct xm_endpoints - outer endpoints of a connection's SA pair
 * @family: outer address family
 * @local: local outer address
 * @remote: remote outer address
 * @encap_type: UDP_ENCAP_ESPINUDP, or 0 for plain ESP
 * @local_port: local UDP port (network order), with encapsulation
 * @remote_port: remote UDP port (network order), with encapsulation
 * @in_plain: for xm_sa_move(): the inbound copy is plain ESP whatever
 *	@encap_type (it accepts ESP-in-UDP too, see rx.c); never set by
 *	xm_sa_endpoints()
 */
struct xm_endpoints {
	u16 family;
	xfrm_address_t local;
	xfrm_address_t remote;
	u16 encap_type;
	__be16 local_port;
	__be16 remote_port;
	bool in_plain;
};

/**
 * xm_reg_addr4() - inner address of registration messages on one side
 * @net: the outbound policy selector's address on that side
 * @plen: its prefix length
 *
 * The selector's address, or, where that is 0.0.0.0 (a full tunnel,
 * 0.0.0.0/0, or half of one, 0.0.0.0/1), %XM_ANY_ADDR4 within the prefix:
 * 0.0.0.0 is no address to route to. Both ends compute it alike
 * (Documentation/wire-format.rst).
 *
 * Return: the address; 0 for 0.0.0.0/2 to 0.0.0.0/32, which hold no
 * address a route lookup takes (0.0.0.0/8 is "this network").
 */
static inline __be32 xm_reg_addr4(__be32 net, u8 plen)
{
	if (net || plen > 1)
		return net;
	return htonl(XM_ANY_ADDR4 & (~0U >> plen));
}

/* Whether @a and @b are the same endpoints, @in_plain aside. */
static inline bool xm_ep_same(const struct xm_endpoints *a,
			      const struct xm_endpoints *b)
{
	return xfrm_addr_equal(&a->local, &b->local, a->family) &&
	       xfrm_addr_equal(&a->remote, &b->remote, a->family) &&
	       a->encap_type == b->encap_type &&
	       a->local_port == b->local_port &&
	       a->remote_port == b->remote_port;
}

/**
 * struct xm_net - per network namespace state
 * @net: the namespace
 * @lock: serialises configuration changes and SA moves of this netns;
 *	taken before &netns_xfrm.xfrm_cfg_mutex, never inside it
 * @conns: connections by id; lookups under RCU or @lock, changes under
 *	@lock
 * @by_name: named connections by name; changes under @lock
 * @by_reqid: connections by reqid; lookups under RCU, changes under @lock
 * @n_conns: number of entries in @conns, under @lock
 * @next_id: next connection id to try, under @lock
 * @by_spi: connections by inbound SPI; readers under RCU (softirq),
 *	writers under @lock
 * @encap_sock: UDP socket decapsulating ESP-in-UDP on %XM_ENCAP_PORT when
 *	no other socket (an IKE daemon's) holds that port; under @lock
 * @plain_sock: owner of the registration messages sent as plain ESP through
 *	an ESP-in-UDP SA, see xm_tx_msg(); set under @lock before
 *	@plain_ops is registered, cleared after it is unregistered
 * @plain_ops: netfilter hook removing their UDP header
 * @msg_sock: owner of the other registration messages, so that the output
 *	hook of path validation knows them (path.c); under @lock
 * @km_work: re-resolves connections after SA changes made by others
 * @km_lock: protects @km_all (taken in atomic context)
 * @km_pending: reqids whose SAs or policies changed since @km_work last
 *	took them (keys; its own lock, taken with BH off)
 * @km_all: every connection must be looked at again (a flush, or
 *	@km_pending could not grow)
 * @pols: policies by the reqids of their templates, a hint for finding a
 *	connection's policies without walking the SPD: entries are
 *	&struct xm_pm_ent (polmap.c), checked with xfrm_policy_byid() before
 *	use; its own lock, taken with BH off (the key manager updates it)
 * @rx_lock: protects @rx_list (taken in softirq)
 * @rx_list: authenticated registration messages waiting for @rx_work
 * @rx_work: hands @rx_list to the registration code, in arrival order
 * @pv_conns: gateway connections validating a new peer address, by that
 *	address (path.c); readers under RCU, writers under @lock
 * @pv_active: entries in @pv_conns; written under @lock, read locklessly
 * @pv_ops: netfilter hooks (IPv4, IPv6 inner packets) limiting what goes
 *	to unvalidated addresses
 * @pv_hooked: @pv_ops is registered; under @lock
 * @pols_built: @pols holds every policy (built by one walk, kept current
 *	by policy notifications); under @pols' lock
 * @km_dying: set at namespace exit, stops @km_work from being queued
 * @km_self: the task that is notifying key managers of the module's own
 *	SA changes (move.c), whose notifications the module's key manager
 *	ignores; NULL otherwise
 * @km_maps: ids of gateway connections whose peer showed a new outer
 *	source (&xm_conn_gateway.src_addr, set by the receive hooks) since @km_work
 *	last took them (keys; its own lock, taken with BH off)
 */
struct xm_net {
	struct net *net;
	struct mutex lock;	/* see @lock above */
	struct xarray conns;
	struct rhashtable by_name;
	struct rhltable by_reqid;
	unsigned int n_conns;
	u32 next_id;
	DECLARE_HASHTABLE(by_spi, 10);
	struct socket *encap_sock;
	struct socket *plain_sock;
	struct nf_hook_ops plain_ops;
	struct socket *msg_sock;
	struct work_struct km_work;
	spinlock_t km_lock;	/* see @km_lock above */
	struct xarray km_pending;
	bool km_all;
	bool km_dying;
	struct task_struct *km_self;
	struct xarray km_maps;
	struct xarray pols;
	bool pols_built;
	spinlock_t rx_lock;	/* see @rx_lock above */
	struct list_head rx_list;
	struct work_struct rx_work;
	DECLARE_HASHTABLE(pv_conns, 6);
	unsigned int pv_active;
	struct nf_hook_ops pv_ops[2];
	bool pv_hooked;
};

extern unsigned int xm_net_id;

/**
 * xm_net() - the module's state of a network namespace
 * @net: namespace
 *
 * Return: the state; it exists from namespace creation (or module load)
 * until namespace exit (or module unload).
 */
static inline struct xm_net *xm_net(const struct net *net)
{
	return net_generic(net, xm_net_id);
}

#endif /* _XM_XM_H */
