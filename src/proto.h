/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfrm_mobility registration message codec.
 *
 * Pure functions over byte buffers: no sk_buff, no locking, no
 * allocation and no global state.  The same source builds in the kernel
 * and, with tests/unit/kcompat.h, in userspace for unit tests and fuzzing.
 */
#ifndef _XM_PROTO_H
#define _XM_PROTO_H

#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/types.h>
#else
#include "kcompat.h"
#endif

#include "wire.h"

/**
 * enum xm_parse_err - why a message was rejected
 * @XM_PERR_NONE: no error, the message was accepted
 * @XM_PERR_TRUNCATED: buffer shorter than the fixed header or than the
 *	length the header declares
 * @XM_PERR_BAD_MAGIC: magic is not XM_MAGIC
 * @XM_PERR_BAD_VERSION: version is not XM_VERSION
 * @XM_PERR_BAD_TYPE: type is not RREQ or RREP
 * @XM_PERR_BAD_LENGTH: declared length below XM_HDR_LEN, not a multiple
 *	of XM_TLV_ALIGN, or bytes follow the declared length
 * @XM_PERR_BAD_FLAGS: a header flag bit is set
 * @XM_PERR_BAD_TLV: a TLV overruns the message, has number 0, a known
 *	number with the wrong critical bit, or a fixed-size known TLV has
 *	the wrong length
 * @XM_PERR_DUP_TLV: a known TLV appears twice
 * @XM_PERR_UNKNOWN_CRITICAL: an unknown TLV has the critical bit set
 * @XM_PERR_MISSING_TLV: a TLV mandatory for the message type is absent
 * @XM_PERR_UNEXPECTED_TLV: a known TLV not allowed in the message type
 * @XM_PERR_BAD_VIEW: a view value is malformed (length/family mismatch,
 *	unknown family or encapsulation, reserved bits, port or address rule)
 * @XM_PERR_TOO_BIG: buffer or declared length larger than XM_MSG_MAX
 * @XM_PERR_BAD_PADDING: a TLV padding byte is not zero
 * @XM_PERR_BAD_METHODS: the METHODS or COPIES bitmap is empty, or an RREQ
 *	was sent with a method its METHODS or COPIES do not list
 * @XM_PERR_BAD_VERDICT: unknown NAT flag, unknown method, reserved bytes
 *	set, or a method the sender of the reply does not list in METHODS
 * @XM_PERR_MAX: number of reasons, for sizing counter arrays
 *
 * The values are stable and may be used as indexes of drop counters.
 */
enum xm_parse_err {
	XM_PERR_NONE = 0,
	XM_PERR_TRUNCATED,
	XM_PERR_BAD_MAGIC,
	XM_PERR_BAD_VERSION,
	XM_PERR_BAD_TYPE,
	XM_PERR_BAD_LENGTH,
	XM_PERR_BAD_FLAGS,
	XM_PERR_BAD_TLV,
	XM_PERR_DUP_TLV,
	XM_PERR_UNKNOWN_CRITICAL,
	XM_PERR_MISSING_TLV,
	XM_PERR_UNEXPECTED_TLV,
	XM_PERR_BAD_VIEW,
	XM_PERR_TOO_BIG,
	XM_PERR_BAD_PADDING,
	XM_PERR_BAD_METHODS,
	XM_PERR_BAD_VERDICT,
	XM_PERR_MAX
};

/* Bits of struct xm_msg::present, one per known TLV. */
#define XM_PRESENT_SENDER_VIEW		BIT(0)
#define XM_PRESENT_OBSERVED_VIEW	BIT(1)
#define XM_PRESENT_METHODS		BIT(2)
#define XM_PRESENT_VERDICT		BIT(3)
#define XM_PRESENT_COPIES		BIT(4)
#define XM_PRESENT_PADDING		BIT(5)
/* The TLVs mandatory in an RREP. */
#define XM_PRESENT_ALL			(XM_PRESENT_SENDER_VIEW | \
					 XM_PRESENT_OBSERVED_VIEW | \
					 XM_PRESENT_METHODS | \
					 XM_PRESENT_VERDICT)

