// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility: liveness of the path a connection uses.
 *
 * A path can stop carrying the connection's current encapsulation at any
 * time: a router starts dropping plain ESP, a NAT forgets the mapping, a
 * firewall changes its mind. The SAs look fine and nothing else notices,
 * so each end watches its own SA pair, whatever the applications send:
 *
 *  - Output that no input followed for XM_LIVE_ASK asks the peer with an
 *    ECHO through the SA, once per tick, until anything authenticated
 *    arrives; the peer answers every ECHO with an ECHO_REPLY.
 *  - Output unanswered for XM_LIVE_DEAD, with XM_LIVE_PEER_TRIES ECHOs
 *    sent (one more by a gateway, see below), means the path is dead. A
 *    mobile host then registers again from the source
 *    address the routing table picks, UDP-encapsulated first (from plain
 *    ESP: the fallback), which also brings the gateway back; whether plain
 *    ESP still passes, the request's plain copies tell (probe.c). A
 *    gateway sending plain ESP returns to ESP-in-UDP on its own, which the
 *    peer's inbound SA accepts.
 *  - A mobile host that receives the XM_LIVE_PEER_TRIES-th ECHO of one
 *    run of the gateway's knows that its own packets do not arrive there
 *    (its answers to the earlier ones did not) and treats its path as
 *    dead too: input that keeps coming does not prove that output passes.
 *  - A mobile host whose SAs carried nothing either way for its keepalive
 *    interval (XM_LIVE_IDLE_MIN at least) sends one ECHO: an idle
 *    connection costs one small exchange per interval, and a dead path is
 *    found before the next application packet needs it. A keepalive
 *    interval of 0 turns this off with the NAT keepalives.
 *
 * The first unanswered packet is seen by the tick after it, XM_LIVE_TICK
 * later at most, so a mobile host detects a dead path XM_LIVE_TICK +
 * XM_LIVE_DEAD (3 s) after the first packet it lost, a little more when
 * ticks run late; recovery then takes one registration, one round trip on
 * a path that passes ESP-in-UDP. A gateway ticks every XM_LIVE_TICK_SLOW
 * while nothing is unanswered and sends a fourth ECHO before its verdict
 * (3 s), and after returning to ESP-in-UDP starts a new run at once, so a
 * path that only its ECHOs reveal is found within about XM_LIVE_TICK_SLOW
 * + 3 s + 2 * XM_LIVE_TICK (6 s).
 *
 * Only authenticated packets count as input: the SA counters move only
 * for packets that passed the SA's integrity and anti-replay checks.
 * Dead verdicts back off: each one in a row without an answered run in
 * between doubles the time a run may take (up to XM_LIVE_BACKOFF_MAX), so
 * whoever drops only the ECHO_REPLYs cannot make a host register again
 * every few seconds. Right after a rekey the peer may still use the old
 * SAs: no verdict within XM_LIVE_GRACE of it.
 *
 * A peer without this code does not answer ECHOs. Until the peer has
 * answered or sent one (a mobile host sends one ECHO when a registration
 * completes), the only verdict is the one older versions made: output
 * into plain ESP without any input. So gateways can be upgraded first.
 *
 * A gateway runs the tick only while it sends plain ESP or its peer was
 * told to (the only cases with something to do: return to ESP-in-UDP,
 * tell the peer that its plain ESP does not arrive), and not while it
 * validates a new peer address (path.c: what it sends there is limited).
 *
 * Everything here runs in process context under &xm_net.lock.
 */

#include <linux/random.h>

#include "event.h"
#include "live.h"
#include "mobile.h"
#include "move.h"
#include "path.h"
#include "reg.h"
#include "sa.h"
#include "tx.h"

/* Period of the liveness tick. */
#define XM_LIVE_TICK		(HZ / 2)
/* Period of a gateway's tick while nothing is unanswered. */
#define XM_LIVE_TICK_SLOW	(2 * HZ)
/* Unanswered output this long: ask the peer. */
#define XM_LIVE_ASK		HZ
/* Unanswered output this long: the path is dead. */
#define XM_LIVE_DEAD		(5 * HZ / 2)
/* The peer's ECHOs in a run that say it hears nothing from us. */
#define XM_LIVE_PEER_TRIES	3
/* Longest a run may take after dead verdicts in a row. */
#define XM_LIVE_BACKOFF_MAX	(40 * HZ)
/* No verdict this long after a rekey or a completed registration. */
#define XM_LIVE_GRACE		(5 * HZ)
/* Shortest interval of the ECHOs of an idle connection, seconds. */
#define XM_LIVE_IDLE_MIN	15

