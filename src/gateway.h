/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_GATEWAY_H
#define _XM_GATEWAY_H

#include "reg.h"

void xm_gateway_rreq(struct xm_conn *conn, const struct xm_msg *m,
		     const struct xm_rx_msg *msg);
void xm_gateway_follow_rebinding(struct xm_conn *conn);
void xm_gateway_conn_init(struct xm_conn *conn);

#endif /* _XM_GATEWAY_H */
