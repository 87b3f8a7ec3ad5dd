// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: sending registration messages through a connection's
 * outbound SA, and the ESP-in-UDP socket.
 */

#include <linux/ip.h>
#include <linux/netfilter_ipv4.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/esp.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>
#include <net/xfrm.h>

#include "conn.h"
#include "tx.h"

/*
 * Outer packets of registration messages sent as plain ESP leave their
 * SA UDP-encapsulated, owned by @xn->plain_sock: before anything else on
 * the output path (conntrack, NAT) sees them, the UDP header goes, and
 * they leave as plain ESP with the SPI and sequence number the SA gave
 * them. The ESP ICV covers neither the IP nor the UDP header.
 */
static unsigned int xm_plain_out(void *priv, struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	const struct xm_net *xn = priv;
	const struct socket *sock = READ_ONCE(xn->plain_sock);
	const unsigned int ulen = sizeof(struct udphdr);
	struct iphdr *iph;
	unsigned int ihl;
	__be32 spi;

	if (!skb->sk || !sock || skb->sk != sock->sk)
		return NF_ACCEPT;
	/* The inner packet, still to be transformed. */
	if (!skb_dst(skb) || skb_dst(skb)->xfrm)
		return NF_ACCEPT;

	iph = ip_hdr(skb);
	ihl = iph->ihl * 4;
	/* The SA is plain already. */
	if (iph->protocol == IPPROTO_ESP)
		return NF_ACCEPT;
	if (iph->protocol != IPPROTO_UDP || ip_is_fragment(iph) ||
	    !pskb_may_pull(skb, ihl + ulen + sizeof(struct ip_esp_hdr)) ||
	    skb_ensure_writable(skb, ihl + ulen))
		return NF_DROP;
	/* A zero SPI is the non-ESP marker of IKE: never ours. */
	memcpy(&spi, skb->data + ihl + ulen, sizeof(spi));
	if (!spi)
		return NF_DROP;

	memmove(skb->data + ulen, skb->data, ihl);
	__skb_pull(skb, ulen);
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, ihl);
	iph = ip_hdr(skb);
	iph->protocol = IPPROTO_ESP;
	iph->tot_len = htons(skb->len);
	ip_send_check(iph);
	return NF_ACCEPT;
}

/* Context: process context, &xm_net.lock held. */
static int plain_sender_get(struct xm_net *xn)
{
	struct socket *sock;
	int err;

	lockdep_assert_held(&xn->lock);
	if (xn->plain_sock)
		return 0;
	err = sock_create_kern(xn->net, AF_INET, SOCK_DGRAM, IPPROTO_UDP,
			       &sock);
	if (err)
		return err;
	xn->plain_ops = (struct nf_hook_ops) {
		.hook		= xm_plain_out,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP_PRI_FIRST,
		.priv		= xn,
	};
	err = nf_register_net_hook(xn->net, &xn->plain_ops);
	if (err) {
		sock_release(sock);
		return err;
	}
	/* No packet of @sock exists before this. */
	WRITE_ONCE(xn->plain_sock, sock);
	return 0;
}

/* Context: process context, &xm_net.lock held. */
static int msg_sender_get(struct xm_net *xn)
{
	lockdep_assert_held(&xn->lock);
	if (xn->msg_sock)
		return 0;
	return sock_create_kern(xn->net, AF_INET, SOCK_DGRAM, IPPROTO_UDP,
				&xn->msg_sock);
}

/**
 * xm_tx_is_msg() - whether an outer packet carries a registration message
 * @xn: per-netns state
 * @skb: packet on the output path, after its transformation
 *
 * Context: any; the sockets live until the namespace's hooks are gone.
 * Return: true for the packets of xm_tx_msg().
 */
bool xm_tx_is_msg(const struct xm_net *xn, const struct sk_buff *skb)
{
	const struct socket *m = READ_ONCE(xn->msg_sock);
	const struct socket *p = READ_ONCE(xn->plain_sock);

	return skb->sk && ((m && skb->sk == m->sk) || (p && skb->sk == p->sk));
}

