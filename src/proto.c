// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm_mobility registration message codec.
 *
 * Parses and builds the RREQ/RREP messages described in
 * Documentation/wire-format.rst and classifies NAT from two views of
 * the same outer header.  Everything here works on caller-supplied
 * memory only.
 */

#include "proto.h"

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
/* The unaligned accessors come with compat.h, included by Kbuild. */
#endif

/* Known TLVs; the critical bit must match the registered type exactly. */
static const struct xm_tlv_desc {
	u16	type;
	u32	bit;
} xm_tlv_descs[] = {
	{ XM_TLV_SENDER_VIEW,	XM_PRESENT_SENDER_VIEW },
	{ XM_TLV_OBSERVED_VIEW,	XM_PRESENT_OBSERVED_VIEW },
	{ XM_TLV_METHODS,	XM_PRESENT_METHODS },
	{ XM_TLV_VERDICT,	XM_PRESENT_VERDICT },
	{ XM_TLV_COPIES,	XM_PRESENT_COPIES },
	{ XM_TLV_PADDING,	XM_PRESENT_PADDING },
};

static const char * const xm_parse_err_names[XM_PERR_MAX] = {
	[XM_PERR_NONE]			= "none",
	[XM_PERR_TRUNCATED]		= "truncated",
	[XM_PERR_BAD_MAGIC]		= "bad_magic",
	[XM_PERR_BAD_VERSION]		= "bad_version",
	[XM_PERR_BAD_TYPE]		= "bad_type",
	[XM_PERR_BAD_LENGTH]		= "bad_length",
	[XM_PERR_BAD_FLAGS]		= "bad_flags",
	[XM_PERR_BAD_TLV]		= "bad_tlv",
	[XM_PERR_DUP_TLV]		= "dup_tlv",
	[XM_PERR_UNKNOWN_CRITICAL]	= "unknown_critical",
	[XM_PERR_MISSING_TLV]		= "missing_tlv",
	[XM_PERR_UNEXPECTED_TLV]	= "unexpected_tlv",
	[XM_PERR_BAD_VIEW]		= "bad_view",
	[XM_PERR_TOO_BIG]		= "too_big",
	[XM_PERR_BAD_PADDING]		= "bad_padding",
	[XM_PERR_BAD_METHODS]		= "bad_methods",
	[XM_PERR_BAD_VERDICT]		= "bad_verdict",
};

static const struct xm_tlv_desc *xm_tlv_lookup(u16 type)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(xm_tlv_descs); i++)
		if ((xm_tlv_descs[i].type & XM_TLV_NUM_MASK) ==
		    (type & XM_TLV_NUM_MASK))
			return &xm_tlv_descs[i];
	return NULL;
}

static bool xm_type_known(u8 type)
{
	return type >= XM_MSG_RREQ && type <= XM_MSG_ECHO_REPLY;
}

/*
 * TLVs a message type must carry.  Version 1 allows these and, in an RREQ
 * or an RREP, COPIES: a PROBE, PROBE_ACK, CHALLENGE, RESPONSE, ECHO and
 * ECHO_REPLY carry nothing but the header (the nonce).
 */
static u32 xm_required_tlvs(u8 type)
{
	switch (type) {
	case XM_MSG_RREQ:
		return XM_PRESENT_SENDER_VIEW | XM_PRESENT_METHODS;
	case XM_MSG_RREP:
		return XM_PRESENT_ALL;
	default:
		return 0;
	}
}

static u32 xm_allowed_tlvs(u8 type)
{
	switch (type) {
	case XM_MSG_RREQ:
		return xm_required_tlvs(type) | XM_PRESENT_COPIES |
		       XM_PRESENT_PADDING;
	case XM_MSG_RREP:
		return xm_required_tlvs(type) | XM_PRESENT_COPIES;
	default:
		return 0;
	}
}

static unsigned int xm_addr_len(u8 family)
{
	return family == XM_FAMILY_IPV4 ? 4 : 16;
}

static unsigned int xm_view_wire_len(u8 family)
{
	return family == XM_FAMILY_IPV4 ? XM_VIEW_LEN_IPV4 : XM_VIEW_LEN_IPV6;
}

static bool xm_addr_is_zero(const union xm_addr *a, unsigned int alen)
{
	unsigned int i;

	for (i = 0; i < alen; i++)
		if (a->b[i])
			return false;
	return true;
}

