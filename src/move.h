/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_MOVE_H
#define _XM_MOVE_H

#include "conn.h"

struct netlink_ext_ack;

int xm_sa_move(struct xm_conn *conn, const struct xm_endpoints *from,
	       const struct xm_endpoints *to, struct netlink_ext_ack *extack);
int xm_sa_make_plain(struct xm_conn *conn, int dir);

#endif /* _XM_MOVE_H */