/* Whether the connection has a path to watch now. */
static bool live_wanted(struct xm_conn *conn)
{
	if (conn->role == XFRM_MOBILITY_ROLE_MOBILE)
		return conn->reg_state == XFRM_MOBILITY_REG_STATE_REGISTERED;
	if (conn->gw.pv.active)
		return false;
	return xm_sa_is_plain(conn, XFRM_MOBILITY_DIR_OUT) ||
	       (conn->gw.rx_method == XM_ENCAP_NONE &&
		xm_sa_is_plain(conn, XFRM_MOBILITY_DIR_IN));
}

static void live_reset(struct xm_conn *conn)
{
	conn->live.quiet = 0;
	conn->live.tries = 0;
	conn->live.idle = jiffies;
}

/* A new run of ECHOs, with a nonce of its own. */
static void run_start(struct xm_conn *conn)
{
	conn->live.quiet = jiffies ?: 1;
	conn->live.nonce = get_random_u64() ?: 1;
	conn->live.tries = 0;
}

static void send_echo(struct xm_conn *conn)
{
	if (!xm_tx_hdr(conn, XM_MSG_ECHO, ++conn->live.tries, conn->live.nonce,
		       false))
		xm_stat_inc(conn, XM_STAT_ECHOES);
}

/* Read the SA counters; a missing SA leaves the last reading. */
static bool live_read(struct xm_conn *conn, u64 *out, u64 *in)
{
	struct xm_sa_info info;

	if (xm_sa_snapshot(conn, XFRM_MOBILITY_DIR_OUT, &info) ||
	    xm_sa_snapshot(conn, XFRM_MOBILITY_DIR_IN, &info))
		return false;
	*out = xm_sa_packets(conn, XFRM_MOBILITY_DIR_OUT);
	*in = xm_sa_packets(conn, XFRM_MOBILITY_DIR_IN);
	return true;
}

/**
 * xm_live_start() - watch the path of a connection from now on
 * @conn: connection that just completed a registration (mobile host) or
 *	started to send or receive plain ESP (gateway)
 *
 * A mobile host that has not heard an ECHO from this peer yet sends one,
 * to learn whether the peer answers them.
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_live_start(struct xm_conn *conn)
{
	struct xm_conn_live *l = &conn->live;

	lockdep_assert_held(&conn->xn->lock);
	if (conn->dead)
		return;
	live_reset(conn);
	l->grace = jiffies + XM_LIVE_GRACE;
	l->mute_until = jiffies;
	if (conn->role == XFRM_MOBILITY_ROLE_MOBILE && !l->peer_ok) {
		run_start(conn);
		send_echo(conn);
		live_reset(conn);
	}
	live_read(conn, &l->out, &l->in);
	l->out_spi = conn->sa[XFRM_MOBILITY_DIR_OUT].spi;
	l->in_spi = conn->sa[XFRM_MOBILITY_DIR_IN].spi;
	mod_delayed_work(xm_wq, &l->work, XM_LIVE_TICK);
}

/**
 * xm_live_update() - watch the path again if there is one to watch
 * @conn: connection whose SAs or registration changed
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_live_update(struct xm_conn *conn)
{
	lockdep_assert_held(&conn->xn->lock);
	if (!delayed_work_pending(&conn->live.work) && live_wanted(conn))
		xm_live_start(conn);
}

/* Back to ESP-in-UDP towards the peer's standard port (gateway). */
static void gateway_encap(struct xm_conn *conn)
{
	struct xm_endpoints from, to;
	struct xm_sa_info in;
	int err;

	err = xm_sa_endpoints(conn, &from);
	if (err)
		return;
	to = from;
	to.encap_type = UDP_ENCAP_ESPINUDP;
	to.local_port = htons(XM_ENCAP_PORT);
	to.remote_port = htons(XM_ENCAP_PORT);
	/* A plain inbound SA takes ESP-in-UDP anyway: keep it. */
	to.in_plain = !xm_sa_snapshot(conn, XFRM_MOBILITY_DIR_IN, &in) &&
		      !in.encap_type && !xm_conn_gro_check(conn);
	err = xm_sa_move(conn, &from, &to, NULL);
	if (err) {
		xm_event_failure(conn, 0, conn->nat, err);
		return;
	}
	xm_path_encap_changed(conn, &to);
	xm_event_encap_changed(conn);
}

