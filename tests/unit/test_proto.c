// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the registration message codec (src/proto.c).
 *
 * Prints KTAP and exits 0 if every test passed, 1 otherwise.
 * "test_proto --write-corpus DIR" writes the fuzzing seed corpus instead.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "proto.h"
#include "ktap.h"

/* ------------------------------------------------------------------------
 * Fixtures
 */

/* Documentation addresses (RFC 5737, RFC 3849). */
#define X_PRIV4		"10.0.0.2"
#define X_PUB4		"203.0.113.7"
#define Y4		"198.51.100.1"
#define Y_INNER4	"192.0.2.1"
#define X6		"2001:db8:1::2"
#define X6_PUB		"2001:db8:9::2"
#define Y6		"2001:db8:2::1"

#define NONCE1		0x0123456789abcdefULL
#define NONCE6		0xfedcba9876543210ULL

static void set_addr(union xm_addr *a, u8 family, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(family == XM_FAMILY_IPV4 ? AF_INET : AF_INET6, s,
		      a->b) != 1) {
		fprintf(stderr, "bad address %s\n", s);
		abort();
	}
}

static struct xm_view mkview(u8 family, u8 encap, u16 sport, u16 dport,
			     const char *saddr, const char *daddr)
{
	struct xm_view v;

	memset(&v, 0, sizeof(v));
	v.family = family;
	v.encap = encap;
	v.sport = cpu_to_be16(sport);
	v.dport = cpu_to_be16(dport);
	set_addr(&v.saddr, family, saddr);
	set_addr(&v.daddr, family, daddr);
	return v;
}

static struct xm_msg mkmsg(u8 type, u32 seq, u64 nonce)
{
	struct xm_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.seq = seq;
	m.nonce = nonce;
	return m;
}

/* X behind a NAPT: 10.0.0.2:4500 leaves as 203.0.113.7:61000. */
static struct xm_msg rreq4(void)
{
	struct xm_msg m = mkmsg(XM_MSG_RREQ, 1, NONCE1);

	m.present = XM_PRESENT_SENDER_VIEW | XM_PRESENT_METHODS;
	m.sender = mkview(XM_FAMILY_IPV4, XM_ENCAP_ESPINUDP, 4500, 4500,
			  X_PRIV4, Y4);
	m.methods = XM_METHOD_ESPINUDP | XM_METHOD_ESP;
	return m;
}

static struct xm_msg rrep4(void)
{
	struct xm_msg m = mkmsg(XM_MSG_RREP, 1, NONCE1);

	m.present = XM_PRESENT_ALL;
	m.sender = mkview(XM_FAMILY_IPV4, XM_ENCAP_ESPINUDP, 4500, 61000,
			  Y4, X_PUB4);
	m.observed = mkview(XM_FAMILY_IPV4, XM_ENCAP_ESPINUDP, 61000, 4500,
			    X_PUB4, Y4);
	m.methods = XM_METHOD_ESPINUDP | XM_METHOD_ESP;
	m.verdict.nat = XM_NAT_SRC_ADDR | XM_NAT_SRC_PORT;
	m.verdict.method = XM_ENCAP_ESPINUDP;
	return m;
}

/* Native IPv6, plain ESP, no translation. */
static struct xm_msg rreq6(void)
{
	struct xm_msg m = mkmsg(XM_MSG_RREQ, 7, NONCE6);

	m.present = XM_PRESENT_SENDER_VIEW | XM_PRESENT_METHODS;
	m.sender = mkview(XM_FAMILY_IPV6, XM_ENCAP_NONE, 0, 0, X6, Y6);
	m.methods = XM_METHOD_ESP;
	return m;
}

static struct xm_msg rrep6(void)
{
	struct xm_msg m = mkmsg(XM_MSG_RREP, 7, NONCE6);

	m.present = XM_PRESENT_ALL;
	m.sender = mkview(XM_FAMILY_IPV6, XM_ENCAP_NONE, 0, 0, Y6, X6);
	m.observed = mkview(XM_FAMILY_IPV6, XM_ENCAP_NONE, 0, 0, X6, Y6);
	m.methods = XM_METHOD_ESP | XM_METHOD_ESPINUDP;
	m.verdict.nat = 0;
	m.verdict.method = XM_ENCAP_NONE;
	return m;
}

/* Hand-encoded expected wire images; see Documentation/wire-format.rst. */
static const u8 golden_rreq4[48] = {
	0x58, 0x4d, 0x01, 0x01, 0x00, 0x30, 0x00, 0x00,	/* hdr, len 48 */
	0x00, 0x00, 0x00, 0x01,				/* seq 1 */
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,	/* nonce */
	0x80, 0x01, 0x00, 0x10,				/* SENDER_VIEW */
	0x04, 0x01, 0x00, 0x00, 0x11, 0x94, 0x11, 0x94,	/* v4 udp 4500 */
	0x0a, 0x00, 0x00, 0x02, 0xc6, 0x33, 0x64, 0x01,	/* 10.0.0.2 Y4 */
	0x80, 0x03, 0x00, 0x04,				/* METHODS */
	0x00, 0x00, 0x00, 0x03,
};

static const u8 golden_rrep4[80] = {
	0x58, 0x4d, 0x01, 0x02, 0x00, 0x50, 0x00, 0x00,	/* hdr, len 80 */
	0x00, 0x00, 0x00, 0x01,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x80, 0x01, 0x00, 0x10,				/* SENDER_VIEW */
	0x04, 0x01, 0x00, 0x00, 0x11, 0x94, 0xee, 0x48,
	0xc6, 0x33, 0x64, 0x01, 0xcb, 0x00, 0x71, 0x07,
	0x80, 0x02, 0x00, 0x10,				/* OBSERVED_VIEW */
	0x04, 0x01, 0x00, 0x00, 0xee, 0x48, 0x11, 0x94,
	0xcb, 0x00, 0x71, 0x07, 0xc6, 0x33, 0x64, 0x01,
	0x80, 0x03, 0x00, 0x04,				/* METHODS */
	0x00, 0x00, 0x00, 0x03,
	0x80, 0x04, 0x00, 0x08,				/* VERDICT */
	0x00, 0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x00,
};

static const u8 golden_rreq6[72] = {
	0x58, 0x4d, 0x01, 0x01, 0x00, 0x48, 0x00, 0x00,	/* hdr, len 72 */
	0x00, 0x00, 0x00, 0x07,
	0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
	0x80, 0x01, 0x00, 0x28,				/* SENDER_VIEW */
	0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* v6, no encap */
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x80, 0x03, 0x00, 0x04,				/* METHODS */
	0x00, 0x00, 0x00, 0x02,
};

/* TLV offsets inside the golden images. */
#define RREQ4_SENDER	20
#define RREQ4_METHODS	40
#define RREP4_SENDER	20
#define RREP4_OBSERVED	40
#define RREP4_METHODS	60
#define RREP4_VERDICT	68
#define RREQ6_SENDER_FAMILY	(20 + 4)

/* ------------------------------------------------------------------------
 * Helpers
 */

/* Parse from a heap copy of exactly @n bytes so ASan sees any over-read. */
static int parse_exact(const void *buf, size_t n, struct xm_msg *m)
{
	void *copy = malloc(n ? n : 1);
	int ret;

	if (!copy)
		abort();
	memcpy(copy, buf, n);
	ret = xm_msg_parse(copy, n, m);
	free(copy);
	return ret;
}

static int expected_errno(enum xm_parse_err err)
{
	if (err == XM_PERR_NONE)
		return 0;
	return err == XM_PERR_TOO_BIG ? -EMSGSIZE : -EBADMSG;
}

static void expect_view_eq(const struct xm_view *a, const struct xm_view *b)
{
	KTAP_EXPECT_EQ(a->family, b->family);
	KTAP_EXPECT_EQ(a->encap, b->encap);
	KTAP_EXPECT_EQ(be16_to_cpu(a->sport), be16_to_cpu(b->sport));
	KTAP_EXPECT_EQ(be16_to_cpu(a->dport), be16_to_cpu(b->dport));
	KTAP_EXPECT(!memcmp(a->saddr.b, b->saddr.b, sizeof(a->saddr.b)));
	KTAP_EXPECT(!memcmp(a->daddr.b, b->daddr.b, sizeof(a->daddr.b)));
}

static void expect_msg_eq(const struct xm_msg *a, const struct xm_msg *b)
{
	KTAP_EXPECT_EQ(a->type, b->type);
	KTAP_EXPECT_EQ(a->flags, b->flags);
	KTAP_EXPECT_EQ(a->seq, b->seq);
	KTAP_EXPECT_EQ(a->nonce, b->nonce);
	KTAP_EXPECT_EQ(a->present, b->present);
	if (a->present & XM_PRESENT_SENDER_VIEW)
		expect_view_eq(&a->sender, &b->sender);
	if (a->present & XM_PRESENT_OBSERVED_VIEW)
		expect_view_eq(&a->observed, &b->observed);
	KTAP_EXPECT_EQ(a->methods, b->methods);
	KTAP_EXPECT_EQ(a->verdict.nat, b->verdict.nat);
	KTAP_EXPECT_EQ(a->verdict.method, b->verdict.method);
	KTAP_EXPECT_EQ(a->copies, b->copies);
}

/* A failed parse leaves nothing but the reason behind. */
static void expect_msg_cleared(const struct xm_msg *m)
{
	struct xm_msg z;

	memset(&z, 0, sizeof(z));
	expect_msg_eq(m, &z);
	KTAP_EXPECT_EQ(m->sender.family, 0);
	KTAP_EXPECT_EQ(m->observed.family, 0);
}

/* Raw message editing, independent of the codec under test. */
struct raw {
	u8 b[XM_MSG_MAX + 64];
	size_t n;
};

enum base { B_RREQ4, B_RREP4, B_RREQ6, B_NONE };

static void raw_load(struct raw *r, enum base base)
{
	static const struct {
		const u8 *b;
		size_t n;
	} bases[] = {
		[B_RREQ4] = { golden_rreq4, sizeof(golden_rreq4) },
		[B_RREP4] = { golden_rrep4, sizeof(golden_rrep4) },
		[B_RREQ6] = { golden_rreq6, sizeof(golden_rreq6) },
		[B_NONE] = { golden_rreq4, XM_HDR_LEN },
	};

	memset(r, 0, sizeof(*r));
	memcpy(r->b, bases[base].b, bases[base].n);
	r->n = bases[base].n;
}

static void raw_be16(struct raw *r, size_t off, u16 v)
{
	put_unaligned_be16(v, r->b + off);
}

static void raw_fix_len(struct raw *r)
{
	raw_be16(r, XM_HDR_OFF_LENGTH, r->n);
}