/**
 * xm_view_valid() - check a view against the version 1 rules
 * @v: view to check
 *
 * A view is valid if its family is XM_FAMILY_IPV4 or XM_FAMILY_IPV6, its
 * encapsulation is a known &enum xm_encap, both ports are zero for
 * XM_ENCAP_NONE and both non-zero otherwise, and neither address is
 * all-zero.  For IPv4 only the first four address bytes are considered.
 *
 * Return: true if @v may be put on the wire or was acceptable from it.
 */
bool xm_view_valid(const struct xm_view *v)
{
	unsigned int alen;

	if (v->family != XM_FAMILY_IPV4 && v->family != XM_FAMILY_IPV6)
		return false;

	switch (v->encap) {
	case XM_ENCAP_NONE:
		if (v->sport || v->dport)
			return false;
		break;
	case XM_ENCAP_ESPINUDP:
	case XM_ENCAP_ESPINTCP:
		if (!v->sport || !v->dport)
			return false;
		break;
	default:
		return false;
	}

	alen = xm_addr_len(v->family);
	return !xm_addr_is_zero(&v->saddr, alen) &&
	       !xm_addr_is_zero(&v->daddr, alen);
}

static bool xm_verdict_valid(const struct xm_verdict *vd)
{
	return !(vd->nat & ~XM_NAT_ALL) && xm_encap_method(vd->method);
}

/**
 * xm_msg_check() - check a decoded message against the version 1 rules
 * @msg: message to check; @msg->err and @msg->err_off are ignored
 *
 * Applies the per-type rules (mandatory and forbidden TLVs) and the value
 * rules of every TLV marked in @msg->present, including the cross-TLV
 * rules that the VERDICT method is listed in the message's own METHODS
 * and that an RREQ's SENDER_VIEW encapsulation is listed in its METHODS
 * and, if present, its COPIES.
 * xm_msg_build() refuses any message this function rejects and
 * xm_msg_parse() never returns a message it would reject.
 *
 * Return: XM_PERR_NONE if @msg is valid, otherwise the first violated rule.
 */
enum xm_parse_err xm_msg_check(const struct xm_msg *msg)
{
	u32 required, allowed;

	if (!xm_type_known(msg->type))
		return XM_PERR_BAD_TYPE;
	if (msg->flags)
		return XM_PERR_BAD_FLAGS;

	required = xm_required_tlvs(msg->type);
	allowed = xm_allowed_tlvs(msg->type);
	if (msg->present & ~allowed)
		return XM_PERR_UNEXPECTED_TLV;
	if ((msg->present & required) != required)
		return XM_PERR_MISSING_TLV;

	if ((msg->present & XM_PRESENT_SENDER_VIEW) &&
	    !xm_view_valid(&msg->sender))
		return XM_PERR_BAD_VIEW;
	if ((msg->present & XM_PRESENT_OBSERVED_VIEW) &&
	    !xm_view_valid(&msg->observed))
		return XM_PERR_BAD_VIEW;
	if ((msg->present & XM_PRESENT_METHODS) && !msg->methods)
		return XM_PERR_BAD_METHODS;
	if ((msg->present & XM_PRESENT_COPIES) && !msg->copies)
		return XM_PERR_BAD_METHODS;
	/* A request copy is sent with a method its sender lists. */
	if (msg->type == XM_MSG_RREQ) {
		u32 m = xm_encap_method(msg->sender.encap);

		if (!(msg->methods & m))
			return XM_PERR_BAD_METHODS;
		if ((msg->present & XM_PRESENT_COPIES) && !(msg->copies & m))
			return XM_PERR_BAD_METHODS;
	}
	if (msg->present & XM_PRESENT_VERDICT) {
		if (!xm_verdict_valid(&msg->verdict))
			return XM_PERR_BAD_VERDICT;
		if ((msg->present & XM_PRESENT_METHODS) &&
		    !(msg->methods & xm_encap_method(msg->verdict.method)))
			return XM_PERR_BAD_VERDICT;
	}
	return XM_PERR_NONE;
}

static int xm_fail(struct xm_msg *msg, enum xm_parse_err err, size_t off)
{
	memset(msg, 0, sizeof(*msg));
	msg->err = err;
	msg->err_off = off;
	return err == XM_PERR_TOO_BIG ? -EMSGSIZE : -EBADMSG;
}

static enum xm_parse_err xm_parse_view(const u8 *val, unsigned int vlen,
				       struct xm_view *v)
{
	const u8 *addr = val + XM_VIEW_OFF_SADDR;
	unsigned int alen;

