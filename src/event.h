/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfrm_mobility: events multicast to the "events" group, one helper per
 * event type. Every helper reports the connection's SAs as they are after
 * the event, and is called with &xm_net.lock held.
 */
#ifndef _XM_EVENT_H
#define _XM_EVENT_H

#include "conn.h"

struct sk_buff;

int xm_event_put_sas(struct sk_buff *skb, int attr, struct xm_conn *conn);
void xm_event(struct xm_conn *conn, enum xfrm_mobility_event type, u32 seq,
	      u32 nat, int error);

static inline void xm_event_conn_add(struct xm_conn *conn)
{
	xm_event(conn, XFRM_MOBILITY_EVENT_CONN_ADD, 0, 0, 0);
}

static inline void xm_event_conn_del(struct xm_conn *conn)
{
	xm_event(conn, XFRM_MOBILITY_EVENT_CONN_DEL, 0, 0, 0);
}

/* @seq: the registration that moved the SAs, 0 for a NAT rebinding. */
static inline void xm_event_sa_moved(struct xm_conn *conn, u32 seq, u32 nat)
{
	xm_event(conn, XFRM_MOBILITY_EVENT_SA_MOVED, seq, nat, 0);
}

/* Others replaced the SAs, or the module repaired their re-installation. */
static inline void xm_event_sa_updated(struct xm_conn *conn)
{
	xm_event(conn, XFRM_MOBILITY_EVENT_SA_UPDATED, 0, 0, 0);
}

static inline void xm_event_encap_changed(struct xm_conn *conn)
{
	xm_event(conn, XFRM_MOBILITY_EVENT_ENCAP_CHANGED, 0, 0, 0);
}

static inline void xm_event_rreq_sent(struct xm_conn *conn, u32 seq)
{
	xm_event(conn, XFRM_MOBILITY_EVENT_RREQ_SENT, seq, 0, 0);
}

static inline void xm_event_retransmit(struct xm_conn *conn, u32 seq)
{
	xm_event(conn, XFRM_MOBILITY_EVENT_RETRANSMIT, seq, 0, 0);
}

static inline void xm_event_rreq_received(struct xm_conn *conn, u32 seq,
					  u32 nat)
{
	xm_event(conn, XFRM_MOBILITY_EVENT_RREQ_RECEIVED, seq, nat, 0);
}

static inline void xm_event_rrep_sent(struct xm_conn *conn, u32 seq, u32 nat)
{
	xm_event(conn, XFRM_MOBILITY_EVENT_RREP_SENT, seq, nat, 0);
}

static inline void xm_event_rrep_received(struct xm_conn *conn, u32 seq,
					  u32 nat)
{
	xm_event(conn, XFRM_MOBILITY_EVENT_RREP_RECEIVED, seq, nat, 0);
}

static inline void xm_event_fallback(struct xm_conn *conn, u32 seq)
{
	xm_event(conn, XFRM_MOBILITY_EVENT_FALLBACK, seq, 0, 0);
}

/* @err: negative errno; @seq and @nat: 0 when not about a registration. */
static inline void xm_event_failure(struct xm_conn *conn, u32 seq, u32 nat,
				    int err)
{
	xm_event(conn, XFRM_MOBILITY_EVENT_FAILURE, seq, nat, err);
}

#endif /* _XM_EVENT_H */
