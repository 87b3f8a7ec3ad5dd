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
	XM_STAT_DROP_RATE_LIMITED,
	XM_STAT_CHALLENGES,
	XM_STAT_VALIDATIONS,
	XM_STAT_REVERTS,
	XM_STAT_AMPLIFICATION_DROPS,
	XM_STAT_ECHOES,
	XM_STAT_PATH_FAILURES,
	XM_STAT_MAX
};

/**
 * struct xm_conn_mobile - registration state of a mobile host
 * @tx_seq: sequence number of the newest request sent
 * @tx_spi: outbound SPI it was numbered under
 * @tx_nonce: nonce of the newest request sent
 * @tx_view: outer header of the newest request, as built
 * @retries: retransmissions of the outstanding request
 * @retx: retransmission timer of the outstanding request
 * @next_try: jiffies of the next transmission of the outstanding request
 *	(pending or failed registration)
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
	__be32 tx_spi;
	u64 tx_nonce;
	struct xm_view tx_view;
	unsigned int retries;
	struct delayed_work retx;
	unsigned long next_try;
	struct delayed_work ka;
	u64 ka_packets;
	unsigned int copy_tries;
	bool copy_resend;
};

/**
 * struct xm_ratelimit - a token bucket, under &xm_net.lock
 * @last: jiffies of the last refill
 * @tokens: tokens left
 */
struct xm_ratelimit {
	unsigned long last;
	unsigned int tokens;
};

/**
 * xm_ratelimit_allow() - take a token if there is one
 * @rl: bucket
 * @burst: bucket size
 * @interval: jiffies per token
 *
 * Context: &xm_net.lock held.
 * Return: whether the action may go ahead.
 */
static inline bool xm_ratelimit_allow(struct xm_ratelimit *rl,
				      unsigned int burst,
				      unsigned long interval)
{
	unsigned long n = (jiffies - rl->last) / interval;

	if (n) {
		rl->tokens = min_t(unsigned long, burst, rl->tokens + n);
		rl->last = jiffies;
	}
	if (!rl->tokens)
		return false;
	rl->tokens--;
	return true;
}

/**
 * struct xm_path - validation of a peer address a gateway moved to (path.c)
 * @active: validation under way; written under &xm_net.lock, read
 *	locklessly by the hooks
 * @addr: the address being validated; read locklessly
 * @port: its UDP port with ESP-in-UDP, 0 for plain ESP; read locklessly
 * @rx_bytes: bytes of authenticated packets received from it since
 * @tx_bytes: bytes sent to it through the outbound SA since
 * @msg_bytes: of @tx_bytes, bytes of the module's own messages
 * @challenge: nonce of the challenges, 0 when none
 * @tries: challenges sent
 * @valid: endpoints of the last validated path, family 0 until known
 * @work: challenge retransmission, and the revert after the last one
 * @node: in &xm_net.pv_conns, hashed by @addr, while @active
 *
 * Unless stated otherwise under &xm_net.lock.
 */
struct xm_path {
	bool active;
	__be32 addr;
	__be16 port;
	atomic64_t rx_bytes;
	atomic64_t tx_bytes;
	atomic64_t msg_bytes;
	u64 challenge;
	unsigned int tries;
	struct xm_endpoints valid;
	struct delayed_work work;
	struct hlist_node node;
};

/**
 * struct xm_conn_gateway - registration state of a gateway
 * @rx_seq: sequence number of the newest request accepted
 * @rx_spi: inbound SPI that request arrived on (numbers restart with the
 *	peer's SA)
 * @rx_nonce: nonce of the newest request accepted
 * @rx_copies: XM_METHOD_* of the copies of that request received
 * @rx_method: &enum xm_encap named in the replies to that request
 * @peer_esp: that request listed plain ESP among its methods
 * @src_lock: serialises writers of @src_addr and @src_port (the receive
 *	hooks in softirq; xm_reg_sas_changed() with BH disabled)
 * @src_addr: outer source address of the newest authenticated ESP-in-UDP
 *	packet that showed a new source, 0 when forgotten; read locklessly
 * @src_port: its UDP source port; read locklessly
 * @src_len: wire length of that packet, under @src_lock
 * @run_addr: without sequence numbers: a new source seen on the last
 *	packets (under @src_lock)
 * @run_port: its port (under @src_lock)
 * @run: how many packets in a row came from it; written under @src_lock,
 *	reset locklessly by a packet from the recorded source
 * @pv: validation of the peer address the SA pair was moved to
 * @moves: rate limit of moves on the peer's request
 *
 * Unless stated otherwise under &xm_net.lock.
 */