/**
 * union xm_addr - an outer IPv4 or IPv6 address, network byte order
 * @a4: IPv4 address; the remaining 12 bytes are zero after parsing
 * @a6: IPv6 address
 * @b: raw bytes
 */
union xm_addr {
	__be32	a4;
	__be32	a6[4];
	u8	b[16];
};

/**
 * struct xm_view - an outer header as one end built or received it
 * @family: XM_FAMILY_IPV4 or XM_FAMILY_IPV6
 * @encap: &enum xm_encap
 * @sport: outer source port; zero if @encap is XM_ENCAP_NONE
 * @dport: outer destination port; zero if @encap is XM_ENCAP_NONE
 * @saddr: outer source address, not all-zero
 * @daddr: outer destination address, not all-zero
 */
struct xm_view {
	u8		family;
	u8		encap;
	__be16		sport;
	__be16		dport;
	union xm_addr	saddr;
	union xm_addr	daddr;
};

/**
 * struct xm_verdict - decoded VERDICT value
 * @nat: XM_NAT_* flags
 * @method: &enum xm_encap the mobile host is told to use
 */
struct xm_verdict {
	u32	nat;
	u8	method;
};

/**
 * struct xm_msg - a decoded registration message
 * @type: XM_MSG_RREQ or XM_MSG_RREP
 * @flags: header flags; always zero in version 1
 * @seq: sequence number (host order)
 * @nonce: nonce (host order)
 * @present: XM_PRESENT_* bits of the known TLVs that are set
 * @sender: SENDER_VIEW, valid if XM_PRESENT_SENDER_VIEW
 * @observed: OBSERVED_VIEW, valid if XM_PRESENT_OBSERVED_VIEW
 * @methods: METHODS bitmap (XM_METHOD_*, unknown bits preserved),
 *	valid if XM_PRESENT_METHODS
 * @verdict: VERDICT, valid if XM_PRESENT_VERDICT
 * @copies: COPIES bitmap (XM_METHOD_*, unknown bits preserved), valid if
 *	XM_PRESENT_COPIES
 * @padding: length of the PADDING value in bytes, valid if
 *	XM_PRESENT_PADDING
 * @err: reason of the last xm_msg_parse() failure, XM_PERR_NONE on success
 * @err_off: byte offset in the buffer where @err was detected
 *
 * xm_msg_build() ignores @err and @err_off.
 */
struct xm_msg {
	u8			type;
	u16			flags;
	u32			seq;
	u64			nonce;
	u32			present;
	struct xm_view		sender;
	struct xm_view		observed;
	u32			methods;
	struct xm_verdict	verdict;
	u32			copies;
	u16			padding;
	enum xm_parse_err	err;
	u16			err_off;
};

/**
 * xm_encap_method() - METHODS bit corresponding to an encapsulation
 * @encap: &enum xm_encap value
 *
 * Return: the XM_METHOD_* bit, or 0 for an unknown encapsulation.
 */
static inline u32 xm_encap_method(u8 encap)
{
	switch (encap) {
	case XM_ENCAP_NONE:
		return XM_METHOD_ESP;
	case XM_ENCAP_ESPINUDP:
		return XM_METHOD_ESPINUDP;
	case XM_ENCAP_ESPINTCP:
		return XM_METHOD_ESPINTCP;
	default:
		return 0;
	}
}

int xm_msg_parse(const void *buf, size_t len, struct xm_msg *msg);
int xm_msg_build(const struct xm_msg *msg, void *buf, size_t len);
size_t xm_msg_wire_len(const struct xm_msg *msg);
enum xm_parse_err xm_msg_check(const struct xm_msg *msg);
bool xm_view_valid(const struct xm_view *v);
u32 xm_classify(const struct xm_view *sent, const struct xm_view *seen);
bool xm_msg_is_reply(const struct xm_msg *req, const struct xm_msg *rep);
const char *xm_parse_err_name(enum xm_parse_err err);

#endif /* _XM_PROTO_H */