static void plain_sender_put(struct xm_net *xn)
{
	if (!xn->plain_sock)
		return;
	/* Waits until no hook runs any more. */
	nf_unregister_net_hook(xn->net, &xn->plain_ops);
	sock_release(xn->plain_sock);
	xn->plain_sock = NULL;
}

/**
 * xm_tx_msg() - send a registration message inside the connection's ESP SA
 * @conn: connection
 * @buf: message
 * @len: length of @buf
 * @plain: send the ESP packet as plain ESP even if the SA is UDP-encapsulated
 *
 * The inner packet goes from the source to the destination of the outbound
 * policy's selector (xm_reg_addr4(): 0.0.0.0 stands for %XM_ANY_ADDR4),
 * UDP port @conn->reg_port on both sides. It is routed
 * through XFRM like any packet of that flow, and sent only if the bundle's
 * outer SA is the connection's outbound SA: a registration message never
 * leaves unprotected or through another SA.
 *
 * With @plain, the SA encrypts and numbers the packet as usual (its own ESP
 * sequence number, from the SA's counter) and the UDP header of an
 * encapsulated SA is removed afterwards, by a netfilter hook at the start
 * of LOCAL_OUT, before connection tracking. Every message is owned by one
 * of two kernel sockets of the namespace, by which the hooks know it
 * (xm_tx_is_msg()).
 *
 * Context: process context, &xm_net.lock held.
 * Return: 0 or a negative errno.
 */
int xm_tx_msg(struct xm_conn *conn, const void *buf, unsigned int len,
	      bool plain)
{
	struct net *net = conn->xn->net;
	__be16 port = htons(conn->reg_port);
	struct flowi4 fl4 = {};
	struct sock *sk = NULL;
	struct sk_buff *skb;
	struct rtable *rt;
	unsigned int room;
	int err;

	lockdep_assert_held(&conn->xn->lock);

	if (conn->sel.family != AF_INET)
		return -EAFNOSUPPORT;
	fl4.saddr = xm_reg_addr4(conn->sel.saddr.a4, conn->sel.prefixlen_s);
	fl4.daddr = xm_reg_addr4(conn->sel.daddr.a4, conn->sel.prefixlen_d);
	if (!fl4.saddr || !fl4.daddr)
		return -EDESTADDRREQ;	/* refused by conn add already */
	if (plain) {
		err = plain_sender_get(conn->xn);
		if (err)
			return err;
		sk = conn->xn->plain_sock->sk;
	} else {
		err = msg_sender_get(conn->xn);
		if (err)
			return err;
		sk = conn->xn->msg_sock->sk;
	}

	fl4.flowi4_proto = IPPROTO_UDP;
	fl4.flowi4_mark = conn->mark.v;
	/* The inner source is the selector's, not necessarily local. */
	fl4.flowi4_flags = FLOWI_FLAG_ANYSRC;
	fl4.fl4_sport = port;
	fl4.fl4_dport = port;

	rt = ip_route_output_flow(net, &fl4, NULL);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (!rt->dst.xfrm ||
	    rt->dst.xfrm->id.spi != conn->sa[XFRM_MOBILITY_DIR_OUT].spi) {
		ip_rt_put(rt);
		return -EHOSTUNREACH;
	}

	room = LL_MAX_HEADER + rt->dst.header_len + sizeof(struct iphdr) +
	       sizeof(struct udphdr);
	skb = alloc_skb(room + len, GFP_KERNEL);
	if (!skb) {
		ip_rt_put(rt);
		return -ENOMEM;
	}
	skb_reserve(skb, room);
	skb_put_data(skb, buf, len);
	/* The mark the hooks recognise; kept through the transformation. */
	skb_set_owner_w(skb, sk);

	/* Consumes the route reference and the skb. */
	udp_tunnel_xmit_skb(rt, sk, skb, fl4.saddr, fl4.daddr, 0,
			    ip4_dst_hoplimit(&rt->dst), 0, port, port,
			    false, false);
	return 0;
}