/* Time a run may take before its path is dead, after @strikes verdicts. */
static unsigned long dead_after(const struct xm_conn_live *l)
{
	return min_t(unsigned long, XM_LIVE_DEAD << min(l->strikes, 5U),
		     XM_LIVE_BACKOFF_MAX);
}

/*
 * The path does not carry the connection: what each role can do about it.
 * A mobile host's new registration restarts the watch once it completes.
 */
static void path_dead(struct xm_conn *conn)
{
	bool plain = xm_sa_is_plain(conn, XFRM_MOBILITY_DIR_OUT);
	struct xm_conn_live *l = &conn->live;

	xm_stat_inc(conn, XM_STAT_PATH_FAILURES);
	l->strikes++;
	if (plain) {
		xm_stat_inc(conn, XM_STAT_FALLBACKS);
		xm_event_fallback(conn, conn->role == XFRM_MOBILITY_ROLE_MOBILE ?
					conn->mob.tx_seq : 0);
	} else {
		xm_event_failure(conn, 0, conn->nat, -EHOSTUNREACH);
	}

	if (conn->role != XFRM_MOBILITY_ROLE_MOBILE) {
		if (!plain)
			/* Our ECHOs told the peer; next run after a while. */
			return;
		gateway_encap(conn);
		/*
		 * Our output is still unanswered: ask again at once, now
		 * UDP-encapsulated, so that the peer learns soon if its
		 * plain ESP is what does not arrive.
		 */
		run_start(conn);
		send_echo(conn);
		return;
	}
	/*
	 * Register again from where the routing table now sends, else from
	 * where we are; the request's plain copies find out whether plain
	 * ESP still passes (a path that dropped it rules it out then).
	 */
	if (xm_mobile_handover(conn, NULL, NULL)) {
		struct xm_endpoints ep;

		if (!xm_sa_endpoints(conn, &ep))
			xm_mobile_handover(conn, &ep.local, NULL);
	}
}

