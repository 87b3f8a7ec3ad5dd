// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the registration codec (src/proto.c).
 *
 * Beyond memory safety (ASan/UBSan) every input is checked against the
 * codec's contract:
 *  - parse returns 0, -EBADMSG or -EMSGSIZE, consistently with msg.err;
 *  - a rejected message leaves only err/err_off behind;
 *  - an accepted message passes xm_msg_check(), cannot be accepted when
 *    shortened by one byte, and survives build -> parse -> build
 *    unchanged (unknown TLVs dropped, known TLVs in canonical order);
 *  - the builder never writes more than the input held and reports
 *    -ENOSPC for a buffer one byte short.
 *
 * With -DXM_FUZZ_STANDALONE the file builds as a replay tool that runs
 * the same checks over the files named on its command line.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "proto.h"

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant failed: %s\n",\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long accepted;

static bool view_eq(const struct xm_view *a, const struct xm_view *b)
{
	return a->family == b->family && a->encap == b->encap &&
	       a->sport == b->sport && a->dport == b->dport &&
	       !memcmp(&a->saddr, &b->saddr, sizeof(a->saddr)) &&
	       !memcmp(&a->daddr, &b->daddr, sizeof(a->daddr));
}

static bool msg_eq(const struct xm_msg *a, const struct xm_msg *b)
{
	return a->type == b->type && a->flags == b->flags &&
	       a->seq == b->seq && a->nonce == b->nonce &&
	       a->present == b->present && view_eq(&a->sender, &b->sender) &&
	       view_eq(&a->observed, &b->observed) &&
	       a->methods == b->methods && a->verdict.nat == b->verdict.nat &&
	       a->verdict.method == b->verdict.method &&
	       a->err == b->err && a->err_off == b->err_off;
}

/* Size of the TLV at @off, header and padding included. */
static size_t tlv_size(const u8 *msg, size_t off)
{
	size_t vlen = get_unaligned_be16(msg + off + XM_TLV_OFF_LEN);

	return XM_TLV_HDR_LEN + ((vlen + 3) & ~(size_t)3);
}

/* Does the accepted message @msg hold the TLV @tlv of @tlen bytes? */
static bool tlv_find(const u8 *msg, size_t size, const u8 *tlv, size_t tlen)
{
	size_t off;

	for (off = XM_HDR_LEN; off < size; off += tlv_size(msg, off))
		if (tlv_size(msg, off) == tlen && !memcmp(msg + off, tlv, tlen))
			return true;
	return false;
}

static void check_rejected(const struct xm_msg *m, int ret, size_t size)
{
	struct xm_msg z;

	CHECK(m->err > XM_PERR_NONE && m->err < XM_PERR_MAX);
	CHECK(ret == (m->err == XM_PERR_TOO_BIG ? -EMSGSIZE : -EBADMSG));
	CHECK(m->err_off <= size);
	memset(&z, 0, sizeof(z));
	z.err = m->err;
	z.err_off = m->err_off;
	CHECK(msg_eq(m, &z));
}

static void check_accepted(const struct xm_msg *m, const uint8_t *data,
			   size_t size)
{
	u8 out[XM_MSG_MAX], out2[XM_MSG_MAX];
	struct xm_msg again;
	int n, n2;

	accepted++;
	CHECK(size >= XM_HDR_LEN && size <= XM_MSG_MAX && size % 4 == 0);
	CHECK(m->err == XM_PERR_NONE && m->err_off == 0);
	CHECK(xm_msg_check(m) == XM_PERR_NONE);
	/* A PROBE or PROBE_ACK is the header alone. */
	if (m->type == XM_MSG_PROBE || m->type == XM_MSG_PROBE_ACK)
		CHECK(!m->present);
	else
		CHECK(m->present & XM_PRESENT_SENDER_VIEW);
	CHECK(xm_classify(&m->sender, &m->sender) == 0);
	if (m->present & XM_PRESENT_OBSERVED_VIEW)
		CHECK(!(xm_classify(&m->sender, &m->observed) & ~XM_NAT_ALL));

	CHECK(xm_msg_parse(data, size - 1, &again) == -EBADMSG);
	CHECK(again.err == XM_PERR_TRUNCATED);

	n = xm_msg_build(m, out, sizeof(out));
	CHECK(n >= XM_HDR_LEN && (size_t)n <= size);
	CHECK(xm_msg_build(m, out2, n - 1) == -ENOSPC);
	CHECK(xm_msg_parse(out, n, &again) == 0);
	CHECK(msg_eq(m, &again));
	n2 = xm_msg_build(&again, out2, sizeof(out2));
	CHECK(n2 == n && !memcmp(out, out2, n));

	/* The header is reproduced except for the length. */
	CHECK(!memcmp(out, data, XM_HDR_OFF_LENGTH));
	CHECK(!memcmp(out + XM_HDR_OFF_FLAGS, data + XM_HDR_OFF_FLAGS,
		      XM_HDR_LEN - XM_HDR_OFF_FLAGS));
	/*
	 * Same size means nothing was dropped: every TLV of the output is
	 * then found byte for byte in the input.
	 */
	if ((size_t)n == size) {
		size_t off;

		for (off = XM_HDR_LEN; off < (size_t)n; ) {
			size_t tlen = tlv_size(out, off);

			CHECK(tlv_find(data, size, out + off, tlen));
			off += tlen;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xm_msg m;
	int ret;

	memset(&m, 0x5a, sizeof(m));
	ret = xm_msg_parse(data, size, &m);
	if (ret)
		check_rejected(&m, ret, size);
	else
		check_accepted(&m, data, size);
	return 0;
}

#ifdef XM_FUZZ_STANDALONE
int main(int argc, char **argv)
{
	static uint8_t buf[1 << 16];
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		size_t n;

		if (!f) {
			perror(argv[i]);
			return 1;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("# replayed %d inputs, %lu accepted\n", argc - 1, accepted);
	return 0;
}
#endif
