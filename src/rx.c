// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: receive hooks.
 *
 * An xfrm4_protocol at priority 50 sees ESP packets before xfrm_input()
 * (plain ESP through .handler, ESP-in-UDP through .input_handler). For an
 * inbound SPI of a connection it costs a hash lookup and nothing else: it
 * notes, in a per-CPU slot, which packet it is passing to xfrm_input() and
 * the ESP sequence number that packet carries, and calls xfrm_input()
 * itself. Nothing is stored for later and nothing is allocated, queued or
 * sent for a packet that has not been authenticated.
 *
 * After decryption, integrity and anti-replay checks, xfrm_input() calls
 * .cb_handler. Only there is anything learnt: the outer header is read
 * from the authenticated packet's own buffer (see outer_view()), on every
 * receive path, GRO included; the sequence number is known when the
 * per-CPU slot names this very packet (synchronous crypto through the
 * hook). A registration message addressed to the connection's registration
 * endpoint is copied out, consumed, and handed to process context.
 */

#include <crypto/aead.h>
#include <linux/ip.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/esp.h>
#include <net/ip.h>
#include <net/xfrm.h>

#include "conn.h"
#include "km.h"
#include "path.h"
#include "reg.h"
#include "rx.h"
#include "sa.h"

/**
 * struct xm_rx_cur - the packet a CPU's receive hook is passing to
 *	xfrm_input()
 * @skb: the packet, NULL when none; compared, never dereferenced
 * @seq: the ESP sequence number it carries (authenticated once the SA
 *	accepted the packet)
 * @wire_len: its length on the wire
 * @view: its outer header
 *
 * Set and restored around the hook's own call of xfrm_input(), with BH
 * disabled: a callback that finds its packet here runs inside that call,
 * on this CPU, and everything here was read from that very packet. A
 * packet whose decryption completes asynchronously, or that reached
 * xfrm_input() by GRO, is not found: its outer header is read from its
 * buffer (outer_view()) and its sequence number stays unknown.
 */
struct xm_rx_cur {
	const struct sk_buff *skb;
	u32 seq;
	unsigned int wire_len;
	struct xm_view view;
};

static DEFINE_PER_CPU(struct xm_rx_cur, xm_rx_cur);

/* Whether @spi is the inbound SPI of a connection in @skb's netns. */
static bool managed(const struct sk_buff *skb, __be32 spi)
{
	struct xm_net *xn = xm_net(dev_net(skb->dev));
	bool ret;

	if (hash_empty(xn->by_spi))
		return false;
	rcu_read_lock();
	ret = xm_conn_by_spi(xn, spi);
	rcu_read_unlock();
	return ret;
}

/*
 * Pass @skb to xfrm_input() with the per-CPU slot naming it. The caller
 * set up XFRM_SPI_SKB_CB() and XFRM_TUNNEL_SKB_CB(). With @udp, the
 * UDP header was pulled but is still in place before skb->data, and the
 * IP header's tot_len no longer counts it (xfrm4_udp_encap_rcv()).
 */
static int take(struct sk_buff *skb, __be32 seq, bool udp, int encap_type)
{
	struct xm_rx_cur *cur = this_cpu_ptr(&xm_rx_cur);
	const struct iphdr *iph = ip_hdr(skb);
	struct xm_rx_cur prev = *cur;
	int ret;

	cur->skb = skb;
	cur->seq = ntohl(seq);
	cur->wire_len = ntohs(iph->tot_len);
	memset(&cur->view, 0, sizeof(cur->view));
	cur->view.family = XM_FAMILY_IPV4;
	cur->view.saddr.a4 = iph->saddr;
	cur->view.daddr.a4 = iph->daddr;
	if (udp) {
		const struct udphdr *uh = (const void *)(skb->data -
							 sizeof(*uh));

		cur->wire_len += sizeof(*uh);
		cur->view.encap = XM_ENCAP_ESPINUDP;
		cur->view.sport = uh->source;
		cur->view.dport = uh->dest;
	}
	ret = xfrm_input(skb, IPPROTO_ESP, 0, encap_type);
	/* A transport-mode packet may come back here nested: restore. */
	*this_cpu_ptr(&xm_rx_cur) = prev;
	return ret;
}

/* Nested transforms are left to xfrm_interface and esp4. */
static bool nested(const struct sk_buff *skb)
{
	const struct sec_path *sp = skb_sec_path(skb);

	return sp && (sp->len || sp->olen);
}

static int xm_esp4_rcv(struct sk_buff *skb)
{
	__be32 spi, seq;

	if (!skb->dev || nested(skb) ||
	    xfrm_parse_spi(skb, IPPROTO_ESP, &spi, &seq) || !managed(skb, spi))
		return -EINVAL;	/* let xfrm_interface or esp4 take it */
	XFRM_TUNNEL_SKB_CB(skb)->tunnel.ip4 = NULL;
	XFRM_SPI_SKB_CB(skb)->family = AF_INET;
	XFRM_SPI_SKB_CB(skb)->daddroff = offsetof(struct iphdr, daddr);
	return take(skb, seq, false, 0);
}