/* Append a TLV (value NULL means zeros), padding with @pad bytes. */
static void raw_tlv_pad(struct raw *r, u16 type, const void *val, u16 len,
			u8 pad)
{
	size_t padded = (len + 3u) & ~3u;

	if (r->n + XM_TLV_HDR_LEN + padded > sizeof(r->b))
		abort();
	raw_be16(r, r->n, type);
	raw_be16(r, r->n + 2, len);
	r->n += XM_TLV_HDR_LEN;
	if (val)
		memcpy(r->b + r->n, val, len);
	else
		memset(r->b + r->n, 0, len);
	memset(r->b + r->n + len, pad, padded - len);
	r->n += padded;
}

static void raw_tlv(struct raw *r, u16 type, const void *val, u16 len)
{
	raw_tlv_pad(r, type, val, len, 0);
	raw_fix_len(r);
}

/* Append @n bytes copied from @src (an earlier part of a golden image). */
static void raw_copy(struct raw *r, const u8 *src, size_t n)
{
	memcpy(r->b + r->n, src, n);
	r->n += n;
	raw_fix_len(r);
}

/* Drop the message tail from @off on. */
static void raw_cut(struct raw *r, size_t off)
{
	r->n = off;
	raw_fix_len(r);
}

/* ------------------------------------------------------------------------
 * Wire layout
 */

static void test_wire_layout(void)
{
	KTAP_EXPECT_EQ(sizeof(struct xm_wire_hdr), XM_HDR_LEN);
	KTAP_EXPECT_EQ(offsetof(struct xm_wire_hdr, magic), XM_HDR_OFF_MAGIC);
	KTAP_EXPECT_EQ(offsetof(struct xm_wire_hdr, version),
		       XM_HDR_OFF_VERSION);
	KTAP_EXPECT_EQ(offsetof(struct xm_wire_hdr, type), XM_HDR_OFF_TYPE);
	KTAP_EXPECT_EQ(offsetof(struct xm_wire_hdr, length),
		       XM_HDR_OFF_LENGTH);
	KTAP_EXPECT_EQ(offsetof(struct xm_wire_hdr, flags), XM_HDR_OFF_FLAGS);
	KTAP_EXPECT_EQ(offsetof(struct xm_wire_hdr, seq), XM_HDR_OFF_SEQ);
	KTAP_EXPECT_EQ(offsetof(struct xm_wire_hdr, nonce), XM_HDR_OFF_NONCE);
	KTAP_EXPECT_EQ(sizeof(struct xm_wire_tlv), XM_TLV_HDR_LEN);
	KTAP_EXPECT_EQ(offsetof(struct xm_wire_tlv, len), XM_TLV_OFF_LEN);
	KTAP_EXPECT_EQ(sizeof(struct xm_wire_view), XM_VIEW_FIXED_LEN);
	KTAP_EXPECT_EQ(offsetof(struct xm_wire_view, encap), XM_VIEW_OFF_ENCAP);
	KTAP_EXPECT_EQ(offsetof(struct xm_wire_view, reserved),
		       XM_VIEW_OFF_RESERVED);
	KTAP_EXPECT_EQ(offsetof(struct xm_wire_view, sport), XM_VIEW_OFF_SPORT);
	KTAP_EXPECT_EQ(offsetof(struct xm_wire_view, dport), XM_VIEW_OFF_DPORT);
	KTAP_EXPECT_EQ(sizeof(struct xm_wire_view4), XM_VIEW_LEN_IPV4);
	KTAP_EXPECT_EQ(offsetof(struct xm_wire_view4, saddr),
		       XM_VIEW_OFF_SADDR);
	KTAP_EXPECT_EQ(sizeof(struct xm_wire_view6), XM_VIEW_LEN_IPV6);
	KTAP_EXPECT_EQ(offsetof(struct xm_wire_view6, daddr),
		       XM_VIEW_OFF_SADDR + 16);
	KTAP_EXPECT_EQ(sizeof(struct xm_wire_verdict), XM_VERDICT_LEN);
	KTAP_EXPECT_EQ(offsetof(struct xm_wire_verdict, method),
		       XM_VERDICT_OFF_METHOD);
	KTAP_EXPECT_EQ(offsetof(struct xm_wire_verdict, reserved),
		       XM_VERDICT_OFF_RESERVED);
	KTAP_EXPECT_EQ(XM_MAGIC, 0x584d);
	KTAP_EXPECT_EQ(XM_DEFAULT_PORT, 4501);
	KTAP_EXPECT_EQ(XM_TLV_SENDER_VIEW, 0x8001);
	KTAP_EXPECT_EQ(XM_TLV_OBSERVED_VIEW, 0x8002);
	KTAP_EXPECT_EQ(XM_TLV_METHODS, 0x8003);
	KTAP_EXPECT_EQ(XM_TLV_VERDICT, 0x8004);
}

/* ------------------------------------------------------------------------
 * Golden vectors
 */

static const struct golden_row {
	const char *name;
	struct xm_msg (*make)(void);
	const u8 *bytes;
	size_t len;
} golden_rows[] = {
	{ "rreq v4 esp-in-udp", rreq4, golden_rreq4, sizeof(golden_rreq4) },
	{ "rrep v4 napt", rrep4, golden_rrep4, sizeof(golden_rrep4) },
	{ "rreq v6 plain esp", rreq6, golden_rreq6, sizeof(golden_rreq6) },
};

static void test_golden(void)
{
	size_t i;

	ktap_sub_begin("golden", ARRAY_SIZE(golden_rows));
	for (i = 0; i < ARRAY_SIZE(golden_rows); i++) {
		const struct golden_row *g = &golden_rows[i];
		struct xm_msg want = g->make(), got;
		u8 buf[XM_MSG_MAX];
		int n;

		ktap_row_begin();
		memset(buf, 0xa5, sizeof(buf));
		n = xm_msg_build(&want, buf, sizeof(buf));
		KTAP_EXPECT_EQ(n, g->len);
		KTAP_EXPECT(!memcmp(buf, g->bytes, g->len));
		KTAP_EXPECT_EQ(buf[g->len], 0xa5);

		KTAP_EXPECT_EQ(parse_exact(g->bytes, g->len, &got), 0);
		KTAP_EXPECT_EQ(got.err, XM_PERR_NONE);
		KTAP_EXPECT_EQ(got.err_off, 0);
		expect_msg_eq(&got, &want);
		ktap_row_end(g->name);
	}
}

/* ------------------------------------------------------------------------
 * Round trip
 */

static struct xm_msg rreq4_esp(void)
{
	struct xm_msg m = rreq4();

	m.sender = mkview(XM_FAMILY_IPV4, XM_ENCAP_NONE, 0, 0, X_PRIV4, Y4);
	m.methods = XM_METHOD_ESP;
	return m;
}

static struct xm_msg rreq6_udp(void)
{
	struct xm_msg m = rreq6();

	m.sender = mkview(XM_FAMILY_IPV6, XM_ENCAP_ESPINUDP, 4500, 4500,
			  X6, Y6);
	m.methods = XM_METHOD_ESPINUDP;
	return m;
}

static struct xm_msg rreq4_tcp(void)
{
	struct xm_msg m = rreq4();

	m.sender = mkview(XM_FAMILY_IPV4, XM_ENCAP_ESPINTCP, 40000, 443,
			  X_PRIV4, Y4);
	m.methods = XM_METHOD_ESPINTCP | XM_METHOD_ESPINUDP;
	return m;
}

/* NAT64: X is IPv6-only, Y saw the request arrive over IPv4. */
static struct xm_msg rrep_mixed(void)
{
	struct xm_msg m = mkmsg(XM_MSG_RREP, 3, 42);

	m.present = XM_PRESENT_ALL;
	m.sender = mkview(XM_FAMILY_IPV6, XM_ENCAP_ESPINUDP, 4500, 4500,
			  Y6, X6);
	m.observed = mkview(XM_FAMILY_IPV4, XM_ENCAP_ESPINUDP, 4500, 4500,
			    X_PUB4, Y4);
	m.methods = XM_METHOD_ESPINUDP;
	m.verdict.nat = XM_NAT_SRC_ADDR | XM_NAT_DST_ADDR;
	m.verdict.method = XM_ENCAP_ESPINUDP;
	return m;
}

static struct xm_msg rrep4_extremes(void)
{
	struct xm_msg m = rrep4();

	m.seq = 0xffffffffu;
	m.nonce = ~0ULL;
	m.methods = 0xffffffffu;	/* unknown bits are preserved */
	m.verdict.nat = XM_NAT_ALL;
	m.verdict.method = XM_ENCAP_ESPINTCP;
	return m;
}

static struct xm_msg rreq4_zero(void)
{
	struct xm_msg m = rreq4();

	m.seq = 0;
	m.nonce = 0;
	m.sender.sport = cpu_to_be16(1);
	m.sender.dport = cpu_to_be16(65535);
	return m;
}

/* A PROBE and its PROBE_ACK are the header alone. */
static struct xm_msg probe(void)
{
	struct xm_msg m = { .type = XM_MSG_PROBE, .seq = 3,
			    .nonce = 0x0123456789abcdefULL };

	return m;
}

static struct xm_msg probe_ack(void)
{
	struct xm_msg m = probe();

	m.type = XM_MSG_PROBE_ACK;
	return m;
}

static struct xm_msg rreq4_padded(void)
{
	struct xm_msg m = rreq4();

	m.present |= XM_PRESENT_PADDING;
	m.padding = 301;
	return m;
}

static struct xm_msg challenge(void)
{
	struct xm_msg m = probe();

	m.type = XM_MSG_CHALLENGE;
	return m;
}

static struct xm_msg response(void)
{
	struct xm_msg m = probe();

	m.type = XM_MSG_RESPONSE;
	return m;
}

static struct xm_msg echo(void)
{
	struct xm_msg m = probe();

	m.type = XM_MSG_ECHO;
	return m;
}

static struct xm_msg echo_reply(void)
{
	struct xm_msg m = probe();

	m.type = XM_MSG_ECHO_REPLY;
	return m;
}

static const struct rt_row {
	const char *name;
	struct xm_msg (*make)(void);
	int len;
} rt_rows[] = {
	{ "rreq v4 esp-in-udp", rreq4, 48 },
	{ "rreq v4 plain esp", rreq4_esp, 48 },
	{ "rreq v4 esp-in-tcp view", rreq4_tcp, 48 },
	{ "rreq v4 seq/nonce zero, port extremes", rreq4_zero, 48 },
	{ "rreq v6 plain esp", rreq6, 72 },
	{ "rreq v6 esp-in-udp", rreq6_udp, 72 },
	{ "rrep v4 napt", rrep4, 80 },
	{ "rrep v4 all-ones fields", rrep4_extremes, 80 },
	{ "rrep v6", rrep6, 128 },
	{ "rrep mixed families", rrep_mixed, 104 },
	{ "probe", probe, 20 },
	{ "probe ack", probe_ack, 20 },
	{ "rreq v4 padded", rreq4_padded, 48 + 4 + 304 },
	{ "challenge", challenge, 20 },
	{ "response", response, 20 },
	{ "echo", echo, 20 },
	{ "echo reply", echo_reply, 20 },
};

