/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfrm_mobility registration protocol: on-the-wire format.
 *
 * A registration message is the UDP payload of an inner packet sent to
 * the registration port (XM_DEFAULT_PORT unless configured otherwise)
 * through an established ESP tunnel-mode SA.  All multi-byte fields are
 * in network byte order.  See Documentation/wire-format.rst.
 *
 * Private to the module and its peers: nothing here is a kernel-user
 * interface. proto.c and this header build unchanged in userspace
 * (tests/unit, tests/fuzz).
 *
 * The structures below describe the layout only.  They contain no
 * implicit padding, but a message in a receive buffer is not guaranteed
 * to be aligned: read fields with unaligned accessors or copy them out,
 * never by casting a buffer pointer to one of these structures.
 */
#ifndef _XM_WIRE_H
#define _XM_WIRE_H

#ifdef __KERNEL__
#include <linux/bits.h>
#endif
#include <linux/types.h>

/* Fixed header ---------------------------------------------------------- */

#define XM_MAGIC		0x584d	/* "XM" */
#define XM_VERSION		1
#define XM_DEFAULT_PORT		4501	/* inner UDP destination port */
/*
 * The inner packet goes between the selectors' addresses; a selector
 * address of 0.0.0.0 with a prefix of 0 or 1 bits (a full tunnel) stands
 * for this address within its prefix (the prefix's bits, this address's
 * host bits), on both ends: 192.0.0.8, the IPv4 dummy address (RFC 7600).
 */
#define XM_ANY_ADDR4		0xc0000008U
#define XM_MSG_MAX		512	/* header + TLVs, in bytes */

/**
 * enum xm_msg_type - values of the header type field
 * @XM_MSG_RREQ: registration request, mobile host to gateway
 * @XM_MSG_RREP: registration reply, gateway to mobile host
 * @XM_MSG_PROBE: plain-ESP path probe, sent through the SA as plain ESP
 *	while the SA is UDP-encapsulated
 * @XM_MSG_PROBE_ACK: answer to XM_MSG_PROBE that arrived as plain ESP
 * @XM_MSG_CHALLENGE: path challenge, gateway to mobile host, after the
 *	gateway moved its SAs to an address not validated yet
 * @XM_MSG_RESPONSE: answer to XM_MSG_CHALLENGE, echoing its nonce
 * @XM_MSG_ECHO: liveness check, either direction, through the SA as it
 *	sends: the sender's output went unanswered (or the connection was
 *	idle); seq is the try within one run, the nonce that run's
 * @XM_MSG_ECHO_REPLY: answer to XM_MSG_ECHO, echoing its seq and nonce
 *
 * Every message travels inside the connection's ESP SA; none is accepted
 * before the SA authenticated it and its anti-replay check passed.
 */
enum xm_msg_type {
	XM_MSG_RREQ		= 1,
	XM_MSG_RREP		= 2,
	XM_MSG_PROBE		= 3,
	XM_MSG_PROBE_ACK	= 4,
	XM_MSG_CHALLENGE	= 5,
	XM_MSG_RESPONSE		= 6,
	XM_MSG_ECHO		= 7,
	XM_MSG_ECHO_REPLY	= 8,
};

/**
 * struct xm_wire_hdr - fixed message header (20 bytes)
 * @magic: XM_MAGIC
 * @version: XM_VERSION
 * @type: &enum xm_msg_type
 * @length: total message length in bytes, header and TLVs included;
 *	a multiple of 4, at least XM_HDR_LEN, at most XM_MSG_MAX
 * @flags: no flag is defined; must be zero
 * @seq: RREQ: the low 32 bits of the ESP sequence number the request's
 *	sender had reached on its outbound SA when it made the request, at
 *	least 1: it grows with every request under one SA, also across a
 *	restart of the sender's registration state (the SA keeps its
 *	counter); a reply echoes it. PROBE, ECHO: the try. Others: zero or echoed.
 * @nonce: 64-bit nonce, big-endian, most significant word first;
 *	a reply echoes it
 */