static void live_work(struct work_struct *work)
{
	struct xm_conn *conn = container_of(to_delayed_work(work),
					    struct xm_conn, live.work);
	struct xm_conn_live *l = &conn->live;
	struct xm_net *xn = conn->xn;
	bool mobile = conn->role == XFRM_MOBILITY_ROLE_MOBILE;
	bool in, out;
	u64 o, i;

	mutex_lock(&xn->lock);
	if (xm_reg_conn_gone(conn) || !live_wanted(conn))
		goto out;
	if (!live_read(conn, &o, &i))
		goto rearm;

	if (l->out_spi != conn->sa[XFRM_MOBILITY_DIR_OUT].spi ||
	    l->in_spi != conn->sa[XFRM_MOBILITY_DIR_IN].spi ||
	    o < l->out || i < l->in) {
		/*
		 * Rekeyed or re-installed: new counters, and the peer may
		 * send on the old SA a while longer.
		 */
		l->out_spi = conn->sa[XFRM_MOBILITY_DIR_OUT].spi;
		l->in_spi = conn->sa[XFRM_MOBILITY_DIR_IN].spi;
		l->out = o;
		l->in = i;
		live_reset(conn);
		l->grace = jiffies + XM_LIVE_GRACE;
		goto rearm;
	}
	in = i != l->in;
	out = o != l->out;
	l->out = o;
	l->in = i;
	if (in) {
		/* Input answered the run, if any. */
		if (l->quiet)
			l->strikes = 0;
		live_reset(conn);
		goto rearm;
	}
	if (out && !l->quiet &&
	    (mobile || time_after_eq(jiffies, l->mute_until)))
		run_start(conn);
	if (l->quiet) {
		unsigned long waited = jiffies - l->quiet;

		if (waited >= dead_after(l) &&
		    l->tries >= XM_LIVE_PEER_TRIES + !mobile &&
		    time_after_eq(jiffies, l->grace) &&
		    (l->peer_ok || xm_sa_is_plain(conn, XFRM_MOBILITY_DIR_OUT))) {
			live_reset(conn);
			if (!mobile)
				l->mute_until = jiffies + dead_after(l);
			path_dead(conn);
			if (!live_wanted(conn))
				goto out;
			goto rearm;
		}
		/* The first ECHO of an idle run went at its start. */
		if (waited >= XM_LIVE_ASK - XM_LIVE_TICK / 2 || l->tries)
			send_echo(conn);
		goto rearm;
	}
	/* Idle both ways for the keepalive interval: one ECHO (mobile). */
	if (mobile && l->peer_ok && conn->keepalive &&
	    time_after_eq(jiffies, l->idle + max_t(u32, conn->keepalive,
						   XM_LIVE_IDLE_MIN) * HZ)) {
		run_start(conn);
		send_echo(conn);
	}
rearm:
	/*
	 * A gateway may have many connections: while nothing is unanswered
	 * it looks less often (a run then starts up to 2 s late).
	 */
	queue_delayed_work(xm_wq, &l->work,
			   mobile || l->quiet ? XM_LIVE_TICK : XM_LIVE_TICK_SLOW);
out:
	mutex_unlock(&xn->lock);
}

/**
 * xm_live_echo() - answer an authenticated ECHO
 * @conn: connection whose inbound SA authenticated it
 * @m: the ECHO
 *
 * The reply goes through the SA as it sends now; replies are rate-limited.
 * A gateway's ECHO with try XM_LIVE_PEER_TRIES or later says that our
 * answers to its earlier tries did not arrive: a mobile host treats its
 * path as dead, once per run of the gateway's (one nonce), and not within
 * XM_LIVE_GRACE of its last registration (the ECHO may be from before).
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_live_echo(struct xm_conn *conn, const struct xm_msg *m)
{
	struct xm_conn_live *l = &conn->live;

	lockdep_assert_held(&conn->xn->lock);
	l->peer_ok = true;
	if (xm_reg_answer_allowed(conn))
		xm_tx_hdr(conn, XM_MSG_ECHO_REPLY, m->seq, m->nonce, false);
	if (conn->role != XFRM_MOBILITY_ROLE_MOBILE ||
	    conn->reg_state != XFRM_MOBILITY_REG_STATE_REGISTERED)
		return;
	if (m->seq < XM_LIVE_PEER_TRIES || m->nonce == l->peer_nonce ||
	    time_before(jiffies, l->grace))
		return;
	l->peer_nonce = m->nonce;
	live_reset(conn);
	path_dead(conn);
}

/**
 * xm_live_echo_reply() - take note of an authenticated ECHO_REPLY
 * @conn: connection whose inbound SA authenticated it
 * @m: the reply
 *
 * Any authenticated input proves the path, and the SA counted the reply
 * as such; the reply also shows that the peer answers ECHOs.
 *
 * Context: process context, &xm_net.lock held.
 */
void xm_live_echo_reply(struct xm_conn *conn, const struct xm_msg *m)
{
	lockdep_assert_held(&conn->xn->lock);
	conn->live.peer_ok = true;
}

/**
 * xm_live_conn_init() - prepare the liveness timer of a connection
 * @conn: new connection, not visible to any timer or message yet
 *
 * The timer is deferrable: an idle host is not woken for it.
 */
void xm_live_conn_init(struct xm_conn *conn)
{
	INIT_DEFERRABLE_WORK(&conn->live.work, live_work);
}

/**
 * xm_live_conn_stop() - wait for the liveness timer of a connection
 * @conn: connection, already marked dead
 *
 * Context: process context, &xm_net.lock not held.
 */
void xm_live_conn_stop(struct xm_conn *conn)
{
	cancel_delayed_work_sync(&conn->live.work);
}