	if (vlen < XM_VIEW_FIXED_LEN)
		return XM_PERR_BAD_VIEW;

	v->family = val[XM_VIEW_OFF_FAMILY];
	if (v->family != XM_FAMILY_IPV4 && v->family != XM_FAMILY_IPV6)
		return XM_PERR_BAD_VIEW;
	if (vlen != xm_view_wire_len(v->family))
		return XM_PERR_BAD_VIEW;
	if (get_unaligned_be16(val + XM_VIEW_OFF_RESERVED))
		return XM_PERR_BAD_VIEW;

	v->encap = val[XM_VIEW_OFF_ENCAP];
	v->sport = cpu_to_be16(get_unaligned_be16(val + XM_VIEW_OFF_SPORT));
	v->dport = cpu_to_be16(get_unaligned_be16(val + XM_VIEW_OFF_DPORT));
	alen = xm_addr_len(v->family);
	memcpy(v->saddr.b, addr, alen);
	memcpy(v->daddr.b, addr + alen, alen);

	return xm_view_valid(v) ? XM_PERR_NONE : XM_PERR_BAD_VIEW;
}

static enum xm_parse_err xm_parse_methods(const u8 *val, unsigned int vlen,
					  u32 *methods)
{
	if (vlen != XM_METHODS_LEN)
		return XM_PERR_BAD_TLV;
	*methods = get_unaligned_be32(val);
	return *methods ? XM_PERR_NONE : XM_PERR_BAD_METHODS;
}

static enum xm_parse_err xm_parse_verdict(const u8 *val, unsigned int vlen,
					  struct xm_verdict *vd)
{
	if (vlen != XM_VERDICT_LEN)
		return XM_PERR_BAD_TLV;
	vd->nat = get_unaligned_be32(val + XM_VERDICT_OFF_NAT);
	vd->method = val[XM_VERDICT_OFF_METHOD];
	if (val[XM_VERDICT_OFF_RESERVED] || val[XM_VERDICT_OFF_RESERVED + 1] ||
	    val[XM_VERDICT_OFF_RESERVED + 2])
		return XM_PERR_BAD_VERDICT;
	return xm_verdict_valid(vd) ? XM_PERR_NONE : XM_PERR_BAD_VERDICT;
}

/* PADDING: zero bytes only. */
static enum xm_parse_err xm_parse_padding(const u8 *val, unsigned int vlen,
					  u16 *padding)
{
	unsigned int i;

	for (i = 0; i < vlen; i++)
		if (val[i])
			return XM_PERR_BAD_PADDING;
	*padding = vlen;
	return XM_PERR_NONE;
}

/* Decode one TLV whose bounds and padding have already been checked. */
static enum xm_parse_err xm_parse_tlv(struct xm_msg *msg, u16 type,
				      const u8 *val, unsigned int vlen)
{
	const struct xm_tlv_desc *d = xm_tlv_lookup(type);

	if (!d)
		return (type & XM_TLV_CRITICAL) ? XM_PERR_UNKNOWN_CRITICAL :
						  XM_PERR_NONE;
	if (type != d->type)
		return XM_PERR_BAD_TLV;
	if (msg->present & d->bit)
		return XM_PERR_DUP_TLV;
	if (!(xm_allowed_tlvs(msg->type) & d->bit))
		return XM_PERR_UNEXPECTED_TLV;
	msg->present |= d->bit;

	switch (d->bit) {
	case XM_PRESENT_SENDER_VIEW:
		return xm_parse_view(val, vlen, &msg->sender);
	case XM_PRESENT_OBSERVED_VIEW:
		return xm_parse_view(val, vlen, &msg->observed);
	case XM_PRESENT_METHODS:
		return xm_parse_methods(val, vlen, &msg->methods);
	case XM_PRESENT_VERDICT:
		return xm_parse_verdict(val, vlen, &msg->verdict);
	case XM_PRESENT_COPIES:
		return xm_parse_methods(val, vlen, &msg->copies);
	case XM_PRESENT_PADDING:
		return xm_parse_padding(val, vlen, &msg->padding);
	default:
		return XM_PERR_BAD_TLV;
	}
}