struct xm_wire_hdr {
	__be16	magic;
	__u8	version;
	__u8	type;
	__be16	length;
	__be16	flags;
	__be32	seq;
	__be32	nonce[2];
};

/* Byte offsets inside the fixed header. */
enum {
	XM_HDR_OFF_MAGIC	= 0,
	XM_HDR_OFF_VERSION	= 2,
	XM_HDR_OFF_TYPE		= 3,
	XM_HDR_OFF_LENGTH	= 4,
	XM_HDR_OFF_FLAGS	= 6,
	XM_HDR_OFF_SEQ		= 8,
	XM_HDR_OFF_NONCE	= 12,
	XM_HDR_LEN		= 20,
};

/* TLVs ------------------------------------------------------------------ */

/**
 * struct xm_wire_tlv - TLV header (4 bytes)
 * @type: TLV type; bit 15 is XM_TLV_CRITICAL, bits 0-14 the TLV number
 * @len: length of the value in bytes, excluding this header and padding
 *
 * The value follows and is zero-padded to a multiple of XM_TLV_ALIGN.
 */
struct xm_wire_tlv {
	__be16	type;
	__be16	len;
};

enum {
	XM_TLV_OFF_TYPE		= 0,
	XM_TLV_OFF_LEN		= 2,
	XM_TLV_HDR_LEN		= 4,
	XM_TLV_ALIGN		= 4,
};

/* A receiver that does not know a TLV with this bit set rejects the message. */
#define XM_TLV_CRITICAL		0x8000
#define XM_TLV_NUM_MASK		0x7fff

/*
 * TLV numbers 0x7f00-0x7fff (with or without the critical bit) are left
 * for experiments and private use and will never be assigned.  Number 0
 * is invalid.
 */
#define XM_TLV_NUM_PRIVATE_MIN	0x7f00

/**
 * enum xm_tlv_type - assigned TLV types (critical bit included)
 * @XM_TLV_SENDER_VIEW: outer header as built by the message's sender
 * @XM_TLV_OBSERVED_VIEW: outer header of the request as the gateway saw it
 * @XM_TLV_METHODS: __be32 bitmap of supported XM_METHOD_* traversal methods
 * @XM_TLV_VERDICT: the gateway's NAT classification and chosen method
 * @XM_TLV_COPIES: __be32 bitmap of XM_METHOD_* copies of one registration:
 *	in an RREQ the methods the mobile host sends copies with, in an RREP
 *	the methods whose copies reached the gateway; optional, not critical
 * @XM_TLV_PADDING: zero bytes, any length (RREQ only, optional, not
 *	critical): a request pads itself so that the gateway may send the
 *	reply, the path challenge and the first packets of its traffic to an
 *	address not validated yet within three times what it received
 */
enum xm_tlv_type {
	XM_TLV_SENDER_VIEW	= XM_TLV_CRITICAL | 0x0001,
	XM_TLV_OBSERVED_VIEW	= XM_TLV_CRITICAL | 0x0002,
	XM_TLV_METHODS		= XM_TLV_CRITICAL | 0x0003,
	XM_TLV_VERDICT		= XM_TLV_CRITICAL | 0x0004,
	XM_TLV_COPIES		= 0x0005,
	XM_TLV_PADDING		= 0x0006,
};

/* View value (SENDER_VIEW, OBSERVED_VIEW) ---------------------------------- */

/* Address families, as wire constants independent of any host AF_* value. */
#define XM_FAMILY_IPV4		4
#define XM_FAMILY_IPV6		6

/**
 * enum xm_encap - how ESP is carried in the outer header
 * @XM_ENCAP_NONE: plain ESP (IP protocol 50); both ports are zero
 * @XM_ENCAP_ESPINUDP: ESP-in-UDP (RFC 3948); both ports are non-zero
 * @XM_ENCAP_ESPINTCP: ESP-in-TCP (RFC 8229); codepoint reserved for a
 *	later version, both ports are non-zero
 */
enum xm_encap {
	XM_ENCAP_NONE		= 0,
	XM_ENCAP_ESPINUDP	= 1,
	XM_ENCAP_ESPINTCP	= 2,
};