static int xm_esp4_input(struct sk_buff *skb, int nexthdr, __be32 spi,
			 int encap_type)
{
	struct xfrm_state *x;
	__be32 seq;
	bool plain;

	if (!skb->dev || encap_type != UDP_ENCAP_ESPINUDP || nested(skb) ||
	    xfrm_parse_spi(skb, IPPROTO_ESP, &spi, &seq) || !managed(skb, spi))
		return -EINVAL;

	x = xfrm_state_lookup(dev_net(skb->dev), skb->mark,
			      (xfrm_address_t *)&ip_hdr(skb)->daddr, spi,
			      IPPROTO_ESP, AF_INET);
	if (!x)
		return -EINVAL;
	plain = !x->encap;
	xfrm_state_put(x);

	/*
	 * ESP-in-UDP for a plain SA of a managed connection: the peer has
	 * moved behind a NAT and registers UDP-encapsulated, before this end
	 * switched. xfrm_input() would drop the packet (encapsulation
	 * mismatch). The UDP header is already pulled, and esp_input_done2()
	 * does no encapsulation processing for an SA without encapsulation,
	 * so the packet is safe to hand in as plain ESP. The reverse (plain
	 * ESP for an encapsulated SA) is not: it is left to be dropped.
	 * xfrm4_rcv_encap() set up the control block.
	 */
	return take(skb, seq, true, plain ? 0 : encap_type);
}

static int xm_esp4_err(struct sk_buff *skb, u32 info)
{
	return -ENOENT;		/* not ours: continue the chain */
}

/*
 * The outer IPv4 header of a packet that arrived for @x, ending at @end:
 * it carried @proto and was addressed to the SA, and its header length
 * (options included) is what lies before @end. NULL if there is none
 * between @head and @end, or more than one candidate (options made to
 * look like a header).
 */
static const struct iphdr *outer_at(const u8 *head, const u8 *end,
				    const struct xfrm_state *x, u8 proto)
{
	const struct iphdr *iph, *found = NULL;
	unsigned int ihl;

	for (ihl = 5; ihl <= 15 && end - head >= ihl * 4; ihl++) {
		iph = (const void *)(end - ihl * 4);
		if (iph->version != 4 || iph->ihl != ihl ||
		    iph->protocol != proto || iph->daddr != x->id.daddr.a4)
			continue;
		if (found)
			return NULL;
		found = iph;
	}
	return found;
}

/**
 * outer_view() - the outer header of an authenticated tunnel-mode packet
 * @skb: packet in the callback of xfrm_input(), decapsulated
 * @x: the SA that authenticated it
 * @v: filled with the outer addresses and, for ESP-in-UDP, ports
 * @wire_len: filled with the packet's length on the wire
 *
 * xfrm_input() leaves the bytes of the outer header in the head of the
 * packet's own buffer: every pull and reallocation on the way (GRO, the
 * UDP decapsulation, skb_cow_data(), skb_unclone()) keeps the offsets
 * below skb->data. Before the inner IP header lie the ESP header and IV,
 * before them the UDP header (ESP-in-UDP) and the outer IP header. The
 * only write into that area is skb_mac_header_rebuild(), which moves the
 * link-layer header to just before the inner header: bytes it covered
 * are not used (with a cipher without IV, such as cipher_null, it covers
 * the outer addresses: no view). The header is checked (the protocol it
 * must have carried, addressed to the SA, its length, one candidate only),
 * and read only for tunnel-mode IPv4 ESP SAs; anything else yields no
 * view. The wire length is estimated from the authenticated inner packet
 * and the SA's trailer.
 *
 * Context: the callback of xfrm_input(), softirq.
 * Return: whether @v and @wire_len were filled.
 */
static bool outer_view(const struct sk_buff *skb, const struct xfrm_state *x,
		       struct xm_view *v, unsigned int *wire_len)
{
	const unsigned int ulen = sizeof(struct udphdr);
	const u8 *inner, *esph, *limit;
	const struct udphdr *uh = NULL;
	struct crypto_aead *aead = x->data;
	const struct iphdr *iph = NULL;

	if (x->props.mode != XFRM_MODE_TUNNEL || x->props.family != AF_INET ||
	    x->id.proto != IPPROTO_ESP || !aead ||
	    (x->encap && x->encap->encap_type != UDP_ENCAP_ESPINUDP))
		return false;

