/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_MOBILE_H
#define _XM_MOBILE_H

#include "reg.h"

struct netlink_ext_ack;

int xm_mobile_handover(struct xm_conn *conn, const xfrm_address_t *local,
		       struct netlink_ext_ack *extack);
void xm_mobile_send_copy(struct xm_conn *conn, u8 encap);
void xm_mobile_rrep(struct xm_conn *conn, const struct xm_msg *m,
		    const struct xm_rx_msg *msg);
void xm_mobile_challenge(struct xm_conn *conn, const struct xm_msg *m);
void xm_mobile_conn_init(struct xm_conn *conn);
void xm_mobile_conn_start(struct xm_conn *conn);
void xm_mobile_conn_stop(struct xm_conn *conn);

#endif /* _XM_MOBILE_H */
