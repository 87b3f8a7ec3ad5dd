/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfrm_mobility: core objects shared by the module's files.
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
#include <net/xfrm.h>

#include <uapi/linux/xfrm_mobility.h>

#include "proto.h"

/* Upper bound on managed connections per network namespace. */
#define XM_MAX_CONNS		BIT(20)
/* Default NAT keepalive interval, seconds (RFC 3948 suggests 20). */
#define XM_KEEPALIVE_DEFAULT	20
/* UDP port of ESP-in-UDP (RFC 3948) the module listens on. */
#define XM_ENCAP_PORT		4500

/* Per-connection counters, see the stats attribute set of the spec. */
enum xm_stat {
	XM_STAT_RREQ_TX,
	XM_STAT_RREQ_RX,
	XM_STAT_RREP_TX,
	XM_STAT_RREP_RX,
	XM_STAT_RETRANSMITS,
	XM_STAT_MOVES,
	XM_STAT_DROP_MALFORMED,
	XM_STAT_DROP_STALE,
	XM_STAT_DROP_UNEXPECTED,
	XM_STAT_DROP_WRONG_CONN,
	XM_STAT_DROP_NO_TUPLE,
	XM_STAT_TX_ERRORS,
	XM_STAT_KEEPALIVES,
	XM_STAT_PROBES,
	XM_STAT_FALLBACKS,
	XM_STAT_DUPLICATES,
	XM_STAT_REBINDINGS,
	XM_STAT_MAX
};

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

/* Policies of a connection remembered in &struct xm_conn (out, in, fwd). */
#define XM_CONN_POLS		4

