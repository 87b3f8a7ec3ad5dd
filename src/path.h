/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_PATH_H
#define _XM_PATH_H

#include "conn.h"

struct xm_rx_msg;

void xm_path_moved(struct xm_conn *conn, const struct xm_endpoints *from,
		   const struct xm_endpoints *to, unsigned int rx_bytes);
void xm_path_rx(struct xm_conn *conn, const struct xm_view *v,
		unsigned int bytes);
void xm_path_response(struct xm_conn *conn, const struct xm_msg *m,
		      const struct xm_rx_msg *msg);
void xm_path_stop(struct xm_conn *conn);
bool xm_path_from_pending(struct xm_conn *conn, const struct xm_view *v);
bool xm_path_validated(struct xm_conn *conn, const struct xm_endpoints *ep);
void xm_path_check(struct xm_conn *conn);
void xm_path_encap_changed(struct xm_conn *conn, const struct xm_endpoints *to);
void xm_path_conn_init(struct xm_conn *conn);
void xm_path_conn_stop(struct xm_conn *conn);
void xm_path_net_init(struct xm_net *xn);
void xm_path_net_exit(struct xm_net *xn);

#endif /* _XM_PATH_H */
