/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/xfrm_mobility.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_XFRM_MOBILITY_GEN_H
#define _LINUX_XFRM_MOBILITY_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/xfrm_mobility.h>

int xfrm_mobility_nl_conn_add_doit(struct sk_buff *skb, struct genl_info *info);
int xfrm_mobility_nl_conn_del_doit(struct sk_buff *skb, struct genl_info *info);
int xfrm_mobility_nl_conn_get_dumpit(struct sk_buff *skb,
				     struct netlink_callback *cb);
int xfrm_mobility_nl_handover_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	XFRM_MOBILITY_NLGRP_EVENTS,
};

extern struct genl_family xfrm_mobility_nl_family;

#endif /* _LINUX_XFRM_MOBILITY_GEN_H */