/**
 * xm_msg_parse() - strictly decode a registration message
 * @buf: the inner UDP payload
 * @len: length of @buf in bytes; must equal the declared message length
 * @msg: decoded message on success
 *
 * Validates the fixed header, walks the TLVs, skips unknown non-critical
 * TLVs and applies the per-type rules.  The checks run in the order
 * documented in Documentation/wire-format.rst, so a given input always
 * yields the same reason.  On failure @msg is zeroed except for
 * @msg->err, which gives the reason, and @msg->err_off, the byte offset
 * at which it was detected.  @msg->err is XM_PERR_NONE on success.
 *
 * Return: 0 on success, -EMSGSIZE if the buffer or the declared length
 * exceeds XM_MSG_MAX, -EBADMSG for any other malformed message, -EINVAL
 * if @msg is NULL.
 */
int xm_msg_parse(const void *buf, size_t len, struct xm_msg *msg)
{
	const u8 *p = buf;
	size_t total, off, verdict_off = 0;
	enum xm_parse_err err;

	if (!msg)
		return -EINVAL;
	if (!p)
		len = 0;
	if (len > XM_MSG_MAX)
		return xm_fail(msg, XM_PERR_TOO_BIG, XM_MSG_MAX);
	if (len < XM_HDR_LEN)
		return xm_fail(msg, XM_PERR_TRUNCATED, len);

	if (get_unaligned_be16(p + XM_HDR_OFF_MAGIC) != XM_MAGIC)
		return xm_fail(msg, XM_PERR_BAD_MAGIC, XM_HDR_OFF_MAGIC);
	if (p[XM_HDR_OFF_VERSION] != XM_VERSION)
		return xm_fail(msg, XM_PERR_BAD_VERSION, XM_HDR_OFF_VERSION);
	if (!xm_type_known(p[XM_HDR_OFF_TYPE]))
		return xm_fail(msg, XM_PERR_BAD_TYPE, XM_HDR_OFF_TYPE);

	total = get_unaligned_be16(p + XM_HDR_OFF_LENGTH);
	if (total > XM_MSG_MAX)
		return xm_fail(msg, XM_PERR_TOO_BIG, XM_HDR_OFF_LENGTH);
	if (total < XM_HDR_LEN || total % XM_TLV_ALIGN)
		return xm_fail(msg, XM_PERR_BAD_LENGTH, XM_HDR_OFF_LENGTH);
	if (len < total)
		return xm_fail(msg, XM_PERR_TRUNCATED, len);
	if (len > total)
		return xm_fail(msg, XM_PERR_BAD_LENGTH, total);
	if (get_unaligned_be16(p + XM_HDR_OFF_FLAGS))
		return xm_fail(msg, XM_PERR_BAD_FLAGS, XM_HDR_OFF_FLAGS);

	memset(msg, 0, sizeof(*msg));
	msg->type = p[XM_HDR_OFF_TYPE];
	msg->seq = get_unaligned_be32(p + XM_HDR_OFF_SEQ);
	msg->nonce = get_unaligned_be64(p + XM_HDR_OFF_NONCE);

	/*
	 * total and every TLV's padded size are multiples of 4, so whenever
	 * off < total at least a whole TLV header is left.
	 */
	for (off = XM_HDR_LEN; off < total; ) {
		const u8 *val = p + off + XM_TLV_HDR_LEN;
		unsigned int type, vlen, padded, i;

		type = get_unaligned_be16(p + off + XM_TLV_OFF_TYPE);
		vlen = get_unaligned_be16(p + off + XM_TLV_OFF_LEN);
		padded = (vlen + XM_TLV_ALIGN - 1) & ~(XM_TLV_ALIGN - 1U);

		if (padded > total - off - XM_TLV_HDR_LEN)
			return xm_fail(msg, XM_PERR_BAD_TLV, off);
		if (!(type & XM_TLV_NUM_MASK))
			return xm_fail(msg, XM_PERR_BAD_TLV, off);
		for (i = vlen; i < padded; i++)
			if (val[i])
				return xm_fail(msg, XM_PERR_BAD_PADDING,
					       off + XM_TLV_HDR_LEN + i);

		err = xm_parse_tlv(msg, type, val, vlen);
		if (err)
			return xm_fail(msg, err, off);
		if (type == XM_TLV_VERDICT)
			verdict_off = off;
		off += XM_TLV_HDR_LEN + padded;
	}

	err = xm_msg_check(msg);
	if (err)
		return xm_fail(msg, err,
			       err == XM_PERR_BAD_VERDICT ? verdict_off : total);
	return 0;
}

