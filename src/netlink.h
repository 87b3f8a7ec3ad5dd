/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_NETLINK_H
#define _XM_NETLINK_H

#include "xm.h"

int xm_netlink_init(void);
void xm_netlink_uninit(void);
void xm_nl_notify(struct xm_conn *conn, enum xfrm_mobility_event type,
		  u32 seq, u32 nat, int error, gfp_t gfp);

#endif /* _XM_NETLINK_H */