/**
 * xm_tx_hdr() - send a message that is a header only
 * @conn: connection
 * @type: &enum xm_msg_type
 * @seq: sequence field
 * @nonce: nonce field
 * @plain: as for xm_tx_msg()
 *
 * For the messages that carry nothing but the header (probes, echoes,
 * challenges and their answers). A failure is counted as tx-errors.
 *
 * Context: process context, &xm_net.lock held.
 * Return: 0 or a negative errno.
 */
int xm_tx_hdr(struct xm_conn *conn, u8 type, u32 seq, u64 nonce, bool plain)
{
	struct xm_msg m = { .type = type, .seq = seq, .nonce = nonce };
	u8 buf[XM_HDR_LEN];
	int err;

	err = xm_msg_build(&m, buf, sizeof(buf));
	if (err >= 0)
		err = xm_tx_msg(conn, buf, err, plain);
	if (err)
		xm_stat_inc(conn, XM_STAT_TX_ERRORS);
	return err;
}

/**
 * xm_tx_keepalive() - send an ESP-in-UDP NAT keepalive (RFC 3948)
 * @net: namespace
 * @mark: fwmark of the route lookup
 * @saddr: local outer address
 * @daddr: peer outer address
 * @sport: local encapsulation port
 * @dport: peer encapsulation port
 *
 * A single 0xff byte in UDP between the SA's outer endpoints keeps the
 * NAT binding of the path alive; the peer's decapsulation drops it.
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int xm_tx_keepalive(struct net *net, u32 mark, __be32 saddr, __be32 daddr,
		    __be16 sport, __be16 dport)
{
	struct flowi4 fl4 = {
		.saddr = saddr,
		.daddr = daddr,
		.flowi4_mark = mark,
	};
	unsigned int room = LL_MAX_HEADER + sizeof(struct iphdr) +
			    sizeof(struct udphdr);
	struct sk_buff *skb;
	struct rtable *rt;

	/* A plain route: the keepalive is outer traffic, not tunnelled. */
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	skb = alloc_skb(room + 1, GFP_KERNEL);
	if (!skb) {
		ip_rt_put(rt);
		return -ENOMEM;
	}
	skb_reserve(skb, room);
	skb_put_u8(skb, 0xff);
	udp_tunnel_xmit_skb(rt, NULL, skb, fl4.saddr, fl4.daddr, 0,
			    ip4_dst_hoplimit(&rt->dst), 0, sport, dport,
			    false, false);
	return 0;
}

/**
 * xm_tx_route_source() - local address the routing table picks to a peer
 * @net: namespace
 * @mark: fwmark of the lookup
 * @family: address family
 * @daddr: peer address
 * @saddr: filled with the preferred source address
 *
 * Context: process context.
 * Return: 0 or a negative errno (no route).
 */
int xm_tx_route_source(struct net *net, u32 mark, u16 family,
		       const xfrm_address_t *daddr, xfrm_address_t *saddr)
{
	struct flowi4 fl4 = {};
	struct rtable *rt;

	if (family != AF_INET)
		return -EAFNOSUPPORT;
	fl4.daddr = daddr->a4;
	fl4.flowi4_mark = mark;
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	ip_rt_put(rt);
	memset(saddr, 0, sizeof(*saddr));
	saddr->a4 = fl4.saddr;
	return 0;
}

