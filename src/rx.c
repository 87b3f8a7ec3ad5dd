// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: receive hooks.
 *
 * An xfrm4_protocol at priority 50 sees every ESP packet before xfrm_input()
 * (plain ESP through .handler, ESP-in-UDP through .input_handler). For
 * packets of managed inbound SAs it records the outer header, which
 * xfrm_input() replaces by the inner packet in tunnel mode. After
 * decryption, integrity and anti-replay checks, xfrm_input() calls
 * .cb_handler: there a registration message of a managed connection is
 * copied out with its outer header, consumed, and handed to process
 * context. Nothing is ever learnt from a packet that has not passed the
 * SA's authentication and replay check.
 */

#include <linux/hash.h>
#include <linux/ip.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/esp.h>
#include <net/ip.h>
#include <net/xfrm.h>

#include "conn.h"
#include "km.h"
#include "reg.h"
#include "rx.h"
#include "sa.h"

/*
 * Outer headers of packets between the receive hook and the callback,
 * keyed by skb address. skb->cb has no byte to spare across xfrm_input()
 * (see Documentation/xfrm_mobility.rst), hence a side table. A slot is
 * overwritten on collision; a registration message that lost its outer
 * header is dropped and counted, and the peer retransmits.
 */
#define XM_TUPLE_BITS	8
#define XM_TUPLE_MAXAGE	HZ

struct xm_tuple_slot {
	spinlock_t lock;	/* protects the fields below */
	const struct sk_buff *skb;
	__be32 spi;
	u32 seq;
	unsigned long stamp;
	struct xm_view view;
};

static struct xm_tuple_slot xm_tuples[1 << XM_TUPLE_BITS];

static struct xm_tuple_slot *tuple_slot(const struct sk_buff *skb)
{
	return &xm_tuples[hash_ptr(skb, XM_TUPLE_BITS)];
}

static void tuple_put(const struct sk_buff *skb, __be32 spi, u32 seq,
		      const struct xm_view *view)
{
	struct xm_tuple_slot *s = tuple_slot(skb);

	spin_lock(&s->lock);
	s->skb = skb;
	s->spi = spi;
	s->seq = seq;
	s->stamp = jiffies;
	s->view = *view;
	spin_unlock(&s->lock);
}

/*
 * Take the record of @skb. @view and @seq (the ESP sequence number as the
 * packet carried it, which ICV and replay check have covered once the SA
 * accepted the packet) may be NULL.
 */
static bool tuple_take(const struct sk_buff *skb, __be32 spi,
		       struct xm_view *view, u32 *seq)
{
	struct xm_tuple_slot *s = tuple_slot(skb);
	bool found = false;

	spin_lock(&s->lock);
	if (s->skb == skb) {
		found = s->spi == spi &&
			time_before(jiffies, s->stamp + XM_TUPLE_MAXAGE);
		if (found && view)
			*view = s->view;
		if (found && seq)
			*seq = s->seq;
		s->skb = NULL;
	}
	spin_unlock(&s->lock);
	return found;
}

static void view_from_skb(struct sk_buff *skb, int encap_type,
			  struct xm_view *v)
{
	const struct iphdr *iph = ip_hdr(skb);

	memset(v, 0, sizeof(*v));
	v->family = XM_FAMILY_IPV4;
	v->saddr.a4 = iph->saddr;
	v->daddr.a4 = iph->daddr;
	if (encap_type == UDP_ENCAP_ESPINUDP) {
		/*
		 * xfrm4_udp_encap_rcv() pulled the UDP header but left it in
		 * the linear area, right before the ESP header.
		 */
		const struct udphdr *uh = (const void *)(skb->data -
							 sizeof(*uh));

		v->encap = XM_ENCAP_ESPINUDP;
		v->sport = uh->source;
		v->dport = uh->dest;
	} else {
		v->encap = XM_ENCAP_NONE;
	}
}