	inner = skb_network_header(skb);
	esph = inner - crypto_aead_ivsize(aead) - sizeof(struct ip_esp_hdr);
	/* The link-layer header rebuilt before the inner header. */
	limit = inner;
	if (skb_mac_header_was_set(skb) && skb_mac_header(skb) < limit)
		limit = skb_mac_header(skb);
	if (esph > limit || esph < skb->head)
		return false;

	if (!x->encap)
		iph = outer_at(skb->head, esph, x, IPPROTO_ESP);
	if (!iph && esph - skb->head >= ulen) {
		/* ESP-in-UDP (a plain SA takes it too, see xm_esp4_input()). */
		uh = (const void *)(esph - ulen);
		iph = outer_at(skb->head, esph - ulen, x, IPPROTO_UDP);
	}
	if (!iph)
		return false;

	memset(v, 0, sizeof(*v));
	v->family = XM_FAMILY_IPV4;
	v->saddr.a4 = iph->saddr;
	v->daddr.a4 = iph->daddr;
	v->encap = XM_ENCAP_NONE;
	if (iph->protocol == IPPROTO_UDP) {
		v->encap = XM_ENCAP_ESPINUDP;
		v->sport = uh->source;
		v->dport = uh->dest;
	}
	/* From what was authenticated, not from the header's length fields. */
	*wire_len = (inner - (const u8 *)iph) + skb->len + x->props.trailer_len;
	return true;
}

/*
 * The outer header of an authenticated packet: from the per-CPU slot when
 * it names this packet, else from the packet's buffer.
 */
static bool packet_view(const struct sk_buff *skb, const struct xfrm_state *x,
			struct xm_view *v, unsigned int *wire_len)
{
	const struct xm_rx_cur *cur = this_cpu_ptr(&xm_rx_cur);

	if (cur->skb == skb) {
		*v = cur->view;
		*wire_len = cur->wire_len;
		return true;
	}
	return outer_view(skb, x, v, wire_len);
}

/*
 * Where a packet's ESP sequence number stands among those its SA accepted:
 * the highest so far, an older one, or unknown (see &struct xm_rx_cur).
 */
enum xm_seq_rank {
	XM_SEQ_UNKNOWN,
	XM_SEQ_OLDER,
	XM_SEQ_NEWEST,
};

/* Without sequence numbers: packets in a row that make a new source. */
#define XM_REBIND_RUN	8

static enum xm_seq_rank seq_rank(const struct sk_buff *skb,
				 const struct xfrm_state *x)
{
	const struct xm_rx_cur *cur = this_cpu_ptr(&xm_rx_cur);
	u32 top;

	if (cur->skb != skb)
		return XM_SEQ_UNKNOWN;
	top = x->replay_esn ? READ_ONCE(x->replay_esn->seq) :
			      READ_ONCE(x->replay.seq);
	return cur->seq == top ? XM_SEQ_NEWEST : XM_SEQ_OLDER;
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
 * When the sequence numbers are unknown (GRO, asynchronous crypto), a new
 * source counts once XM_REBIND_RUN packets in a row came from it. Every
 * move to a new address is validated (path.c).
 *
 * Context: softirq, RCU read side; takes &xm_conn_gateway.src_lock.
 */
static void track_source(struct xm_conn *conn, const struct xm_view *v,
			 unsigned int len, enum xm_seq_rank rank, bool report)
{
	struct xm_conn_gateway *gw = &conn->gw;
	bool changed;

	if (v->encap != XM_ENCAP_ESPINUDP || v->family != XM_FAMILY_IPV4)
		return;
	if (READ_ONCE(gw->src_addr) == v->saddr.a4 &&
	    READ_ONCE(gw->src_port) == v->sport) {
		if (READ_ONCE(gw->run))
			WRITE_ONCE(gw->run, 0);
		return;
	}
	if (rank == XM_SEQ_OLDER)
		return;

	spin_lock(&gw->src_lock);
	if (rank == XM_SEQ_UNKNOWN) {
		if (gw->run_addr != v->saddr.a4 || gw->run_port != v->sport) {
			gw->run_addr = v->saddr.a4;
			gw->run_port = v->sport;
			WRITE_ONCE(gw->run, 1);
			goto out;
		}
		WRITE_ONCE(gw->run, gw->run + 1);
		if (gw->run < XM_REBIND_RUN)
			goto out;
	}
	changed = gw->src_addr != v->saddr.a4 || gw->src_port != v->sport;
	if (changed) {
		WRITE_ONCE(gw->src_addr, v->saddr.a4);
		WRITE_ONCE(gw->src_port, v->sport);
		gw->src_len = len;
		/* Not queued: forget it, the next packet reports again. */
		if (report && !xm_km_mapping(conn->xn, conn->id)) {
			WRITE_ONCE(gw->src_addr, 0);
			WRITE_ONCE(gw->src_port, 0);
		}
	}
out:
	spin_unlock(&gw->src_lock);
}

/*
 * Inner packet of a registration message of @conn? Only a UDP packet
 * between the connection's registration endpoints is one: from the
 * destination to the source of its outbound policy's selector (0.0.0.0
 * standing for %XM_ANY_ADDR4, see xm_reg_addr4()), registration port on
 * both sides. Returns the UDP payload offset and length, or a
 * negative value (-EMSGSIZE: a registration message of a bad length).
 */
static int reg_payload(struct sk_buff *skb, const struct xm_conn *conn,
		       __be32 *isrc, __be32 *idst, unsigned int *len)
{
	const __be16 port = htons(conn->reg_port);
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
	    iph->daddr != xm_reg_addr4(READ_ONCE(conn->sel.saddr.a4),
				       READ_ONCE(conn->sel.prefixlen_s)) ||
	    iph->saddr != xm_reg_addr4(READ_ONCE(conn->sel.daddr.a4),
				       READ_ONCE(conn->sel.prefixlen_d)) ||
	    !pskb_may_pull(skb, ihl + sizeof(*uh)))
		return -EINVAL;
	iph = ip_hdr(skb);
	uh = (const void *)iph + ihl;
	if (uh->dest != port || uh->source != port)
		return -EINVAL;
	ulen = ntohs(uh->len);
	if (ulen < sizeof(*uh) || ihl + ulen > skb->len)
		return -EMSGSIZE;
	*isrc = iph->saddr;
	*idst = iph->daddr;
	*len = ulen - sizeof(*uh);
	return skb_network_offset(skb) + ihl + sizeof(*uh);
}

