/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_NETLINK_H
#define _XM_NETLINK_H

int xm_netlink_init(void);
void xm_netlink_uninit(void);

#endif /* _XM_NETLINK_H */