/*
 * Record the outer header of a packet of a managed inbound SA. Returns
 * whether the SPI is managed, and the SPI.
 */
static bool record(struct sk_buff *skb, int encap_type, __be32 *spip)
{
	bool managed = false;
	struct xm_net *xn;
	struct xm_view v;
	__be32 spi, seq;

	if (!skb->dev || xfrm_parse_spi(skb, IPPROTO_ESP, &spi, &seq))
		return false;
	xn = xm_net(dev_net(skb->dev));
	if (hash_empty(xn->by_spi))
		return false;

	rcu_read_lock();
	if (xm_conn_by_spi(xn, spi)) {
		view_from_skb(skb, encap_type, &v);
		tuple_put(skb, spi, ntohl(seq), &v);
		managed = true;
	}
	rcu_read_unlock();
	*spip = spi;
	return managed;
}

/*
 * A plain-ESP probe of a peer (reserved SPI, unprotected PROBE message):
 * hand it to process context, which answers through the SA if it comes
 * from the peer of a connection. Returns whether the packet was consumed.
 */
static bool probe_rcv(struct sk_buff *skb)
{
	const unsigned int hlen = sizeof(struct ip_esp_hdr);
	struct xm_rx_msg *msg;
	struct xm_net *xn;
	unsigned int len;

	if (!skb->dev || !pskb_may_pull(skb, hlen) ||
	    ip_esp_hdr(skb)->spi != htonl(XM_PROBE_SPI))
		return false;
	xn = xm_net(dev_net(skb->dev));
	if (hash_empty(xn->by_spi))
		return false;

	len = skb->len - hlen;
	if (len < XM_HDR_LEN || len > XM_MSG_MAX)
		goto drop;
	msg = kzalloc(sizeof(*msg), GFP_ATOMIC);
	if (!msg)
		goto drop;
	msg->observed.family = XM_FAMILY_IPV4;
	msg->observed.saddr.a4 = ip_hdr(skb)->saddr;
	msg->observed.daddr.a4 = ip_hdr(skb)->daddr;
	msg->have_view = true;
	msg->len = len;
	if (skb_copy_bits(skb, hlen, msg->buf, len)) {
		kfree(msg);
		goto drop;
	}
	xm_reg_queue_rx(dev_net(skb->dev), msg);
drop:
	kfree_skb(skb);
	return true;
}

static int xm_esp4_rcv(struct sk_buff *skb)
{
	__be32 spi;

	if (probe_rcv(skb))
		return 0;
	record(skb, 0, &spi);
	return -EINVAL;		/* let xfrm_interface or esp4 take it */
}

static int xm_esp4_input(struct sk_buff *skb, int nexthdr, __be32 spi,
			 int encap_type)
{
	struct xfrm_state *x;
	bool plain;

	if (!record(skb, encap_type, &spi) ||
	    encap_type != UDP_ENCAP_ESPINUDP)
		return -EINVAL;

	x = xfrm_state_lookup(dev_net(skb->dev), skb->mark,
			      (xfrm_address_t *)&ip_hdr(skb)->daddr, spi,
			      IPPROTO_ESP, AF_INET);
	if (!x)
		return -EINVAL;
	plain = !x->encap;
	xfrm_state_put(x);
	if (!plain)
		return -EINVAL;

	/*
	 * ESP-in-UDP for a plain SA of a managed connection: the peer has
	 * moved behind a NAT and registers UDP-encapsulated, before this end
	 * switched. xfrm_input() would drop the packet (encapsulation
	 * mismatch). The UDP header is already pulled, and esp_input_done2()
	 * does no encapsulation processing for an SA without encapsulation,
	 * so the packet is safe to hand in as plain ESP. The reverse (plain
	 * ESP for an encapsulated SA) is not: it is left to be dropped.
	 */
	return xfrm_input(skb, IPPROTO_ESP, 0, 0);
}