static void test_roundtrip(void)
{
	size_t i;

	ktap_sub_begin("roundtrip", ARRAY_SIZE(rt_rows));
	for (i = 0; i < ARRAY_SIZE(rt_rows); i++) {
		struct xm_msg want = rt_rows[i].make(), got;
		u8 buf[XM_MSG_MAX], buf2[XM_MSG_MAX];
		int n, n2;

		ktap_row_begin();
		KTAP_EXPECT_EQ(xm_msg_check(&want), XM_PERR_NONE);
		n = xm_msg_build(&want, buf, sizeof(buf));
		KTAP_EXPECT_EQ(n, rt_rows[i].len);
		if (n > 0) {
			KTAP_EXPECT_EQ(get_unaligned_be16(buf + 4), n);
			KTAP_EXPECT_EQ(parse_exact(buf, n, &got), 0);
			expect_msg_eq(&got, &want);
			n2 = xm_msg_build(&got, buf2, sizeof(buf2));
			KTAP_EXPECT_EQ(n2, n);
			KTAP_EXPECT(n2 == n && !memcmp(buf, buf2, n));
		}
		ktap_row_end(rt_rows[i].name);
	}
}

/* Parsing from every misalignment gives the same result. */
static void test_unaligned(void)
{
	struct xm_msg want = rrep4(), got;
	u8 buf[sizeof(golden_rrep4) + 8];
	size_t shift;

	for (shift = 0; shift < 8; shift++) {
		memset(buf, 0xff, sizeof(buf));
		memcpy(buf + shift, golden_rrep4, sizeof(golden_rrep4));
		KTAP_EXPECT_EQ(xm_msg_parse(buf + shift, sizeof(golden_rrep4),
					    &got), 0);
		expect_msg_eq(&got, &want);
		KTAP_EXPECT_EQ(xm_msg_build(&want, buf + shift,
					    sizeof(golden_rrep4)),
			       sizeof(golden_rrep4));
		KTAP_EXPECT(!memcmp(buf + shift, golden_rrep4,
				    sizeof(golden_rrep4)));
	}
}

/* ------------------------------------------------------------------------
 * Parse errors: one row per rule, exact reason, errno and offset
 */

static void m_none(struct raw *r)
{
	(void)r;
}

static void m_magic(struct raw *r)
{
	raw_be16(r, 0, 0x4d58);
}

static void m_magic_zero(struct raw *r)
{
	raw_be16(r, 0, 0);
}

static void m_version0(struct raw *r)
{
	r->b[2] = 0;
}

static void m_version2(struct raw *r)
{
	r->b[2] = 2;
}

static void m_type0(struct raw *r)
{
	r->b[3] = 0;
}

static void m_type_probe(struct raw *r)
{
	r->b[3] = XM_MSG_PROBE;
}

static void m_type_probe_ack(struct raw *r)
{
	r->b[3] = XM_MSG_PROBE_ACK;
}

static void m_type_challenge(struct raw *r)
{
	r->b[3] = XM_MSG_CHALLENGE;
}

static void m_type_echo(struct raw *r)
{
	r->b[3] = XM_MSG_ECHO;
}

static void m_type_echo_reply(struct raw *r)
{
	r->b[3] = XM_MSG_ECHO_REPLY;
}

static void m_type9(struct raw *r)
{
	r->b[3] = 9;
}

static void m_type_ff(struct raw *r)
{
	r->b[3] = 0xff;
}

static void m_len_zero(struct raw *r)
{
	raw_be16(r, 4, 0);
}

static void m_len_16(struct raw *r)
{
	raw_be16(r, 4, 16);
}

static void m_len_odd(struct raw *r)
{
	r->n = 46;
	raw_fix_len(r);
}

static void m_len_longer(struct raw *r)
{
	raw_be16(r, 4, r->n + 4);
}

static void m_trailing(struct raw *r)
{
	r->n += 4;
}

static void m_len_over(struct raw *r)
{
	raw_be16(r, 4, XM_MSG_MAX + 4);
}

static void m_len_ffff(struct raw *r)
{
	raw_be16(r, 4, 0xffff);
}

static void m_buf_over(struct raw *r)
{
	r->n = XM_MSG_MAX + 1;
}

static void m_flags1(struct raw *r)
{
	raw_be16(r, 6, 0x0001);
}

static void m_flags8000(struct raw *r)
{
	raw_be16(r, 6, 0x8000);
}

static void m_tlv_overrun(struct raw *r)
{
	raw_be16(r, RREQ4_METHODS + 2, 8);
}

static void m_tlv_len_ffff(struct raw *r)
{
	raw_be16(r, RREQ4_METHODS + 2, 0xffff);
}

static void m_tlv_overrun_pad(struct raw *r)
{
	/* 5 bytes of value need 8 with padding; only 4 are left. */
	raw_be16(r, RREQ4_METHODS + 2, 5);
}

static void m_tlv_type0(struct raw *r)
{
	raw_tlv(r, 0x0000, NULL, 0);
}

static void m_tlv_type8000(struct raw *r)
{
	raw_tlv(r, 0x8000, NULL, 4);
}

static void m_sender_noncrit(struct raw *r)
{
	raw_be16(r, RREQ4_SENDER, XM_TLV_SENDER_VIEW & XM_TLV_NUM_MASK);
}

static void m_methods_noncrit(struct raw *r)
{
	raw_be16(r, RREQ4_METHODS, XM_TLV_METHODS & XM_TLV_NUM_MASK);
}

static void m_methods_len3(struct raw *r)
{
	raw_be16(r, RREQ4_METHODS + 2, 3);
	r->b[RREQ4_METHODS + 4 + 3] = 0;
}

static void m_methods_len8(struct raw *r)
{
	static const u8 v[8] = { 0, 0, 0, 3 };

	raw_cut(r, RREQ4_METHODS);
	raw_tlv(r, XM_TLV_METHODS, v, sizeof(v));
}

static void m_methods_len0(struct raw *r)
{
	raw_cut(r, RREQ4_METHODS);
	raw_tlv(r, XM_TLV_METHODS, NULL, 0);
}

static void m_verdict_len4(struct raw *r)
{
	raw_cut(r, RREP4_VERDICT);
	raw_tlv(r, XM_TLV_VERDICT, golden_rrep4 + RREP4_VERDICT + 4, 4);
}

static void m_pad_last(struct raw *r)
{
	static const u8 v = 0xaa;

	raw_tlv_pad(r, 0x7f00, &v, 1, 0);
	r->b[r->n - 1] = 0x01;
	raw_fix_len(r);
}

static void m_pad_first(struct raw *r)
{
	static const u8 v[2] = { 0xaa, 0xbb };

	raw_tlv_pad(r, 0x0007, v, 2, 0);
	r->b[r->n - 2] = 0x80;
	raw_fix_len(r);
}

static void m_pad_known(struct raw *r)
{
	/* METHODS of length 3 with a non-zero pad byte: padding wins. */
	raw_be16(r, RREQ4_METHODS + 2, 3);
	r->b[RREQ4_METHODS + 4 + 3] = 0xff;
}

static void m_dup_sender(struct raw *r)
{
	raw_copy(r, golden_rreq4 + RREQ4_SENDER, 20);
}

static void m_dup_methods(struct raw *r)
{
	raw_copy(r, golden_rreq4 + RREQ4_METHODS, 8);
}

static void m_dup_verdict(struct raw *r)
{
	raw_copy(r, golden_rrep4 + RREP4_VERDICT, 12);
}

static void m_unknown_crit(struct raw *r)
{
	raw_tlv(r, 0x8007, NULL, 0);
}

static void m_unknown_crit_ffff(struct raw *r)
{
	raw_tlv(r, 0xffff, NULL, 4);
}

static void m_padding_nonzero(struct raw *r)
{
	static const u8 v[8] = { 0, 0, 0, 0, 0, 1, 0, 0 };

	raw_tlv(r, XM_TLV_PADDING, v, sizeof(v));
}

static void m_padding_in_rrep(struct raw *r)
{
	raw_tlv(r, XM_TLV_PADDING, NULL, 8);
}

static void m_unknown_crit_first(struct raw *r)
{
	struct raw tail = *r;

	raw_cut(r, XM_HDR_LEN);
	raw_tlv(r, 0xff00, NULL, 3);
	raw_copy(r, tail.b + XM_HDR_LEN, tail.n - XM_HDR_LEN);
}

static void m_unknown_noncrit(struct raw *r)
{
	static const u8 v[5] = { 1, 2, 3, 4, 5 };

	raw_tlv(r, 0x0007, v, sizeof(v));
}

static void m_unknown_private(struct raw *r)
{
	raw_tlv(r, 0x7fff, NULL, 0);
}

static void m_no_methods(struct raw *r)
{
	raw_cut(r, RREQ4_METHODS);
}

static void m_no_sender(struct raw *r)
{
	raw_cut(r, XM_HDR_LEN);
	raw_copy(r, golden_rreq4 + RREQ4_METHODS, 8);
}

static void m_no_tlvs(struct raw *r)
{
	raw_cut(r, XM_HDR_LEN);
}

static void m_rrep_no_verdict(struct raw *r)
{
	raw_cut(r, RREP4_VERDICT);
}

static void m_rrep_no_observed(struct raw *r)
{
	raw_cut(r, RREP4_OBSERVED);
	raw_copy(r, golden_rrep4 + RREP4_METHODS, 20);
}

static void m_rrep_only_rreq_tlvs(struct raw *r)
{
	raw_copy(r, golden_rreq4 + RREQ4_SENDER, 28);
}

static void m_rreq_observed(struct raw *r)
{
	raw_copy(r, golden_rrep4 + RREP4_OBSERVED, 20);
}

static void m_rreq_verdict(struct raw *r)
{
	raw_copy(r, golden_rrep4 + RREP4_VERDICT, 12);
}

static void m_view_family5(struct raw *r)
{
	r->b[RREQ4_SENDER + 4] = 5;
}

static void m_view_family0(struct raw *r)
{
	r->b[RREQ4_SENDER + 4] = 0;
}

