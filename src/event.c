// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: event notifications. Every change the module makes to a
 * connection, and every failure, is multicast to the "events" group of
 * the generic netlink family with the connection's SAs as they are after
 * it; event.h has one helper per event type.
 */

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/udp.h>

#include "event.h"
#include "netlink-gen.h"
#include "sa.h"

static int put_addr(struct sk_buff *skb, int attr4, int attr6, u16 family,
		    const xfrm_address_t *a)
{
	if (family == AF_INET)
		return nla_put_in_addr(skb, attr4, a->a4);
	return nla_put_in6_addr(skb, attr6, &a->in6);
}

static int put_sa(struct sk_buff *skb, int attr, int dir,
		  const struct xm_sa_info *info)
{
	const struct xm_sa_id *id = &info->id;
	struct nlattr *nest;
	u32 encap;

	nest = nla_nest_start(skb, attr);
	if (!nest)
		return -EMSGSIZE;

	encap = info->encap_type == UDP_ENCAP_ESPINUDP ?
		XFRM_MOBILITY_ENCAP_ESPINUDP : XFRM_MOBILITY_ENCAP_NONE;
	if (nla_put_u32(skb, XFRM_MOBILITY_A_SA_DIR, dir) ||
	    nla_put_be32(skb, XFRM_MOBILITY_A_SA_SPI, id->spi) ||
	    nla_put_u32(skb, XFRM_MOBILITY_A_SA_FAMILY, id->family) ||
	    put_addr(skb, XFRM_MOBILITY_A_SA_SADDR_IPV4,
		     XFRM_MOBILITY_A_SA_SADDR_IPV6, id->family, &id->saddr) ||
	    put_addr(skb, XFRM_MOBILITY_A_SA_DADDR_IPV4,
		     XFRM_MOBILITY_A_SA_DADDR_IPV6, id->family, &id->daddr) ||
	    nla_put_u32(skb, XFRM_MOBILITY_A_SA_ENCAP, encap))
		goto err_cancel;
	if (info->encap_type &&
	    (nla_put_be16(skb, XFRM_MOBILITY_A_SA_ENCAP_SPORT,
			  info->encap_sport) ||
	     nla_put_be16(skb, XFRM_MOBILITY_A_SA_ENCAP_DPORT,
			  info->encap_dport)))
		goto err_cancel;
	if (dir == XFRM_MOBILITY_DIR_OUT &&
	    nla_put_u64_64bit(skb, XFRM_MOBILITY_A_SA_OSEQ, info->oseq,
			      XFRM_MOBILITY_A_SA_PAD))
		goto err_cancel;

	nla_nest_end(skb, nest);
	return 0;

err_cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/**
 * xm_event_put_sas() - put a nest per SA of a connection
 * @skb: message
 * @attr: attribute type of the nests
 * @conn: connection
 *
 * SAs that are gone are left out.
 *
 * Context: &xm_net.lock held.
 * Return: 0 or -EMSGSIZE.
 */
int xm_event_put_sas(struct sk_buff *skb, int attr, struct xm_conn *conn)
{
	struct xm_sa_info info;
	int dir;

	lockdep_assert_held(&conn->xn->lock);

	for (dir = XFRM_MOBILITY_DIR_IN; dir <= XFRM_MOBILITY_DIR_OUT; dir++) {
		if (xm_sa_snapshot(conn, dir, &info))
			continue;
		if (put_sa(skb, attr, dir, &info))
			return -EMSGSIZE;
	}
	return 0;
}

/**
 * xm_event() - multicast an event about a connection
 * @conn: connection the event is about
 * @type: event type
 * @seq: registration sequence number, 0 if not applicable
 * @nat: &enum xfrm_mobility_nat flags, 0 if not applicable
 * @error: negative errno of a failure, 0 otherwise
 *
 * Context: process context, &xm_net.lock held (the SAs are reported as
 * they are after the event).
 */
void xm_event(struct xm_conn *conn, enum xfrm_mobility_event type, u32 seq,
	      u32 nat, int error)
{
	struct net *net = conn->xn->net;
	struct sk_buff *msg;
	void *hdr;

	lockdep_assert_held(&conn->xn->lock);
	if (!genl_has_listeners(&xfrm_mobility_nl_family, net,
				XFRM_MOBILITY_NLGRP_EVENTS))
		return;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &xfrm_mobility_nl_family, 0,
			  XFRM_MOBILITY_CMD_EVENT_NTF);
	if (!hdr)
		goto err_free;
	if (nla_put_u32(msg, XFRM_MOBILITY_A_EVENT_TYPE, type) ||
	    nla_put_u32(msg, XFRM_MOBILITY_A_EVENT_CONN_ID, conn->id) ||
	    (conn->name[0] &&
	     nla_put_string(msg, XFRM_MOBILITY_A_EVENT_CONN_NAME, conn->name)) ||
	    (seq && nla_put_u32(msg, XFRM_MOBILITY_A_EVENT_SEQ, seq)) ||
	    (nat && nla_put_u32(msg, XFRM_MOBILITY_A_EVENT_NAT, nat)) ||
	    (error && nla_put_u32(msg, XFRM_MOBILITY_A_EVENT_ERROR, -error)) ||
	    nla_put_u64_64bit(msg, XFRM_MOBILITY_A_EVENT_TIME_NS,
			      ktime_get_boottime_ns(), XFRM_MOBILITY_A_EVENT_PAD) ||
	    xm_event_put_sas(msg, XFRM_MOBILITY_A_EVENT_SA, conn) ||
	    nla_put_u32(msg, XFRM_MOBILITY_A_EVENT_REQID, conn->reqid) ||
	    (conn->mark.m &&
	     nla_put_u32(msg, XFRM_MOBILITY_A_EVENT_MARK, conn->mark.v)) ||
	    (conn->if_id &&
	     nla_put_u32(msg, XFRM_MOBILITY_A_EVENT_IF_ID, conn->if_id)))
		goto err_free;
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&xfrm_mobility_nl_family, net, msg, 0,
				XFRM_MOBILITY_NLGRP_EVENTS, GFP_KERNEL);
	return;

err_free:
	nlmsg_free(msg);
}