static int xm_esp4_err(struct sk_buff *skb, u32 info)
{
	return -ENOENT;		/* not ours: continue the chain */
}

/* Whether @seq is the highest sequence number @x has accepted so far. */
static bool newest_seq(const struct xfrm_state *x, u32 seq)
{
	if (x->replay_esn)
		return seq == READ_ONCE(x->replay_esn->seq);
	return seq == READ_ONCE(x->replay.seq);
}

/*
 * Gateway: remember the outer source of authenticated ESP-in-UDP and
 * report a change of it seen on ordinary traffic (@report), so that a NAT
 * rebinding the peer cannot see is followed (xm_km_mapping()). A
 * registration message only updates the record: the registration itself
 * acts on it. Only the packet with the highest sequence number the SA has
 * accepted counts (RFC 3948, section 5.2): a packet that was held back (in
 * flight from before a rebinding or a move, or delayed by an attacker on
 * the path) is authentic and inside the replay window, but moves nothing.
 *
 * Context: softirq, RCU read side; takes &xm_conn_gateway.src_lock.
 */
static void track_source(struct xm_conn *conn, const struct xfrm_state *x,
			 const struct xm_view *v, u32 seq, bool report)
{
	bool changed;

	if (conn->role != XFRM_MOBILITY_ROLE_GATEWAY ||
	    v->encap != XM_ENCAP_ESPINUDP || v->family != XM_FAMILY_IPV4)
		return;
	if (READ_ONCE(conn->gw.src_addr) == v->saddr.a4 &&
	    READ_ONCE(conn->gw.src_port) == v->sport)
		return;
	if (!newest_seq(x, seq))
		return;

	spin_lock(&conn->gw.src_lock);
	changed = conn->gw.src_addr != v->saddr.a4 || conn->gw.src_port != v->sport;
	if (changed) {
		WRITE_ONCE(conn->gw.src_addr, v->saddr.a4);
		WRITE_ONCE(conn->gw.src_port, v->sport);
		/* Not queued: forget it, the next packet reports again. */
		if (report && !xm_km_mapping(conn->xn, conn->id)) {
			WRITE_ONCE(conn->gw.src_addr, 0);
			WRITE_ONCE(conn->gw.src_port, 0);
		}
	}
	spin_unlock(&conn->gw.src_lock);
}

/*
 * Inner packet of a registration message? Returns the UDP payload offset
 * and length, or a negative value.
 */
static int reg_payload(struct sk_buff *skb, const struct xm_conn *conn,
		       __be32 *isrc, __be32 *idst, unsigned int *len)
{
	const struct iphdr *iph;
	const struct udphdr *uh;
	unsigned int ihl, ulen;

	if (skb->protocol != htons(ETH_P_IP) ||
	    !pskb_may_pull(skb, sizeof(*iph)))
		return -EINVAL;
	iph = ip_hdr(skb);
	ihl = iph->ihl * 4;
	if (iph->protocol != IPPROTO_UDP || ihl < sizeof(*iph) ||
	    ip_is_fragment(iph) ||
	    !pskb_may_pull(skb, ihl + sizeof(*uh)))
		return -EINVAL;
	iph = ip_hdr(skb);
	uh = (const void *)iph + ihl;
	if (uh->dest != htons(conn->reg_port))
		return -EINVAL;
	ulen = ntohs(uh->len);
	if (ulen < sizeof(*uh) || ihl + ulen > skb->len)
		return -EMSGSIZE;
	*isrc = iph->saddr;
	*idst = iph->daddr;
	*len = ulen - sizeof(*uh);
	return skb_network_offset(skb) + ihl + sizeof(*uh);
}