static void m_view_v6_len16(struct raw *r)
{
	r->b[RREQ4_SENDER + 4] = XM_FAMILY_IPV6;
}

static void m_view_v4_len40(struct raw *r)
{
	r->b[RREQ6_SENDER_FAMILY] = XM_FAMILY_IPV4;
}

static void m_view_len4(struct raw *r)
{
	raw_cut(r, XM_HDR_LEN);
	raw_tlv(r, XM_TLV_SENDER_VIEW, golden_rreq4 + RREQ4_SENDER + 4, 4);
	raw_copy(r, golden_rreq4 + RREQ4_METHODS, 8);
}

static void m_view_len20(struct raw *r)
{
	u8 v[20];

	memcpy(v, golden_rreq4 + RREQ4_SENDER + 4, 16);
	memset(v + 16, 0, 4);
	raw_cut(r, XM_HDR_LEN);
	raw_tlv(r, XM_TLV_SENDER_VIEW, v, sizeof(v));
	raw_copy(r, golden_rreq4 + RREQ4_METHODS, 8);
}

static void m_view_reserved(struct raw *r)
{
	r->b[RREQ4_SENDER + 4 + 3] = 1;
}

static void m_view_encap3(struct raw *r)
{
	r->b[RREQ4_SENDER + 4 + 1] = 3;
}

static void m_view_none_ports(struct raw *r)
{
	r->b[RREQ4_SENDER + 4 + 1] = XM_ENCAP_NONE;
}

static void m_view_none_dport(struct raw *r)
{
	r->b[RREQ4_SENDER + 4 + 1] = XM_ENCAP_NONE;
	raw_be16(r, RREQ4_SENDER + 4 + 4, 0);
}

static void m_view_v6_port(struct raw *r)
{
	raw_be16(r, RREQ4_SENDER + 4 + 6, 4500);
}

static void m_view_sport0(struct raw *r)
{
	raw_be16(r, RREQ4_SENDER + 4 + 4, 0);
}

static void m_view_dport0(struct raw *r)
{
	raw_be16(r, RREQ4_SENDER + 4 + 6, 0);
}

static void m_view_saddr0(struct raw *r)
{
	memset(r->b + RREQ4_SENDER + 4 + 8, 0, 4);
}

static void m_view_v6_daddr0(struct raw *r)
{
	memset(r->b + 20 + 4 + 8 + 16, 0, 16);
}

static void m_observed_daddr0(struct raw *r)
{
	memset(r->b + RREP4_OBSERVED + 4 + 12, 0, 4);
}

static void m_methods_zero(struct raw *r)
{
	memset(r->b + RREQ4_METHODS + 4, 0, 4);
}

static void m_methods_unknown_bits(struct raw *r)
{
	r->b[RREQ4_METHODS + 4] = 0x80;
}

static void m_verdict_nat_bit5(struct raw *r)
{
	r->b[RREP4_VERDICT + 4 + 3] |= 0x20;
}

static void m_verdict_nat_bit31(struct raw *r)
{
	r->b[RREP4_VERDICT + 4] = 0x80;
}

static void m_verdict_method3(struct raw *r)
{
	r->b[RREP4_VERDICT + 4 + 4] = 3;
}

static void m_verdict_reserved(struct raw *r)
{
	r->b[RREP4_VERDICT + 4 + 7] = 1;
}

static void m_verdict_unlisted(struct raw *r)
{
	/* Gateway offers ESP-in-UDP only but tells X to use plain ESP. */
	r->b[RREP4_METHODS + 4 + 3] = XM_METHOD_ESPINUDP;
	r->b[RREP4_VERDICT + 4 + 4] = XM_ENCAP_NONE;
}

static void m_verdict_before_methods(struct raw *r)
{
	/* Same cross-TLV error with VERDICT placed before METHODS. */
	struct raw orig = *r;

	raw_cut(r, RREP4_METHODS);
	raw_copy(r, orig.b + RREP4_VERDICT, 12);
	raw_copy(r, orig.b + RREP4_METHODS, 8);
	r->b[RREP4_METHODS + 4 + 4] = XM_ENCAP_ESPINTCP;
}

static void m_short0(struct raw *r)
{
	r->n = 0;
}

static void m_short19(struct raw *r)
{
	r->n = 19;
}

static const struct perr_row {
	const char *name;
	enum base base;
	void (*mut)(struct raw *r);
	enum xm_parse_err err;
	unsigned int off;
} perr_rows[] = {
	{ "valid rreq v4", B_RREQ4, m_none, XM_PERR_NONE, 0 },
	{ "valid rrep v4", B_RREP4, m_none, XM_PERR_NONE, 0 },
	{ "valid rreq v6", B_RREQ6, m_none, XM_PERR_NONE, 0 },
	{ "empty buffer", B_RREQ4, m_short0, XM_PERR_TRUNCATED, 0 },
	{ "19-byte buffer", B_RREQ4, m_short19, XM_PERR_TRUNCATED, 19 },
	{ "declared length beyond buffer", B_RREQ4, m_len_longer,
	  XM_PERR_TRUNCATED, 48 },
	{ "byte-swapped magic", B_RREQ4, m_magic, XM_PERR_BAD_MAGIC, 0 },
	{ "zero magic", B_RREQ4, m_magic_zero, XM_PERR_BAD_MAGIC, 0 },
	{ "version 0", B_RREQ4, m_version0, XM_PERR_BAD_VERSION, 2 },
	{ "version 2", B_RREQ4, m_version2, XM_PERR_BAD_VERSION, 2 },
	{ "type 0", B_RREQ4, m_type0, XM_PERR_BAD_TYPE, 3 },
	{ "type PROBE with TLVs", B_RREQ4, m_type_probe,
	  XM_PERR_UNEXPECTED_TLV, 20 },
	{ "type PROBE_ACK with TLVs", B_RREQ4, m_type_probe_ack,
	  XM_PERR_UNEXPECTED_TLV, 20 },
	{ "type CHALLENGE with TLVs", B_RREQ4, m_type_challenge,
	  XM_PERR_UNEXPECTED_TLV, 20 },
	{ "type ECHO with TLVs", B_RREQ4, m_type_echo,
	  XM_PERR_UNEXPECTED_TLV, 20 },
	{ "type ECHO_REPLY with TLVs", B_RREQ4, m_type_echo_reply,
	  XM_PERR_UNEXPECTED_TLV, 20 },
	{ "type 9", B_RREQ4, m_type9, XM_PERR_BAD_TYPE, 3 },
	{ "type 255", B_RREQ4, m_type_ff, XM_PERR_BAD_TYPE, 3 },
	{ "declared length 0", B_RREQ4, m_len_zero, XM_PERR_BAD_LENGTH, 4 },
	{ "declared length 16", B_RREQ4, m_len_16, XM_PERR_BAD_LENGTH, 4 },
	{ "declared length not multiple of 4", B_RREQ4, m_len_odd,
	  XM_PERR_BAD_LENGTH, 4 },
	{ "trailing bytes", B_RREQ4, m_trailing, XM_PERR_BAD_LENGTH, 48 },
	{ "declared length 516", B_RREQ4, m_len_over, XM_PERR_TOO_BIG, 4 },
	{ "declared length 65535", B_RREQ4, m_len_ffff, XM_PERR_TOO_BIG, 4 },
	{ "513-byte buffer", B_RREQ4, m_buf_over, XM_PERR_TOO_BIG, 512 },
	{ "flag bit 0", B_RREQ4, m_flags1, XM_PERR_BAD_FLAGS, 6 },
	{ "flag bit 15", B_RREQ4, m_flags8000, XM_PERR_BAD_FLAGS, 6 },
	{ "TLV overruns message", B_RREQ4, m_tlv_overrun, XM_PERR_BAD_TLV,
	  40 },
	{ "TLV length 65535", B_RREQ4, m_tlv_len_ffff, XM_PERR_BAD_TLV, 40 },
	{ "TLV padding overruns message", B_RREQ4, m_tlv_overrun_pad,
	  XM_PERR_BAD_TLV, 40 },
	{ "TLV type 0", B_RREQ4, m_tlv_type0, XM_PERR_BAD_TLV, 48 },
	{ "TLV type 0x8000", B_RREQ4, m_tlv_type8000, XM_PERR_BAD_TLV, 48 },
	{ "SENDER_VIEW without critical bit", B_RREQ4, m_sender_noncrit,
	  XM_PERR_BAD_TLV, 20 },
	{ "METHODS without critical bit", B_RREQ4, m_methods_noncrit,
	  XM_PERR_BAD_TLV, 40 },
	{ "METHODS length 3", B_RREQ4, m_methods_len3, XM_PERR_BAD_TLV, 40 },
	{ "METHODS length 8", B_RREQ4, m_methods_len8, XM_PERR_BAD_TLV, 40 },
	{ "METHODS length 0", B_RREQ4, m_methods_len0, XM_PERR_BAD_TLV, 40 },
	{ "VERDICT length 4", B_RREP4, m_verdict_len4, XM_PERR_BAD_TLV, 68 },
	{ "non-zero last padding byte", B_RREQ4, m_pad_last,
	  XM_PERR_BAD_PADDING, 55 },
	{ "non-zero first padding byte", B_RREQ4, m_pad_first,
	  XM_PERR_BAD_PADDING, 54 },
	{ "non-zero padding of known TLV", B_RREQ4, m_pad_known,
	  XM_PERR_BAD_PADDING, 47 },
	{ "duplicate SENDER_VIEW", B_RREQ4, m_dup_sender, XM_PERR_DUP_TLV,
	  48 },
	{ "duplicate METHODS", B_RREQ4, m_dup_methods, XM_PERR_DUP_TLV, 48 },
	{ "duplicate VERDICT", B_RREP4, m_dup_verdict, XM_PERR_DUP_TLV, 80 },
	{ "PADDING with a non-zero byte", B_RREQ4, m_padding_nonzero,
	  XM_PERR_BAD_PADDING, 48 },
	{ "PADDING in an RREP", B_RREP4, m_padding_in_rrep,
	  XM_PERR_UNEXPECTED_TLV, 80 },
	{ "unknown critical 0x8007", B_RREQ4, m_unknown_crit,
	  XM_PERR_UNKNOWN_CRITICAL, 48 },
	{ "unknown critical 0xffff", B_RREQ4, m_unknown_crit_ffff,
	  XM_PERR_UNKNOWN_CRITICAL, 48 },
	{ "unknown critical first", B_RREQ4, m_unknown_crit_first,
	  XM_PERR_UNKNOWN_CRITICAL, 20 },
	{ "unknown non-critical skipped", B_RREQ4, m_unknown_noncrit,
	  XM_PERR_NONE, 0 },
	{ "private non-critical skipped", B_RREP4, m_unknown_private,
	  XM_PERR_NONE, 0 },
	{ "rreq without METHODS", B_RREQ4, m_no_methods, XM_PERR_MISSING_TLV,
	  40 },
	{ "rreq without SENDER_VIEW", B_RREQ4, m_no_sender,
	  XM_PERR_MISSING_TLV, 28 },
	{ "rreq without TLVs", B_RREQ4, m_no_tlvs, XM_PERR_MISSING_TLV, 20 },
	{ "rrep without VERDICT", B_RREP4, m_rrep_no_verdict,
	  XM_PERR_MISSING_TLV, 68 },
	{ "rrep without OBSERVED_VIEW", B_RREP4, m_rrep_no_observed,
	  XM_PERR_MISSING_TLV, 60 },
	{ "rrep with rreq TLVs only", B_NONE, m_rrep_only_rreq_tlvs,
	  XM_PERR_MISSING_TLV, 48 },
	{ "rreq with OBSERVED_VIEW", B_RREQ4, m_rreq_observed,
	  XM_PERR_UNEXPECTED_TLV, 48 },
	{ "rreq with VERDICT", B_RREQ4, m_rreq_verdict,
	  XM_PERR_UNEXPECTED_TLV, 48 },
	{ "view family 5", B_RREQ4, m_view_family5, XM_PERR_BAD_VIEW, 20 },
	{ "view family 0", B_RREQ4, m_view_family0, XM_PERR_BAD_VIEW, 20 },
	{ "view IPv6 with IPv4 length", B_RREQ4, m_view_v6_len16,
	  XM_PERR_BAD_VIEW, 20 },
	{ "view IPv4 with IPv6 length", B_RREQ6, m_view_v4_len40,
	  XM_PERR_BAD_VIEW, 20 },
	{ "view length 4", B_RREQ4, m_view_len4, XM_PERR_BAD_VIEW, 20 },
	{ "view length 20", B_RREQ4, m_view_len20, XM_PERR_BAD_VIEW, 20 },
	{ "view reserved bits", B_RREQ4, m_view_reserved, XM_PERR_BAD_VIEW,
	  20 },
	{ "view encap 3", B_RREQ4, m_view_encap3, XM_PERR_BAD_VIEW, 20 },
	{ "view plain esp with ports", B_RREQ4, m_view_none_ports,
	  XM_PERR_BAD_VIEW, 20 },
	{ "view plain esp with dport", B_RREQ4, m_view_none_dport,
	  XM_PERR_BAD_VIEW, 20 },
	{ "view v6 plain esp with dport", B_RREQ6, m_view_v6_port,
	  XM_PERR_BAD_VIEW, 20 },
	{ "view udp sport 0", B_RREQ4, m_view_sport0, XM_PERR_BAD_VIEW, 20 },
	{ "view udp dport 0", B_RREQ4, m_view_dport0, XM_PERR_BAD_VIEW, 20 },
	{ "view saddr 0.0.0.0", B_RREQ4, m_view_saddr0, XM_PERR_BAD_VIEW, 20 },
	{ "view daddr ::", B_RREQ6, m_view_v6_daddr0, XM_PERR_BAD_VIEW, 20 },
	{ "observed daddr 0.0.0.0", B_RREP4, m_observed_daddr0,
	  XM_PERR_BAD_VIEW, 40 },
	{ "METHODS empty", B_RREQ4, m_methods_zero, XM_PERR_BAD_METHODS, 40 },
	{ "METHODS unknown bits kept", B_RREQ4, m_methods_unknown_bits,
	  XM_PERR_NONE, 0 },
	{ "VERDICT unknown NAT bit 5", B_RREP4, m_verdict_nat_bit5,
	  XM_PERR_BAD_VERDICT, 68 },
	{ "VERDICT unknown NAT bit 31", B_RREP4, m_verdict_nat_bit31,
	  XM_PERR_BAD_VERDICT, 68 },
	{ "VERDICT method 3", B_RREP4, m_verdict_method3, XM_PERR_BAD_VERDICT,
	  68 },
	{ "VERDICT reserved byte", B_RREP4, m_verdict_reserved,
	  XM_PERR_BAD_VERDICT, 68 },
	{ "VERDICT method not in METHODS", B_RREP4, m_verdict_unlisted,
	  XM_PERR_BAD_VERDICT, 68 },
	{ "VERDICT before METHODS, not listed", B_RREP4,
	  m_verdict_before_methods, XM_PERR_BAD_VERDICT, 60 },
};

