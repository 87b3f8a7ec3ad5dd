/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_SA_H
#define _XM_SA_H

#include "conn.h"

struct netlink_ext_ack;

/**
 * struct xm_sa_info - a consistent snapshot of one SA for reporting
 * @id: identity of the SA
 * @encap_type: UDP_ENCAP_* of the SA, 0 for plain ESP
 * @encap_sport: encapsulation source port, network order
 * @encap_dport: encapsulation destination port, network order
 * @oseq: last outbound sequence number used
 */
struct xm_sa_info {
	struct xm_sa_id id;
	u16 encap_type;
	__be16 encap_sport;
	__be16 encap_dport;
	u64 oseq;
};

int xm_sa_resolve(struct xm_conn *conn, struct netlink_ext_ack *extack);
int xm_sa_adopt(struct xm_conn *conn, struct netlink_ext_ack *extack);
struct xfrm_state *xm_sa_lookup(struct net *net, const struct xm_conn *conn,
				int dir);
void xm_sa_set_id(struct xm_sa_id *id, const struct xfrm_state *x);
int xm_sa_snapshot(struct xm_conn *conn, int dir, struct xm_sa_info *info);
int xm_sa_endpoints(struct xm_conn *conn, struct xm_endpoints *ep);
enum xfrm_mobility_conn_state xm_sa_check(struct xm_conn *conn);
bool xm_sa_has_replay_window(const struct xfrm_state *x);
bool xm_sa_is_plain(struct xm_conn *conn, int dir);
u64 xm_sa_packets(struct xm_conn *conn, int dir);
u32 xm_sa_oseq(struct xm_conn *conn);

#endif /* _XM_SA_H */