static u8 *xm_put_tlv_hdr(u8 *p, u16 type, u16 vlen)
{
	put_unaligned_be16(type, p + XM_TLV_OFF_TYPE);
	put_unaligned_be16(vlen, p + XM_TLV_OFF_LEN);
	return p + XM_TLV_HDR_LEN;
}

static u8 *xm_put_view(u8 *p, u16 type, const struct xm_view *v)
{
	unsigned int alen = xm_addr_len(v->family);

	p = xm_put_tlv_hdr(p, type, xm_view_wire_len(v->family));
	p[XM_VIEW_OFF_FAMILY] = v->family;
	p[XM_VIEW_OFF_ENCAP] = v->encap;
	put_unaligned_be16(0, p + XM_VIEW_OFF_RESERVED);
	put_unaligned_be16(be16_to_cpu(v->sport), p + XM_VIEW_OFF_SPORT);
	put_unaligned_be16(be16_to_cpu(v->dport), p + XM_VIEW_OFF_DPORT);
	memcpy(p + XM_VIEW_OFF_SADDR, v->saddr.b, alen);
	memcpy(p + XM_VIEW_OFF_SADDR + alen, v->daddr.b, alen);
	/* Both view sizes are multiples of XM_TLV_ALIGN: no padding. */
	return p + xm_view_wire_len(v->family);
}

/**
 * xm_msg_wire_len() - length of the encoding of a message
 * @msg: message; its TLVs marked in @msg->present count
 *
 * Return: the number of bytes xm_msg_build() writes for a valid @msg.
 */
size_t xm_msg_wire_len(const struct xm_msg *msg)
{
	size_t n = XM_HDR_LEN;

	if (msg->present & XM_PRESENT_SENDER_VIEW)
		n += XM_TLV_HDR_LEN + xm_view_wire_len(msg->sender.family);
	if (msg->present & XM_PRESENT_OBSERVED_VIEW)
		n += XM_TLV_HDR_LEN + xm_view_wire_len(msg->observed.family);
	if (msg->present & XM_PRESENT_METHODS)
		n += XM_TLV_HDR_LEN + XM_METHODS_LEN;
	if (msg->present & XM_PRESENT_VERDICT)
		n += XM_TLV_HDR_LEN + XM_VERDICT_LEN;
	if (msg->present & XM_PRESENT_COPIES)
		n += XM_TLV_HDR_LEN + XM_COPIES_LEN;
	if (msg->present & XM_PRESENT_PADDING)
		n += XM_TLV_HDR_LEN +
		     ((msg->padding + XM_TLV_ALIGN - 1) & ~(XM_TLV_ALIGN - 1U));
	return n;
}

/**
 * xm_msg_build() - encode a registration message
 * @msg: message to encode; must pass xm_msg_check()
 * @buf: output buffer
 * @len: size of @buf in bytes
 *
 * Writes the header with XM_MAGIC, XM_VERSION, @msg->type, the computed
 * length, @msg->flags, @msg->seq and @msg->nonce, followed by the TLVs
 * marked in @msg->present in ascending type order.  Nothing is written
 * to @buf unless the whole message fits.  The output is accepted by
 * xm_msg_parse(), which decodes it back to an identical message.
 *
 * Return: number of bytes written, -EINVAL if @msg is invalid or a
 * pointer is NULL, -ENOSPC if @len is too small.
 */
