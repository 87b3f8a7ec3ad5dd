/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_RX_H
#define _XM_RX_H

int xm_rx_init(void);
void xm_rx_uninit(void);

#endif /* _XM_RX_H */