/**
 * struct xm_conn - a managed IPsec connection
 * @xn: per-netns state the connection belongs to
 * @id: identifier, unique in the netns; allocated cyclically, so not reused
 *	before the id space wraps
 * @name: optional label, empty string when unset
 * @reqid: reqid shared by the SAs and the policy templates
 * @mark: XFRM mark of the SAs
 * @if_id: XFRM interface id of the SAs
 * @role: &enum xfrm_mobility_role
 * @reg_port: inner UDP port of registration messages, host order
 * @keepalive: NAT keepalive interval in seconds, 0 for none
 * @encap_policy: &enum xfrm_mobility_encap_policy
 * @sa: identities of the inbound and outbound SA, indexed by
 *	&enum xfrm_mobility_dir
 * @sel: selector of the outbound policy: inner source and destination of
 *	registration messages
 * @pols: the policies whose templates carry @reqid (out, in, fwd), found
 *	at resolution; moves look them up by index
 * @n_pols: entries in @pols; 0 when unknown or more than %XM_CONN_POLS
 *	(moves then walk the SPD)
 * @name_node: in &xm_net.by_name when @name is set
 * @reqid_node: in &xm_net.by_reqid
 * @in_spi: SPI of the inbound SA, read locklessly by the receive hooks
 * @spi_node: in &xm_net.by_spi, keyed by @in_spi
 * @dead: set under &xm_net.lock when the connection leaves the table
 * @reg_state: &enum xfrm_mobility_reg_state
 * @tx_seq: mobile: sequence number of the newest request sent
 * @tx_nonce: mobile: nonce of the newest request sent
 * @tx_view: mobile: outer header of the newest request, as built
 * @rx_seq: gateway: sequence number of the newest request accepted
 * @rx_nonce: gateway: nonce of the newest request accepted
 * @rx_copies: gateway: XM_METHOD_* of the copies of that request received
 * @rx_method: gateway: &enum xm_encap named in the replies to that request
 * @peer_esp: gateway: that request listed plain ESP among its methods
 * @copy_tries: mobile: plain-ESP copies sent of the newest request
 * @copy_resend: mobile: plain-ESP copies of the newest request are resent
 *	after a reply that named ESP-in-UDP without seeing one
 * @nat: NAT flags of the last completed registration
 * @last_move_ns: CLOCK_BOOTTIME of the last SA move
 * @set_ep: endpoints of the outbound SA right after the module last changed
 *	the SA pair (family 0: never); other endpoints found after an SA
 *	change by someone else mean the SAs were re-installed from an older
 *	state (see xm_reg_sas_changed())
 * @retries: mobile: retransmissions of the outstanding request
 * @retx: mobile: retransmission timer of the outstanding request
 * @ka: NAT keepalive timer
 * @ka_packets: outbound SA packet count at the last keepalive tick
 * @plain_failed: mobile: plain ESP did not work on the current path
 * @probe_nonce: nonce of the plain-ESP probes in flight, 0 when not probing
 * @probe_tries: probes sent with @probe_nonce
 * @probe: probe retransmission and, on a mobile host in plain ESP, liveness
 *	timer
 * @live_out: outbound SA packet count at the last liveness tick
 * @live_in: inbound SA packet count at the last liveness tick
 * @live_idle: liveness ticks in a row with output but no input
 * @src_lock: serialises writers of @src_addr and @src_port (the receive
 *	hooks in softirq; xm_reg_sas_changed() with BH disabled)
 * @src_addr: gateway: outer source address of the newest authenticated
 *	ESP-in-UDP packet that showed a new source, 0 when forgotten; read
 *	locklessly
 * @src_port: its UDP source port; read locklessly
 * @stats: counters, &enum xm_stat
 * @refcnt: references; the connection table holds one
 * @rcu: to free the object after readers are done
 *
 * Configuration fields are written only at creation. Unless stated
 * otherwise the other fields are protected by &xm_net.lock.
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
	u32 keepalive;
	u32 encap_policy;
	struct xm_sa_id sa[2];
	struct xfrm_selector sel;
	struct xm_polref pols[XM_CONN_POLS];
	u8 n_pols;
	struct rhash_head name_node;
	struct rhlist_head reqid_node;
	__be32 in_spi;
	struct hlist_node spi_node;
	bool dead;
	u32 reg_state;
	u32 tx_seq;
	u64 tx_nonce;
	struct xm_view tx_view;
	u32 rx_seq;
	u64 rx_nonce;
	u32 rx_copies;
	u8 rx_method;
	bool peer_esp;
	unsigned int copy_tries;
	bool copy_resend;
	u32 nat;
	u64 last_move_ns;
	struct xm_endpoints set_ep;
	unsigned int retries;
	struct delayed_work retx;
	struct delayed_work ka;
	u64 ka_packets;
	bool plain_failed;
	u64 probe_nonce;
	unsigned int probe_tries;
	struct delayed_work probe;
	u64 live_out;
	u64 live_in;
	unsigned int live_idle;
	spinlock_t src_lock;	/* see @src_lock above */
	__be32 src_addr;
	__be16 src_port;
	atomic64_t stats[XM_STAT_MAX];
	refcount_t refcnt;
	struct rcu_head rcu;
};

static inline void xm_stat_inc(struct xm_conn *conn, enum xm_stat s)
{
	atomic64_inc(&conn->stats[s]);
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
 * @km_work: re-resolves connections after SA changes made by others
 * @km_lock: protects @km_all (taken in atomic context)
 * @km_pending: reqids whose SAs or policies changed since @km_work last
 *	took them (keys; its own lock, taken with BH off)
 * @km_all: every connection must be looked at again (a flush, or
 *	@km_pending could not grow)
 * @pols: policies by the reqids of their templates, a hint for finding a
 *	connection's policies without walking the SPD: entries are
 *	&struct xm_pm_ent (src/sa.c), checked with xfrm_policy_byid() before
 *	use; its own lock, taken with BH off (the key manager updates it)
 * @pols_built: @pols holds every policy (built by one walk, kept current
 *	by policy notifications); under @pols' lock
 * @km_dying: set at namespace exit, stops @km_work from being queued
 * @km_maps: ids of gateway connections whose peer showed a new outer
 *	source (&xm_conn.src_addr, set by the receive hooks) since @km_work
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
	struct work_struct km_work;
	spinlock_t km_lock;	/* see @km_lock above */
	struct xarray km_pending;
	bool km_all;
	bool km_dying;
	struct xarray km_maps;
	struct xarray pols;
	bool pols_built;
};

struct xm_net *xm_net(const struct net *net);

#endif /* _XM_XM_H */
