/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/xfrm_mobility.yaml */
/* YNL-GEN uapi header */

#ifndef _UAPI_LINUX_XFRM_MOBILITY_H
#define _UAPI_LINUX_XFRM_MOBILITY_H

#define XFRM_MOBILITY_FAMILY_NAME	"xfrm_mobility"
#define XFRM_MOBILITY_FAMILY_VERSION	1

#define XFRM_MOBILITY_NAME_MAX_LEN	64
#define XFRM_MOBILITY_DEFAULT_REG_PORT	4501

/**
 * enum xfrm_mobility_role - What this host is for a connection.
 * @XFRM_MOBILITY_ROLE_MOBILE: The host that moves; it sends registration
 *   requests.
 * @XFRM_MOBILITY_ROLE_GATEWAY: The fixed peer; it answers registration
 *   requests.
 */
enum xfrm_mobility_role {
	XFRM_MOBILITY_ROLE_MOBILE,
	XFRM_MOBILITY_ROLE_GATEWAY,
};

/**
 * enum xfrm_mobility_conn_state - Health of a connection as seen by the
 *   module.
 * @XFRM_MOBILITY_CONN_STATE_OK: Both SAs and the outbound policy exist.
 * @XFRM_MOBILITY_CONN_STATE_SA_MISSING: The inbound or outbound SA is gone
 *   (deleted by ip xfrm, an IKE daemon, expiry or a flush).
 * @XFRM_MOBILITY_CONN_STATE_POLICY_MISSING: No outbound policy with the
 *   connection's reqid exists any more.
 */
enum xfrm_mobility_conn_state {
	XFRM_MOBILITY_CONN_STATE_OK,
	XFRM_MOBILITY_CONN_STATE_SA_MISSING,
	XFRM_MOBILITY_CONN_STATE_POLICY_MISSING,
};

/**
 * enum xfrm_mobility_dir - Direction of an SA.
 */
enum xfrm_mobility_dir {
	XFRM_MOBILITY_DIR_IN,
	XFRM_MOBILITY_DIR_OUT,
};

/**
 * enum xfrm_mobility_encap - Outer encapsulation of ESP.
 * @XFRM_MOBILITY_ENCAP_NONE: Plain ESP (IP protocol 50).
 * @XFRM_MOBILITY_ENCAP_ESPINUDP: ESP in UDP (RFC 3948).
 */
enum xfrm_mobility_encap {
	XFRM_MOBILITY_ENCAP_NONE,
	XFRM_MOBILITY_ENCAP_ESPINUDP,
};

/**
 * enum xfrm_mobility_nat - Translations detected on the path of a registration
 *   request, by comparing the sender's view of its outer header with the outer
 *   header the receiver actually got.
 * @XFRM_MOBILITY_NAT_SRC_ADDR: The source address was translated.
 * @XFRM_MOBILITY_NAT_SRC_PORT: The source UDP port was translated.
 * @XFRM_MOBILITY_NAT_DST_ADDR: The destination address was translated.
 * @XFRM_MOBILITY_NAT_DST_PORT: The destination UDP port was translated.
 * @XFRM_MOBILITY_NAT_ENCAP: The encapsulation arrived other than it was sent.
 */
enum xfrm_mobility_nat {
	XFRM_MOBILITY_NAT_SRC_ADDR = 1,
	XFRM_MOBILITY_NAT_SRC_PORT = 2,
	XFRM_MOBILITY_NAT_DST_ADDR = 4,
	XFRM_MOBILITY_NAT_DST_PORT = 8,
	XFRM_MOBILITY_NAT_ENCAP = 16,
};

/**
 * enum xfrm_mobility_reg_state - Registration state of a connection.
 * @XFRM_MOBILITY_REG_STATE_IDLE: No registration has been made since the
 *   connection was added.
 * @XFRM_MOBILITY_REG_STATE_PENDING: A registration request is outstanding
 *   (mobile host).
 * @XFRM_MOBILITY_REG_STATE_REGISTERED: The last registration completed.
 * @XFRM_MOBILITY_REG_STATE_FAILED: The last registration got no answer to its
 *   retransmissions; the request is still sent every 10 s while a route to the
 *   peer exists (next-try-ms).
 */
enum xfrm_mobility_reg_state {
	XFRM_MOBILITY_REG_STATE_IDLE,
	XFRM_MOBILITY_REG_STATE_PENDING,
	XFRM_MOBILITY_REG_STATE_REGISTERED,
	XFRM_MOBILITY_REG_STATE_FAILED,
};

/**
 * enum xfrm_mobility_encap_policy - How a connection chooses its
 *   encapsulation.
 * @XFRM_MOBILITY_ENCAP_POLICY_AUTO: Plain ESP when the registration saw no
 *   translation and plain ESP was proven to pass in both directions;
 *   ESP-in-UDP otherwise.
 * @XFRM_MOBILITY_ENCAP_POLICY_ALWAYS: ESP-in-UDP whatever the path.
 */
