/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_RX_H
#define _XM_RX_H

#include "xm.h"

int xm_rx_init(void);
void xm_rx_uninit(void);
void xm_rx_flush(void);
void xm_rx_index(struct xm_conn *conn);
void xm_rx_unindex(struct xm_conn *conn);

#endif /* _XM_RX_H */