static void test_parse_errors(void)
{
	size_t i;

	ktap_sub_begin("parse_errors", ARRAY_SIZE(perr_rows));
	for (i = 0; i < ARRAY_SIZE(perr_rows); i++) {
		const struct perr_row *row = &perr_rows[i];
		struct xm_msg m;
		struct raw r;
		int ret;

		ktap_row_begin();
		raw_load(&r, row->base);
		if (row->base == B_NONE) {
			r.b[XM_HDR_OFF_TYPE] = XM_MSG_RREP;
			raw_fix_len(&r);
		}
		row->mut(&r);
		memset(&m, 0x5a, sizeof(m));
		ret = parse_exact(r.b, r.n, &m);
		KTAP_EXPECT_EQ(ret, expected_errno(row->err));
		KTAP_EXPECT_EQ(m.err, row->err);
		KTAP_EXPECT_EQ(m.err_off, row->off);
		if (row->err != XM_PERR_NONE)
			expect_msg_cleared(&m);
		else
			KTAP_EXPECT_EQ(xm_msg_check(&m), XM_PERR_NONE);
		if (row->err != m.err)
			ktap_diag("got %s, want %s", xm_parse_err_name(m.err),
				  xm_parse_err_name(row->err));
		ktap_row_end(row->name);
	}
}

/* Every reason is produced by at least one row of the table above. */
static void test_all_reasons_reachable(void)
{
	bool seen[XM_PERR_MAX] = { false };
	size_t i;
	int e;

	for (i = 0; i < ARRAY_SIZE(perr_rows); i++)
		seen[perr_rows[i].err] = true;
	for (e = 0; e < XM_PERR_MAX; e++)
		if (!KTAP_EXPECT(seen[e]))
			ktap_diag("reason %s has no test row",
				  xm_parse_err_name(e));
}

/* ------------------------------------------------------------------------
 * Truncation, trailing data, size limit
 */

static void check_prefixes(const u8 *msg, size_t n)
{
	struct xm_msg m;
	unsigned int bad = 0;
	size_t l;

	for (l = 0; l < n; l++) {
		int ret = parse_exact(msg, l, &m);

		if (ret != -EBADMSG || m.err != XM_PERR_TRUNCATED ||
		    m.err_off != l || m.present || m.type) {
			if (!bad++)
				ktap_diag("prefix %zu: ret %d reason %s off %u",
					  l, ret, xm_parse_err_name(m.err),
					  m.err_off);
		}
	}
	KTAP_EXPECT_EQ(bad, 0);
	KTAP_EXPECT_EQ(parse_exact(msg, n, &m), 0);
}

static void make_max(struct raw *r)
{
	raw_load(r, B_RREQ4);
	raw_tlv(r, 0x7f01, NULL, XM_MSG_MAX - r->n - XM_TLV_HDR_LEN);
}

static void test_truncation(void)
{
	static const enum base bases[] = { B_RREQ4, B_RREP4, B_RREQ6 };
	struct xm_msg m6 = rrep6();
	u8 buf[XM_MSG_MAX];
	struct raw r;
	size_t i;
	int n;

	ktap_sub_begin("truncation", ARRAY_SIZE(bases) + 2);
	for (i = 0; i < ARRAY_SIZE(bases); i++) {
		ktap_row_begin();
		raw_load(&r, bases[i]);
		check_prefixes(r.b, r.n);
		ktap_row_end(golden_rows[i].name);
	}

	ktap_row_begin();
	n = xm_msg_build(&m6, buf, sizeof(buf));
	KTAP_EXPECT_EQ(n, 128);
	if (n > 0)
		check_prefixes(buf, n);
	ktap_row_end("rrep v6");

	ktap_row_begin();
	make_max(&r);
	KTAP_EXPECT_EQ(r.n, XM_MSG_MAX);
	check_prefixes(r.b, r.n);
	ktap_row_end("512-byte message");
}

static void test_trailing(void)
{
	struct xm_msg m;
	struct raw r;
	size_t extra;

	for (extra = 1; extra <= 8; extra++) {
		raw_load(&r, B_RREP4);
		KTAP_EXPECT_EQ(parse_exact(r.b, r.n + extra, &m), -EBADMSG);
		KTAP_EXPECT_EQ(m.err, XM_PERR_BAD_LENGTH);
		KTAP_EXPECT_EQ(m.err_off, sizeof(golden_rrep4));
	}
}

static void test_size_limit(void)
{
	struct xm_msg m;
	struct raw r;

	make_max(&r);
	KTAP_EXPECT_EQ(parse_exact(r.b, r.n, &m), 0);
	KTAP_EXPECT_EQ(m.present, XM_PRESENT_SENDER_VIEW | XM_PRESENT_METHODS);

	/* One more padded TLV word: declared 516 in a 516-byte buffer. */
	make_max(&r);
	raw_tlv(&r, 0x7f02, NULL, 0);
	KTAP_EXPECT_EQ(r.n, XM_MSG_MAX + 4);
	KTAP_EXPECT_EQ(parse_exact(r.b, r.n, &m), -EMSGSIZE);
	KTAP_EXPECT_EQ(m.err, XM_PERR_TOO_BIG);
	KTAP_EXPECT_EQ(m.err_off, XM_MSG_MAX);

	/* Declared 516, but only 512 bytes handed over. */
	KTAP_EXPECT_EQ(parse_exact(r.b, XM_MSG_MAX, &m), -EMSGSIZE);
	KTAP_EXPECT_EQ(m.err, XM_PERR_TOO_BIG);
	KTAP_EXPECT_EQ(m.err_off, XM_HDR_OFF_LENGTH);

	/* Declared 512, buffer 513. */
	make_max(&r);
	KTAP_EXPECT_EQ(parse_exact(r.b, XM_MSG_MAX + 1, &m), -EMSGSIZE);
	KTAP_EXPECT_EQ(m.err, XM_PERR_TOO_BIG);
}

/* ------------------------------------------------------------------------
 * TLV handling
 */

