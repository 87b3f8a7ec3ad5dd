/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XM_SA_H
#define _XM_SA_H

#include "xm.h"

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
void xm_sa_policy_notify(struct xm_net *xn, struct xfrm_policy *pol,
			 int event);
void xm_sa_net_init(struct xm_net *xn);
void xm_sa_forget_policies(struct xm_net *xn);
struct xfrm_state *xm_sa_lookup(struct net *net, const struct xm_conn *conn,
				int dir);
int xm_sa_snapshot(struct xm_conn *conn, int dir, struct xm_sa_info *info);
enum xfrm_mobility_conn_state xm_sa_check(struct xm_conn *conn);
bool xm_sa_has_replay_window(const struct xfrm_state *x);

#endif /* _XM_SA_H */

/* Gap left in the outbound sequence space by a move, see xm_sa_move(). */
#define XM_SEQ_GAP	4096

int xm_sa_endpoints(struct xm_conn *conn, struct xm_endpoints *ep);
int xm_sa_move(struct xm_conn *conn, const struct xm_endpoints *to,
	       struct netlink_ext_ack *extack);
int xm_sa_make_plain(struct xm_conn *conn, int dir);