/**
 * struct xm_wire_view - fixed part of a view value (8 bytes)
 * @family: XM_FAMILY_IPV4 or XM_FAMILY_IPV6
 * @encap: &enum xm_encap
 * @reserved: must be zero
 * @sport: outer (UDP/TCP) source port, zero for XM_ENCAP_NONE
 * @dport: outer (UDP/TCP) destination port, zero for XM_ENCAP_NONE
 *
 * Followed by the outer source address and the outer destination
 * address, 4 bytes each for IPv4 and 16 bytes each for IPv6.
 */
struct xm_wire_view {
	__u8	family;
	__u8	encap;
	__be16	reserved;
	__be16	sport;
	__be16	dport;
};

/**
 * struct xm_wire_view4 - complete IPv4 view value (16 bytes)
 * @hdr: fixed part, family XM_FAMILY_IPV4
 * @saddr: outer source address
 * @daddr: outer destination address
 */
struct xm_wire_view4 {
	struct xm_wire_view	hdr;
	__be32			saddr;
	__be32			daddr;
};

/**
 * struct xm_wire_view6 - complete IPv6 view value (40 bytes)
 * @hdr: fixed part, family XM_FAMILY_IPV6
 * @saddr: outer source address
 * @daddr: outer destination address
 */
struct xm_wire_view6 {
	struct xm_wire_view	hdr;
	__be32			saddr[4];
	__be32			daddr[4];
};

enum {
	XM_VIEW_OFF_FAMILY	= 0,
	XM_VIEW_OFF_ENCAP	= 1,
	XM_VIEW_OFF_RESERVED	= 2,
	XM_VIEW_OFF_SPORT	= 4,
	XM_VIEW_OFF_DPORT	= 6,
	XM_VIEW_OFF_SADDR	= 8,
	XM_VIEW_FIXED_LEN	= 8,
	XM_VIEW_LEN_IPV4	= 16,
	XM_VIEW_LEN_IPV6	= 40,
};

/* METHODS value ----------------------------------------------------------- */

#define XM_METHOD_ESPINUDP	BIT(0)	/* ESP-in-UDP */
#define XM_METHOD_ESP		BIT(1)	/* plain ESP */
#define XM_METHOD_ESPINTCP	BIT(2)	/* ESP-in-TCP, reserved */

enum {
	XM_METHODS_LEN		= 4,
};

/*
 * COPIES value: a __be32 bitmap of XM_METHOD_* bits, not zero.  A mobile
 * host may send one copy of a registration request per traversal method,
 * each through the same SA in that method (its SENDER_VIEW encap says
 * which); all copies carry the same sequence number, nonce and COPIES.
 */
enum {
	XM_COPIES_LEN		= 4,
};

/* VERDICT value ----------------------------------------------------------- */

/* NAT classification flags, see xm_classify() and the documentation. */
#define XM_NAT_SRC_ADDR		BIT(0)	/* source address translated */
#define XM_NAT_SRC_PORT		BIT(1)	/* source port translated */
#define XM_NAT_DST_ADDR		BIT(2)	/* destination address translated */
#define XM_NAT_DST_PORT		BIT(3)	/* destination port translated */
#define XM_NAT_ENCAP		BIT(4)	/* encapsulation changed */
#define XM_NAT_ALL		(XM_NAT_SRC_ADDR | XM_NAT_SRC_PORT | \
				 XM_NAT_DST_ADDR | XM_NAT_DST_PORT | \
				 XM_NAT_ENCAP)

/**
 * struct xm_wire_verdict - VERDICT value (8 bytes)
 * @nat: XM_NAT_* flags; unknown bits must be zero
 * @method: &enum xm_encap the mobile host must use from now on
 * @reserved: must be zero
 */
struct xm_wire_verdict {
	__be32	nat;
	__u8	method;
	__u8	reserved[3];
};

enum {
	XM_VERDICT_OFF_NAT	= 0,
	XM_VERDICT_OFF_METHOD	= 4,
	XM_VERDICT_OFF_RESERVED	= 5,
	XM_VERDICT_LEN		= 8,
};

#endif /* _XM_WIRE_H */