static void test_unknown_tlvs(void)
{
	static const u16 noncrit[] = { 0x0007, 0x0100, 0x7f00, 0x7fff };
	static const u16 crit[] = { 0x8007, 0x8100, 0xff00, 0xffff };
	static const size_t pos[] = { RREP4_SENDER, RREP4_OBSERVED,
				      RREP4_METHODS, RREP4_VERDICT,
				      sizeof(golden_rrep4) };
	static const u8 val[7] = { 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03 };
	struct xm_msg want = rrep4(), got;
	unsigned int bad = 0;
	size_t p, t, len;

	for (p = 0; p < ARRAY_SIZE(pos); p++) {
		for (t = 0; t < ARRAY_SIZE(noncrit); t++) {
			for (len = 0; len <= sizeof(val); len++) {
				struct raw r, orig;
				int ret;

				raw_load(&orig, B_RREP4);
				r = orig;
				raw_cut(&r, pos[p]);
				raw_tlv(&r, noncrit[t], val, len);
				raw_copy(&r, orig.b + pos[p], orig.n - pos[p]);
				ret = parse_exact(r.b, r.n, &got);
				if (!KTAP_EXPECT_EQ(ret, 0)) {
					ktap_diag("type %#x len %zu at %zu: %s",
						  noncrit[t], len, pos[p],
						  xm_parse_err_name(got.err));
					bad++;
					continue;
				}
				expect_msg_eq(&got, &want);
			}
		}
		for (t = 0; t < ARRAY_SIZE(crit); t++) {
			struct raw r, orig;

			raw_load(&orig, B_RREP4);
			r = orig;
			raw_cut(&r, pos[p]);
			raw_tlv(&r, crit[t], val, 3);
			raw_copy(&r, orig.b + pos[p], orig.n - pos[p]);
			KTAP_EXPECT_EQ(parse_exact(r.b, r.n, &got), -EBADMSG);
			KTAP_EXPECT_EQ(got.err, XM_PERR_UNKNOWN_CRITICAL);
			KTAP_EXPECT_EQ(got.err_off, pos[p]);
		}
	}
	KTAP_EXPECT_EQ(bad, 0);
}

static void test_tlv_order(void)
{
	static const size_t off[4] = { RREP4_SENDER, RREP4_OBSERVED,
				       RREP4_METHODS, RREP4_VERDICT };
	static const size_t len[4] = { 20, 20, 8, 12 };
	struct xm_msg want = rrep4(), got;
	unsigned int perms = 0;
	int a, b, c, d;

	for (a = 0; a < 4; a++)
		for (b = 0; b < 4; b++)
			for (c = 0; c < 4; c++)
				for (d = 0; d < 4; d++) {
					const int order[4] = { a, b, c, d };
					struct raw r;
					int k;

					if (a == b || a == c || a == d ||
					    b == c || b == d || c == d)
						continue;
					raw_load(&r, B_NONE);
					r.b[XM_HDR_OFF_TYPE] = XM_MSG_RREP;
					for (k = 0; k < 4; k++)
						raw_copy(&r, golden_rrep4 +
							 off[order[k]],
							 len[order[k]]);
					KTAP_EXPECT_EQ(parse_exact(r.b, r.n,
								   &got), 0);
					expect_msg_eq(&got, &want);
					perms++;
				}
	KTAP_EXPECT_EQ(perms, 24);
}

static void test_padding(void)
{
	size_t vlen, bytepos;

	for (vlen = 1; vlen <= 3; vlen++) {
		for (bytepos = vlen; bytepos < 4; bytepos++) {
			struct xm_msg m;
			struct raw r;

			raw_load(&r, B_RREQ4);
			raw_tlv_pad(&r, 0x0042, "abc", vlen, 0);
			r.b[sizeof(golden_rreq4) + XM_TLV_HDR_LEN + bytepos] =
				0x10;
			raw_fix_len(&r);
			KTAP_EXPECT_EQ(parse_exact(r.b, r.n, &m), -EBADMSG);
			KTAP_EXPECT_EQ(m.err, XM_PERR_BAD_PADDING);
			KTAP_EXPECT_EQ(m.err_off, sizeof(golden_rreq4) +
				       XM_TLV_HDR_LEN + bytepos);

			/* The same TLV with zero padding is fine. */
			r.b[sizeof(golden_rreq4) + XM_TLV_HDR_LEN + bytepos] =
				0;
			KTAP_EXPECT_EQ(parse_exact(r.b, r.n, &m), 0);
		}
	}
}

/* ------------------------------------------------------------------------
 * NAT classification
 */

static const struct cls_row {
	const char *name;
	struct xm_view sent;
	struct xm_view seen;
	u32 want;
} *cls_rows;

static size_t n_cls_rows;

static void make_cls_rows(void)
{
	static struct cls_row rows[16];
	struct xm_view x4 = mkview(XM_FAMILY_IPV4, XM_ENCAP_ESPINUDP, 4500,
				   4500, X_PRIV4, Y4);
	struct xm_view x6 = mkview(XM_FAMILY_IPV6, XM_ENCAP_ESPINUDP, 4500,
				   4500, X6, Y6);
	struct xm_view v;
	size_t n = 0;

	rows[n++] = (struct cls_row){ "no NAT", x4, x4, 0 };
	v = x4;
	set_addr(&v.saddr, XM_FAMILY_IPV4, X_PUB4);
	rows[n++] = (struct cls_row){ "source address only", x4, v,
				      XM_NAT_SRC_ADDR };
	v = x4;
	v.sport = cpu_to_be16(61000);
	rows[n++] = (struct cls_row){ "source port only", x4, v,
				      XM_NAT_SRC_PORT };
	set_addr(&v.saddr, XM_FAMILY_IPV4, X_PUB4);
	rows[n++] = (struct cls_row){ "NAPT: source address and port", x4, v,
				      XM_NAT_SRC_ADDR | XM_NAT_SRC_PORT };
	v = x4;
	set_addr(&v.daddr, XM_FAMILY_IPV4, Y_INNER4);
	rows[n++] = (struct cls_row){ "destination address", x4, v,
				      XM_NAT_DST_ADDR };
	v = x4;
	v.dport = cpu_to_be16(14500);
	rows[n++] = (struct cls_row){ "destination port", x4, v,
				      XM_NAT_DST_PORT };
	set_addr(&v.daddr, XM_FAMILY_IPV4, Y_INNER4);
	rows[n++] = (struct cls_row){ "port forward: dst address and port",
				      x4, v,
				      XM_NAT_DST_ADDR | XM_NAT_DST_PORT };
	v = mkview(XM_FAMILY_IPV4, XM_ENCAP_ESPINUDP, 61000, 14500, X_PUB4,
		   Y_INNER4);
	rows[n++] = (struct cls_row){ "both ends translated", x4, v,
				      XM_NAT_SRC_ADDR | XM_NAT_SRC_PORT |
				      XM_NAT_DST_ADDR | XM_NAT_DST_PORT };
	v = mkview(XM_FAMILY_IPV4, XM_ENCAP_ESPINUDP, 4500, 4500, X_PUB4, Y4);
	rows[n++] = (struct cls_row){ "family change (NAT64)", x6, v,
				      XM_NAT_SRC_ADDR | XM_NAT_DST_ADDR };
	v.sport = cpu_to_be16(1024);
	rows[n++] = (struct cls_row){ "family change and port", x6, v,
				      XM_NAT_SRC_ADDR | XM_NAT_DST_ADDR |
				      XM_NAT_SRC_PORT };
	v = mkview(XM_FAMILY_IPV4, XM_ENCAP_NONE, 0, 0, X_PRIV4, Y4);
	rows[n++] = (struct cls_row){ "encapsulation added", v, x4,
				      XM_NAT_ENCAP | XM_NAT_SRC_PORT |
				      XM_NAT_DST_PORT };
	v = x4;
	v.encap = XM_ENCAP_ESPINTCP;
	rows[n++] = (struct cls_row){ "encapsulation changed, same ports",
				      x4, v, XM_NAT_ENCAP };
	rows[n++] = (struct cls_row){ "IPv6 no NAT", x6, x6, 0 };
	v = x6;
	set_addr(&v.saddr, XM_FAMILY_IPV6, X6_PUB);
	rows[n++] = (struct cls_row){ "IPv6 prefix translation", x6, v,
				      XM_NAT_SRC_ADDR };
	v = x4;
	memset(v.saddr.b + 4, 0xee, 12);
	memset(v.daddr.b + 4, 0x11, 12);
	rows[n++] = (struct cls_row){ "IPv4 ignores bytes past the address",
				      x4, v, 0 };
	cls_rows = rows;
	n_cls_rows = n;
}

static void test_classify(void)
{
	size_t i;

	make_cls_rows();
	ktap_sub_begin("classify", n_cls_rows);
	for (i = 0; i < n_cls_rows; i++) {
		const struct cls_row *row = &cls_rows[i];

		ktap_row_begin();
		KTAP_EXPECT_EQ(xm_classify(&row->sent, &row->seen), row->want);
		/* Every comparison is symmetric. */
		KTAP_EXPECT_EQ(xm_classify(&row->seen, &row->sent), row->want);
		ktap_row_end(row->name);
	}
}

/* The golden reply's verdict is what X recomputes from its own view. */
static void test_classify_rrep(void)
{
	struct xm_msg req = rreq4(), rep;

	KTAP_EXPECT_EQ(parse_exact(golden_rrep4, sizeof(golden_rrep4), &rep),
		       0);
	KTAP_EXPECT_EQ(xm_classify(&req.sender, &rep.observed),
		       rep.verdict.nat);
	KTAP_EXPECT_EQ(rep.verdict.nat, XM_NAT_SRC_ADDR | XM_NAT_SRC_PORT);
}

/* ------------------------------------------------------------------------
 * Building
 */

static void b_type0(struct xm_msg *m)
{
	m->type = 0;
}

static void b_type_probe(struct xm_msg *m)
{
	m->type = XM_MSG_PROBE;
}

static void b_flags(struct xm_msg *m)
{
	m->flags = 1;
}

static void b_observed_in_rreq(struct xm_msg *m)
{
	m->present |= XM_PRESENT_OBSERVED_VIEW;
	m->observed = m->sender;
}

static void b_unknown_present(struct xm_msg *m)
{
	m->present |= 1U << 5;
}

static void b_no_methods(struct xm_msg *m)
{
	m->present &= ~XM_PRESENT_METHODS;
}

static void b_no_sender(struct xm_msg *m)
{
	m->present &= ~XM_PRESENT_SENDER_VIEW;
}

static void b_family0(struct xm_msg *m)
{
	m->sender.family = 0;
}

static void b_encap3(struct xm_msg *m)
{
	m->sender.encap = 3;
}

static void b_none_with_port(struct xm_msg *m)
{
	m->sender.encap = XM_ENCAP_NONE;
	m->sender.dport = 0;
}

static void b_udp_dport0(struct xm_msg *m)
{
	m->sender.dport = 0;
}

