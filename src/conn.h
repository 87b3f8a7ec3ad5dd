/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_CONN_H
#define _XM_CONN_H

#include "xm.h"

struct netlink_ext_ack;

struct xm_conn *xm_conn_create(struct xm_net *xn, const struct xm_conn *cfg,
			       struct netlink_ext_ack *extack);
void xm_conn_remove(struct xm_conn *conn);
void xm_conn_release(struct xm_conn *conn);
struct xm_conn *xm_conn_find(struct xm_net *xn, u32 id, const char *name);
void xm_conn_put(struct xm_conn *conn);
void xm_conn_remove_all(struct xm_net *xn);
struct rhlist_head *xm_conn_by_reqid(struct xm_net *xn, u32 reqid);
int xm_conn_net_init(struct xm_net *xn);
void xm_conn_net_exit(struct xm_net *xn);

#endif /* _XM_CONN_H */
