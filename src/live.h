/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_LIVE_H
#define _XM_LIVE_H

#include "reg.h"

void xm_live_start(struct xm_conn *conn);
void xm_live_update(struct xm_conn *conn);
void xm_live_echo(struct xm_conn *conn, const struct xm_msg *m);
void xm_live_echo_reply(struct xm_conn *conn, const struct xm_msg *m);
void xm_live_conn_init(struct xm_conn *conn);
void xm_live_conn_stop(struct xm_conn *conn);

#endif /* _XM_LIVE_H */