static void b_saddr0(struct xm_msg *m)
{
	m->sender.saddr.a4 = 0;
}

static void b_methods0(struct xm_msg *m)
{
	m->methods = 0;
}

static void b_rrep_no_verdict(struct xm_msg *m)
{
	m->present &= ~XM_PRESENT_VERDICT;
}

static void b_rrep_bad_observed(struct xm_msg *m)
{
	m->observed.family = XM_FAMILY_IPV6;
	memset(&m->observed.daddr, 0, sizeof(m->observed.daddr));
}

static void b_verdict_nat(struct xm_msg *m)
{
	m->verdict.nat = XM_NAT_ALL + 1;
}

static void b_verdict_method(struct xm_msg *m)
{
	m->verdict.method = 9;
}

static void b_verdict_unlisted(struct xm_msg *m)
{
	m->verdict.method = XM_ENCAP_ESPINTCP;
}

static const struct build_row {
	const char *name;
	struct xm_msg (*make)(void);
	void (*mut)(struct xm_msg *m);
	enum xm_parse_err err;
} build_rows[] = {
	{ "type 0", rreq4, b_type0, XM_PERR_BAD_TYPE },
	{ "type PROBE with TLVs", rreq4, b_type_probe, XM_PERR_UNEXPECTED_TLV },
	{ "flags set", rreq4, b_flags, XM_PERR_BAD_FLAGS },
	{ "rreq with OBSERVED_VIEW", rreq4, b_observed_in_rreq,
	  XM_PERR_UNEXPECTED_TLV },
	{ "undefined present bit", rrep4, b_unknown_present,
	  XM_PERR_UNEXPECTED_TLV },
	{ "rreq without METHODS", rreq4, b_no_methods, XM_PERR_MISSING_TLV },
	{ "rreq without SENDER_VIEW", rreq6, b_no_sender, XM_PERR_MISSING_TLV },
	{ "rrep without VERDICT", rrep4, b_rrep_no_verdict,
	  XM_PERR_MISSING_TLV },
	{ "view family 0", rreq4, b_family0, XM_PERR_BAD_VIEW },
	{ "view encap 3", rreq4, b_encap3, XM_PERR_BAD_VIEW },
	{ "plain esp view with port", rreq4, b_none_with_port,
	  XM_PERR_BAD_VIEW },
	{ "udp view dport 0", rreq4, b_udp_dport0, XM_PERR_BAD_VIEW },
	{ "view saddr 0.0.0.0", rreq4, b_saddr0, XM_PERR_BAD_VIEW },
	{ "observed view daddr ::", rrep4, b_rrep_bad_observed,
	  XM_PERR_BAD_VIEW },
	{ "METHODS empty", rreq4, b_methods0, XM_PERR_BAD_METHODS },
	{ "VERDICT unknown NAT bit", rrep4, b_verdict_nat,
	  XM_PERR_BAD_VERDICT },
	{ "VERDICT method 9", rrep4, b_verdict_method, XM_PERR_BAD_VERDICT },
	{ "VERDICT method not in METHODS", rrep4, b_verdict_unlisted,
	  XM_PERR_BAD_VERDICT },
};

static bool all_bytes(const u8 *b, size_t n, u8 v)
{
	while (n--)
		if (*b++ != v)
			return false;
	return true;
}

static void test_build_errors(void)
{
	size_t i;

	ktap_sub_begin("build_errors", ARRAY_SIZE(build_rows));
	for (i = 0; i < ARRAY_SIZE(build_rows); i++) {
		struct xm_msg m = build_rows[i].make();
		u8 buf[XM_MSG_MAX];

		ktap_row_begin();
		build_rows[i].mut(&m);
		memset(buf, 0xa5, sizeof(buf));
		KTAP_EXPECT_EQ(xm_msg_check(&m), build_rows[i].err);
		KTAP_EXPECT_EQ(xm_msg_build(&m, buf, sizeof(buf)), -EINVAL);
		KTAP_EXPECT(all_bytes(buf, sizeof(buf), 0xa5));
		ktap_row_end(build_rows[i].name);
	}
}

static void test_build_space(void)
{
	struct xm_msg m = rrep6();
	u8 buf[XM_MSG_MAX];
	unsigned int bad = 0;
	size_t len;

	for (len = 0; len < 128; len++) {
		memset(buf, 0xa5, sizeof(buf));
		if (xm_msg_build(&m, buf, len) != -ENOSPC ||
		    !all_bytes(buf, sizeof(buf), 0xa5))
			bad++;
	}
	KTAP_EXPECT_EQ(bad, 0);
	memset(buf, 0xa5, sizeof(buf));
	KTAP_EXPECT_EQ(xm_msg_build(&m, buf, 128), 128);
	KTAP_EXPECT(all_bytes(buf + 128, sizeof(buf) - 128, 0xa5));
	KTAP_EXPECT_EQ(xm_msg_build(&m, buf, sizeof(buf)), 128);

	/* err and err_off are ignored by the builder. */
	m.err = XM_PERR_BAD_MAGIC;
	m.err_off = 7;
	KTAP_EXPECT_EQ(xm_msg_build(&m, buf, sizeof(buf)), 128);
}

static void test_null_args(void)
{
	struct xm_msg m = rreq4();
	u8 buf[XM_MSG_MAX];

	KTAP_EXPECT_EQ(xm_msg_parse(golden_rreq4, sizeof(golden_rreq4), NULL),
		       -EINVAL);
	KTAP_EXPECT_EQ(xm_msg_parse(NULL, 100, &m), -EBADMSG);
	KTAP_EXPECT_EQ(m.err, XM_PERR_TRUNCATED);
	KTAP_EXPECT_EQ(m.err_off, 0);
	m = rreq4();
	KTAP_EXPECT_EQ(xm_msg_build(NULL, buf, sizeof(buf)), -EINVAL);
	KTAP_EXPECT_EQ(xm_msg_build(&m, NULL, 0), -EINVAL);
	KTAP_EXPECT_EQ(xm_msg_build(&m, NULL, sizeof(buf)), -EINVAL);
}

/* A failed parse wipes whatever an earlier successful parse left. */
static void test_failure_clears(void)
{
	struct xm_msg m;
	struct raw r;

	KTAP_EXPECT_EQ(parse_exact(golden_rrep4, sizeof(golden_rrep4), &m), 0);
	KTAP_EXPECT_EQ(m.present, XM_PRESENT_ALL);
	raw_load(&r, B_RREP4);
	m_verdict_unlisted(&r);
	KTAP_EXPECT_EQ(parse_exact(r.b, r.n, &m), -EBADMSG);
	KTAP_EXPECT_EQ(m.err, XM_PERR_BAD_VERDICT);
	expect_msg_cleared(&m);
}

/* ------------------------------------------------------------------------
 * Small helpers
 */

static void test_view_valid(void)
{
	struct xm_view v = mkview(XM_FAMILY_IPV6, XM_ENCAP_ESPINTCP, 1, 2,
				  X6, Y6);

	KTAP_EXPECT(xm_view_valid(&v));
	v.encap = XM_ENCAP_NONE;
	KTAP_EXPECT(!xm_view_valid(&v));
	v.sport = 0;
	v.dport = 0;
	KTAP_EXPECT(xm_view_valid(&v));
	v.family = XM_FAMILY_IPV4;	/* first 4 bytes of X6 are non-zero */
	KTAP_EXPECT(xm_view_valid(&v));
	memset(v.saddr.b, 0, 4);
	KTAP_EXPECT(!xm_view_valid(&v));
	v.family = XM_FAMILY_IPV6;
	KTAP_EXPECT(xm_view_valid(&v));
	v.family = 10;			/* host AF_INET6 is not a wire value */
	KTAP_EXPECT(!xm_view_valid(&v));
	v.family = 2;
	KTAP_EXPECT(!xm_view_valid(&v));
}

static void test_encap_method(void)
{
	KTAP_EXPECT_EQ(xm_encap_method(XM_ENCAP_NONE), XM_METHOD_ESP);
	KTAP_EXPECT_EQ(xm_encap_method(XM_ENCAP_ESPINUDP), XM_METHOD_ESPINUDP);
	KTAP_EXPECT_EQ(xm_encap_method(XM_ENCAP_ESPINTCP), XM_METHOD_ESPINTCP);
	KTAP_EXPECT_EQ(xm_encap_method(3), 0);
	KTAP_EXPECT_EQ(xm_encap_method(255), 0);
	KTAP_EXPECT_EQ(XM_METHOD_ESPINUDP, 1);
	KTAP_EXPECT_EQ(XM_METHOD_ESP, 2);
	KTAP_EXPECT_EQ(XM_METHOD_ESPINTCP, 4);
}

static void test_is_reply(void)
{
	struct xm_msg req = rreq4(), rep = rrep4();

	KTAP_EXPECT(xm_msg_is_reply(&req, &rep));
	KTAP_EXPECT(!xm_msg_is_reply(&rep, &req));
	KTAP_EXPECT(!xm_msg_is_reply(&req, &req));
	rep.seq++;
	KTAP_EXPECT(!xm_msg_is_reply(&req, &rep));
	rep.seq--;
	rep.nonce ^= 1ULL << 63;
	KTAP_EXPECT(!xm_msg_is_reply(&req, &rep));
	rep.nonce ^= 1ULL << 63;
	KTAP_EXPECT(xm_msg_is_reply(&req, &rep));
}

/* ------------------------------------------------------------------------
 * Copies of one registration, one per traversal method (COPIES)
 */

/* The plain-ESP copy of rreq4's registration: its own outer header. */
static struct xm_msg rreq4_plain_copy(void)
{
	struct xm_msg m = rreq4();

	m.present |= XM_PRESENT_COPIES;
	m.sender = mkview(XM_FAMILY_IPV4, XM_ENCAP_NONE, 0, 0, X_PRIV4, Y4);
	m.copies = XM_METHOD_ESPINUDP | XM_METHOD_ESP;
	return m;
}

static const u8 golden_rreq4_plain[56] = {
	0x58, 0x4d, 0x01, 0x01, 0x00, 0x38, 0x00, 0x00,	/* hdr, len 56 */
	0x00, 0x00, 0x00, 0x01,				/* seq 1 */
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,	/* nonce */
	0x80, 0x01, 0x00, 0x10,				/* SENDER_VIEW */
	0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* v4, plain ESP */
	0x0a, 0x00, 0x00, 0x02, 0xc6, 0x33, 0x64, 0x01,	/* 10.0.0.2 Y4 */
	0x80, 0x03, 0x00, 0x04,				/* METHODS */
	0x00, 0x00, 0x00, 0x03,
	0x00, 0x05, 0x00, 0x04,				/* COPIES */
	0x00, 0x00, 0x00, 0x03,
};

