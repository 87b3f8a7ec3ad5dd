/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_REG_H
#define _XM_REG_H

#include "xm.h"

struct netlink_ext_ack;

/**
 * struct xm_rx_msg - a registration message handed from softirq to process
 *	context
 * @work: queued on the module's workqueue
 * @net: namespace, referenced
 * @conn_id: connection whose inbound SA authenticated the message
 * @spi: SPI of that SA
 * @have_view: whether @observed holds the outer header of the packet
 * @observed: outer header as received
 * @inner_src: inner source address
 * @inner_dst: inner destination address
 * @len: length of @buf
 * @buf: the message
 */
struct xm_rx_msg {
	struct work_struct work;
	struct net *net;
	u32 conn_id;
	__be32 spi;
	bool have_view;
	struct xm_view observed;
	xfrm_address_t inner_src;
	xfrm_address_t inner_dst;
	u16 len;
	u8 buf[XM_MSG_MAX];
};

int xm_reg_init(void);
void xm_reg_stop(void);
void xm_reg_uninit(void);
void xm_reg_conn_init(struct xm_conn *conn);
void xm_reg_conn_start(struct xm_conn *conn);
void xm_reg_conn_stop(struct xm_conn *conn);
void xm_reg_queue_rx(struct net *net, struct xm_rx_msg *msg);
void xm_reg_sas_changed(struct xm_conn *conn);
int xm_reg_handover(struct xm_conn *conn, const xfrm_address_t *local,
		    struct netlink_ext_ack *extack);

#endif /* _XM_REG_H */