static int xm_esp4_cb(struct sk_buff *skb, int err)
{
	struct sec_path *sp = skb_sec_path(skb);
	struct xm_rx_msg *msg;
	struct xfrm_state *x;
	struct xm_conn *conn;
	struct xm_view view;
	struct xm_net *xn;
	__be32 isrc, idst;
	unsigned int len;
	u32 seq;
	int off;

	if (!sp || !sp->len || !skb->dev)
		return 1;
	x = sp->xvec[sp->len - 1];
	xn = xm_net(xs_net(x));
	if (hash_empty(xn->by_spi))
		return 1;

	rcu_read_lock();
	conn = xm_conn_by_spi(xn, x->id.spi);
	if (!conn || conn->reqid != x->props.reqid ||
	    !xm_sa_has_replay_window(x)) {
		rcu_read_unlock();
		return 1;
	}
	if (err) {
		tuple_take(skb, x->id.spi, NULL, NULL);
		rcu_read_unlock();
		return 1;
	}
	/*
	 * Admitted by an SA that a move has stopped since (or that was
	 * deleted), its replay window advanced after the switch: the copy's
	 * window does not hold it, so the copy would accept a replay of it.
	 * Drop it (counted as XfrmInStateInvalid), so that no packet is
	 * delivered by both (see clone.c). SAs of ip_vti tunnels never get
	 * here: vti's callback ends the chain before ours.
	 */
	if (unlikely(READ_ONCE(x->km.state) != XFRM_STATE_VALID)) {
		XFRM_INC_STATS(xs_net(x), LINUX_MIB_XFRMINSTATEINVALID);
		tuple_take(skb, x->id.spi, NULL, NULL);
		rcu_read_unlock();
		return -EINVAL;
	}

	off = reg_payload(skb, conn, &isrc, &idst, &len);
	if (off < 0) {
		if (tuple_take(skb, x->id.spi, &view, &seq) && off != -EMSGSIZE)
			track_source(conn, x, &view, seq, true);
		rcu_read_unlock();
		if (off == -EMSGSIZE)
			return -EINVAL;	/* bad length to our port: drop */
		return 1;		/* ordinary traffic */
	}

	msg = kzalloc(sizeof(*msg), GFP_ATOMIC);
	if (!msg)
		goto drop;
	msg->conn_id = conn->id;
	msg->spi = x->id.spi;
	msg->inner_src.a4 = isrc;
	msg->inner_dst.a4 = idst;
	msg->have_view = tuple_take(skb, x->id.spi, &msg->observed, &seq);
	if (msg->have_view)
		track_source(conn, x, &msg->observed, seq, false);
	if (len > sizeof(msg->buf)) {
		xm_stat_inc(conn, XM_STAT_DROP_MALFORMED);
		kfree(msg);
		goto drop;
	}
	msg->len = len;
	if (skb_copy_bits(skb, off, msg->buf, len)) {
		kfree(msg);
		goto drop;
	}
	xm_reg_queue_rx(xs_net(x), msg);
drop:
	rcu_read_unlock();
	/* Consumed: xfrm_input() frees the packet on its drop path. */
	return -EINPROGRESS;
}

static struct xfrm4_protocol xm_esp4_protocol = {
	.handler	= xm_esp4_rcv,
	.input_handler	= xm_esp4_input,
	.cb_handler	= xm_esp4_cb,
	.err_handler	= xm_esp4_err,
	/* After ip_vti (100), before xfrm_interface (10) and esp4 (0). */
	.priority	= 50,
};

/**
 * xm_rx_init() - register the receive hooks
 *
 * Return: 0 or a negative errno.
 */
int xm_rx_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(xm_tuples); i++)
		spin_lock_init(&xm_tuples[i].lock);
	return xfrm4_protocol_register(&xm_esp4_protocol, IPPROTO_ESP);
}

/**
 * xm_rx_uninit() - unregister the receive hooks
 *
 * On return no hook runs any more (xfrm4_protocol_deregister() waits for
 * a network RCU grace period).
 */
void xm_rx_uninit(void)
{
	xfrm4_protocol_deregister(&xm_esp4_protocol, IPPROTO_ESP);
}