struct xm_conn_gateway {
	u32 rx_seq;
	__be32 rx_spi;
	u64 rx_nonce;
	u32 rx_copies;
	u8 rx_method;
	bool peer_esp;
	spinlock_t src_lock;	/* see @src_lock above */
	__be32 src_addr;
	__be16 src_port;
	unsigned int src_len;
	__be32 run_addr;
	__be16 run_port;
	unsigned int run;
	struct xm_path pv;
	struct xm_ratelimit moves;
};

/**
 * struct xm_conn_plain - plain-ESP probing (both roles)
 * @failed: mobile: plain ESP did not work on the current path
 * @gro: the local ESP-in-UDP socket hands packets to GRO without the
 *	receive hooks (xm_encap_sock_gro()): inbound SAs stay encapsulated,
 *	plain ESP is not used; checked at each registration
 * @probe_nonce: nonce of the probes in flight, 0 when not probing
 * @probe_tries: probes sent with @probe_nonce
 * @work: probe retransmission, resent plain copies of a request (mobile)
 *
 * Under &xm_net.lock.
 */
struct xm_conn_plain {
	bool failed;
	bool gro;
	u64 probe_nonce;
	unsigned int probe_tries;
	struct delayed_work work;
};

/**
 * struct xm_conn_live - liveness of the path in use (live.c)
 * @work: the liveness tick
 * @out: outbound SA packet count at the last tick
 * @in: inbound SA packet count at the last tick
 * @out_spi: SPI of the outbound SA at the last tick
 * @in_spi: SPI of the inbound SA at the last tick
 * @quiet: jiffies of the tick that first saw output no input followed,
 *	0 when none: the start of a run of ECHOs
 * @idle: jiffies of the last input, of the start of the watch, of a
 *	rekey or of a dead verdict
 * @grace: no verdict before this (jiffies): after a rekey or a completed
 *	registration
 * @mute_until: a gateway starts no run before this (jiffies), after a
 *	verdict that left it nothing to do
 * @nonce: nonce of the current run of ECHOs
 * @peer_nonce: nonce of the peer's run of ECHOs that made us find our
 *	path dead (mobile host)
 * @tries: ECHOs sent in the current run
 * @strikes: dead verdicts since the last answered run (backoff)
 * @peer_ok: the peer answered or sent an ECHO: it speaks liveness
 *
 * Under &xm_net.lock.
 */
struct xm_conn_live {
	struct delayed_work work;
	u64 out;
	u64 in;
	__be32 out_spi;
	__be32 in_spi;
	unsigned long quiet;
	unsigned long idle;
	unsigned long grace;
	unsigned long mute_until;
	u64 nonce;
	u64 peer_nonce;
	u32 tries;
	u32 strikes;
	bool peer_ok;
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
 * @plain: plain-ESP probing (probe.c)
 * @live: liveness of the path in use (live.c)
 * @answers: rate limit of answers to the peer's messages (replies to
 *	copies of a request, probe acknowledgments, challenge responses)
 * @rx_queued: messages of the connection waiting in &xm_net.rx_list
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
	struct xm_conn_live live;
	struct xm_ratelimit answers;
	atomic_t rx_queued;

	atomic64_t stats[XM_STAT_MAX];
};

static inline void xm_stat_inc(struct xm_conn *conn, enum xm_stat s)
{
	atomic64_inc(&conn->stats[s]);
}

/**
 * xm_conn_forget_source() - forget the peer's newest ESP-in-UDP source
 * @conn: gateway connection
 *
 * The next authenticated ESP-in-UDP packet then reports its source again,
 * and xm_gateway_follow_rebinding() decides anew.
 *
 * Context: process context, &xm_net.lock held.
 */
static inline void xm_conn_forget_source(struct xm_conn *conn)
{
	lockdep_assert_held(&conn->xn->lock);
	spin_lock_bh(&conn->gw.src_lock);
	WRITE_ONCE(conn->gw.src_addr, 0);
	WRITE_ONCE(conn->gw.src_port, 0);
	spin_unlock_bh(&conn->gw.src_lock);
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
