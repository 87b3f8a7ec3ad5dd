// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: plain ESP when the path allows it.
 *
 * A registration that saw no translation may drop the UDP encapsulation.
 * Each end makes its inbound SA plain first (a plain inbound SA still
 * takes ESP-in-UDP, see rx.c), and its outbound SA only once the peer
 * proved that our plain ESP reaches it: an acknowledged probe (gateway) or
 * a plain copy of the request that arrived untranslated (mobile host).
 * Whether plain ESP keeps passing afterwards is watched in live.c.
 *
 * Everything here runs in process context under &xm_net.lock.
 */

#include <linux/random.h>

#include "event.h"
#include "live.h"
#include "mobile.h"
#include "move.h"
#include "probe.h"
#include "reg.h"
#include "sa.h"
#include "tx.h"

/* Plain-ESP probes: tries, every XM_RTO_INIT doubling. */
#define XM_PROBE_TRIES	4

/**
 * xm_probe_make_plain() - switch one direction to plain ESP
 * @conn: connection
 * @dir: &enum xfrm_mobility_dir
 *
 * The inbound SA goes first on each end: it still accepts ESP-in-UDP (see
 * rx.c), so nothing in flight is lost; the outbound SA follows only once
 * the peer proved that it gets our plain ESP and accepts it.
 *
 * Context: process context, &xm_net.lock held.
 * Return: 0 or a negative errno (reported as a failure event).
 */
int xm_probe_make_plain(struct xm_conn *conn, int dir)
{
	int err;

	lockdep_assert_held(&conn->xn->lock);
	if (xm_sa_is_plain(conn, dir))
		return 0;
	err = xm_sa_make_plain(conn, dir);
	if (err)
		xm_event_failure(conn, 0, 0, err);
	else
		xm_event_encap_changed(conn);
	return err;
}

static void send_probe(struct xm_conn *conn)
{
	if (!xm_tx_hdr(conn, XM_MSG_PROBE, conn->plain.probe_tries,
		       conn->plain.probe_nonce, true))
		xm_stat_inc(conn, XM_STAT_PROBES);
}

/**
 * xm_probe_start() - start proving that our plain ESP reaches the peer
 * @conn: connection whose inbound SA is plain
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_probe_start(struct xm_conn *conn)
{
	lockdep_assert_held(&conn->xn->lock);
	conn->plain.probe_nonce = get_random_u64() ?: 1;
	conn->plain.probe_tries = 0;
	mod_delayed_work(xm_wq, &conn->plain.work, 0);
}

/**
 * xm_probe_stop() - stop probing and resending plain copies
 * @conn: connection
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_probe_stop(struct xm_conn *conn)
{
	lockdep_assert_held(&conn->xn->lock);
	conn->plain.probe_nonce = 0;
	conn->mob.copy_resend = false;
	cancel_delayed_work(&conn->plain.work);
}

/**
 * xm_probe_go_plain() - send plain ESP from now on (mobile host)
 * @conn: mobile connection
 *
 * The gateway got a plain-ESP copy of our request untranslated: our plain
 * ESP reaches it and is accepted there (its inbound SA is plain). Send
 * plain ESP from now on; live.c watches that it keeps passing.
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_probe_go_plain(struct xm_conn *conn)
{
	lockdep_assert_held(&conn->xn->lock);
	conn->mob.copy_resend = false;
	cancel_delayed_work(&conn->plain.work);
	if (xm_probe_make_plain(conn, XFRM_MOBILITY_DIR_IN))
		return;
	xm_probe_make_plain(conn, XFRM_MOBILITY_DIR_OUT);
}

/*
 * Probe retransmissions (gateway); on a mobile host, resent plain-ESP
 * copies of the request.
 */
static void probe_work(struct work_struct *work)
{
	struct xm_conn *conn = container_of(to_delayed_work(work),
					    struct xm_conn, plain.work);
	struct xm_net *xn = conn->xn;

	mutex_lock(&xn->lock);
	if (xm_reg_conn_gone(conn))
		goto out;

	if (conn->plain.probe_nonce) {
		if (conn->plain.probe_tries >= XM_PROBE_TRIES) {
			/* Plain ESP does not pass: stay in ESP-in-UDP. */
			conn->plain.probe_nonce = 0;
			if (conn->role == XFRM_MOBILITY_ROLE_MOBILE)
				conn->plain.failed = true;
			xm_event_failure(conn, 0, 0, -EHOSTUNREACH);
			goto out;
		}
		send_probe(conn);
		queue_delayed_work(xm_wq, &conn->plain.work,
				   XM_RTO_INIT << conn->plain.probe_tries++);
		goto out;
	}

	if (conn->mob.copy_resend) {
		if (conn->mob.copy_tries >= XM_PROBE_TRIES) {
			/* No plain copy got through: ESP-in-UDP it is. */
			conn->mob.copy_resend = false;
			conn->plain.failed = true;
			xm_event_failure(conn, conn->mob.tx_seq, 0, -EHOSTUNREACH);
			goto out;
		}
		xm_mobile_send_copy(conn, XM_ENCAP_NONE);
		queue_delayed_work(xm_wq, &conn->plain.work,
				   XM_RTO_INIT << conn->mob.copy_tries);
	}
out:
	mutex_unlock(&xn->lock);
}

/**
 * xm_probe_rx() - acknowledge a peer's probe that arrived as plain ESP
 * @conn: connection whose inbound SA authenticated the probe
 * @m: the probe
 * @msg: the probe as received, with its outer header
 *
 * The acknowledgment goes through the SA as usual. A probe that arrived
 * UDP-encapsulated proves nothing and gets none; acknowledgments are
 * rate-limited.
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_probe_rx(struct xm_conn *conn, const struct xm_msg *m,
		 const struct xm_rx_msg *msg)
{
	lockdep_assert_held(&conn->xn->lock);
	if (!msg->have_view || msg->observed.encap != XM_ENCAP_NONE) {
		xm_stat_inc(conn, XM_STAT_DROP_UNEXPECTED);
		return;
	}
	if (xm_reg_answer_allowed(conn))
		xm_tx_hdr(conn, XM_MSG_PROBE_ACK, m->seq, m->nonce, false);
}

/**
 * xm_probe_ack() - handle an authenticated probe acknowledgment
 * @conn: connection whose inbound SA authenticated it
 * @m: the acknowledgment
 *
 * The peer got our plain ESP and accepts it: send plain ESP too, and watch
 * that it keeps passing (live.c).
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_probe_ack(struct xm_conn *conn, const struct xm_msg *m)
{
	lockdep_assert_held(&conn->xn->lock);
	if (!conn->plain.probe_nonce || m->nonce != conn->plain.probe_nonce) {
		xm_stat_inc(conn, XM_STAT_DROP_STALE);
		return;
	}
	conn->plain.probe_nonce = 0;
	cancel_delayed_work(&conn->plain.work);
	if (!xm_probe_make_plain(conn, XFRM_MOBILITY_DIR_OUT))
		xm_live_start(conn);
}

/**
 * xm_probe_conn_init() - prepare the plain-ESP timer of a connection
 * @conn: new connection, not visible to any timer or message yet
 */
void xm_probe_conn_init(struct xm_conn *conn)
{
	INIT_DELAYED_WORK(&conn->plain.work, probe_work);
}

/**
 * xm_probe_conn_stop() - wait for the plain-ESP timer of a connection
 * @conn: connection, already marked dead
 *
 * Context: process context, &xm_net.lock not held.
 */
void xm_probe_conn_stop(struct xm_conn *conn)
{
	cancel_delayed_work_sync(&conn->plain.work);
}