int xm_msg_build(const struct xm_msg *msg, void *buf, size_t len)
{
	u8 *p = buf;
	size_t need;

	if (!msg || !buf)
		return -EINVAL;
	if (xm_msg_check(msg) != XM_PERR_NONE)
		return -EINVAL;
	need = xm_msg_wire_len(msg);
	if (need > XM_MSG_MAX)
		return -EINVAL;
	if (len < need)
		return -ENOSPC;

	put_unaligned_be16(XM_MAGIC, p + XM_HDR_OFF_MAGIC);
	p[XM_HDR_OFF_VERSION] = XM_VERSION;
	p[XM_HDR_OFF_TYPE] = msg->type;
	put_unaligned_be16(need, p + XM_HDR_OFF_LENGTH);
	put_unaligned_be16(msg->flags, p + XM_HDR_OFF_FLAGS);
	put_unaligned_be32(msg->seq, p + XM_HDR_OFF_SEQ);
	put_unaligned_be64(msg->nonce, p + XM_HDR_OFF_NONCE);
	p += XM_HDR_LEN;

	if (msg->present & XM_PRESENT_SENDER_VIEW)
		p = xm_put_view(p, XM_TLV_SENDER_VIEW, &msg->sender);
	if (msg->present & XM_PRESENT_OBSERVED_VIEW)
		p = xm_put_view(p, XM_TLV_OBSERVED_VIEW, &msg->observed);
	if (msg->present & XM_PRESENT_METHODS) {
		p = xm_put_tlv_hdr(p, XM_TLV_METHODS, XM_METHODS_LEN);
		put_unaligned_be32(msg->methods, p);
		p += XM_METHODS_LEN;
	}
	if (msg->present & XM_PRESENT_VERDICT) {
		p = xm_put_tlv_hdr(p, XM_TLV_VERDICT, XM_VERDICT_LEN);
		put_unaligned_be32(msg->verdict.nat, p + XM_VERDICT_OFF_NAT);
		p[XM_VERDICT_OFF_METHOD] = msg->verdict.method;
		memset(p + XM_VERDICT_OFF_RESERVED, 0,
		       XM_VERDICT_LEN - XM_VERDICT_OFF_RESERVED);
		p += XM_VERDICT_LEN;
	}
	if (msg->present & XM_PRESENT_COPIES) {
		p = xm_put_tlv_hdr(p, XM_TLV_COPIES, XM_COPIES_LEN);
		put_unaligned_be32(msg->copies, p);
		p += XM_COPIES_LEN;
	}
	if (msg->present & XM_PRESENT_PADDING) {
		unsigned int padded = (msg->padding + XM_TLV_ALIGN - 1) &
				      ~(XM_TLV_ALIGN - 1U);

		p = xm_put_tlv_hdr(p, XM_TLV_PADDING, msg->padding);
		memset(p, 0, padded);
		p += padded;
	}

	return need;
}

/**
 * xm_classify() - classify NAT between two views of one outer header
 * @sent: the outer header as its sender built it (the SENDER_VIEW)
 * @seen: the same outer header as its receiver saw it
 *
 * On the gateway, @sent is the mobile host's SENDER_VIEW from the RREQ
 * and @seen the outer header the RREQ actually arrived with; the mobile
 * host can check the reply's VERDICT by calling it with its own view of
 * the RREQ and the reply's OBSERVED_VIEW.  Each field is compared as is:
 * a differing source or destination address sets XM_NAT_SRC_ADDR or
 * XM_NAT_DST_ADDR, a differing port XM_NAT_SRC_PORT or XM_NAT_DST_PORT,
 * a differing encapsulation XM_NAT_ENCAP (and, as ports are zero without
 * encapsulation, usually the port flags too).  Views of different
 * families set both address flags.  The views are not validated.
 *
 * Return: the XM_NAT_* flags, 0 if nothing was translated.
 */
u32 xm_classify(const struct xm_view *sent, const struct xm_view *seen)
{
	u32 nat = 0;

	if (sent->family != seen->family) {
		nat |= XM_NAT_SRC_ADDR | XM_NAT_DST_ADDR;
	} else {
		unsigned int alen = xm_addr_len(sent->family);

		if (memcmp(sent->saddr.b, seen->saddr.b, alen))
			nat |= XM_NAT_SRC_ADDR;
		if (memcmp(sent->daddr.b, seen->daddr.b, alen))
			nat |= XM_NAT_DST_ADDR;
	}
	if (sent->sport != seen->sport)
		nat |= XM_NAT_SRC_PORT;
	if (sent->dport != seen->dport)
		nat |= XM_NAT_DST_PORT;
	if (sent->encap != seen->encap)
		nat |= XM_NAT_ENCAP;
	return nat;
}

/**
 * xm_msg_is_reply() - does a reply answer a request
 * @req: the RREQ that was sent
 * @rep: a parsed message received on the same connection
 *
 * Return: true if @req is an RREQ, @rep an RREP, and @rep echoes the
 * sequence number and nonce of @req.
 */
bool xm_msg_is_reply(const struct xm_msg *req, const struct xm_msg *rep)
{
	return req->type == XM_MSG_RREQ && rep->type == XM_MSG_RREP &&
	       req->seq == rep->seq && req->nonce == rep->nonce;
}

/**
 * xm_parse_err_name() - short name of a parse error, for logs and counters
 * @err: reason
 *
 * Return: a static lower-case identifier such as "bad_magic", or
 * "unknown" if @err is out of range.
 */
const char *xm_parse_err_name(enum xm_parse_err err)
{
	if ((unsigned int)err >= XM_PERR_MAX)
		return "unknown";
	return xm_parse_err_names[err];
}