/**
 * xm_encap_sock_gro() - whether ESP-in-UDP to a local address skips the
 *	receive hooks
 * @xn: per-netns state
 * @local: local outer address
 *
 * A socket on %XM_ENCAP_PORT with UDP GRO (an IKE daemon's, 6.12) hands
 * ESP-in-UDP to esp4_offload's GRO, which calls xfrm_input() without the
 * receive hooks: a plain inbound SA would drop it (encapsulation
 * mismatch), so the module cannot keep inbound SAs plain there.
 *
 * Context: process context.
 * Return: true if such a socket receives ESP-in-UDP for @local.
 */
bool xm_encap_sock_gro(struct xm_net *xn, const xfrm_address_t *local)
{
#ifdef XM_HAVE_XFRM_GRO_UDP_ENCAP
	struct sock *sk;
	bool gro;

	rcu_read_lock();
	sk = udp4_lib_lookup(xn->net, 0, 0, local->a4, htons(XM_ENCAP_PORT),
			     0);
	rcu_read_unlock();
	if (!sk)
		return false;
	gro = xm_udp_sk_esp_gro(sk);
	sock_put(sk);
	return gro;
#else
	return false;
#endif
}

/**
 * xm_conn_gro_check() - look again whether a connection may keep its
 *	inbound SA plain
 * @conn: connection
 *
 * Context: process context, &xm_net.lock held.
 * Return: the new value of &xm_conn_plain.gro (see xm_encap_sock_gro()).
 */
bool xm_conn_gro_check(struct xm_conn *conn)
{
	const struct xm_sa_id *in = &conn->sa[XFRM_MOBILITY_DIR_IN];

	lockdep_assert_held(&conn->xn->lock);
	conn->plain.gro = in->family == AF_INET &&
			  xm_encap_sock_gro(conn->xn, &in->daddr);
	return conn->plain.gro;
}

/**
 * xm_encap_sock_get() - make sure ESP-in-UDP is decapsulated in a netns
 * @xn: per-netns state
 *
 * Inbound ESP-in-UDP needs a UDP socket in encapsulation mode on the port.
 * An IKE daemon normally holds one; when the port is free the module binds
 * its own.
 *
 * Context: process context, @xn->lock held.
 * Return: 0, or a negative errno other than -EADDRINUSE.
 */
int xm_encap_sock_get(struct xm_net *xn)
{
	struct udp_tunnel_sock_cfg tcfg = {
		.encap_type = UDP_ENCAP_ESPINUDP,
		.encap_rcv = xfrm4_udp_encap_rcv,
	};
	struct udp_port_cfg cfg = {
		.family = AF_INET,
		.local_udp_port = htons(XM_ENCAP_PORT),
	};
	struct socket *sock;
	int err;

	lockdep_assert_held(&xn->lock);
	if (xn->encap_sock)
		return 0;
	err = udp_sock_create4(xn->net, &cfg, &sock);
	if (err == -EADDRINUSE)
		return 0;	/* somebody else decapsulates */
	if (err)
		return err;
	setup_udp_tunnel_sock(xn->net, sock, &tcfg);
	xn->encap_sock = sock;
	return 0;
}

/**
 * xm_encap_sock_put() - release the module's ESP-in-UDP socket of a netns
 * @xn: per-netns state
 *
 * Also removes the hook and sockets of registration messages. Called at
 * namespace exit, after the output hook of path validation is gone.
 *
 * Context: process context.
 */
void xm_encap_sock_put(struct xm_net *xn)
{
	plain_sender_put(xn);
	if (xn->msg_sock) {
		sock_release(xn->msg_sock);
		WRITE_ONCE(xn->msg_sock, NULL);
	}
	if (xn->encap_sock) {
		udp_tunnel_sock_release(xn->encap_sock);
		xn->encap_sock = NULL;
	}
}

/**
 * xm_tx_net_exit() - release what a namespace used for sending
 * @xn: per-netns state, without connections
 *
 * Context: process context, &xm_net.lock not held.
 */
void xm_tx_net_exit(struct xm_net *xn)
{
	mutex_lock(&xn->lock);
	xm_encap_sock_put(xn);
	mutex_unlock(&xn->lock);
}
