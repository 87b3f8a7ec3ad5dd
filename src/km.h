/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_KM_H
#define _XM_KM_H

#include <linux/types.h>

struct xm_net;

void xm_km_init(void);
void xm_km_uninit(void);
void xm_km_net_init(struct xm_net *xn);
void xm_km_net_exit(struct xm_net *xn);
bool xm_km_mapping(struct xm_net *xn, u32 conn_id);

#endif /* _XM_KM_H */