/*
 * Ordinary traffic of a gateway connection: NAT rebindings, and the bytes
 * received from an address being validated. A plain inbound SA takes
 * ESP-in-UDP too: every packet is looked at.
 */
static void gateway_traffic(struct xm_conn *conn, const struct sk_buff *skb,
			    const struct xfrm_state *x)
{
	unsigned int len;
	struct xm_view v;

	if (!packet_view(skb, x, &v, &len))
		return;
	xm_path_rx(conn, &v, len);
	track_source(conn, &v, len, seq_rank(skb, x), true);
}

static int xm_esp4_cb(struct sk_buff *skb, int err)
{
	struct sec_path *sp = skb_sec_path(skb);
	enum xm_seq_rank rank;
	bool gateway;
	struct xm_rx_msg *msg;
	struct xfrm_state *x;
	struct xm_conn *conn;
	struct xm_net *xn;
	__be32 isrc, idst;
	unsigned int len;
	int off;

	if (err || !sp || !sp->len || !skb->dev)
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
		rcu_read_unlock();
		return -EINVAL;
	}

	gateway = conn->role == XFRM_MOBILITY_ROLE_GATEWAY;
	off = reg_payload(skb, conn, &isrc, &idst, &len);
	if (off < 0) {
		if (gateway && off != -EMSGSIZE)
			gateway_traffic(conn, skb, x);
		rcu_read_unlock();
		if (off == -EMSGSIZE)
			return -EINVAL;	/* bad length to our endpoint: drop */
		return 1;		/* ordinary traffic */
	}

	if (len > sizeof(msg->buf)) {
		xm_stat_inc(conn, XM_STAT_DROP_MALFORMED);
		goto drop;
	}
	/* A bounded number of messages of a connection wait at a time. */
	if (!xm_reg_rx_admit(conn)) {
		xm_stat_inc(conn, XM_STAT_DROP_RATE_LIMITED);
		goto drop;
	}
	msg = kzalloc(sizeof(*msg), GFP_ATOMIC);
	if (!msg) {
		xm_reg_rx_done(conn);
		goto drop;
	}
	msg->conn = conn;	/* xm_reg_rx_admit() took a reference */
	msg->spi = x->id.spi;
	msg->inner_src.a4 = isrc;
	msg->inner_dst.a4 = idst;
	rank = seq_rank(skb, x);
	msg->newest = rank == XM_SEQ_NEWEST;
	msg->have_view = packet_view(skb, x, &msg->observed, &msg->wire_len);
	if (msg->have_view && gateway) {
		xm_path_rx(conn, &msg->observed, msg->wire_len);
		track_source(conn, &msg->observed, msg->wire_len, rank, false);
	}
	msg->len = len;
	if (skb_copy_bits(skb, off, msg->buf, len)) {
		xm_reg_rx_free(msg);
		goto drop;
	}
	xm_reg_queue_rx(xn, msg);
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
	/*
	 * After ip_vti (100); before xfrm_interface (10) and esp4 (0), which
	 * would call xfrm_input() for the managed SPIs the hooks take.
	 */
	.priority	= 50,
};

/**
 * xm_rx_init() - register the receive hooks
 *
 * Return: 0 or a negative errno.
 */
int xm_rx_init(void)
{
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