static void test_copies(void)
{
	struct xm_msg m, got;
	u8 buf[XM_MSG_MAX];
	struct raw r;
	int n;

	KTAP_EXPECT_EQ(XM_TLV_COPIES, 0x0005);
	KTAP_EXPECT_EQ(XM_COPIES_LEN, 4);

	/* Golden image, both ways. */
	m = rreq4_plain_copy();
	n = xm_msg_build(&m, buf, sizeof(buf));
	KTAP_EXPECT_EQ(n, (int)sizeof(golden_rreq4_plain));
	KTAP_EXPECT(n == sizeof(golden_rreq4_plain) &&
		    !memcmp(buf, golden_rreq4_plain, n));
	KTAP_EXPECT_EQ(parse_exact(golden_rreq4_plain,
				   sizeof(golden_rreq4_plain), &got), 0);
	expect_msg_eq(&got, &m);

	/* COPIES before SENDER_VIEW: order does not matter. */
	memset(&r, 0, sizeof(r));
	memcpy(r.b, golden_rreq4_plain, XM_HDR_LEN);
	r.n = XM_HDR_LEN;
	raw_copy(&r, golden_rreq4_plain + 48, 8);
	raw_copy(&r, golden_rreq4_plain + XM_HDR_LEN, 28);
	KTAP_EXPECT_EQ(parse_exact(r.b, r.n, &got), 0);
	expect_msg_eq(&got, &m);

	/* An RREP says which copies arrived. */
	m = rrep4();
	m.present |= XM_PRESENT_COPIES;
	m.copies = XM_METHOD_ESP;
	n = xm_msg_build(&m, buf, sizeof(buf));
	KTAP_EXPECT_EQ(n, (int)sizeof(golden_rrep4) + 8);
	KTAP_EXPECT_EQ(parse_exact(buf, n, &got), 0);
	expect_msg_eq(&got, &m);
	KTAP_EXPECT_EQ(got.copies, XM_METHOD_ESP);

	/* Unknown bits (ESP-in-TCP and beyond) are carried. */
	m = rreq4_plain_copy();
	m.copies |= XM_METHOD_ESPINTCP | 0x80000000u;
	n = xm_msg_build(&m, buf, sizeof(buf));
	KTAP_EXPECT_EQ(parse_exact(buf, n, &got), 0);
	KTAP_EXPECT_EQ(got.copies, m.copies);

	/* Empty, wrong length, critical bit, twice, in a PROBE. */
	memcpy(r.b, golden_rreq4_plain, sizeof(golden_rreq4_plain));
	r.n = sizeof(golden_rreq4_plain);
	memset(r.b + 52, 0, 4);
	KTAP_EXPECT_EQ(parse_exact(r.b, r.n, &got), -EBADMSG);
	KTAP_EXPECT_EQ(got.err, XM_PERR_BAD_METHODS);
	KTAP_EXPECT_EQ(got.err_off, 48);

	raw_cut(&r, 48);
	raw_tlv(&r, XM_TLV_COPIES, "\0\0\3", 3);
	KTAP_EXPECT_EQ(parse_exact(r.b, r.n, &got), -EBADMSG);
	KTAP_EXPECT_EQ(got.err, XM_PERR_BAD_TLV);

	raw_cut(&r, 48);
	raw_tlv(&r, XM_TLV_COPIES | XM_TLV_CRITICAL, "\0\0\0\3", 4);
	KTAP_EXPECT_EQ(parse_exact(r.b, r.n, &got), -EBADMSG);
	KTAP_EXPECT_EQ(got.err, XM_PERR_BAD_TLV);

	raw_cut(&r, 48);
	raw_tlv(&r, XM_TLV_COPIES, "\0\0\0\3", 4);
	raw_tlv(&r, XM_TLV_COPIES, "\0\0\0\3", 4);
	KTAP_EXPECT_EQ(parse_exact(r.b, r.n, &got), -EBADMSG);
	KTAP_EXPECT_EQ(got.err, XM_PERR_DUP_TLV);
	KTAP_EXPECT_EQ(got.err_off, 56);

	raw_load(&r, B_NONE);
	r.b[XM_HDR_OFF_TYPE] = XM_MSG_PROBE;
	raw_tlv(&r, XM_TLV_COPIES, "\0\0\0\2", 4);
	KTAP_EXPECT_EQ(parse_exact(r.b, r.n, &got), -EBADMSG);
	KTAP_EXPECT_EQ(got.err, XM_PERR_UNEXPECTED_TLV);

	/* A copy sent with a method its COPIES or METHODS leave out. */
	memcpy(r.b, golden_rreq4_plain, sizeof(golden_rreq4_plain));
	r.n = sizeof(golden_rreq4_plain);
	r.b[55] = XM_METHOD_ESPINUDP;
	KTAP_EXPECT_EQ(parse_exact(r.b, r.n, &got), -EBADMSG);
	KTAP_EXPECT_EQ(got.err, XM_PERR_BAD_METHODS);
	r.b[55] = 3;
	r.b[47] = XM_METHOD_ESPINUDP;
	KTAP_EXPECT_EQ(parse_exact(r.b, r.n, &got), -EBADMSG);
	KTAP_EXPECT_EQ(got.err, XM_PERR_BAD_METHODS);

	/* The builder refuses the same. */
	m = rreq4_plain_copy();
	m.copies = XM_METHOD_ESPINUDP;
	KTAP_EXPECT_EQ(xm_msg_check(&m), XM_PERR_BAD_METHODS);
	KTAP_EXPECT_EQ(xm_msg_build(&m, buf, sizeof(buf)), -EINVAL);
	m = rreq4_plain_copy();
	m.methods = XM_METHOD_ESPINUDP;
	m.copies = XM_METHOD_ESP;
	KTAP_EXPECT_EQ(xm_msg_check(&m), XM_PERR_BAD_METHODS);
	m = rreq4_plain_copy();
	m.copies = 0;
	KTAP_EXPECT_EQ(xm_msg_check(&m), XM_PERR_BAD_METHODS);
	m = rreq4_plain_copy();
	m.present &= ~XM_PRESENT_COPIES;
	KTAP_EXPECT_EQ(xm_msg_check(&m), XM_PERR_NONE);
	/* An RREP's COPIES need not list the answered copy's method. */
	m = rrep4();
	m.present |= XM_PRESENT_COPIES;
	m.copies = XM_METHOD_ESP;
	KTAP_EXPECT_EQ(xm_msg_check(&m), XM_PERR_NONE);
}

static void test_err_names(void)
{
	int i, j;

	KTAP_EXPECT_EQ(XM_PERR_MAX, 17);
	KTAP_EXPECT(!strcmp(xm_parse_err_name(XM_PERR_NONE), "none"));
	KTAP_EXPECT(!strcmp(xm_parse_err_name(XM_PERR_TRUNCATED),
			    "truncated"));
	KTAP_EXPECT(!strcmp(xm_parse_err_name(XM_PERR_UNKNOWN_CRITICAL),
			    "unknown_critical"));
	KTAP_EXPECT(!strcmp(xm_parse_err_name(XM_PERR_BAD_VERDICT),
			    "bad_verdict"));
	KTAP_EXPECT(!strcmp(xm_parse_err_name(XM_PERR_MAX), "unknown"));
	KTAP_EXPECT(!strcmp(xm_parse_err_name((enum xm_parse_err)-1),
			    "unknown"));
	for (i = 0; i < XM_PERR_MAX; i++) {
		const char *a = xm_parse_err_name(i);

		KTAP_EXPECT(a && strcmp(a, "unknown"));
		for (j = 0; j < i; j++)
			KTAP_EXPECT(strcmp(a, xm_parse_err_name(j)));
	}
}

/* ------------------------------------------------------------------------
 * Seed corpus
 */

static int write_file(const char *dir, const char *name, const void *b,
		      size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b, 1, n, f) != n || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

static int write_corpus(const char *dir)
{
	static const struct {
		const char *name;
		struct xm_msg (*make)(void);
	} seeds[] = {
		{ "rreq-v4-udp", rreq4 },
		{ "rreq-v4-esp", rreq4_esp },
		{ "rreq-v4-tcp", rreq4_tcp },
		{ "rreq-v6-esp", rreq6 },
		{ "rrep-v4-napt", rrep4 },
		{ "rrep-v4-extremes", rrep4_extremes },
		{ "rrep-v6", rrep6 },
		{ "rrep-mixed", rrep_mixed },
	};
	u8 buf[XM_MSG_MAX];
	struct raw r;
	int err = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(seeds); i++) {
		struct xm_msg m = seeds[i].make();
		int n = xm_msg_build(&m, buf, sizeof(buf));

		if (n < 0) {
			fprintf(stderr, "%s: build failed %d\n", seeds[i].name,
				n);
			return 1;
		}
		err |= write_file(dir, seeds[i].name, buf, n);
	}
	raw_load(&r, B_RREP4);
	m_unknown_noncrit(&r);
	err |= write_file(dir, "rrep-v4-unknown-tlv", r.b, r.n);
	raw_load(&r, B_RREQ4);
	m_pad_last(&r);
	err |= write_file(dir, "bad-padding", r.b, r.n);
	make_max(&r);
	err |= write_file(dir, "max-size", r.b, r.n);
	return err;
}

/* ------------------------------------------------------------------------ */

static const struct ktap_case cases[] = {
	{ "wire_layout", test_wire_layout },
	{ "golden", test_golden },
	{ "roundtrip", test_roundtrip },
	{ "unaligned", test_unaligned },
	{ "parse_errors", test_parse_errors },
	{ "all_reasons_reachable", test_all_reasons_reachable },
	{ "truncation", test_truncation },
	{ "trailing_bytes", test_trailing },
	{ "size_limit", test_size_limit },
	{ "unknown_tlvs", test_unknown_tlvs },
	{ "tlv_order", test_tlv_order },
	{ "padding", test_padding },
	{ "classify", test_classify },
	{ "classify_rrep", test_classify_rrep },
	{ "build_errors", test_build_errors },
	{ "build_space", test_build_space },
	{ "null_args", test_null_args },
	{ "failure_clears", test_failure_clears },
	{ "view_valid", test_view_valid },
	{ "encap_method", test_encap_method },
	{ "is_reply", test_is_reply },
	{ "copies", test_copies },
	{ "err_names", test_err_names },
};

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--write-corpus"))
		return write_corpus(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "usage: %s [--write-corpus DIR]\n", argv[0]);
		return 2;
	}
	if (ktap_run(cases, ARRAY_SIZE(cases)))
		return 1;
	return 0;
}
