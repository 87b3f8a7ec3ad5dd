/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_PROBE_H
#define _XM_PROBE_H

#include "reg.h"

int xm_probe_make_plain(struct xm_conn *conn, int dir);
void xm_probe_start(struct xm_conn *conn);
void xm_probe_stop(struct xm_conn *conn);
void xm_probe_go_plain(struct xm_conn *conn);
void xm_probe_rx(struct xm_conn *conn, const struct xm_msg *m,
		 const struct xm_rx_msg *msg);
void xm_probe_ack(struct xm_conn *conn, const struct xm_msg *m);
void xm_probe_conn_init(struct xm_conn *conn);
void xm_probe_conn_stop(struct xm_conn *conn);

#endif /* _XM_PROBE_H */
