/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfrm_mobility: what the registration sides (mobile.c, gateway.c,
 * probe.c) share, and the dispatch of received messages (reg.c).
 */
#ifndef _XM_REG_H
#define _XM_REG_H

#include <linux/jiffies.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "conn.h"

/* First retransmission timeout of requests, probes and plain copies. */
#define XM_RTO_INIT	msecs_to_jiffies(250)

/* Methods this implementation can receive and send. */
#define XM_METHODS	(XM_METHOD_ESPINUDP | XM_METHOD_ESP)

/**
 * struct xm_rx_msg - an authenticated registration message handed from
 *	softirq to process context
 * @node: in &xm_net.rx_list
 * @conn: connection whose inbound SA authenticated the message, referenced
 * @spi: SPI of that SA
 * @newest: the packet carried the highest ESP sequence number the SA had
 *	accepted (false when unknown, see rx.c)
 * @have_view: whether @observed holds the outer header of the packet
 * @observed: outer header as received
 * @wire_len: length of the packet on the wire, estimated
 * @inner_src: inner source address
 * @inner_dst: inner destination address
 * @len: length of @buf
 * @buf: the message
 */
struct xm_rx_msg {
	struct list_head node;
	struct xm_conn *conn;
	__be32 spi;
	bool newest;
	bool have_view;
	struct xm_view observed;
	unsigned int wire_len;
	xfrm_address_t inner_src;
	xfrm_address_t inner_dst;
	u16 len;
	u8 buf[XM_MSG_MAX];
};

/*
 * The workqueue of registration messages and connection timers, and the
 * flag that stops timers from rearming at module unload (reg.c).
 */
extern struct workqueue_struct *xm_wq;
extern bool xm_stopping;

/**
 * xm_reg_conn_gone() - whether a timer or message of a connection must
 *	do nothing
 * @conn: connection
 *
 * Context: &xm_net.lock held.
 * Return: true when @conn left the table or the module is unloading.
 */
static inline bool xm_reg_conn_gone(const struct xm_conn *conn)
{
	lockdep_assert_held(&conn->xn->lock);
	return conn->dead || READ_ONCE(xm_stopping);
}

/* Whether the connection may try plain ESP on its current path. */
static inline bool xm_plain_allowed(const struct xm_conn *conn)
{
	return conn->encap_policy == XFRM_MOBILITY_ENCAP_POLICY_AUTO &&
	       !conn->plain.failed && !conn->plain.gro;
}

/* Methods the connection may use on its current path. */
static inline u32 xm_conn_methods(const struct xm_conn *conn)
{
	return xm_plain_allowed(conn) ? XM_METHODS : XM_METHOD_ESPINUDP;
}

static inline u16 xm_view_family(const struct xm_view *v)
{
	return v->family == XM_FAMILY_IPV4 ? AF_INET : AF_INET6;
}

/**
 * xm_view_to_ep() - an address of a view as an XFRM address
 * @family: AF_INET or AF_INET6
 * @a: filled
 * @va: address of the view
 */
static inline void xm_view_to_ep(u16 family, xfrm_address_t *a,
				 const union xm_addr *va)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET)
		a->a4 = va->a4;
	else
		memcpy(&a->in6, va->b, sizeof(a->in6));
}

static inline void xm_ep_to_addr(union xm_addr *va, u16 family,
				 const xfrm_address_t *a)
{
	memset(va, 0, sizeof(*va));
	if (family == AF_INET)
		va->a4 = a->a4;
	else
		memcpy(va->b, &a->in6, sizeof(va->b));
}

/**
 * xm_ep_to_view() - the outer header of packets an outbound SA sends
 * @ep: endpoints of the outbound SA
 * @v: filled
 */
static inline void xm_ep_to_view(const struct xm_endpoints *ep,
				 struct xm_view *v)
{
	memset(v, 0, sizeof(*v));
	v->family = ep->family == AF_INET ? XM_FAMILY_IPV4 : XM_FAMILY_IPV6;
	v->encap = ep->encap_type ? XM_ENCAP_ESPINUDP : XM_ENCAP_NONE;
	if (ep->encap_type) {
		v->sport = ep->local_port;
		v->dport = ep->remote_port;
	}
	xm_ep_to_addr(&v->saddr, ep->family, &ep->local);
	xm_ep_to_addr(&v->daddr, ep->family, &ep->remote);
}

int xm_reg_init(void);
void xm_reg_stop(void);
void xm_reg_uninit(void);
void xm_reg_conn_start(struct xm_conn *conn);
void xm_reg_conn_release(struct xm_conn *conn);
void xm_reg_net_exit(struct xm_net *xn);
bool xm_reg_rx_admit(struct xm_conn *conn);
void xm_reg_rx_done(struct xm_conn *conn);
void xm_reg_rx_free(struct xm_rx_msg *msg);
void xm_reg_queue_rx(struct xm_net *xn, struct xm_rx_msg *msg);
bool xm_reg_answer_allowed(struct xm_conn *conn);
void xm_reg_net_init(struct xm_net *xn);
void xm_reg_sas_changed(struct xm_conn *conn);

#endif /* _XM_REG_H */