enum xfrm_mobility_encap_policy {
	XFRM_MOBILITY_ENCAP_POLICY_AUTO,
	XFRM_MOBILITY_ENCAP_POLICY_ALWAYS,
};

/**
 * enum xfrm_mobility_event - Type of an event notification.
 * @XFRM_MOBILITY_EVENT_CONN_ADD: A connection was added.
 * @XFRM_MOBILITY_EVENT_CONN_DEL: A connection was deleted.
 * @XFRM_MOBILITY_EVENT_SA_MISSING: An SA of the connection disappeared
 *   underneath the module.
 * @XFRM_MOBILITY_EVENT_RREQ_SENT: A registration request was sent (mobile
 *   host).
 * @XFRM_MOBILITY_EVENT_RREQ_RECEIVED: A registration request was accepted
 *   (gateway).
 * @XFRM_MOBILITY_EVENT_RREP_SENT: A registration reply was sent (gateway).
 * @XFRM_MOBILITY_EVENT_RREP_RECEIVED: A registration reply was accepted
 *   (mobile host).
 * @XFRM_MOBILITY_EVENT_SA_MOVED: The SAs and policy templates were moved to
 *   new endpoints.
 * @XFRM_MOBILITY_EVENT_RETRANSMIT: A registration request was retransmitted.
 * @XFRM_MOBILITY_EVENT_FAILURE: A registration or SA move failed, or the path
 *   in use was found dead (error EHOSTUNREACH); see the error attribute.
 * @XFRM_MOBILITY_EVENT_ENCAP_CHANGED: An SA of the connection switched between
 *   plain ESP and ESP-in-UDP.
 * @XFRM_MOBILITY_EVENT_FALLBACK: Plain ESP stopped working; a mobile host
 *   registers again, ESP-in-UDP first, a gateway returns to ESP-in-UDP by
 *   itself.
 * @XFRM_MOBILITY_EVENT_SA_UPDATED: Others replaced the connection's SAs (an
 *   IKE daemon's rekey or update); the event carries the SAs now in use.
 */
enum xfrm_mobility_event {
	XFRM_MOBILITY_EVENT_CONN_ADD,
	XFRM_MOBILITY_EVENT_CONN_DEL,
	XFRM_MOBILITY_EVENT_SA_MISSING,
	XFRM_MOBILITY_EVENT_RREQ_SENT,
	XFRM_MOBILITY_EVENT_RREQ_RECEIVED,
	XFRM_MOBILITY_EVENT_RREP_SENT,
	XFRM_MOBILITY_EVENT_RREP_RECEIVED,
	XFRM_MOBILITY_EVENT_SA_MOVED,
	XFRM_MOBILITY_EVENT_RETRANSMIT,
	XFRM_MOBILITY_EVENT_FAILURE,
	XFRM_MOBILITY_EVENT_ENCAP_CHANGED,
	XFRM_MOBILITY_EVENT_FALLBACK,
	XFRM_MOBILITY_EVENT_SA_UPDATED,
};

enum {
	XFRM_MOBILITY_A_SA_DIR = 1,
	XFRM_MOBILITY_A_SA_SPI,
	XFRM_MOBILITY_A_SA_FAMILY,
	XFRM_MOBILITY_A_SA_SADDR_IPV4,
	XFRM_MOBILITY_A_SA_SADDR_IPV6,
	XFRM_MOBILITY_A_SA_DADDR_IPV4,
	XFRM_MOBILITY_A_SA_DADDR_IPV6,
	XFRM_MOBILITY_A_SA_ENCAP,
	XFRM_MOBILITY_A_SA_ENCAP_SPORT,
	XFRM_MOBILITY_A_SA_ENCAP_DPORT,
	XFRM_MOBILITY_A_SA_OSEQ,
	XFRM_MOBILITY_A_SA_PAD,

	__XFRM_MOBILITY_A_SA_MAX,
	XFRM_MOBILITY_A_SA_MAX = (__XFRM_MOBILITY_A_SA_MAX - 1)
};

