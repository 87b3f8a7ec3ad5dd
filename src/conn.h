/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfrm_mobility: a managed connection and the per-namespace table that
 * owns every index of connections (by id, name, reqid and inbound SPI).
 */
#ifndef _XM_CONN_H
#define _XM_CONN_H

#include <linux/lockdep.h>
#include <linux/rculist.h>
#include <linux/spinlock.h>

#include "xm.h"

struct netlink_ext_ack;

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
 * struct xm_conn_mobile - registration state of a mobile host
 * @tx_seq: sequence number of the newest request sent
 * @tx_nonce: nonce of the newest request sent
 * @tx_view: outer header of the newest request, as built
 * @retries: retransmissions of the outstanding request
 * @retx: retransmission timer of the outstanding request
 * @ka: NAT keepalive timer
 * @ka_packets: outbound SA packet count at the last keepalive tick
 * @copy_tries: plain-ESP copies sent of the newest request
 * @copy_resend: plain-ESP copies of the newest request are resent after a
 *	reply that named ESP-in-UDP without seeing one (on &xm_conn_plain.work)
 *
 * Under &xm_net.lock.
 */
struct xm_conn_mobile {
	u32 tx_seq;
	u64 tx_nonce;
	struct xm_view tx_view;
	unsigned int retries;
	struct delayed_work retx;
	struct delayed_work ka;
	u64 ka_packets;
	unsigned int copy_tries;
	bool copy_resend;
};

/**
 * struct xm_conn_gateway - registration state of a gateway
 * @rx_seq: sequence number of the newest request accepted
 * @rx_nonce: nonce of the newest request accepted
 * @rx_copies: XM_METHOD_* of the copies of that request received
 * @rx_method: &enum xm_encap named in the replies to that request
 * @peer_esp: that request listed plain ESP among its methods
 * @src_lock: serialises writers of @src_addr and @src_port (the receive
 *	hooks in softirq; xm_reg_sas_changed() with BH disabled)
 * @src_addr: outer source address of the newest authenticated ESP-in-UDP
 *	packet that showed a new source, 0 when forgotten; read locklessly
 * @src_port: its UDP source port; read locklessly
 *
 * Unless stated otherwise under &xm_net.lock.
 */
struct xm_conn_gateway {
	u32 rx_seq;
	u64 rx_nonce;
	u32 rx_copies;
	u8 rx_method;
	bool peer_esp;
	spinlock_t src_lock;	/* see @src_lock above */
	__be32 src_addr;
	__be16 src_port;
};

/**
 * struct xm_conn_plain - plain-ESP probing and liveness (both roles)
 * @failed: mobile: plain ESP did not work on the current path
 * @probe_nonce: nonce of the probes in flight, 0 when not probing
 * @probe_tries: probes sent with @probe_nonce
 * @work: probe retransmission, resent plain copies of a request (mobile)
 *	and, on a mobile host in plain ESP, the liveness timer
 * @live_out: outbound SA packet count at the last liveness tick
 * @live_in: inbound SA packet count at the last liveness tick
 * @live_idle: liveness ticks in a row with output but no input
 *
 * Under &xm_net.lock.
 */
struct xm_conn_plain {
	bool failed;
	u64 probe_nonce;
	unsigned int probe_tries;
	struct delayed_work work;
	u64 live_out;
	u64 live_in;
	unsigned int live_idle;
};

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
 * @name_node: in &xm_net.by_name when @name is set
 * @reqid_node: in &xm_net.by_reqid
 * @in_spi: SPI of the inbound SA, read locklessly by the receive hooks
 * @spi_node: in &xm_net.by_spi, keyed by @in_spi
 * @dead: set under &xm_net.lock when the connection leaves the table
 * @refcnt: references; the connection table holds one
 * @rcu: to free the object after readers are done
 * @sa: identities of the inbound and outbound SA, indexed by
 *	&enum xfrm_mobility_dir
 * @sel: selector of the outbound policy: inner source and destination of
 *	registration messages
 * @pols: the policies whose templates carry @reqid (out, in, fwd), found
 *	at resolution; moves look them up by index
 * @n_pols: entries in @pols; 0 when unknown or more than %XM_CONN_POLS
 *	(moves then walk the SPD)
 * @set_ep: endpoints of the outbound SA right after the module last changed
 *	the SA pair (family 0: never); other endpoints found after an SA
 *	change by someone else mean the SAs were re-installed from an older
 *	state (see xm_reg_sas_changed())
 * @last_move_ns: CLOCK_BOOTTIME of the last SA move
 * @reg_state: &enum xfrm_mobility_reg_state
 * @nat: NAT flags of the last completed registration
 * @mob: state of the mobile role (mobile.c)
 * @gw: state of the gateway role (gateway.c, rx.c)
 * @plain: plain-ESP probing and liveness (probe.c)
 * @stats: counters, &enum xm_stat
 *
 * Configuration fields (@id to @encap_policy) are written only at
 * creation. Unless stated otherwise the other fields are protected by
 * &xm_net.lock.
 */
struct xm_conn {
	/* Identity and configuration. */
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

	/* Membership of the connection table. */
	struct rhash_head name_node;
	struct rhlist_head reqid_node;
	__be32 in_spi;
	struct hlist_node spi_node;
	bool dead;
	refcount_t refcnt;
	struct rcu_head rcu;

	/* The SA pair and its policies (sa.c, move.c). */
	struct xm_sa_id sa[2];
	struct xfrm_selector sel;
	struct xm_polref pols[XM_CONN_POLS];
	u8 n_pols;
	struct xm_endpoints set_ep;
	u64 last_move_ns;

	/* Registration. */
	u32 reg_state;
	u32 nat;
	struct xm_conn_mobile mob;
	struct xm_conn_gateway gw;
	struct xm_conn_plain plain;

	atomic64_t stats[XM_STAT_MAX];
};

static inline void xm_stat_inc(struct xm_conn *conn, enum xm_stat s)
{
	atomic64_inc(&conn->stats[s]);
}

struct xm_conn *xm_conn_create(struct xm_net *xn, const struct xm_conn *cfg,
			       struct netlink_ext_ack *extack);
void xm_conn_remove(struct xm_conn *conn);
struct xm_conn *xm_conn_find(struct xm_net *xn, u32 id, const char *name);
void xm_conn_put(struct xm_conn *conn);
struct rhlist_head *xm_conn_by_reqid(struct xm_net *xn, u32 reqid);
struct xm_conn *xm_conn_by_spi(struct xm_net *xn, __be32 spi);
void xm_conn_index_spi(struct xm_conn *conn);
int xm_conn_net_init(struct xm_net *xn);
void xm_conn_net_exit(struct xm_net *xn);

#endif /* _XM_CONN_H */
