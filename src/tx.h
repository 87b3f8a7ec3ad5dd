/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_TX_H
#define _XM_TX_H

#include "xm.h"

int xm_tx_msg(struct xm_conn *conn, const void *buf, unsigned int len,
	      bool plain);
int xm_tx_hdr(struct xm_conn *conn, u8 type, u32 seq, u64 nonce, bool plain);
bool xm_tx_is_msg(const struct xm_net *xn, const struct sk_buff *skb);
int xm_tx_route_source(struct net *net, u32 mark, u16 family,
		       const xfrm_address_t *daddr, xfrm_address_t *saddr);
int xm_tx_keepalive(struct net *net, u32 mark, __be32 saddr, __be32 daddr,
		    __be16 sport, __be16 dport);
int xm_encap_sock_get(struct xm_net *xn);
bool xm_encap_sock_gro(struct xm_net *xn, const xfrm_address_t *local);
bool xm_conn_gro_check(struct xm_conn *conn);
void xm_encap_sock_put(struct xm_net *xn);
void xm_tx_net_exit(struct xm_net *xn);

#endif /* _XM_TX_H */