enum {
	XFRM_MOBILITY_A_STATS_RREQ_TX = 1,
	XFRM_MOBILITY_A_STATS_RREQ_RX,
	XFRM_MOBILITY_A_STATS_RREP_TX,
	XFRM_MOBILITY_A_STATS_RREP_RX,
	XFRM_MOBILITY_A_STATS_RETRANSMITS,
	XFRM_MOBILITY_A_STATS_MOVES,
	XFRM_MOBILITY_A_STATS_DROP_MALFORMED,
	XFRM_MOBILITY_A_STATS_DROP_STALE,
	XFRM_MOBILITY_A_STATS_DROP_UNEXPECTED,
	XFRM_MOBILITY_A_STATS_DROP_WRONG_CONN,
	XFRM_MOBILITY_A_STATS_DROP_NO_TUPLE,
	XFRM_MOBILITY_A_STATS_TX_ERRORS,
	XFRM_MOBILITY_A_STATS_PAD,
	XFRM_MOBILITY_A_STATS_KEEPALIVES,
	XFRM_MOBILITY_A_STATS_PROBES,
	XFRM_MOBILITY_A_STATS_FALLBACKS,
	XFRM_MOBILITY_A_STATS_DUPLICATES,
	XFRM_MOBILITY_A_STATS_REBINDINGS,
	XFRM_MOBILITY_A_STATS_DROP_RATE_LIMITED,
	XFRM_MOBILITY_A_STATS_CHALLENGES,
	XFRM_MOBILITY_A_STATS_VALIDATIONS,
	XFRM_MOBILITY_A_STATS_REVERTS,
	XFRM_MOBILITY_A_STATS_AMPLIFICATION_DROPS,
	XFRM_MOBILITY_A_STATS_ECHOES,
	XFRM_MOBILITY_A_STATS_PATH_FAILURES,

	__XFRM_MOBILITY_A_STATS_MAX,
	XFRM_MOBILITY_A_STATS_MAX = (__XFRM_MOBILITY_A_STATS_MAX - 1)
};

enum {
	XFRM_MOBILITY_A_CONN_ID = 1,
	XFRM_MOBILITY_A_CONN_NAME,
	XFRM_MOBILITY_A_CONN_REQID,
	XFRM_MOBILITY_A_CONN_MARK,
	XFRM_MOBILITY_A_CONN_MARK_MASK,
	XFRM_MOBILITY_A_CONN_IF_ID,
	XFRM_MOBILITY_A_CONN_ROLE,
	XFRM_MOBILITY_A_CONN_REG_PORT,
	XFRM_MOBILITY_A_CONN_STATE,
	XFRM_MOBILITY_A_CONN_SA,
	XFRM_MOBILITY_A_CONN_STATS,
	XFRM_MOBILITY_A_CONN_REG_STATE,
	XFRM_MOBILITY_A_CONN_REG_SEQ,
	XFRM_MOBILITY_A_CONN_NAT,
	XFRM_MOBILITY_A_CONN_LAST_MOVE_NS,
	XFRM_MOBILITY_A_CONN_LOCAL_IPV4,
	XFRM_MOBILITY_A_CONN_LOCAL_IPV6,
	XFRM_MOBILITY_A_CONN_PAD,
	XFRM_MOBILITY_A_CONN_KEEPALIVE,
	XFRM_MOBILITY_A_CONN_ENCAP_POLICY,
	XFRM_MOBILITY_A_CONN_NEXT_TRY_MS,

	__XFRM_MOBILITY_A_CONN_MAX,
	XFRM_MOBILITY_A_CONN_MAX = (__XFRM_MOBILITY_A_CONN_MAX - 1)
};

enum {
	XFRM_MOBILITY_A_EVENT_TYPE = 1,
	XFRM_MOBILITY_A_EVENT_CONN_ID,
	XFRM_MOBILITY_A_EVENT_CONN_NAME,
	XFRM_MOBILITY_A_EVENT_SEQ,
	XFRM_MOBILITY_A_EVENT_NAT,
	XFRM_MOBILITY_A_EVENT_ERROR,
	XFRM_MOBILITY_A_EVENT_TIME_NS,
	XFRM_MOBILITY_A_EVENT_SA,
	XFRM_MOBILITY_A_EVENT_PAD,
	XFRM_MOBILITY_A_EVENT_REQID,
	XFRM_MOBILITY_A_EVENT_MARK,
	XFRM_MOBILITY_A_EVENT_IF_ID,

	__XFRM_MOBILITY_A_EVENT_MAX,
	XFRM_MOBILITY_A_EVENT_MAX = (__XFRM_MOBILITY_A_EVENT_MAX - 1)
};

enum {
	XFRM_MOBILITY_CMD_CONN_ADD = 1,
	XFRM_MOBILITY_CMD_CONN_DEL,
	XFRM_MOBILITY_CMD_CONN_GET,
	XFRM_MOBILITY_CMD_HANDOVER,
	XFRM_MOBILITY_CMD_EVENT_NTF,

	__XFRM_MOBILITY_CMD_MAX,
	XFRM_MOBILITY_CMD_MAX = (__XFRM_MOBILITY_CMD_MAX - 1)
};

#define XFRM_MOBILITY_MCGRP_EVENTS	"events"

#endif /* _UAPI_LINUX_XFRM_MOBILITY_H */
